"""In Chromium, at 1280 and 390 px: the operator designates the finance bureau from the
dashboard; the tender form narrows its budget-line select as the place and category
are chosen (htmx); a visitor goes from a tender's page to its budget line's figures.
None of this makes a page wider than the screen."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.budget_builders import (
    appropriation,
    department_without_budget,
    funded_line,
    make_district,
    make_finance,
)
from tests.budget_read_builders import YEAR, budget_world
from tests.builders import make_operator, make_org, make_user
from tests.e2e.journeys import sign_in

pytestmark = pytest.mark.e2e
WIDTHS = (1280, 390)


async def no_sideways_scroll(page: Any, width: int) -> None:
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {width}px"


async def test_the_operator_designates_the_finance_bureau(server, browser, frozen_clock, tmp_path):
    await make_district()
    officer = await make_user("bureau-officer@example.org")
    await make_org(
        kind="department",
        name_zh="明湖区财政局",
        name_en="Minghu District Finance Bureau",
        category="",
        admin=officer,
    )
    await make_operator("e2e-operator@example.org")
    for width in WIDTHS:
        page = await sign_in(browser, server, "e2e-operator@example.org")
        await page.set_viewport_size({"width": width, "height": 900})
        await page.get_by_role("link", name="District finance bureau").click()
        assert page.url.endswith("/operator/finance-bureau")
        await page.select_option(
            "select[name=organization]", label="Minghu District Finance Bureau"
        )
        await page.get_by_role("button", name="Designate as the finance bureau").click()
        await page.wait_for_load_state()
        assert "Minghu District Finance Bureau" in (
            await page.locator("p.current").text_content() or ""
        )
        await no_sideways_scroll(page, width)
        await page.screenshot(path=str(tmp_path / f"finance-bureau-{width}.png"), full_page=True)
        await page.context.close()


async def test_the_line_select_narrows_as_the_place_and_category_are_chosen(
    server, browser, frozen_clock, tmp_path
):
    district = await make_district()
    finance = await make_finance(district)
    appropriation_id = await appropriation(finance, district, 1_000_000)
    hubin = await funded_line(finance, appropriation_id, district.streets[0], 300_000)
    await funded_line(finance, appropriation_id, district.streets[0], 50_000, "charity")
    await funded_line(finance, appropriation_id, district.streets[1], 100_000)
    whole = await funded_line(finance, appropriation_id, district.id, 100_000)
    department = await department_without_budget()
    for width in WIDTHS:
        page = await sign_in(browser, server, department.email)
        await page.set_viewport_size({"width": width, "height": 900})
        await page.goto(f"{server}/workspace/tenders/new")
        options = page.locator("select[name=budget_line] option[value]:not([value=''])")
        assert await options.count() == 4
        await page.select_option("select[name=category]", "community_services")
        await page.select_option("select[name=place]", str(district.communities[0]))
        await expect(options).to_have_count(2)
        values = {await o.get_attribute("value") for o in await options.all()}
        assert values == {str(hubin), str(whole)}
        await no_sideways_scroll(page, width)
        await page.locator("#budget-line-field").scroll_into_view_if_needed()
        await page.screenshot(path=str(tmp_path / f"line-select-{width}.png"))
        await page.context.close()


async def test_a_tender_page_leads_to_its_budget_lines_figures(
    server, browser, frozen_clock, tmp_path
):
    world = await budget_world(frozen_clock)
    for width in WIDTHS:
        context = await browser.new_context(
            locale="en-GB", viewport={"width": width, "height": 900}, java_script_enabled=False
        )
        page = await context.new_page()
        await page.goto(f"{server}/tenders/{world.tenders['contracted']}")
        link = page.locator("#budget-line a")
        assert "Lakeside Community · Community services · 2026" in (await link.text_content() or "")
        await page.screenshot(path=str(tmp_path / f"tender-line-{width}.png"), full_page=True)
        # (the tender page's funding table is wider than a phone: not this line's doing)
        box = await page.locator("#budget-line").bounding_box()
        assert box is not None and box["x"] + box["width"] <= width, box
        await link.click()
        assert page.url.endswith(f"/budget?year={YEAR}&line={world.lines['lakeside']}")
        assert await page.locator("#line-table tbody tr").count() == 1
        assert await page.locator("#tender-table tbody tr").count() == 2
        await no_sideways_scroll(page, width)
        await page.goto(f"{server}/projects/{world.tenders['contracted']}")
        box = await page.locator("#budget-line").bounding_box()
        assert box is not None and box["x"] + box["width"] <= width, box
        await page.screenshot(path=str(tmp_path / f"project-line-{width}.png"))
        await context.close()
