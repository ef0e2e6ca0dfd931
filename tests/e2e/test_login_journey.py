"""A person signs in with a browser and lands on their dashboard."""

from __future__ import annotations

import pytest

from market import accounts

pytestmark = pytest.mark.e2e


async def test_member_logs_in_and_sees_the_dashboard(server, browser):
    await accounts.sign_up(
        email="browser@example.org", display_name="浏览器用户", password="correct horse battery"
    )
    page = await browser.new_page(locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{server}/login")
    await page.fill("input[name=email]", "browser@example.org")
    await page.fill("input[name=password]", "wrong password here")
    await page.click("#login-form button[type=submit]")
    # htmx swaps the form in place with the error; no page load.
    await page.wait_for_selector("#login-error")
    await page.fill("input[name=password]", "correct horse battery")
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{server}/dashboard")
    assert "浏览器用户" in await page.inner_text("h1")
    assert not errors, errors
