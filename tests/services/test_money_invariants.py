"""`market ledger check` catches each money defect issue #13 found.

Every test builds the same valid ledger through the real services (tests/money_builders.py:
paid, reserved, declined, refunded, refund-queued and unmatched donations, a pledge, a
sponsorship, a settled tender), checks it passes, then seeds exactly one defect — an SQL
UPDATE/INSERT, or a transfer the ledger accepts but the donors' rules forbid — and asserts
`run_checks()` names it with its numbers (donors/invariants.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from market import clock
from market.ledger import escrow
from market.ledger.check import run_checks
from market.sql import execute
from tests.money_builders import MoneyWorld, build_money_world, move


@pytest.fixture
async def world() -> MoneyWorld:
    built = await build_money_world()
    report = await run_checks()
    assert report.ok, report.summary()
    return built


async def problems(*fragments: str) -> list[str]:
    """The check's problems; asserts one of them contains every fragment."""
    report = await run_checks()
    assert not report.ok
    assert report.summary().startswith("ledger check FAILED: ")
    found = [p for p in report.problems if all(f in p for f in fragments)]
    assert found, f"no problem with {fragments} in {report.problems}"
    return report.problems


async def test_the_clean_ledger_passes_every_invariant(world: MoneyWorld) -> None:
    report = await run_checks()
    assert report.ok, report.summary()
    assert report.app_checks == [
        "donations",
        "expiry",
        "fund_balance",
        "fund_grants",
        "fund_holds",
        "fund_not_negative",
        "payments",
        "pledges",
        "refunds",
        "sandbox",
        "settlements",
    ]
    assert "app invariants: donations, expiry, fund_balance, fund_grants, fund_holds," in (
        report.summary()
    )


# --- payments and refunds -------------------------------------------------------------


async def test_refunds_of_150_on_a_100_charge(world: MoneyWorld) -> None:
    payment = await world.payment(world.refunded)
    refund = await world.refund(world.refunded)
    await execute("UPDATE donors_refund SET amount = {} WHERE id = {}", 150_00, refund)
    await execute("UPDATE donors_payment SET refunded = {} WHERE id = {}", 150_00, payment)
    found = await problems(
        f"refunds: payment {payment} (donation {world.refunded})",
        "refunds of 15000 exceed the 10000 paid",
    )
    assert any(f"refund {refund} " in p and "moved 10000" in p for p in found)


async def test_more_money_into_a_donors_refund_account_than_the_donation_paid(
    world: MoneyWorld,
) -> None:
    code = f"donor:d{world.refunded}:refund"
    await move(
        "stale-split",
        f"tender:{world.open_tender}:escrow:corporate",
        code,
        50_00,
        "return",
        tender_id=world.open_tender,
        source="corporate",
    )
    await problems(f"donation {world.refunded}: 15000 went to {code}, more than the 10000")


async def test_more_money_into_a_payers_refund_account_than_the_payment(
    world: MoneyWorld,
) -> None:
    payment = await world.payment(world.unmatched_paid)
    code = f"payer:p{payment}:refund"
    await move("late-twice", "external:sandbox", code, 30_01, "late_arrival")
    await problems(f"payment {payment}: 3001 went to {code}, more than the 3000 it paid")


async def test_refunded_total_that_is_not_the_sum_of_the_refunds(world: MoneyWorld) -> None:
    payment = await world.payment(world.refund_queued)
    await execute("UPDATE donors_payment SET refunded = 0 WHERE id = {}", payment)
    await problems(f"payment {payment}", "refunded says 0, its 1 refund(s) add to 4000")


async def test_a_refund_of_a_payment_that_never_succeeded(world: MoneyWorld) -> None:
    payment = await world.payment(world.refund_queued)
    await execute("UPDATE donors_payment SET status = 'failed' WHERE id = {}", payment)
    await problems(f"payment {payment} (donation {world.refund_queued}) is failed yet has 1")


async def test_a_paid_refund_without_its_payout_transfer(world: MoneyWorld) -> None:
    refund = await world.refund(world.refund_queued)
    await execute("UPDATE donors_refund SET status = 'paid' WHERE id = {}", refund)
    await problems(f"refund {refund} of payment", f"no transfer 'refund:{refund}' paid it out")


