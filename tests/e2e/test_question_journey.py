"""A social organization asks a question in the browser: the page answers in place
(htmx) with the question marked as submitted, and the form is ready for another."""

from __future__ import annotations

import pytest

from tests.builders import PASSWORD, make_org, make_user
from tests.tender_builders import make_department, make_tender

pytestmark = pytest.mark.e2e


async def test_asking_a_question_shows_it_as_submitted(server, browser):
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    user = await make_user("e2e.asker@example.org")
    await make_org(kind="social_org", admin=user)
    page = await browser.new_page(locale="en-GB")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{server}/login")
    await page.fill("input[name=email]", "e2e.asker@example.org")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{server}/dashboard")

    await page.goto(f"{server}/tenders/{tender_id}")
    none_fields = await page.eval_on_selector_all(
        "input, textarea", "els => els.filter(e => e.value === 'None').map(e => e.name)"
    )
    assert none_fields == []
    await page.fill("textarea[name=question]", "Are home visits weekly?")
    await page.click("#questions button[type=submit]")
    notice = page.locator("#questions [role=status]")
    await notice.wait_for()
    assert "Your question was submitted" in await notice.inner_text()
    assert "Are home visits weekly?" in await page.inner_text("#questions")
    assert await page.input_value("textarea[name=question]") == ""
    assert page.url == f"{server}/tenders/{tender_id}"
    assert not errors, errors
