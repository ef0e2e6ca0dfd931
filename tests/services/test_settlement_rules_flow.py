"""Settlement from locked state: largest-remainder splits, voided reservations give the
pledge its room back, the matched counter never goes below zero, running it again
changes nothing, terminated contracts settle."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bids import contracts
from donors import donations, payments, pledges, settlement
from market import clock
from market.errors import Conflict
from market.ledger import escrow
from market.ledger.check import run_checks
from market.sql import execute
from tests.builders import make_operator, make_org
from tests.donation_builders import make_pledge, make_tender
from tests.settlement_builders import (
    available,
    cny,
    donate,
    escrow_left,
    pledge_counters,
    refunds_of,
)
from tests.transparency_builders import funded_project


async def _cancel(tender: int) -> None:
    await execute("UPDATE market_tender SET status = 'cancelled' WHERE id = {}", tender)


async def test_an_odd_remainder_splits_by_largest_remainder() -> None:
    await make_operator()
    tender = await make_tender(status="contracted")
    refund = await donate(tender, 900_00)
    fund = await donate(tender, 300_00, "community_fund")
    org = await make_org()
    await escrow.release("m1", tender_id=tender, org_id=org, amount=cny(79_999), actor="t")
    assert (await escrow_left(tender))["public"] == 40_001
    await _cancel(tender)

    assert await settlement.settle_all() == (1, 1)
    # 40,001 split 3:1 is 30,000.75 : 10,000.25 → the leftover fen goes to the larger part.
    refunded = await donations.get_donation(refund.donation_id)
    assert (refunded["status"], int(refunded["refund_amount"])) == ("refunded", 30_001)
    assert await available("community_fund") == 10_000
    assert (await donations.get_donation(fund.donation_id))["status"] == "community_fund"
    assert set((await escrow_left(tender)).values()) == {0}
    assert (await run_checks()).ok


async def test_a_reservation_still_open_is_voided_and_the_pledge_gets_its_room_back() -> None:
    await make_operator()
    tender = await make_tender(status="contracted")
    pledge = await make_pledge(per_donation_cap=100_00, total_cap=100_00)
    paid = await donate(tender, 300_00)  # matched ¥100: the whole pledge
    waiting = await donate(tender, 50_00, provider="bank_transfer")  # no room left: unmatched
    assert (paid.match.amount, waiting.match.amount) == (100_00, 0)
    other = await make_tender(status="contracted")
    await donations.start_donation(  # a reservation on another project...
        tender_id=other, amount=cny(10_00), provider="bank_transfer"
    )
    await _cancel(tender)
    await settlement.settle_all()
    # ... is untouched; this project's posted ¥100 is back in the pledge, matchable again.
    matched, expected = await pledge_counters(pledge)
    assert matched == expected == 0  # the other reservation had no room either
    assert await available(f"pledge:{pledge}") == 100_00
    again = await donate(await make_tender(status="contracted"), 100_00)
    assert again.match.amount == 100_00
    # The unpaid donation's payment is still awaited (its late arrival is refunded).
    assert (await payments.get_payment(waiting.payment_id))["status"] == "awaiting"
    assert (await run_checks()).ok


async def test_settlement_voids_a_reserved_match_and_reduces_matched() -> None:
    await make_operator()
    tender = await make_tender(status="contracted")
    pledge = await make_pledge(per_donation_cap=100_00)
    posted = await donate(tender, 100_00)
    reserved = await donate(tender, 70_00, provider="bank_transfer")
    assert (posted.match.amount, reserved.match.amount) == (100_00, 70_00)
    assert (await pledge_counters(pledge)) == (170_00, 170_00)
    await _cancel(tender)

    assert await settlement.settle_tender(tender, "cancelled")
    row = await donations.get_donation(reserved.donation_id)
    assert (row["status"], row["match_status"]) == ("pending", "released")
    assert await pledge_counters(pledge) == (0, 0)
    assert await available(f"pledge:{pledge}") == 10_000_00
    assert await refunds_of(posted.payment_id) == 100_00
    assert set((await escrow_left(tender)).values()) == {0}
    # A failure of the unpaid payment afterwards releases nothing twice.
    assert await payments.fail_payment(reserved.payment_id, reason="expired") == "failed"
    assert await pledge_counters(pledge) == (0, 0)
    assert (await run_checks()).ok


async def test_a_matched_counter_that_would_go_negative_refuses_the_settlement() -> None:
    await make_operator()
    tender = await make_tender(status="contracted")
    pledge = await make_pledge(per_donation_cap=100_00)
    await donate(tender, 100_00)
    good = await make_tender(status="contracted")
    await donate(good, 50_00)
    # Seed the defect: the counter says ¥90 (of ¥150 matched); ¥100 will come back here.
    await execute("UPDATE donors_pledge SET matched = {} WHERE id = {}", 90_00, pledge)
    await _cancel(tender)
    await _cancel(good)
    before = await escrow_left(tender)

    with pytest.raises(pledges.MatchedCounterError):
        await settlement.settle_tender(tender, "cancelled")
    assert await settlement.settlement_of(tender) is None  # nothing was written
    assert await escrow_left(tender) == before
    # The job logs the refusal, settles the other tender and retries this one next run.
    assert await settlement.settle_all() == (1, 1)
    assert await settlement.settlement_of(good) is not None
    assert await settlement.settlement_of(tender) is None
    matched = await execute("SELECT matched FROM donors_pledge WHERE id = {}", pledge)
    assert int(matched[0]["matched"]) >= 0
    with pytest.raises(ValueError, match="non-negative"):
        await pledges.reduce_matched(pledge, -1)


async def test_running_settlement_again_changes_nothing() -> None:
    await make_operator()
    tender = await make_tender(status="contracted")
    await make_pledge(per_donation_cap=100_00)
    await donate(tender, 333_33)
    await donate(tender, 1_01, "community_fund")
    await donate(tender, 20_00, provider="bank_transfer")
    await _cancel(tender)
    assert (await settlement.settle_all())[0] == 1

    async def counts() -> tuple[int, ...]:
        rows = await execute(
            "SELECT (SELECT COUNT(*) FROM ledger_transfer) AS t,"
            " (SELECT COUNT(*) FROM donors_refund) AS r,"
            " (SELECT COUNT(*) FROM audit_event) AS a"
        )
        return tuple(int(v) for v in rows[0].values())

    before = await counts()
    assert await settlement.settle_all() == (0, 0)
    assert not await settlement.settle_tender(tender, "cancelled")
    assert await counts() == before
    assert (await run_checks()).ok


async def test_a_wrong_reason_is_refused_under_the_lock() -> None:
    tender = await make_tender(status="contracted")
    with pytest.raises(Conflict):
        await settlement.settle_tender(tender, "completed")
    with pytest.raises(ValueError, match="unknown settlement reason"):
        await settlement.settle_tender(tender, "whatever")
    assert await settlement.settlement_of(tender) is None


async def test_a_terminated_contract_settles_every_source(frozen_clock) -> None:
    project = await funded_project(frozen_clock)
    tender = project.tender_id
    department = await execute("SELECT department FROM market_tender WHERE id = {}", tender)
    admins = await execute(
        'SELECT "user" AS user_id FROM market_membership WHERE organization = {}',
        department[0]["department"],
    )
    assert any(v > 0 for v in (await escrow_left(tender)).values())
    await contracts.terminate_contract(
        user_id=int(admins[0]["user_id"]), contract_id=project.contract_id, reason="Not delivered"
    )
    # settled in the termination's own transaction: every source back at once
    assert (await settlement.settlement_of(tender) or {}).get("reason") == "terminated"
    assert set((await escrow_left(tender)).values()) == {0}
    assert await settlement.failed_tenders() == []
    assert (await settlement.settle_all())[0] == 0  # nothing left for the job
    assert (await run_checks()).ok


async def test_an_expired_pledges_matches_go_on_to_the_sponsor(frozen_clock) -> None:
    await make_operator()
    tender = await make_tender(status="contracted")
    now = clock.now()
    pledge = await make_pledge(per_donation_cap=100_00, valid_until=now + timedelta(days=1))
    await donate(tender, 100_00)
    frozen_clock.advance(days=2)
    await _cancel(tender)
    assert await settlement.settle_tender(tender, "cancelled")
    row = (await execute("SELECT matched, returned FROM donors_pledge WHERE id = {}", pledge))[0]
    assert (int(row["matched"]), int(row["returned"])) == (0, 100_00)
    assert await available(f"pledge:{pledge}") == 10_000_00 - 100_00
    assert await pledge_counters(pledge) == (0, 0)
    # The expiry job later returns the unused balance, and nothing twice.
    assert await pledges.expire_pledges() == [(pledge, 10_000_00 - 100_00)]
    assert (await run_checks()).ok


async def test_a_reservation_the_settlement_did_not_see_is_released_by_the_next_run() -> None:
    """A reservation committed while the settlement ran: `return_all` voids its open
    hold, and the job then releases the donation and gives the pledge its room back."""
    await make_operator()
    tender = await make_tender(status="contracted")
    pledge = await make_pledge(per_donation_cap=100_00)
    unseen = await donate(tender, 80_00, provider="bank_transfer")
    assert unseen.match.amount == 80_00
    await _cancel(tender)
    # As the settlement's locked read would have missed it: not yet marked reserved.
    await execute(
        "UPDATE donors_donation SET match_status = 'none' WHERE id = {}", unseen.donation_id
    )
    assert await settlement.settle_tender(tender, "cancelled")
    assert await available(f"pledge:{pledge}") == 10_000_00  # the hold was voided ...
    await execute(
        "UPDATE donors_donation SET match_status = 'reserved' WHERE id = {}", unseen.donation_id
    )
    assert await pledge_counters(pledge) == (80_00, 0)  # ... but still counted as matched

    assert await settlement.settle_all() == (0, 0)
    row = await donations.get_donation(unseen.donation_id)
    assert row["match_status"] == "released"
    assert await pledge_counters(pledge) == (0, 0)
    assert await settlement.release_stray_reservations(tender) == 0  # once
    assert (await run_checks()).ok