async def test_a_refund_transfer_tied_to_no_refund(world: MoneyWorld) -> None:
    code = f"donor:d{world.refund_queued}:refund"
    await move(f"donation:{world.refund_queued}:refund", code, "external:bank", 40_00, "refund")
    found = await problems(
        f"'donation:{world.refund_queued}:refund' refunded 4000", "without a refund row"
    )
    assert any(f"wait on {code}, which holds only 0" in p for p in found)


async def test_a_queued_refund_whose_hold_lost_the_money(world: MoneyWorld) -> None:
    code = f"donor:d{world.refund_queued}:refund"
    await move("stray-payout", code, "community_fund", 15_00, "community_fund")
    await problems(f"1 queued refund(s) of 4000 wait on {code}, which holds only 2500")


async def test_a_succeeded_payment_without_money(world: MoneyWorld) -> None:
    payment = await world.payment(world.unmatched_awaiting)
    await execute("UPDATE donors_payment SET status = 'succeeded' WHERE id = {}", payment)
    await problems(
        f"payments: payment {payment} (donation {world.unmatched_awaiting},"
        f" succeeded, 2000): no transfer 'payment:{payment}'"
    )


# --- pledges --------------------------------------------------------------------------


async def test_a_pledge_matched_counter_at_minus_30717(world: MoneyWorld) -> None:
    await execute("UPDATE donors_pledge SET matched = {} WHERE id = {}", -30_717_00, world.pledge)
    found = await problems(f"pledges: pledge {world.pledge}: matched -3071700 is negative")
    assert any(
        "matched -3071700 ≠ posted matches 24000 + open reservations 5000 − matched"
        " money returned 14000 = 15000" in p
        for p in found
    )


async def test_a_pledge_getting_back_more_than_it_put_in(world: MoneyWorld) -> None:
    # A stale split: the open tender's corporate escrow (¥100 match + ¥1,000
    # sponsorship) returns ¥130 to the pledge, which matched only ¥100 there.
    corporate = f"tender:{world.open_tender}:escrow:corporate"
    await move(
        "stale-return",
        corporate,
        f"pledge:{world.pledge}",
        130_00,
        "return",
        tender_id=world.open_tender,
        source="corporate",
    )
    await execute(
        "UPDATE donors_pledge SET matched = matched - {} WHERE id = {}", 130_00, world.pledge
    )
    await problems(
        f"pledge:{world.pledge} got back 13000 from tender {world.open_tender},"
        " more than the 10000 it matched there"
    )
    await problems(f"pledge {world.pledge} got back 27000, more than the 24000 it matched")


async def test_matched_not_reduced_for_a_voided_reservation(world: MoneyWorld) -> None:
    # What settlement did: void the open reservation in the ledger, leave the counters.
    await escrow.void(
        f"settle:void:donation:{world.reserved}:match",
        pending_key=f"donation:{world.reserved}:match",
        actor="test",
    )
    found = await problems(
        f"pledge {world.pledge}: matched 15000 ≠ posted matches 24000"
        " + open reservations 0 − matched money returned 14000 = 10000"
    )
    assert any(
        f"donation {world.reserved}: match reserved (5000" in p and "was voided" in p for p in found
    )


async def test_a_pledge_whose_returned_counter_lies(world: MoneyWorld) -> None:
    await execute("UPDATE donors_pledge SET returned = {} WHERE id = {}", 10_00, world.pledge)
    await problems(f"pledge {world.pledge}: available", "+ returned 1000", "≠ funded 1000000")


# --- donations ------------------------------------------------------------------------


async def test_a_paid_donation_whose_money_is_not_in_its_escrow(world: MoneyWorld) -> None:
    await execute(
        "UPDATE donors_donation SET status = 'paid' WHERE id = {}", world.unmatched_awaiting
    )
    payment = await world.payment(world.unmatched_awaiting)
    await problems(
        f"donations: donation {world.unmatched_awaiting} (paid, 2000, tender"
        f" {world.unmatched_tender}): no transfer 'payment:{payment}'"
    )


