"""Running jobs: one run (claim → due? → run → record), every due job once, and the
long-running worker loop (one task per job) with a graceful stop.

A failing job is logged and recorded (outcome `error`) and tried again after a backoff
(market.jobs.schedule); it never stops the worker or the other jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from market import clock
from market.db import unavailable
from market.jobs import Job
from market.jobs.claims import claim
from market.jobs.runs import Run, history, latest_runs, record
from market.jobs.schedule import is_due, next_due, seconds_until

log = logging.getLogger("market.jobs")
LEAST_WAIT = 1.0  # seconds between two looks at one job, at least
MOST_WAIT = 60.0  # … and at most (other workers may have run it meanwhile)
# After the database could not be reached (down, failing over), look again this soon: a
# session job (the audit sequencer) resumes as soon as the new primary answers.
UNAVAILABLE_WAIT = 2.0


@dataclass(frozen=True, slots=True)
class Outcome:
    job: str
    status: str  # ok | error | busy (another worker holds it) | not_due
    counts: dict[str, int] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0
    unavailable: bool = False  # the error was the database being unreachable


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _counts(value: object) -> dict[str, int]:
    if not isinstance(value, Mapping) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value.values()
    ):
        raise TypeError(f"a job returns a dict of integer counts, got {value!r}")
    return {str(k): int(v) for k, v in value.items()}


async def run_job(
    job: Job, *, worker: str, force: bool = False, stop: asyncio.Event | None = None
) -> Outcome:
    """Run `job` if this worker can claim it and it is due (or `force`), and record it.
    With `stop` (the long-running worker's), a session job runs its whole session, due
    whenever nobody holds it: a restarted worker picks the work up at once."""
    repeat = job.repeat if stop is not None else None  # a session, in the long-running worker
    async with claim(job.name) as held:
        if not held:
            return Outcome(job.name, "busy")
        started = clock.now()
        if not (force or repeat) and not is_due(
            started, job.every, await history(job.name), job.max_backoff
        ):
            return Outcome(job.name, "not_due")
        began = time.monotonic()
        counts: dict[str, int] = {}
        error, down = "", False
        try:
            if repeat is None or stop is None:
                work = job.fn(started)
            else:
                work = _session(job, repeat.total_seconds(), stop)
            counts = _counts(await asyncio.wait_for(work, job.timeout.total_seconds()))
        except Exception as exc:  # recorded and retried after a backoff; the worker goes on
            down = unavailable(exc)
            log.error("job %s failed", job.name, exc_info=not down)
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        status, took = "error" if error else "ok", time.monotonic() - began
        outcome = Outcome(job.name, status, counts, error, took, unavailable=down)
        await record(Run(job.name, worker, started, clock.now(), outcome.status, counts, error))
    _log(outcome)
    return outcome


async def _session(job: Job, repeat: float, stop: asyncio.Event) -> dict[str, int]:
    """A session job's run: call it every `repeat` seconds for `every` (or until `stop`)."""
    ends = time.monotonic() + job.every.total_seconds()
    total: dict[str, int] = {}
    while True:
        for key, value in _counts(await job.fn(clock.now())).items():
            total[key] = total.get(key, 0) + value
        left = ends - time.monotonic()
        if left <= 0 or stop.is_set():
            return total
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), min(repeat, left))


def _log(outcome: Outcome) -> None:
    took = f"{outcome.seconds * 1000:.0f} ms"
    if outcome.status == "ok":
        done = ", ".join(f"{k}={v}" for k, v in sorted(outcome.counts.items())) or "nothing to do"
        log.info("job %s ok in %s: %s", outcome.job, took, done)
    else:
        log.error("job %s failed in %s: %s", outcome.job, took, outcome.error)


async def run_due(jobs: Sequence[Job], *, worker: str) -> list[Outcome]:
    """Every due job once, one after the other (`market worker --once`)."""
    return [await run_job(job, worker=worker) for job in jobs]


async def wait_for_next(job: Job) -> float:
    """Seconds until `job` is due again, per the run log (within the loop's bounds; a
    session job's next session may start `repeat` after the last one ended)."""
    due = next_due(job.every, await history(job.name), job.max_backoff)
    least = LEAST_WAIT if job.repeat is None else job.repeat.total_seconds()
    return seconds_until(clock.now(), due, least=least, most=MOST_WAIT)


class Worker:
    """Runs each job in its own task until `stop()`: a slow job delays only itself."""

    def __init__(self, jobs: Sequence[Job], *, worker: str | None = None) -> None:
        self.jobs = list(jobs)
        self.worker = worker or worker_id()
        self.stopping = asyncio.Event()

    async def run(self, *, delay: float = 0.0) -> None:
        """Until `stop()`; `delay` first (an inline worker lets the server start)."""
        if delay and await self._sleep(delay):
            return
        await asyncio.gather(*(self._loop(job) for job in self.jobs))

    def stop(self) -> None:
        """Ask every job loop to finish: a running job completes, none starts."""
        self.stopping.set()

    async def _sleep(self, seconds: float) -> bool:
        """Sleep, or return True as soon as a stop is asked."""
        try:
            await asyncio.wait_for(self.stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _loop(self, job: Job) -> None:
        while not self.stopping.is_set():
            try:
                outcome = await run_job(job, worker=self.worker, stop=self.stopping)
                wait = await wait_for_next(job)
                if outcome.status == "busy":  # another worker is running it right now
                    wait = max(wait, min(job.every.total_seconds(), MOST_WAIT))
                elif outcome.unavailable:
                    wait = min(wait, UNAVAILABLE_WAIT)
            except Exception as exc:  # e.g. the database is away: try again shortly
                if unavailable(exc):
                    log.error("job %s: could not run or record: %r", job.name, exc)
                    wait = UNAVAILABLE_WAIT
                else:
                    log.exception("job %s: could not run or record", job.name)
                    wait = min(max(job.every.total_seconds(), LEAST_WAIT), MOST_WAIT)
            if await self._sleep(wait):
                return


async def status(jobs: Sequence[Job]) -> list[dict[str, object]]:
    """Each job's interval, when it is next due and its latest run (for operators)."""
    latest = {run["job"]: run for run in await latest_runs()}
    return [
        {
            "job": job.name,
            "every_seconds": int(job.every.total_seconds()),
            "next_due": next_due(job.every, await history(job.name), job.max_backoff),
            "last_run": latest.get(job.name),
        }
        for job in jobs
    ]
