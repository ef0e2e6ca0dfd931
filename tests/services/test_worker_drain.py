"""A stopping worker (SIGTERM on `market worker`, or `market serve` draining: both call
`Worker.stop`) finishes the job it is running, records it, and claims nothing more —
not even a job that comes due while it finishes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from market import draining
from market.jobs import Job
from market.jobs.runner import Worker
from market.sql import execute

SECOND = timedelta(seconds=1)


async def test_a_stopped_worker_finishes_its_job_and_claims_no_other(fresh_db: None) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    calls: dict[str, int] = {"slow": 0, "quick": 0}
    quick_ran = asyncio.Event()

    async def slow(now: datetime) -> dict[str, int]:
        calls["slow"] += 1
        started.set()
        await release.wait()  # the job is mid-way when the stop comes
        return {"done": 1}

    async def quick(now: datetime) -> dict[str, int]:
        calls["quick"] += 1
        quick_ran.set()
        return {}

    # `quick` is due again every second: a worker that kept claiming would run it again.
    worker = Worker([Job("test.drain.slow", slow, SECOND), Job("test.drain.quick", quick, SECOND)])
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(started.wait(), 10)
    await asyncio.wait_for(quick_ran.wait(), 10)  # its first run, before the stop
    await asyncio.sleep(0.1)  # recorded
    worker.stop()
    quick_before = calls["quick"]
    await asyncio.sleep(1.5)  # `quick` comes due again meanwhile
    assert not task.done()  # the running job holds the stop up …
    release.set()
    await asyncio.wait_for(task, 5)  # … and the worker ends once it is recorded
    assert calls == {"slow": 1, "quick": quick_before}
    rows = await execute("SELECT job, outcome FROM market_job_run WHERE job = 'test.drain.slow'")
    assert [(r["job"], r["outcome"]) for r in rows] == [("test.drain.slow", "ok")]


async def test_draining_stops_the_inline_worker(fresh_db: None, tmp_path, monkeypatch) -> None:
    from types import SimpleNamespace

    marker = tmp_path / "serve.draining"
    monkeypatch.setenv(draining.ENV, str(marker))
    worker = Worker([])
    app = SimpleNamespace(state=SimpleNamespace(worker=worker))
    draining.start_watching(app)
    try:
        await asyncio.sleep(3 * draining.LOOK_EVERY)
        assert not draining.draining() and not worker.stopping.is_set()
        marker.touch()  # what `market serve` does on SIGTERM
        for _ in range(50):
            if worker.stopping.is_set():
                break
            await asyncio.sleep(0.05)
        assert draining.draining() and worker.stopping.is_set()
    finally:
        await draining.stop_watching(app)
        draining.reset()