async def test_a_posted_match_marked_reserved(world: MoneyWorld) -> None:
    await execute("UPDATE donors_donation SET match_status = 'reserved' WHERE id = {}", world.paid)
    await problems(
        f"donation {world.paid}: match reserved (10000 from pledge {world.pledge}),"
        " payment succeeded",
        "was posted (10000)",
    )


async def test_an_open_reservation_marked_posted(world: MoneyWorld) -> None:
    await execute(
        "UPDATE donors_donation SET match_status = 'posted' WHERE id = {}", world.reserved
    )
    await problems(f"donation {world.reserved}: match posted", "is still open")


async def test_a_released_match_whose_reservation_is_still_open(world: MoneyWorld) -> None:
    await execute(
        "UPDATE donors_donation SET match_status = 'released' WHERE id = {}", world.reserved
    )
    await problems(f"donation {world.reserved}: match released", "is still open")


async def test_a_reservation_left_open_for_a_failed_payment(world: MoneyWorld) -> None:
    payment = await world.payment(world.reserved)
    await execute("UPDATE donors_payment SET status = 'failed' WHERE id = {}", payment)
    await problems(f"donation {world.reserved}: match reserved", "payment failed", "is still open")


# --- payment windows ------------------------------------------------------------------


async def test_an_awaiting_payment_past_its_window(world: MoneyWorld) -> None:
    payment = await world.payment(world.reserved)
    within_grace = clock.now() - timedelta(minutes=5)
    await execute("UPDATE donors_payment SET expires_at = {} WHERE id = {}", within_grace, payment)
    assert (await run_checks()).ok
    past = clock.now() - timedelta(hours=2)
    await execute("UPDATE donors_payment SET expires_at = {} WHERE id = {}", past, payment)
    await problems(
        f"expiry: payment {payment} (donation {world.reserved}, bank_transfer, 5000)"
        " still awaiting; its window closed at",
        "(grace 900 s)",
    )


async def test_the_expiry_grace_is_a_setting(
    world: MoneyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment = await world.payment(world.reserved)
    past = clock.now() - timedelta(minutes=5)
    await execute("UPDATE donors_payment SET expires_at = {} WHERE id = {}", past, payment)
    monkeypatch.setenv("MARKET_PAYMENT_EXPIRY_GRACE", "60")
    await problems(f"expiry: payment {payment}", "(grace 60 s)")


# --- settled tenders ------------------------------------------------------------------


async def test_a_settled_tender_that_still_holds_money(world: MoneyWorld) -> None:
    await execute(
        "INSERT INTO donors_settlement (tender, reason, operation_key, settled_at)"
        " VALUES ({}, 'cancelled', 'seeded', {})",
        world.unmatched_tender,
        clock.now(),
    )
    t = world.unmatched_tender
    found = await problems(
        f"settlements: tender {t} was settled (cancelled) but"
        f" tender:{t}:escrow:public still holds 3000"
    )
    assert any(
        f"donation {world.unmatched_paid} (3000) is still paid into tender {t}" in p for p in found
    )


async def test_an_unmatched_donation_stuck_in_a_settled_escrow(world: MoneyWorld) -> None:
    # What a confirmation after settlement did: the money into the settled escrow.
    t, donation = world.settled_tender, world.awaiting_unmatched
    payment = await world.payment(donation)
    await move(
        f"payment:{payment}",
        "external:bank",
        f"tender:{t}:escrow:public",
        25_00,
        "donation",
        tender_id=t,
        source="public",
    )
    await execute("UPDATE donors_payment SET status = 'succeeded' WHERE id = {}", payment)
    await execute("UPDATE donors_donation SET status = 'paid' WHERE id = {}", donation)
    found = await problems(
        f"tender {t} was settled (cancelled) but tender:{t}:escrow:public still holds 2500"
    )
    assert any(f"donation {donation} (2500) is still paid into tender {t}" in p for p in found)


async def test_an_open_hold_into_a_settled_escrow(world: MoneyWorld) -> None:
    t = world.settled_tender
    await move(
        "late-match",
        f"pledge:{world.pledge}",
        f"tender:{t}:escrow:corporate",
        25_00,
        "match",
        kind="pending",
        tender_id=t,
        source="corporate",
    )
    await problems(
        f"tender {t} was settled (cancelled) but tender:{t}:escrow:corporate"
        " has open holds: 2500 in, 0 out"
    )
