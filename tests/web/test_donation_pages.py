"""Donor, sponsor and operator pages: forms, errors beside fields, receipts, follow your yuan."""

from __future__ import annotations

import re
import zlib

import httpx
import pytest

from donors import donations, receipts
from market.ledger import escrow
from market.ledger.accounts import get_account
from market.money import Money
from market.sql import execute
from tests.builders import htmx, login, make_operator, make_org, make_user, post_form
from tests.donation_builders import make_pledge, make_sponsor, make_tender


@pytest.fixture(autouse=True)
def english(client: httpx.AsyncClient) -> None:
    """These tests read English messages (the Chinese catalog is tested on its own)."""
    client.headers["Accept-Language"] = "en"


async def test_donate_page_is_a_full_page_and_its_match_preview_a_fragment(
    client: httpx.AsyncClient,
) -> None:
    tender = await make_tender()
    await make_pledge(per_donation_cap=50_00)
    page = await client.get(f"/tenders/{tender}/donate")
    assert page.status_code == 200
    assert "<html" in page.text
    assert "no real money" in page.text
    fragment = await client.get(f"/tenders/{tender}/donate?amount=80", headers=htmx())
    assert "<html" not in fragment.text
    assert 'id="match-preview"' in fragment.text
    assert "50.00" in fragment.text


async def donate(client: httpx.AsyncClient, tender: int, **extra: str) -> httpx.Response:
    data = {"amount": "120.50", "provider": "sandbox", "display_name": "张三",
            "on_failure": "refund", **extra}  # fmt: skip
    return await post_form(client, f"/tenders/{tender}/donate", data, token_from="/login")


async def test_sandbox_donation_redirects_to_its_page_with_a_receipt(
    client: httpx.AsyncClient,
) -> None:
    tender = await make_tender()
    response = await donate(client, tender)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    page = await client.get(location)
    assert page.status_code == 200
    assert "120.50" in page.text
    match = re.search(r"/donations/(\d+)/receipt\?ref=([A-Z0-9-]+)", page.text)
    assert match
    receipt = await client.get(match.group(0))
    assert receipt.status_code == 200
    assert "张三" in receipt.text and "捐赠收据" in receipt.text
    assert (await client.get(f"/donations/{match.group(1)}")).status_code == 403  # no ref


async def test_pdf_receipt_embeds_a_chinese_font(client: httpx.AsyncClient) -> None:
    if receipts.cjk_font() is None:
        pytest.skip("no CJK font installed (make fonts installs one): PDF receipt skipped")
    tender = await make_tender()
    response = await donate(client, tender)
    page = await client.get(response.headers["location"])
    match = re.search(r"/donations/(\d+)/receipt\.pdf\?ref=([A-Z0-9-]+)", page.text)
    assert match
    pdf = await client.get(match.group(0))
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert b"FontFile" in pdf.content  # the font is embedded (subset)
    assert "6350" in _to_unicode_maps(pdf.content)  # 捐 (U+6350) has a glyph in it


def _to_unicode_maps(pdf: bytes) -> str:
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            text.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            text.append(stream.decode("latin-1"))
    return "".join(text).upper()


async def test_bad_donation_input_is_shown_beside_the_field_and_nothing_is_charged(
    client: httpx.AsyncClient,
) -> None:
    tender = await make_tender()
    for amount in ("0", "-3", "abc", "100000.01"):
        response = await donate(client, tender, amount=amount)
        assert response.status_code == 422, amount
        assert 'id="amount-error"' in response.text
    response = await donate(client, tender, currency="USD")
    assert response.status_code == 422
    closed = await make_tender(status="cancelled")
    response = await donate(client, closed)
    assert response.status_code == 422
    assert "does not accept money" in response.text
    rows = await execute("SELECT COUNT(*) AS n FROM donors_donation")
    assert int(rows[0]["n"]) == 0


async def test_bank_transfer_reference_and_the_operator_records_it(
    client: httpx.AsyncClient,
) -> None:
    tender = await make_tender()
    response = await donate(client, tender, provider="bank_transfer", amount="300")
    page = await client.get(response.headers["location"])
    code = re.search(r"PGM-[A-Z0-9]{4}-[A-Z0-9]{4}", page.text)
    assert code
    operator = await make_operator()
    client.cookies.clear()
    await login(client, (await _email(operator)))
    queue = await client.get("/operator/bank-transfers")
    assert code.group(0) in queue.text
    recorded = await post_form(
        client,
        "/operator/bank-transfers",
        {"reference_code": code.group(0), "amount": "300", "bank_reference": "ICBC 7781"},
    )
    assert recorded.status_code == 303, recorded.text
    assert (await get_account(f"tender:{tender}:escrow:public")).posted.amount == 300_00


async def _email(user_id: int) -> str:
    rows = await execute("SELECT email FROM market_user WHERE id = {}", user_id)
    return str(rows[0]["email"])


async def test_sponsor_creates_a_pledge_and_bad_terms_are_refused(
    client: httpx.AsyncClient,
) -> None:
    user, org = await make_sponsor("foundation")
    await login(client, await _email(user))
    base = {
        "organization_id": str(org),
        "ratio_sponsor": "2",
        "ratio_donor": "1",
        "per_donation_cap": "100",
        "total_cap": "5000",
        "provider": "bank_transfer",
    }
    bad_ratio = await post_form(client, "/sponsor/pledges", {**base, "ratio_sponsor": "0"})
    assert bad_ratio.status_code == 422
    assert 'id="ratio-error"' in bad_ratio.text
    bad_cap = await post_form(client, "/sponsor/pledges", {**base, "total_cap": "50"})
    assert bad_cap.status_code == 422
    assert 'id="total_cap-error"' in bad_cap.text
    rows = await execute("SELECT COUNT(*) AS n FROM donors_pledge")
    assert int(rows[0]["n"]) == 0
    created = await post_form(client, "/sponsor/pledges", base)
    assert created.status_code == 303, created.text
    page = await client.get("/sponsor")
    assert "2:1" in page.text and "PGM-" in page.text


async def test_my_donations_follow_the_yuan_into_released_tranches(
    client: httpx.AsyncClient,
) -> None:
    user = await make_user()
    tender = await make_tender(status="contracted")
    await login(client, await _email(user))
    for amount in (300_00, 100_00):
        await donations.start_donation(
            tender_id=tender, amount=Money(amount, "CNY"), provider="sandbox", donor_id=user
        )
    org = await make_org()
    await escrow.release(
        "milestone-1", tender_id=tender, org_id=org, amount=Money(200_00, "CNY"), actor="t",
        reference="milestone:1",
    )  # fmt: skip
    page = await client.get("/my/donations")
    assert page.status_code == 200
    # The tranche is named as a person reads it, not as the ledger's reference code.
    assert "Tranche for milestone no. 1" in page.text
    assert "→ milestone:1" not in page.text
    assert "150.00" in page.text and "50.00" in page.text  # 300:100 of ¥200
    summary = await client.get(f"/my/donations/{_year()}")
    assert "400.00" in summary.text


def _year() -> int:
    from market import clock

    return clock.now().year


async def test_guards_keep_sponsor_and_operator_pages_private(client: httpx.AsyncClient) -> None:
    user = await make_user()
    await login(client, await _email(user))
    assert (await client.get("/sponsor")).status_code == 403
    assert (await client.get("/operator/bank-transfers")).status_code == 403
