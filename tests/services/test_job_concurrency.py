"""PostgreSQL, real separate connections: two workers (each with its own worker id,
each claim on its own session) race through the same slow jobs. The advisory locks
let exactly one of them run each job; the other finds it busy or, once the run is
recorded, not due."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

import pytest

from market import clock
from market.jobs import Job
from market.jobs.runner import run_due
from market.sql import execute

pytestmark = pytest.mark.postgres_only


async def test_two_workers_run_each_job_exactly_once(
    fresh_db: None, frozen_clock: clock.FrozenClock
) -> None:
    calls: Counter[str] = Counter()

    def slow(name: str) -> Job:
        async def run(now: datetime) -> dict[str, int]:
            calls[name] += 1
            await asyncio.sleep(0.3)  # long enough for the other worker to try it
            return {"done": 1}

        return Job(name, run, timedelta(minutes=1))

    work = [slow(f"race.{i}") for i in range(4)]
    first, second = await asyncio.gather(
        run_due(work, worker="machine-a:1"), run_due(work, worker="machine-b:2")
    )
    assert calls == Counter({job.name: 1 for job in work})
    statuses = Counter(o.status for o in first + second)
    assert statuses["ok"] == 4 and statuses["busy"] >= 1  # they really overlapped
    rows = await execute("SELECT job, worker, outcome FROM market_job_run ORDER BY job")
    assert [row["job"] for row in rows] == [job.name for job in work]
    assert {row["worker"] for row in rows} == {"machine-a:1", "machine-b:2"}
    # this database's advisory locks only: other tests' databases share the server
    locks = await execute(
        "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND database ="
        " (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    assert int(locks[0]["n"]) == 0  # every claim released
