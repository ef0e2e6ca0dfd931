"""The run log, `market_job_run`: what every worker reads to agree on due-ness."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from market.jobs.schedule import History, prune_before
from market.sql import execute
from market.tables import JobRun
from market.timestamps import timestamp

ERROR_CHARS = 2000
KEEP = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class Run:
    job: str
    worker: str
    started_at: datetime
    finished_at: datetime
    outcome: str  # ok | error
    counts: dict[str, int]
    error: str = ""


async def history(job: str) -> History:
    """The job's last successful start and the failures since (two index reads)."""
    rows = await execute(
        "SELECT MAX(started_at) AS at FROM market_job_run WHERE job = {} AND outcome = 'ok'",
        job,
    )
    last_ok = timestamp(rows[0]["at"])
    sql = (
        "SELECT COUNT(*) AS n, MAX(started_at) AS at FROM market_job_run"
        " WHERE job = {} AND outcome = 'error'"
    )
    if last_ok is None:
        failed = await execute(sql, job)
    else:
        failed = await execute(sql + " AND started_at > {}", job, last_ok)
    return History(last_ok, int(failed[0]["n"] or 0), timestamp(failed[0]["at"]))


async def record(run: Run) -> None:
    """Append one run; after a successful one, drop this job's rows older than `KEEP`
    (never its last success)."""
    await JobRun.insert(
        JobRun(
            job=run.job,
            worker=run.worker[:120],
            started_at=run.started_at,
            finished_at=run.finished_at,
            outcome=run.outcome,
            counts=json.dumps(run.counts, sort_keys=True),
            error=run.error[:ERROR_CHARS],
        )
    )
    if run.outcome == "ok":
        await execute(
            "DELETE FROM market_job_run WHERE job = {} AND started_at < {}",
            run.job,
            prune_before(run.finished_at, run.started_at, KEEP),
        )


async def latest_runs() -> list[dict[str, Any]]:
    """The latest run of every job that ever ran, by job name (for operators)."""
    rows = await execute(
        "SELECT job, worker, started_at, finished_at, outcome, counts, error"
        " FROM market_job_run WHERE id IN (SELECT MAX(id) FROM market_job_run GROUP BY job)"
        " ORDER BY job"
    )
    return [
        {
            **dict(row),
            "started_at": timestamp(row["started_at"]),
            "finished_at": timestamp(row["finished_at"]),
            "counts": json.loads(row["counts"] or "{}"),
        }
        for row in rows
    ]
