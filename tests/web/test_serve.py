"""`market serve` as `make run` starts it (MARKET_WORKER_INLINE=1), with two worker
processes: both serve pages, each runs the inline job loop, and between them every job
runs, never two runs of one job at once (the jobs' claims see to that; their races are
forced in tests/services/test_job_concurrency.py); SIGTERM stops the whole server
gracefully (each worker finishes, shuts the app down and exits; the server exits 0)."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
import time
from datetime import datetime

import httpx

from market.jobs import registered
from market.sql import execute
from market.timestamps import timestamp
from tests.net import free_port
from tests.served import ROOT

START_WITHIN = 90.0  # seconds: a loaded 2-core machine starts two workers slowly


async def until_every_job_ran(process: asyncio.subprocess.Process, url: str) -> None:
    names = {job.name for job in registered()}
    deadline = time.monotonic() + START_WITHIN
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        while time.monotonic() < deadline and process.returncode is None:
            try:
                answered = (await client.get("/tenders")).status_code == 200
            except httpx.HTTPError:
                answered = False
            ran = {row["job"] for row in await execute("SELECT job FROM market_job_run")}
            if answered and ran >= names:
                return
            await asyncio.sleep(0.25)
    raise AssertionError(f"the server did not serve and run every job ({process.returncode=})")


def overlaps(runs: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    ordered = sorted(runs)
    return [b for a, b in itertools.pairwise(ordered) if b[0] < a[1]]


async def test_two_workers_with_inline_jobs_run_each_job_alone_and_stop_on_sigterm(
    fresh_db: None,
) -> None:
    port = free_port()
    env = {**os.environ, "MARKET_WORKER_INLINE": "1"}
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "composition.cli", "serve", "--port", str(port), "--workers", "2"),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await until_every_job_ran(process, f"http://127.0.0.1:{port}")
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 40)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = output.decode(errors="replace")
    assert process.returncode == 0, log[-3000:]
    assert "Stopped worker-1" in log and "Stopped worker-2" in log and "Traceback" not in log
    rows = await execute("SELECT job, worker, started_at, finished_at FROM market_job_run")
    by_job: dict[str, list[tuple[datetime, datetime]]] = {}
    for row in rows:
        span = (timestamp(row["started_at"]), timestamp(row["finished_at"]))
        by_job.setdefault(row["job"], []).append(span)
    assert {job: overlaps(spans) for job, spans in by_job.items() if overlaps(spans)} == {}
