"""Stripe webhooks: signature on the raw body, time window both ways, dedupe on the
event id, amount and currency checked — and the chaos run of reliability anchor T5."""

from __future__ import annotations

import asyncio
import random
import time

import httpx
import pytest

from donors import donations, signatures
from donors.controllers.webhooks import STRIPE_EVENTS
from market.db import is_postgres
from market.ledger.check import run_checks
from market.money import Money
from market.sql import execute
from tests.donation_builders import make_pledge, make_tender
from tests.stripe_builders import SECRET, event, stripe_configured

__all__ = ["stripe_configured"]  # a fixture, used by name


async def deliver(
    client: httpx.AsyncClient, body: bytes, *, at: int | None = None, header: str | None = None
) -> httpx.Response:
    stamp = int(time.time()) if at is None else at
    return await client.post(
        "/webhooks/stripe",
        content=body,
        headers={
            "Stripe-Signature": header or signatures.sign(body, SECRET, stamp),
            "Content-Type": "application/json",
        },
    )


async def posted_donations(tender_id: int) -> int:
    rows = await execute(
        "SELECT COUNT(*) AS n FROM ledger_transfer WHERE tender_id = {} AND reason = 'donation'",
        tender_id,
    )
    return int(rows[0]["n"])


async def stripe_donation(tender: int, amount: int = 100_00) -> donations.DonationStarted:
    return await donations.start_donation(
        tender_id=tender, amount=Money(amount, "CNY"), provider="stripe"
    )


async def test_a_signed_event_posts_the_donation_once(
    client: httpx.AsyncClient, stripe_configured: None
) -> None:
    tender = await make_tender()
    started = await stripe_donation(tender)
    assert started.status == "pending"
    body = event(started.payment_id, 100_00, n=1)
    first = await deliver(client, body)
    second = await deliver(client, body)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": "paid"}
    assert second.json() == {"received": "duplicate"}
    assert await posted_donations(tender) == 1
    assert (await donations.get_donation(started.donation_id))["status"] == "paid"


async def test_rotated_secrets_accept_either_signature(
    client: httpx.AsyncClient, stripe_configured: None
) -> None:
    tender = await make_tender()
    started = await stripe_donation(tender)
    body = event(started.payment_id, 100_00, n=2)
    stamp = int(time.time())
    old = signatures.sign(body, "whsec_old", stamp).split(",")[1]
    header = signatures.sign(body, SECRET, stamp) + "," + old
    assert (await deliver(client, body, header=header)).status_code == 200
    assert await posted_donations(tender) == 1


@pytest.mark.parametrize("case", ["flipped_byte", "wrong_secret", "stale", "future", "no_header"])
async def test_bad_signatures_are_refused_and_nothing_is_posted(
    client: httpx.AsyncClient, stripe_configured: None, case: str
) -> None:
    tender = await make_tender()
    started = await stripe_donation(tender)
    body = event(started.payment_id, 100_00, n=3)
    now = int(time.time())
    if case == "flipped_byte":
        header = signatures.sign(body, SECRET, now)
        body = body.replace(b"10000", b"10001")
        response = await deliver(client, body, header=header)
    elif case == "wrong_secret":
        response = await deliver(client, body, header=signatures.sign(body, "whsec_x", now))
    elif case == "stale":
        response = await deliver(client, body, at=now - 301)
    elif case == "future":
        response = await deliver(client, body, at=now + 301)
    else:
        response = await client.post("/webhooks/stripe", content=body)
    assert response.status_code == 400
    assert await posted_donations(tender) == 0
    assert (await donations.get_donation(started.donation_id))["status"] == "pending"


