"""A department drafts and publishes a tender in the browser; the public finds it
with the live search, and a bad weight is shown beside the field without reload."""

from __future__ import annotations

import pytest

from tests.builders import PASSWORD
from tests.e2e.journeys import fill_tender_form
from tests.tender_builders import make_department, tender_form

pytestmark = pytest.mark.e2e


async def test_department_publishes_and_the_public_finds_it(server, browser):
    department = await make_department()
    page = await browser.new_page(locale="en-GB")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{server}/login")
    await page.fill("input[name=email]", department.email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{server}/dashboard")

    await page.goto(f"{server}/workspace/tenders/new")
    await fill_tender_form(
        page, tender_form(title_zh="湖畔读书会", title_en="Lakeside reading circle")
    )
    await page.fill("input[name=criterion_weight_0]", "45")  # 45 + 20 + 30 = 95
    await page.click("#tender-form button[type=submit]")
    await page.wait_for_selector("#criteria-error")  # swapped in place, nothing saved
    assert page.url == f"{server}/workspace/tenders/new"
    await page.fill("input[name=criterion_weight_0]", "50")
    await page.click("#tender-form button[type=submit]")
    await page.wait_for_url(f"{server}/workspace/tenders/*")
    await page.click(".actions button:has-text('Publish')")
    await page.wait_for_selector("text=Published. The budget is held for this tender.")

    await page.goto(f"{server}/tenders")
    await page.fill("input[name=q]", "读书会")
    await page.wait_for_url("**/tenders?q=*")
    results = await page.inner_text("#results")
    assert "湖畔读书会" in results or "Lakeside reading circle" in results
    await page.fill("input[name=q]", "no such tender anywhere")
    await page.wait_for_selector("#results .empty")
    assert not errors, errors
