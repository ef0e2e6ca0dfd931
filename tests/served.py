"""The app served by `market serve` in its own process, on the test database: for the browser
tests (tests/e2e) and the OpenAPI fuzzing (tests/web/test_openapi_fuzz.py).

A plugin of the root conftest (`pytest_plugins`), so that one server process serves
every test of a session (of an xdist worker) that asks for `server`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.net import free_port

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def served_app() -> Iterator[str]:
    """The server process, started once per session (per xdist worker): every test that
    uses it commits its rows and truncates them afterwards (`server`), and the process
    keeps nothing of a test's that the next one could see but what a test leaves in the
    session's var dir (sessions, login throttling), which a server started afresh for
    each test would read as well."""
    port = free_port()
    env = {**os.environ, "PICCOLO_CONF": "piccolo_conf"}
    # Its log goes to a file: a pipe nobody reads would fill up over a session and
    # stall the server.
    log = Path(os.environ["MARKET_VAR_DIR"]) / f"server-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "composition.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a loaded 2-core CI machine starts slowly
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("server did not start: " + log.read_text(errors="replace")[-2000:])
    yield url
    process.terminate()
    process.wait(timeout=30)  # a graceful stop; slower on a loaded machine


@pytest.fixture
def server(served_app: str, fresh_db: None) -> str:
    """The served app for one test: its rows are real commits (the server process reads
    them), every table truncated afterwards."""
    return served_app
