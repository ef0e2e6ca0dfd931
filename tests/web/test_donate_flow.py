"""The donate flow as a person uses it: preset amounts, the sponsor match named before
paying (live and without JavaScript), anonymity, and a receipt that leads to the
project's money page; a closed project promises nothing."""

from __future__ import annotations

import re

import httpx
import pytest

from market.sql import execute
from tests.builders import htmx
from tests.donation_builders import make_pledge, make_tender
from tests.web import pages


@pytest.fixture(autouse=True)
def english(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"


async def _open_form(client: httpx.AsyncClient, tender: int) -> pages.Form:
    page = await client.get(f"/tenders/{tender}/donate")
    assert page.status_code == 200
    return pages.form(page.text, "donate-form")


async def _donations() -> list[dict]:
    return [dict(r) for r in await execute("SELECT * FROM donors_donation ORDER BY id")]


async def _sponsor_name(pledge: int) -> str:
    """The sponsor's name as the English page shows it."""
    [row] = await execute(
        "SELECT o.name_zh, o.name_en FROM donors_pledge p"
        " JOIN market_organization o ON o.id = p.sponsor WHERE p.id = {}",
        pledge,
    )
    return str(row["name_en"] or row["name_zh"])


async def test_a_preset_amount_is_donated_and_the_receipt_links_to_the_project(
    client: httpx.AsyncClient,
) -> None:
    tender = await make_tender()
    form = await _open_form(client, tender)
    assert form.radios["preset"] == ["20", "50", "100", "200", "other"]
    assert ("preset", "100") in form.fields  # a sensible amount is chosen already
    data = form.values(preset="50", display_name="王小红", action="donate")
    response = await client.post(form.action, data=data)
    assert response.status_code == 303, response.text
    [stored] = await _donations()
    assert (stored["amount"], stored["currency"], stored["tender"]) == (50_00, "CNY", tender)
    assert stored["display_name"] == "王小红"
    assert stored["anonymous"] in (False, 0)
    page = await client.get(response.headers["location"])
    assert f'href="/projects/{tender}"' in page.text
    receipt_link = re.search(r"/donations/\d+/receipt\?ref=[A-Z0-9-]+", page.text)
    assert receipt_link
    receipt = await client.get(receipt_link.group(0))
    assert receipt.status_code == 200
    assert "¥50.00" in receipt.text and "王小红" in receipt.text
    assert f'href="/projects/{tender}"' in receipt.text
    assert "javascript:" not in receipt.text


async def test_the_other_amount_box_wins_over_the_preset(client: httpx.AsyncClient) -> None:
    tender = await make_tender()
    form = await _open_form(client, tender)
    response = await client.post(form.action, data=form.values(amount="33.30", action="donate"))
    assert response.status_code == 303, response.text
    [stored] = await _donations()
    assert stored["amount"] == 33_30


async def test_other_chosen_without_an_amount_is_an_error_beside_the_box(
    client: httpx.AsyncClient,
) -> None:
    tender = await make_tender()
    form = await _open_form(client, tender)
    response = await client.post(form.action, data=form.values(preset="other", action="donate"))
    assert response.status_code == 422
    assert 'id="amount-error"' in response.text
    assert await _donations() == []


async def test_the_match_preview_names_the_sponsor_live_and_without_javascript(
    client: httpx.AsyncClient,
) -> None:
    tender = await make_tender()
    pledge = await make_pledge(ratio=(1, 1), per_donation_cap=80_00)
    sponsor = await _sponsor_name(pledge)
    form = await _open_form(client, tender)
    # htmx: the amount fieldset asks for the preview fragment with the chosen preset
    fragment = await client.get(f"/tenders/{tender}/donate?preset=50&amount=", headers=htmx())
    assert "<html" not in fragment.text
    assert 'id="match-preview"' in fragment.text
    assert sponsor in fragment.text  # the sponsor's name
    assert "¥50.00" in fragment.text and "¥100.00" in fragment.text  # match and total
    # without JavaScript: the "show the match" button re-renders the form, nothing is stored
    shown = await client.post(form.action, data=form.values(preset="200", action="preview"))
    assert shown.status_code == 200
    assert sponsor in shown.text and "¥80.00" in shown.text  # capped per donation
    assert 'value="200" checked' in shown.text  # the choice is kept
    assert await _donations() == []
    # the page itself shows the match for its default amount inside a polite live region
    page = await client.get(f"/tenders/{tender}/donate")
    region = re.search(
        r'<div class="match-region" aria-live="polite"[^>]*>(.*?)</div>', page.text, re.S
    )
    assert region and sponsor in region.group(1)


async def test_without_a_pledge_no_match_is_promised(client: httpx.AsyncClient) -> None:
    tender = await make_tender()
    page = await client.get(f"/tenders/{tender}/donate")
    assert "No matching funds are available" in page.text
    assert "adds" not in page.text


async def test_an_anonymous_donation_hides_the_name(client: httpx.AsyncClient) -> None:
    tender = await make_tender()
    form = await _open_form(client, tender)
    data = form.values(
        preset="20", display_name="李四", anonymous="on", message="加油", action="donate"
    )
    response = await client.post(form.action, data=data)
    assert response.status_code == 303, response.text
    [stored] = await _donations()
    assert stored["anonymous"] in (True, 1)
    page = await client.get(response.headers["location"])
    receipt_link = re.search(r"/donations/\d+/receipt\?ref=[A-Z0-9-]+", page.text)
    assert receipt_link
    receipt = await client.get(receipt_link.group(0))
    assert "Anonymous" in receipt.text
    assert "李四" not in receipt.text


async def test_a_completed_project_says_it_is_closed_and_promises_no_match(
    client: httpx.AsyncClient,
) -> None:
    tender = await make_tender(status="completed")
    sponsor = await _sponsor_name(await make_pledge(ratio=(1, 1)))
    page = await client.get(f"/tenders/{tender}/donate?preset=100")
    assert page.status_code == 200
    assert "is closed" in page.text
    assert 'href="/#seeking-funds"' in page.text
    assert f'href="/projects/{tender}"' in page.text
    assert sponsor not in page.text and "adds" not in page.text
    assert 'name="preset"' not in page.text  # no form to fill
    fragment = await client.get(f"/tenders/{tender}/donate?preset=100", headers=htmx())
    assert sponsor not in fragment.text and "adds" not in fragment.text
