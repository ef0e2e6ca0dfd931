"""Donations paid by card through a real Stripe-compatible server (localstripe), the
signed webhook delivered by it to the running app, the ledger posted once."""

from __future__ import annotations

import asyncio
import time

import stripe

from donors import donations, providers, settlement
from market.ledger.accounts import get_account
from market.ledger.check import run_checks
from market.money import Money
from market.sql import execute
from tests.donation_builders import make_pledge, make_tender
from tests.stripe.conftest import StripeStack


async def wait_for(sql: str, *args: object, within: float = 20) -> list[object]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        rows = await execute(sql, *args)
        if rows:
            return list(rows)
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {sql} {args}")


async def ledger_lines(reference: str) -> list[str]:
    rows = await execute(
        "SELECT kind, reason FROM ledger_transfer WHERE reference = {} ORDER BY id", reference
    )
    return [f"{r['kind']}:{r['reason']}" for r in rows]


async def test_card_donation_is_posted_once_by_localstripes_signed_webhook(
    stripe_stack: StripeStack,
) -> None:
    tender = await make_tender()
    pledge = await make_pledge(per_donation_cap=80_00)
    started = await donations.start_donation(
        tender_id=tender,
        amount=Money(120_00, "CNY"),
        provider="stripe",
        payment_method="pm_card_visa",
        display_name="李先生",
    )
    # Nothing is posted on the API's answer, which only says the payment is under way:
    # confirmation comes only by webhook (the one event below). The donation's status
    # read back may already be `paid` when localstripe's webhook beat that read.
    assert started.started.outcome == "awaiting"
    assert started.started.provider_ref.startswith("pi_")
    assert started.match == Money(80_00, "CNY")
    intent = await providers.stripe_client().v1.payment_intents.retrieve_async(
        started.started.provider_ref
    )
    assert intent.metadata["payment_id"] == str(started.payment_id)
    assert intent.status == "succeeded"

    await wait_for(
        "SELECT id FROM donors_donation WHERE id = {} AND status = 'paid'", started.donation_id
    )
    events = await execute("SELECT event_id, type FROM donors_webhook_event")
    assert [e["type"] for e in events] == ["payment_intent.succeeded"]
    await asyncio.sleep(1.5)  # any redelivery would have landed by now
    reference = f"donation:{started.donation_id}"
    assert await ledger_lines(reference) == ["pending:match", "single:donation", "post:match"]
    assert (await get_account(f"tender:{tender}:escrow:public")).posted.amount == 120_00
    assert (await get_account(f"tender:{tender}:escrow:corporate")).posted.amount == 80_00
    assert (await get_account(f"pledge:{pledge}")).posted.amount == 10_000_00 - 80_00
    assert (await run_checks()).ok


async def test_declined_card_leaves_no_ledger_effect_and_releases_the_match(
    stripe_stack: StripeStack,
) -> None:
    tender = await make_tender()
    pledge = await make_pledge(per_donation_cap=80_00)
    started = await donations.start_donation(
        tender_id=tender,
        amount=Money(50_00, "CNY"),
        provider="stripe",
        payment_method="pm_card_chargeCustomerFail",
    )
    assert started.status == "failed"
    assert started.started.failure
    # localstripe still sends payment_intent.payment_failed; the app takes it calmly.
    await wait_for(
        "SELECT id FROM donors_webhook_event WHERE type = 'payment_intent.payment_failed'"
    )
    row = await donations.get_donation(started.donation_id)
    assert (row["status"], row["match_status"]) == ("failed", "released")
    assert await ledger_lines(f"donation:{started.donation_id}") == ["pending:match", "void:match"]
    assert (await get_account(f"pledge:{pledge}")).available.amount == 10_000_00
    rows = await execute(
        "SELECT COUNT(*) AS n FROM ledger_transfer WHERE tender_id = {} AND kind <> 'pending'"
        " AND kind <> 'void'",
        tender,
    )
    assert int(rows[0]["n"]) == 0
    assert (await run_checks()).ok


async def test_refund_goes_through_the_stripe_api(stripe_stack: StripeStack) -> None:
    tender = await make_tender()
    started = await donations.start_donation(
        tender_id=tender,
        amount=Money(30_00, "CNY"),
        provider="stripe",
        payment_method="pm_card_visa",
    )
    await wait_for(
        "SELECT id FROM donors_donation WHERE id = {} AND status = 'paid'", started.donation_id
    )
    refunded = await providers.provider("stripe").refund(
        started.started.provider_ref, 30_00, f"pgm-refund-{started.donation_id}"
    )
    assert refunded.outcome == "succeeded"
    refund = await providers.stripe_client().v1.refunds.retrieve_async(refunded.provider_ref)
    assert refund.amount == 30_00
    assert isinstance(refund, stripe.Refund)


async def test_card_payment_confirmed_after_settlement_is_refunded_through_stripe(
    stripe_stack: StripeStack,
) -> None:
    """The card is charged only after the project was cancelled and settled: the signed
    webhook is answered 2xx, the payment is refunded through localstripe's refunds API
    once, the reservation is never posted, and redeliveries change nothing."""
    tender = await make_tender()
    pledge = await make_pledge(per_donation_cap=40_00)
    started = await donations.start_donation(
        tender_id=tender, amount=Money(90_00, "CNY"), provider="stripe"
    )
    assert started.status == "pending" and started.match == Money(40_00, "CNY")
    await execute("UPDATE market_tender SET status = 'cancelled' WHERE id = {}", tender)
    assert await settlement.settle_tender(tender, "cancelled")
    client = providers.stripe_client()
    intent_id = started.started.provider_ref
    await client.v1.payment_intents.update_async(
        intent_id, params={"payment_method": "pm_card_visa"}
    )
    await client.v1.payment_intents.confirm_async(intent_id)

    [refund] = await wait_for(
        "SELECT id, provider_ref, amount FROM donors_refund WHERE payment = {} AND status = 'paid'",
        started.payment_id,
    )
    assert refund["amount"] == 90_00  # type: ignore[index]
    at_stripe = await client.v1.refunds.retrieve_async(refund["provider_ref"])  # type: ignore[index]
    assert (at_stripe.amount, at_stripe.payment_intent) == (90_00, intent_id)
    await asyncio.sleep(1.5)  # any redelivery would have landed by now
    reference = f"donation:{started.donation_id}"
    assert await ledger_lines(reference) == ["pending:match", "void:match", "single:late_arrival"]
    row = await donations.get_donation(started.donation_id)
    assert (row["status"], row["match_status"]) == ("refunded", "released")
    rows = await execute("SELECT matched FROM donors_pledge WHERE id = {}", pledge)
    assert int(rows[0]["matched"]) == 0
    assert (await run_checks()).ok