@pytest.mark.parametrize(("amount", "currency"), [(100_01, "cny"), (100_00, "usd")])
async def test_a_mismatched_amount_or_currency_is_refused(
    client: httpx.AsyncClient, stripe_configured: None, amount: int, currency: str
) -> None:
    tender = await make_tender()
    started = await stripe_donation(tender)
    response = await deliver(client, event(started.payment_id, amount, n=4, currency=currency))
    assert response.status_code == 422
    assert await posted_donations(tender) == 0
    rows = await execute("SELECT COUNT(*) AS n FROM donors_webhook_event")
    assert int(rows[0]["n"]) == 0  # a refused event is not remembered: a good one may follow


async def test_a_failed_payment_event_releases_the_match(
    client: httpx.AsyncClient, stripe_configured: None
) -> None:
    tender = await make_tender()
    pledge = await make_pledge()
    started = await stripe_donation(tender)
    assert started.match == Money(100_00, "CNY")
    response = await deliver(client, event(started.payment_id, 100_00, n=5, ok=False))
    assert response.json() == {"received": "failed"}
    row = await donations.get_donation(started.donation_id)
    assert (row["status"], row["match_status"]) == ("failed", "released")
    rows = await execute("SELECT matched FROM donors_pledge WHERE id = {}", pledge)
    assert int(rows[0]["matched"]) == 0


EVENTS = 500


async def test_webhook_chaos_500_events_three_times_shuffled_post_exactly_500(
    client: httpx.AsyncClient, stripe_configured: None, fresh_db: None
) -> None:
    rng = random.Random(20261126)
    tender = await make_tender()
    await make_pledge(per_donation_cap=50_00, total_cap=5_000_00)
    started = [await stripe_donation(tender, rng.randint(1, 500) * 100) for _ in range(EVENTS)]
    bodies = []
    for n, s in enumerate(started):
        row = await donations.get_donation(s.donation_id)
        bodies.append(event(s.payment_id, int(row["amount"]), n=n))
    deliveries = [b for b in bodies for _ in range(3)]
    rng.shuffle(deliveries)
    # Batches delivered at once: copies of one event often land together. SQLite runs
    # one writer at a time (its busy wait makes wide batches slow, not different).
    width = 25 if is_postgres() else 4
    statuses: list[int] = []
    for i in range(0, len(deliveries), width):
        batch = deliveries[i : i + width]
        responses = await asyncio.gather(*(deliver(client, b) for b in batch))
        statuses += [r.status_code for r in responses]
    assert statuses.count(200) == 3 * EVENTS, set(statuses)
    assert await posted_donations(tender) == EVENTS
    paid = await execute("SELECT COUNT(*) AS n FROM donors_donation WHERE status = 'paid'")
    assert int(paid[0]["n"]) == EVENTS
    amounts = await execute("SELECT amount FROM donors_donation WHERE tender = {}", tender)
    total = sum(int(row["amount"]) for row in amounts)
    escrow = await execute(
        "SELECT credits_posted FROM ledger_account WHERE code = {}",
        f"tender:{tender}:escrow:public",
    )
    assert int(escrow[0]["credits_posted"]) == total
    matches = await execute(
        "SELECT p.amount FROM ledger_transfer t JOIN ledger_transfer p ON p.id = t.pending"
        " WHERE t.kind = 'post' AND p.reason = 'match'"
    )
    assert sum(int(m["amount"]) for m in matches) == 5_000_00  # the pledge's cap, exactly
    assert (await run_checks()).ok


async def test_webhooks_that_arrive_together_are_confirmed_together(
    client: httpx.AsyncClient, stripe_configured: None
) -> None:
    tender = await make_tender()
    await make_pledge()
    started = [await stripe_donation(tender) for _ in range(12)]
    STRIPE_EVENTS.batches.clear()
    responses = await asyncio.gather(
        *(deliver(client, event(s.payment_id, 100_00, n=700 + i)) for i, s in enumerate(started))
    )
    assert [r.json() for r in responses] == [{"received": "paid"}] * 12
    assert sum(STRIPE_EVENTS.batches) == 12 and max(STRIPE_EVENTS.batches) > 1
    assert await posted_donations(tender) == 12
    assert (await run_checks()).ok
