"""A change made by another process shows on the cached public pages of `market serve`
within a second (market/web/page_cache.py): the server reads the data version at most
every 250 ms, and no audit hook of this test's process can reach it."""

from __future__ import annotations

import asyncio
import time

import httpx

from donors import donations
from market.money import Money
from market.sql import execute
from tests.tender_builders import make_department, make_tender

WITHIN = 1.0  # seconds, the promise


async def shown_after(browser: httpx.AsyncClient, path: str, text: str) -> float:
    """Seconds until `path` shows `text` (asked for every 20 ms, for 5 s at most)."""
    started = time.monotonic()
    while time.monotonic() - started < 5:
        page = await browser.get(path)
        assert page.status_code == 200
        if text in page.text:
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    raise AssertionError(f"{path} did not show {text!r} within 5 s")


async def warm(browser: httpx.AsyncClient, path: str, absent: str) -> None:
    """The page asked for a few times (so it comes from the cache), without `absent`."""
    for _ in range(3):
        page = await browser.get(path)
        assert page.status_code == 200 and absent not in page.text


async def test_a_new_tender_and_a_donation_show_on_cached_pages_within_a_second(
    server: str,
) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    english = {"Accept-Language": "en", "Accept-Encoding": "gzip, deflate, br"}
    async with httpx.AsyncClient(base_url=server, headers=english) as browser:
        title, quiet = "A tender published a moment ago", "Renamed without an audit row"
        await warm(browser, "/tenders", title)
        # A write no service would make (no audit row): the cached page does not see it.
        await execute("UPDATE market_tender SET title_en = {} WHERE id = {}", quiet, tender_id)
        await asyncio.sleep(0.6)  # past FRESH: the server asks the data version again
        await warm(browser, "/tenders", quiet)
        await make_tender(department, status="published", title_en=title)  # committed here
        assert await shown_after(browser, "/tenders", title) < WITHIN
        assert quiet in (await browser.get("/tenders")).text  # rendered again, whole

        project, amount = f"/projects/{tender_id}", "4,321.07"
        await warm(browser, project, amount)
        started = await donations.start_donation(
            tender_id=tender_id, amount=Money(4321_07, "CNY"), provider="sandbox"
        )
        assert started.donation_id
        assert await shown_after(browser, project, amount) < WITHIN
        assert await shown_after(browser, "/", amount) < WITHIN  # the home page's totals
