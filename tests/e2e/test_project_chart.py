"""A visitor opens a project's "follow the money" page in Chromium: the funding chart
(server-rendered SVG) is visible with its bars, labels and legend, beside its table."""

from __future__ import annotations

import pytest

from tests.transparency_builders import cancelled_project

pytestmark = pytest.mark.e2e


async def test_project_page_chart_renders(server, browser, tmp_path):
    built = await cancelled_project()
    page = await browser.new_page(locale="en-GB")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    response = await page.goto(f"{server}/projects/{built.tender_id}")
    assert response is not None and response.status == 200
    chart = page.locator("#funding-chart svg")
    await chart.wait_for(state="visible")
    box = await chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 60
    assert await chart.get_attribute("role") == "img"
    title = await chart.locator("title").first.text_content()
    assert title is not None and "Funding by source" in title
    bars = chart.locator("rect[fill^='url(#funding-p']")
    assert await bars.count() >= 4  # released and refunded bars plus the legend keys
    first_bar = await bars.first.bounding_box()
    assert first_bar is not None and first_bar["width"] > 0
    labels = " ".join(await chart.locator("text").all_text_contents())
    for label in ("Public donations", "Corporate sponsorship", "Released", "Refunded"):
        assert label in labels, label
    assert await page.locator("#funding-table").is_visible()
    await page.screenshot(path=str(tmp_path / "project.png"), full_page=True)
    assert not errors, errors
