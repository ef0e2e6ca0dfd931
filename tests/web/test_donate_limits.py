"""The public donate route (#13): one client may hold only so many unpaid donations
(MARKET_PUBLIC_UNPAID_LIMIT, default 3) — the next is refused on the form with 429 and
nothing written — and a match is reserved only for a donation that can be paid."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from donors import payments
from market import clock
from market.ledger.accounts import get_account
from market.settings import get_settings, reset_settings
from market.sql import execute
from tests.donation_builders import make_pledge, make_tender
from tests.web.forms import submit


@pytest.fixture(autouse=True)
def english(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"


@pytest.fixture
def behind_proxy() -> Iterator[None]:
    """The test client's peer (127.0.0.1) is a trusted proxy: X-Forwarded-For counts."""
    before = get_settings()
    reset_settings(dataclasses.replace(before, trusted_proxies=("127.0.0.1/32",)))
    yield
    reset_settings(before)


async def donate(client: httpx.AsyncClient, tender: int, provider: str) -> httpx.Response:
    page = await client.get(f"/tenders/{tender}/donate")
    return await submit(
        client,
        page,
        f"/tenders/{tender}/donate",
        {"amount": "100", "provider": provider, "display_name": "王女士"},
    )


async def count(sql: str) -> int:
    return int((await execute(sql))[0]["n"])


async def test_the_fourth_unpaid_donation_of_one_client_is_refused_on_the_form(
    client: httpx.AsyncClient, behind_proxy: None
) -> None:
    tender = await make_tender()
    pledge = await make_pledge(per_donation_cap=10_00)
    client.headers["X-Forwarded-For"] = "198.51.100.7"
    for _ in range(3):
        response = await donate(client, tender, "bank_transfer")
        assert response.status_code == 303, response.text
    refused = await donate(client, tender, "bank_transfer")
    assert refused.status_code == 429
    assert "You already have 3 donations waiting for payment." in refused.text
    assert f'action="/tenders/{tender}/donate"' in refused.text  # the form, to try later
    assert await count("SELECT COUNT(*) AS n FROM donors_donation") == 3
    assert await count("SELECT COUNT(*) AS n FROM donors_payment WHERE kind = 'donation'") == 3
    rows = await execute("SELECT matched FROM donors_pledge WHERE id = {}", pledge)
    assert int(rows[0]["matched"]) == 3 * 10_00  # no fourth reservation
    # a card (sandbox) donation is refused too while three are unpaid
    assert (await donate(client, tender, "sandbox")).status_code == 429

    # another visitor is not held back by this one
    client.headers["X-Forwarded-For"] = "203.0.113.20"
    assert (await donate(client, tender, "bank_transfer")).status_code == 303

    # once the first client's donations lapse, it may donate again
    await payments.expire_payments(clock.now() + timedelta(days=8))
    client.headers["X-Forwarded-For"] = "198.51.100.7"
    assert (await donate(client, tender, "bank_transfer")).status_code == 303


async def test_the_limit_follows_the_setting(client: httpx.AsyncClient, behind_proxy: None) -> None:
    before = get_settings()
    reset_settings(dataclasses.replace(before, public_unpaid_limit=1))
    try:
        tender = await make_tender()
        client.headers["X-Forwarded-For"] = "198.51.100.8"
        assert (await donate(client, tender, "bank_transfer")).status_code == 303
        refused = await donate(client, tender, "bank_transfer")
        assert refused.status_code == 429
        assert "You already have 1 donations waiting for payment." in refused.text
    finally:
        reset_settings(before)


async def test_paid_donations_do_not_count_against_the_limit(client: httpx.AsyncClient) -> None:
    tender = await make_tender()
    for _ in range(4):
        assert (await donate(client, tender, "sandbox")).status_code == 303
    assert await count("SELECT COUNT(*) AS n FROM donors_donation WHERE status = 'paid'") == 4


async def test_no_match_is_reserved_for_a_donation_that_cannot_be_paid(
    client: httpx.AsyncClient,
) -> None:
    """Stripe is not configured here: the card choice is refused before anything is
    written — no donation, no payment, no pending match transfer."""
    tender = await make_tender()
    pledge = await make_pledge(per_donation_cap=50_00)
    page = await client.get(f"/tenders/{tender}/donate")
    token = page.text.split('name="_csrf_token" value="')[1].split('"')[0]
    refused = await client.post(
        f"/tenders/{tender}/donate",
        data={"amount": "100", "provider": "stripe", "_csrf_token": token},
    )
    assert refused.status_code == 422
    assert "This way to pay is not available now." in refused.text
    assert await count("SELECT COUNT(*) AS n FROM donors_donation") == 0
    assert await count("SELECT COUNT(*) AS n FROM ledger_transfer WHERE kind = 'pending'") == 0
    assert (await get_account(f"pledge:{pledge}")).available.amount == 10_000_00
