"""`market worker` and the server's inline worker.

`market worker` runs every registered job on its schedule until SIGTERM/SIGINT (a
running job finishes, up to `GRACE` seconds; a second signal stops at once);
`--once` runs every due job once and exits (cron, tests; exit 1 when one failed);
`--job NAME` runs one job now whatever its schedule (exit 1 when it failed or another
worker was running it). With `MARKET_WORKER_INLINE=1` (`make run`) the web app
runs the same loop in its own process (`start_inline`/`stop_inline`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from typing import Any

from market import logs
from market.db import close_pool, start_pool
from market.jobs import get_job, registered
from market.jobs.runner import Outcome, Worker, run_due, run_job, worker_id

log = logging.getLogger("market.jobs")
GRACE = 30.0  # seconds a stopping worker waits for running jobs
INLINE_DELAY = 2.0  # seconds the inline worker waits for the server to start


def _configure_logging() -> None:
    """JSON lines on stderr (market.logs), unless something configured logging first."""
    if not logging.getLogger().handlers:
        logs.configure()
    logging.getLogger("market.jobs").setLevel(logging.INFO)


async def command(args: argparse.Namespace) -> int:
    """`market worker [--once | --job NAME]`."""
    _configure_logging()
    job = get_job(args.job) if args.job else None
    if args.job and job is None:
        names = ", ".join(j.name for j in registered())
        print(f"unknown job {args.job!r}; the jobs are: {names}")
        return 2
    await start_pool()
    try:
        if job is not None:
            return _exit_code([await run_job(job, worker=worker_id(), force=True)], {"busy"})
        if args.once:
            return _exit_code(await run_due(registered(), worker=worker_id()), set())
        await _serve(Worker(registered()))
        return 0
    finally:
        await close_pool()


def _exit_code(outcomes: list[Outcome], failing: set[str]) -> int:
    """1 when a job failed (or ended in one of the `failing` statuses), else 0."""
    for outcome in outcomes:
        if outcome.status == "busy":
            print(f"job {outcome.job}: another worker is running it")
    if all(o.status == "not_due" for o in outcomes):
        print("worker: no job is due")
    return 1 if any(o.status in {"error", *failing} for o in outcomes) else 0


async def _serve(worker: Worker) -> None:
    loop = asyncio.get_running_loop()
    task = loop.create_task(worker.run())
    signals = (signal.SIGTERM, signal.SIGINT)

    def on_signal() -> None:
        if worker.stopping.is_set():
            task.cancel()  # a second signal: stop now
        worker.stop()

    for sig in signals:
        loop.add_signal_handler(sig, on_signal)
    names = ", ".join(f"{j.name} every {j.every.total_seconds():g}s" for j in worker.jobs)
    log.info("worker %s started: %s", worker.worker, names)
    try:
        await _finish(task, worker)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
    log.info("worker %s stopped", worker.worker)


async def _finish(task: asyncio.Task[None], worker: Worker) -> None:
    """Wait for the loop; once a stop is asked, give running jobs `GRACE` seconds."""
    stop_asked = asyncio.ensure_future(worker.stopping.wait())
    await asyncio.wait({task, stop_asked}, return_when=asyncio.FIRST_COMPLETED)
    stop_asked.cancel()
    with contextlib.suppress(asyncio.CancelledError):  # a second signal cancels the loop
        try:
            await asyncio.wait_for(asyncio.shield(task), GRACE)
        except TimeoutError:
            log.warning("jobs still running after %ss: cancelled", GRACE)
            task.cancel()
            await task


def start_inline(app: Any) -> None:
    """on_startup with `MARKET_WORKER_INLINE=1`: the worker loop as a background task."""
    worker = Worker(registered())
    app.state.worker = worker
    app.state.worker_task = asyncio.get_running_loop().create_task(worker.run(delay=INLINE_DELAY))


async def stop_inline(app: Any) -> None:
    """on_shutdown: let a running job finish (a few seconds at most), then cancel."""
    worker, task = getattr(app.state, "worker", None), getattr(app.state, "worker_task", None)
    if worker is None or task is None:
        return
    worker.stop()
    try:
        await asyncio.wait_for(asyncio.shield(task), 5.0)
    except TimeoutError:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
