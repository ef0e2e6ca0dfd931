"""A visitor reaches /budget from the site's navigation in Chromium, at 1280 and at
390 px: both charts are drawn beside their tables, the page itself never scrolls
sideways (wide tables scroll inside their own box), the filters work without
JavaScript, and a line's link leads to the tenders held against it."""

from __future__ import annotations

import pytest

from tests.budget_read_builders import budget_world

pytestmark = pytest.mark.e2e


async def test_budget_page_at_desktop_and_phone_widths(server, browser, frozen_clock, tmp_path):
    world = await budget_world(frozen_clock)
    for width, height in ((1280, 900), (390, 844)):
        context = await browser.new_context(
            locale="en-GB", viewport={"width": width, "height": height}, java_script_enabled=False
        )
        page = await context.new_page()
        await page.goto(f"{server}/")
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Budget").click()
        assert page.url.endswith("/budget")
        for chart in ("#by-tier-section svg", "#by-category-section svg"):
            box = await page.locator(chart).bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 60, chart
        assert await page.locator("#by-tier").is_visible()
        assert await page.locator("#line-table").is_visible()
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
        await page.screenshot(path=str(tmp_path / f"budget-{width}.png"), full_page=True)
        await page.select_option("select[name=tier]", "community")
        await page.get_by_role("button", name="Show").click()
        rows = page.locator("#line-table tbody tr")
        assert await rows.count() == 2
        await page.locator(f"tr[data-line='{world.lines['lakeside']}'] a").click()
        tenders = page.locator("#tender-table tbody tr")
        assert await tenders.count() == 2
        await page.screenshot(path=str(tmp_path / f"budget-line-{width}.png"), full_page=True)
        await context.close()


async def test_budget_page_in_chinese_at_phone_width(server, browser, frozen_clock, tmp_path):
    await budget_world(frozen_clock)
    for width, height in ((1280, 900), (390, 844)):
        context = await browser.new_context(
            locale="zh-CN", viewport={"width": width, "height": height}
        )
        page = await context.new_page()
        response = await page.goto(f"{server}/budget")
        assert response is not None and response.status == 200
        assert await page.locator("h1").text_content() == "预算执行"
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
        await page.screenshot(path=str(tmp_path / f"budget-zh-{width}.png"), full_page=True)
        await context.close()
