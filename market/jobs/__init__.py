"""Time-driven work: a registry of jobs and the runner that runs them (`market worker`).

A job is an async callable `(now) -> dict[str, int]` (what it did, as counts) that is
idempotent: running it twice, or after a crash half-way, changes nothing more than
running it once. `composition.wiring.wire()` fills the registry explicitly
(`register_job`); importing a module registers nothing.

The runner (`market.jobs.runner`) claims a job before running it (PostgreSQL: a
session advisory lock keyed by the job's name; SQLite: a lock file per job under
`var/jobs/`), decides under the claim whether it is due from `market_job_run`, runs
it, and records the run. Scheduling decisions are pure (`market.jobs.schedule`).

A job registered with `repeat` is a *session* job (the audit chain's sequencer): in
the long-running worker one run holds its claim for `every` and calls the job again
every `repeat` (the counts add up; one run row for the session), and the next session
starts `repeat` after it ends, so the work is done within about `repeat` of arriving
while the run log grows by one row per `every`. A session is due whenever no worker
holds the job (its claim keeps it single), so a restarted worker starts one at once;
failures still back off. `--once` and `--job` call it once, on its `every` schedule.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

JobFn = Callable[[datetime], Awaitable[dict[str, int]]]

MAX_BACKOFF = timedelta(hours=1)
TIMEOUT = timedelta(minutes=10)
NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,59}")


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    fn: JobFn
    every: timedelta
    max_backoff: timedelta = MAX_BACKOFF  # failures back off up to max(every, this)
    timeout: timedelta = TIMEOUT  # a run taking longer is cancelled and counts as failed
    repeat: timedelta | None = None  # a session job: called again every `repeat` in a run

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name):
            raise ValueError(f"job name must be 1-60 of a-z 0-9 _ . -, got {self.name!r}")
        if self.every <= timedelta(0) or self.timeout <= timedelta(0):
            raise ValueError(f"job {self.name}: every and timeout must be positive")
        if self.repeat is not None and not timedelta(0) < self.repeat < self.every:
            raise ValueError(f"job {self.name}: repeat must be positive and less than every")


_JOBS: dict[str, Job] = {}


def register_job(
    name: str,
    fn: JobFn,
    *,
    every: timedelta,
    max_backoff: timedelta = MAX_BACKOFF,
    timeout: timedelta = TIMEOUT,
    repeat: timedelta | None = None,
) -> Job:
    """Register (or replace: `wire()` may run twice) the job called `name`."""
    job = Job(name, fn, every, max_backoff, timeout, repeat)
    _JOBS[name] = job
    return job


def registered() -> list[Job]:
    """Every registered job, in registration order."""
    return list(_JOBS.values())


def get_job(name: str) -> Job | None:
    return _JOBS.get(name)
