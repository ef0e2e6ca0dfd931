"""`market worker` as operators run it, against the suite's database (both engines):
two workers started together run each job exactly once; `--once` runs only what is
due; `--job` runs one job now; SIGTERM stops the long-running worker cleanly."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest

from market import clock, jobs
from market.jobs.worker import command
from market.sql import execute
from market.timestamps import timestamp

ROOT = Path(__file__).resolve().parents[2]


async def start_worker(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "composition.cli",
        "worker",
        *args,
        cwd=ROOT,
        env={**os.environ, "PICCOLO_CONF": "piccolo_conf"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def worker(*args: str) -> tuple[int, str, str]:
    process = await start_worker(*args)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return int(process.returncode or 0), out.decode(), err.decode()


async def runs_per_job() -> Counter[str]:
    rows = await execute("SELECT job, outcome FROM market_job_run")
    assert {row["outcome"] for row in rows} <= {"ok"}
    return Counter(row["job"] for row in rows)


async def test_two_workers_at_once_run_each_job_exactly_once(fresh_db: None) -> None:
    (code_a, out_a, err_a), (code_b, out_b, err_b) = await asyncio.gather(
        worker("--once"), worker("--once")
    )
    assert (code_a, code_b) == (0, 0), out_a + err_a + out_b + err_b
    names = [job.name for job in jobs.registered()]
    assert await runs_per_job() == Counter(names)
    logged = err_a + err_b
    assert all(logged.count(f"job {name} ok in ") == 1 for name in names), logged

    code, out, err = await worker("--once")
    # Only a job whose period has passed since its first run may run again (a loaded
    # machine can take longer than the 10 s / 30 s jobs' periods to start two workers).
    started = await execute("SELECT job, MIN(started_at) AS first FROM market_job_run GROUP BY job")
    first = {row["job"]: timestamp(row["first"]) for row in started}
    now = clock.now()
    period = {job.name: job.every for job in jobs.registered()}
    again = {n for n, c in (await runs_per_job()).items() if c > 1}
    assert code == 0 and all(now - first[n] >= period[n] for n in again), out + err
    if not again:
        assert out.strip() == "worker: no job is due", err
    before = await runs_per_job()

    code, _, err = await worker("--job", "tenders.tick")
    assert code == 0 and "job tenders.tick ok in " in err
    assert (await runs_per_job())["tenders.tick"] == before["tenders.tick"] + 1


async def test_an_unknown_job_is_refused_with_the_known_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await command(argparse.Namespace(job="no.such.job", once=False)) == 2
    out = capsys.readouterr().out
    assert "unknown job 'no.such.job'" in out and "tenders.tick" in out


async def test_sigterm_stops_the_worker_cleanly(fresh_db: None) -> None:
    process = await start_worker()
    assert process.stderr is not None
    lines: list[str] = []
    while not any("started" in line for line in lines):
        line = await asyncio.wait_for(process.stderr.readline(), 60)
        assert line, "the worker exited before starting: " + "".join(lines)
        lines.append(line.decode())
    await asyncio.sleep(0.5)  # let it run its first jobs
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 40)
    assert process.returncode == 0, "".join(lines) + err.decode()
    assert "stopped" in err.decode()
