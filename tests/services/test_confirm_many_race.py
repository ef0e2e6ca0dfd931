"""PostgreSQL, real separate connections: batches of Stripe confirmations
(`donors.confirm_many`, as two server processes' group commits write them) racing the
settlement of their project, and racing each other with the same events redelivered.

A batch that commits before the project closes is in the escrow and in the settlement;
one that comes after finds the tender closed to money and each of its events takes the
late-arrival path alone (refunded, or given to the community fund, by itself). Whatever
the interleaving, the settlement gives back exactly what was put in before it and
`market ledger check` passes (the same checks as `test_settlement_race`).
"""

from __future__ import annotations

import asyncio
import random

import pytest

from donors import stripe_events
from market.ledger.check import run_checks
from market.sql import execute
from tests.builders import make_operator
from tests.donation_builders import make_pledge, make_tender
from tests.settlement_builders import check_round, close_and_settle, donate
from tests.stripe_builders import event, stripe_configured

__all__ = ["stripe_configured"]  # a fixture, used by name

pytestmark = pytest.mark.postgres_only

ROUNDS = 8
PER_BATCH = 3


async def _batch(bodies: list[bytes]) -> list[str | BaseException]:
    await asyncio.sleep(random.random() / 200)
    return await stripe_events.apply_stripe_events(bodies)


@pytest.mark.parametrize("reason", ["cancelled", "completed"])
async def test_batches_racing_a_settlement_give_back_exactly_what_was_put_in(
    fresh_db: None, stripe_configured: None, reason: str
) -> None:
    await make_operator()
    await make_pledge(per_donation_cap=30_00, total_cap=100_000_00)
    totals = {"paid": 0, "late_arrival": 0}
    for n in range(ROUNDS):
        tender = await make_tender(status="contracted")
        started = [
            await donate(tender, 50_01 + i, "community_fund" if i % 2 else "refund", "stripe")
            for i in range(2 * PER_BATCH)
        ]
        bodies = [event(s.payment_id, 50_01 + i, n=1000 * n + i) for i, s in enumerate(started)]
        settled, first, second = await asyncio.gather(
            close_and_settle(tender, reason),
            _batch(bodies[:PER_BATCH]),
            _batch(bodies[PER_BATCH:]),
        )
        assert settled is True
        outcomes = [*first, *second]
        assert set(outcomes) <= {"paid", "late_arrival"}, outcomes
        for word in totals:
            totals[word] += outcomes.count(word)
        included = [s for s, o in zip(started, outcomes, strict=True) if o == "paid"]
        late = [s for s, o in zip(started, outcomes, strict=True) if o == "late_arrival"]
        await check_round(tender, reason, included, late, [], late_refund="refunded")
    print(f"\n{reason}: {totals} over {ROUNDS} rounds of two batches of {PER_BATCH}")
    assert totals["paid"] > 0 and totals["late_arrival"] > 0
    assert (await run_checks()).ok


async def test_two_processes_batching_the_same_events_post_each_once(
    fresh_db: None, stripe_configured: None
) -> None:
    tender = await make_tender()
    await make_pledge(per_donation_cap=20_00, total_cap=1_000_00)
    started = [await donate(tender, 30_00 + i, "refund", "stripe") for i in range(40)]
    bodies = [event(s.payment_id, 30_00 + i, n=i) for i, s in enumerate(started)]
    rng = random.Random(20261130)
    a, b = bodies[:], bodies[:]
    rng.shuffle(a)
    rng.shuffle(b)
    # Two processes, each writing its arrivals in batches of 8, the same 40 events.
    results = await asyncio.gather(
        *(_batch(chunk[i : i + 8]) for chunk in (a, b) for i in range(0, 40, 8))
    )
    outcomes = [o for r in results for o in r]
    assert sorted(map(str, outcomes)) == sorted(["paid"] * 40 + ["duplicate"] * 40)
    rows = await execute(
        "SELECT COUNT(*) AS n FROM ledger_transfer WHERE tender_id = {} AND reason = 'donation'",
        tender,
    )
    assert int(rows[0]["n"]) == 40
    matched = await execute("SELECT matched FROM donors_pledge")
    assert int(matched[0]["matched"]) == 40 * 20_00
    assert (await run_checks()).ok
