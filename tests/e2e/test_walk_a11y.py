"""Keyboard and screen-reader behaviour the page walk cannot see: where focus goes
after htmx swaps (static/app.js), the persistent live region, scroll regions."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import ENGINE

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        ENGINE != "sqlite",
        reason="browser-only behaviour: runs once per make test, in the SQLite pass",
    ),
]


async def until(page, predicate: str, seconds: float = 10) -> None:  # type: ignore[no-untyped-def]
    """Poll a predicate with page.evaluate: wait_for_function would eval() a string,
    which our CSP (rightly) refuses."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await page.evaluate(predicate):
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {predicate}")
        await asyncio.sleep(0.05)


ACTIVE = """() => {
  const el = document.activeElement;
  return {tag: el ? el.tagName : null, id: el ? el.id : '', name: el ? el.getAttribute('name') : '',
          inRows: !!(el && el.closest('#rows'))};
}"""


async def test_a_form_error_swap_focuses_the_first_invalid_field(server, browser):
    page = await browser.new_page(locale="en-GB")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{server}/signup")
    await page.fill("input[name=email]", "focus@example.org")
    await page.fill("input[name=display_name]", "焦点")
    await page.fill("input[name=password]", "short")
    await page.click("#signup-form button[type=submit]")  # the button is swapped away
    await page.wait_for_selector("#signup-form [aria-invalid=true]")
    await until(page, "() => document.activeElement !== document.body")
    active = await page.evaluate(ACTIVE)
    assert active["tag"] == "INPUT" and active["name"] == "password", active
    assert not errors, errors


async def test_the_pager_moves_focus_to_the_new_rows_and_the_live_region_stays(
    server, demo_district, browser
):
    page = await browser.new_page(locale="en-GB")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{server}/audit")
    live = await page.query_selector("#live")
    assert live is not None and await live.get_attribute("aria-live") == "polite"
    older = page.locator("#rows .pager a[rel=next]")
    if await older.count() == 0:
        pytest.fail("the demo's audit chain should span more than one page")
    first_before = await page.locator("#rows tbody tr").first.get_attribute("data-seq")
    await older.focus()
    await page.keyboard.press("Enter")
    await until(
        page, f"() => document.querySelector('#rows tbody tr')?.dataset.seq !== '{first_before}'"
    )
    await until(page, "() => document.activeElement !== document.body")
    active = await page.evaluate(ACTIVE)
    assert active["tag"] == "TR" and active["inRows"], active
    # The live region is the same element (never swapped), and the new table scrolls
    # inside a labelled, focusable region.
    assert await page.evaluate("document.getElementById('live') !== null")
    region = page.locator("#rows .scroll[role=region][tabindex='0']")
    assert await region.count() == 1
    assert await region.get_attribute("aria-label")
    assert not errors, errors


async def test_a_fragment_that_loads_by_itself_does_not_take_focus(server, browser):
    from tests.builders import make_org

    org = await make_org()
    page = await browser.new_page(locale="en-GB")
    await page.goto(f"{server}/organizations/{org}")
    # The track record replaces its link section once loaded (hx-trigger=load).
    await until(page, "() => !!document.querySelector('#track-record.track-record')")
    await asyncio.sleep(0.2)
    assert (await page.evaluate(ACTIVE))["tag"] == "BODY"
