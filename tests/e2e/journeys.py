"""Steps the browser journeys share: signing in and filling the tender form."""

from __future__ import annotations

from typing import Any

from tests.builders import PASSWORD


async def sign_in(browser: Any, server: str, email: str, locale: str = "en-GB") -> Any:
    """A page of a new browser context, signed in as `email` (on the dashboard)."""
    context = await browser.new_context(locale=locale)
    page = await context.new_page()
    await page.goto(f"{server}/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{server}/dashboard")
    return page


async def fill_tender_form(page: Any, form: dict[str, str]) -> None:
    """Type a tender form (tests.tender_builders.tender_form) into the workspace page."""
    for name, value in form.items():
        if name == "price_criterion":
            await page.check(f"input[name=price_criterion][value='{value}']")
        elif name in ("category", "area_level"):
            await page.select_option(f"select[name={name}]", value)
        elif name.startswith("description"):
            await page.fill(f"textarea[name={name}]", value)
        else:
            await page.fill(f"input[name={name}]", value)
