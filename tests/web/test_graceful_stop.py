"""`market serve` as operators run it, in its own process (both engines):

- SIGTERM drains first: /readyz answers 503 while pages are still served, the inline job
  worker ends its running session and claims nothing more, then the socket closes; a
  request that was being uploaded all that time still gets its answer, and the server
  exits 0;
- with two workers, /metrics adds up both processes' counts (multiprocess mode);
- every line the server writes on stderr is one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from market.sql import execute
from market.timestamps import timestamp
from tests.net import free_port
from tests.served import ROOT
from tests.web.forms import csrf_token

START_WITHIN = 90.0  # seconds: a loaded 2-core machine starts slowly
DRAIN = 3  # MARKET_DRAIN_SECONDS of these servers


async def start(*extra: str, env: dict[str, str]) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "composition.cli", "serve", "--port", str(port), *extra),
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_WITHIN
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        while time.monotonic() < deadline and process.returncode is None:
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return process, url
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
    process.kill()
    raise AssertionError("the server did not start")


async def stop(process: asyncio.subprocess.Process) -> str:
    """Its stderr, once it has exited (killed if it did not within 60 s)."""
    try:
        _, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return err.decode(errors="replace")


async def runs_started() -> None:
    """Until the inline worker has run jobs (its audit.sequence session is running)."""
    deadline = time.monotonic() + START_WITHIN
    while time.monotonic() < deadline:
        if await execute("SELECT id FROM market_job_run LIMIT 1"):
            return
        await asyncio.sleep(0.25)
    raise AssertionError("the inline worker ran no job")


async def refused(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=1) as probe:
            await probe.get(f"{url}/healthz")
    except httpx.ConnectError:
        return True
    except httpx.HTTPError:
        return False
    return False


async def test_sigterm_drains_then_stops_and_the_request_in_flight_is_answered(
    fresh_db: None,
) -> None:
    env = {"MARKET_WORKER_INLINE": "1", "MARKET_DRAIN_SECONDS": str(DRAIN)}
    process, url = await start(env=env)
    try:
        await runs_started()
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            token = await csrf_token(client, "/login")
            first_part_sent, finish_upload = asyncio.Event(), asyncio.Event()

            async def body() -> AsyncIterator[bytes]:
                yield f"_csrf_token={token}&la".encode()
                first_part_sent.set()
                await finish_upload.wait()
                yield b"ng=en&next=%2Ftenders"

            upload = asyncio.create_task(
                client.post(
                    "/lang",
                    content=body(),
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            )
            await first_part_sent.wait()
            await asyncio.sleep(0.3)  # the request is in the server's hands
            sigterm_at = datetime.now(UTC)
            process.send_signal(signal.SIGTERM)
            readiness: list[int] = []
            async with httpx.AsyncClient(base_url=url, timeout=2) as other:
                for _ in range(20):
                    readiness.append((await other.get("/readyz")).status_code)
                    if readiness[-1] == 503:
                        break
                    await asyncio.sleep(0.1)
                draining = await other.get("/readyz")
                page = await other.get("/tenders")
            assert readiness[-1] == 503 and draining.json() == {"status": "draining"}
            assert page.status_code == 200  # still serving while draining
            deadline = time.monotonic() + DRAIN + 30
            while time.monotonic() < deadline:
                if await refused(url):
                    break
                await asyncio.sleep(0.1)
            closed_after = (datetime.now(UTC) - sigterm_at).total_seconds()
            assert closed_after >= DRAIN - 0.5  # the socket stayed open while draining
            finish_upload.set()  # the listener is closed; the request in flight goes on
            answer = await upload
        assert answer.status_code == 303 and answer.headers["location"] == "/tenders"
    finally:
        log = await stop(process)
    assert process.returncode == 0, log[-3000:]
    runs = await execute("SELECT job, started_at, finished_at FROM market_job_run")
    drained_by = sigterm_at + timedelta(seconds=DRAIN)
    # No job was claimed after the drain began (a look every 0.2 s, and a run starting
    # as it came may take a moment to record its start) …
    assert all(timestamp(r["started_at"]) < sigterm_at + timedelta(seconds=1) for r in runs)
    # … and the running audit.sequence session ended while the server still served.
    ended = [timestamp(r["finished_at"]) for r in runs if r["job"] == "audit.sequence"]
    assert any(sigterm_at <= at < drained_by for at in ended), (sigterm_at, ended)
    assert "Traceback" not in log


async def test_two_workers_metrics_add_up_and_every_log_line_is_json(
    fresh_db: None, tmp_path: Path
) -> None:
    folder = tmp_path / "metrics"
    env = {"PROMETHEUS_MULTIPROC_DIR": str(folder), "MARKET_WORKER_INLINE": "0"}
    process, url = await start("--workers", "2", env=env)
    sent = 40
    try:
        for i in range(sent):  # a connection each: the two workers share them
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                response = await client.get("/healthz", headers={"X-Request-ID": f"hz-{i}"})
                assert response.headers["x-request-id"] == f"hz-{i}"
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            text = (await client.get("/metrics")).text
        process.send_signal(signal.SIGTERM)
    finally:
        log = await stop(process)
    counts = {
        sample.labels["route"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "market_http_request_duration_seconds_count"
    }
    assert counts["/healthz"] == sent + 1  # ours and the start-up probe's
    writers = {p.name.rsplit("_", 1)[-1] for p in folder.glob("histogram_*.db")}
    assert len(writers) == 2, writers  # both processes wrote, one scrape read both
    lines = [line for line in log.splitlines() if line.strip()]
    objects = [json.loads(line) for line in lines]  # raises on any line that is not JSON
    access = [o for o in objects if o["logger"] == "market.access"]
    assert {o["request_id"] for o in access} >= {f"hz-{i}" for i in range(sent)}
    assert all({"time", "level", "logger", "message"} <= set(o) for o in objects)
    assert any(o["logger"] == "_granian" for o in objects)
