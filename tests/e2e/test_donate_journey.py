"""A donor on a phone: from the home page's project card to the donate page, picks a
preset, sees the sponsor's match update live, donates, and follows the receipt to the
project's money page — without the page ever scrolling sideways."""

from __future__ import annotations

import pytest

from market.sql import execute
from tests.donation_builders import make_pledge, make_tender

pytestmark = pytest.mark.e2e


async def _no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide at 390px"


async def test_donor_on_a_phone_donates_with_a_live_match_preview(server, browser) -> None:  # type: ignore[no-untyped-def]
    tender = await make_tender()
    pledge = await make_pledge(ratio=(1, 1), per_donation_cap=80_00)
    [sponsor] = await execute(
        "SELECT o.name_en FROM donors_pledge p JOIN market_organization o ON o.id = p.sponsor"
        " WHERE p.id = {}",
        pledge,
    )
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{server}/")
    await _no_sideways_scroll(page)
    await page.click(f'[data-tender="{tender}"] a[href="/tenders/{tender}/donate"]')
    await page.wait_for_url(f"{server}/tenders/{tender}/donate")
    await _no_sideways_scroll(page)
    region = page.locator(".match-region")
    assert await region.get_attribute("aria-live") == "polite"
    assert sponsor["name_en"] in await page.inner_text("#match-preview")
    assert "100.00" in await page.inner_text("#match-preview")  # the default preset
    await page.check("input[name=preset][value='20']")
    # ¥20 + ¥20 matched, swapped in by htmx inside the same live region
    await page.locator("#match-preview", has_text="40.00").wait_for()
    assert await page.locator(".match-region").count() == 1
    await page.fill("input[name=display_name]", "Phone Donor")
    await page.click("button[value=donate]")
    await page.wait_for_url(f"{server}/donations/*")
    await _no_sideways_scroll(page)
    await page.click("a:has-text('printable page')")
    await page.wait_for_url(f"{server}/donations/*/receipt*")
    assert "Phone Donor" in await page.inner_text("main")
    await page.click(f'main a[href="/projects/{tender}"] >> nth=0')
    await page.wait_for_url(f"{server}/projects/{tender}")
    [stored] = await execute("SELECT amount, status FROM donors_donation")
    assert (stored["amount"], stored["status"]) == (20_00, "paid")
    assert not errors, errors
