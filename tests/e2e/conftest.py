"""Browser tests: a real server process and Debian's headless Chromium driven by Playwright.

Never `playwright install`: the browser is /usr/bin/chromium (make test installs it
through apt when missing). Without it these tests are skipped with that reason.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
HAVE_CHROMIUM = os.path.exists(CHROMIUM)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(fresh_db: None) -> Iterator[str]:
    """The app served by `market serve` in its own process, on the test database."""
    port = _free_port()
    env = {**os.environ, "PICCOLO_CONF": "piccolo_conf"}
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "composition.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
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
        raise RuntimeError("server did not start: " + process.stderr.read().decode()[-2000:])
    yield url
    process.terminate()
    process.wait(timeout=30)  # a graceful stop; slower on a loaded machine


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    if not HAVE_CHROMIUM:
        pytest.skip(f"{CHROMIUM} missing: browser tests skipped (make test installs it via apt)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        await instance.close()
