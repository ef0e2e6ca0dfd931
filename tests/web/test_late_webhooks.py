"""Stripe webhooks arriving late (#13): a card payment confirmed after its project was
settled is answered 2xx and refunded through the Stripe API once; every redelivery is
answered 2xx and changes nothing (never the 409 loop of the issue)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from donors import donations, payments, providers, refunds, settlement
from donors.providers import PaymentRequest, Started
from market import clock
from market.ledger.check import run_checks
from market.ledger.services import get_transfer
from market.money import Money
from market.sql import execute
from tests.donation_builders import make_pledge, make_tender
from tests.web.test_webhooks import deliver, event, stripe_configured  # noqa: F401 - fixture


class RecordingStripe:
    """The Stripe API side: a PaymentIntent per payment; refunds remembered."""

    name = "stripe"

    def __init__(self) -> None:
        self.refunds: list[tuple[str, int, str]] = []

    async def start(self, request: PaymentRequest) -> Started:
        return Started("awaiting", f"pi_test_{request.payment_id}", "secret")

    async def refund(self, provider_ref: str, amount: int, key: str) -> providers.Refunded:
        self.refunds.append((provider_ref, amount, key))
        return providers.Refunded("succeeded", f"re_test_{len(self.refunds)}")


@pytest.fixture
def stripe_api(stripe_configured: None, monkeypatch: pytest.MonkeyPatch) -> RecordingStripe:  # noqa: F811
    api = RecordingStripe()
    monkeypatch.setitem(providers._PROVIDERS, "stripe", api)
    return api


async def transfer_count() -> int:
    return int((await execute("SELECT COUNT(*) AS n FROM ledger_transfer"))[0]["n"])


async def test_a_late_card_payment_is_refunded_once_and_redeliveries_get_2xx(
    client: httpx.AsyncClient, stripe_api: RecordingStripe
) -> None:
    tender = await make_tender()
    pledge = await make_pledge(per_donation_cap=60_00)
    started = await donations.start_donation(
        tender_id=tender, amount=Money(100_00, "CNY"), provider="stripe"
    )
    assert started.match == Money(60_00, "CNY")
    await execute("UPDATE market_tender SET status = 'cancelled' WHERE id = {}", tender)
    assert await settlement.settle_tender(tender, "cancelled")

    body = event(started.payment_id, 100_00, n=901)
    first = await deliver(client, body)
    assert first.status_code == 200 and first.json() == {"received": "late_arrival"}
    [refund] = await refunds.refunds_of_payment(started.payment_id)
    assert stripe_api.refunds == [
        (f"pi_test_{started.payment_id}", 100_00, f"pgm-refund-{refund['id']}")
    ]
    assert (refund["status"], refund["provider_ref"]) == ("paid", "re_test_1")
    moved = (await get_transfer(f"refund:{refund['id']}")).transfer
    assert (moved.credit, moved.amount) == ("external:stripe", 100_00)
    row = await donations.get_donation(started.donation_id)
    assert (row["status"], row["match_status"]) == ("refunded", "released")
    rows = await execute("SELECT matched FROM donors_pledge WHERE id = {}", pledge)
    assert int(rows[0]["matched"]) == 0

    before = await transfer_count()
    for _ in range(3):
        again = await deliver(client, body)
        assert again.status_code == 200 and again.json() == {"received": "duplicate"}
    # the same payment under a new event id (Stripe re-sends after a timeout): 2xx too
    other = await deliver(client, event(started.payment_id, 100_00, n=902))
    assert other.status_code == 200 and other.json() == {"received": "duplicate"}
    assert await transfer_count() == before
    assert len(stripe_api.refunds) == 1
    assert (await run_checks()).ok


async def test_a_card_payment_confirmed_after_it_expired_is_accepted_unmatched(
    client: httpx.AsyncClient, stripe_api: RecordingStripe
) -> None:
    tender = await make_tender()
    await make_pledge(per_donation_cap=60_00)
    started = await donations.start_donation(
        tender_id=tender, amount=Money(100_00, "CNY"), provider="stripe"
    )
    assert await payments.expire_payments(clock.now() + timedelta(minutes=31)) == {
        "expired": 1,
        "notified": 0,
    }
    response = await deliver(client, event(started.payment_id, 100_00, n=903))
    assert response.status_code == 200 and response.json() == {"received": "paid"}
    row = await donations.get_donation(started.donation_id)
    assert (row["status"], row["match_status"]) == ("paid", "released")
    escrow = (await get_transfer(f"payment:{started.payment_id}")).transfer
    assert escrow.credit == f"tender:{tender}:escrow:public"
    assert stripe_api.refunds == []
    assert (await run_checks()).ok
