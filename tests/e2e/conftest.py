"""Browser tests: a real server process (`server`, tests/served.py) and Debian's headless
Chromium driven by Playwright.

Never `playwright install`: the browser is /usr/bin/chromium (make test installs it
through apt when missing). Without it these tests are skipped with that reason.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

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


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[object]:
    """Headless Chromium, launched once per session (per xdist worker)."""
    if not HAVE_CHROMIUM:
        pytest.skip(f"{CHROMIUM} missing: browser tests skipped (make test installs it via apt)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


@pytest.fixture
async def browser(chromium: Any) -> AsyncIterator[object]:
    """The session's Chromium for one test: the pages a test opens live in browser
    contexts of their own (cookies, storage and cache apart, as in a fresh browser),
    and every context a test leaves open is closed after it."""
    before = set(chromium.contexts)
    yield chromium
    for context in chromium.contexts:
        if context not in before:
            await context.close()
