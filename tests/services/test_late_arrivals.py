"""Late arrivals (#13): money confirmed for something that no longer takes it has one
defined outcome per (edge × source) — the rows of the table in donors/late.py — and
the ledger moves exactly that; the match is never posted from a voided reservation.

edge                               | source                  | ledger movement
-----------------------------------|-------------------------|--------------------------------------
tender settled (cancelled)         | donation matched, card  | ext:sandbox → donor:d → ext (refund)
tender settled (cancelled)         | donation unmatched, bank| ext:bank → community_fund (chosen)
tender cancelled, not settled yet  | donation matched, bank  | match void; ext:bank → donor:d queued
tender completed                   | donation, card          | ext:sandbox → donor:d → ext (refund)
payment expired, tender open       | donation matched, bank  | ext:bank → escrow:public, no match
tender settled (cancelled)         | sponsorship, card       | ext:sandbox → payer:p → ext (refund)
tender completed                   | own income, bank        | ext:bank → payer:p, queued → operator
payment failed, tender open        | sponsorship, bank       | ext:bank → escrow:corporate
pledge cancelled (payment expired) | pledge prepayment, bank | ext:bank → payer:p, refund queued
pledge validity ended unfunded     | pledge prepayment, bank | ext:bank → payer:p; pledge expired
Stripe rows: tests/web/test_late_webhooks.py and tests/stripe/test_stripe_donations.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from donors import contributions, donations, payments, pledges, refunds, settlement
from market import clock
from market.ledger.accounts import get_account
from market.ledger.check import run_checks
from market.ledger.rules import AccountNotFound
from market.ledger.services import get_transfer
from market.money import Money
from market.sql import execute
from tests.builders import make_org, make_user
from tests.donation_builders import make_pledge, make_sponsor, make_tender


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


async def movement(key: str) -> tuple[str, str, int, str]:
    t = (await get_transfer(key)).transfer
    return t.debit, t.credit, t.amount, t.reason


async def posted(code: str) -> int:
    """Credits − debits posted; 0 for an account nothing was ever posted to."""
    try:
        return (await get_account(code)).posted.amount
    except AccountNotFound:
        return 0


async def pledge_matched(pledge: int) -> int:
    rows = await execute("SELECT matched FROM donors_pledge WHERE id = {}", pledge)
    return int(rows[0]["matched"])


async def set_status(tender: int, status: str) -> None:
    await execute("UPDATE market_tender SET status = {} WHERE id = {}", status, tender)


async def cancel_and_settle(tender: int) -> None:
    await set_status(tender, "cancelled")
    assert await settlement.settle_tender(tender, "cancelled")


async def only_refund(payment_id: int) -> dict[str, object]:
    [row] = await refunds.refunds_of_payment(payment_id)
    return dict(row)


async def test_matched_sandbox_donation_after_settlement_is_refunded_at_once() -> None:
    tender = await make_tender(status="contracted")
    pledge = await make_pledge(per_donation_cap=50_00)
    started = await donations.start_donation(
        tender_id=tender, amount=cny(80_00), provider="sandbox", sandbox_outcome="decline"
    )
    assert started.status == "failed" and await pledge_matched(pledge) == 0
    late = await donations.start_donation(
        tender_id=tender, amount=cny(80_00), provider="bank_transfer", on_failure="refund"
    )
    assert late.match == cny(50_00)
    await cancel_and_settle(tender)
    # the card charge went through after all (provider event for the declined one)
    outcome = await payments.confirm_payment(started.payment_id, amount=80_00, currency="CNY")
    assert outcome == "late_arrival"
    d = started.donation_id
    assert await movement(f"payment:{started.payment_id}") == (
        "external:sandbox", f"donor:d{d}:refund", 80_00, "late_arrival"
    )  # fmt: skip
    refund = await only_refund(started.payment_id)
    assert (refund["reason"], refund["status"], refund["amount"]) == ("late_arrival", "paid", 80_00)
    assert await movement(f"refund:{refund['id']}") == (
        f"donor:d{d}:refund", "external:sandbox", 80_00, "refund"
    )  # fmt: skip
    row = await donations.get_donation(d)
    assert (row["status"], int(row["refund_amount"])) == ("refunded", 80_00)
    assert await posted(f"tender:{tender}:escrow:public") == 0
    assert await posted(f"donor:d{d}:refund") == 0
    payment = await payments.get_payment(started.payment_id)
    assert (payment["status"], int(payment["refunded"])) == ("succeeded", 80_00)
    # the matched bank-transfer donation arrives late too: its reservation was voided by
    # the settlement and is never posted; the pledge has all its room back
    assert await payments.confirm_payment(late.payment_id, amount=80_00, currency="CNY") == (
        "late_arrival"
    )
    row = await donations.get_donation(late.donation_id)
    assert (row["status"], row["match_status"]) == ("refund_queued", "released")
    with pytest.raises(Exception, match="no transfer"):
        await get_transfer(f"donation:{late.donation_id}:match:post")
    assert await pledge_matched(pledge) == 0
    assert (await get_account(f"pledge:{pledge}")).available.amount == 10_000_00
    assert await posted(f"tender:{tender}:escrow:corporate") == 0
    assert (await run_checks()).ok


async def test_unmatched_bank_donation_to_a_settled_tender_goes_to_the_community_fund() -> None:
    tender = await make_tender()
    started = await donations.start_donation(
        tender_id=tender, amount=cny(60_00), provider="bank_transfer", on_failure="community_fund"
    )
    await cancel_and_settle(tender)
    fund_before = await posted("community_fund")
    assert await payments.confirm_payment(started.payment_id, amount=60_00, currency="CNY") == (
        "late_arrival"
    )
    assert await movement(f"payment:{started.payment_id}") == (
        "external:bank", "community_fund", 60_00, "late_arrival"
    )  # fmt: skip
    assert await posted("community_fund") == fund_before + 60_00
    assert await refunds.refunds_of_payment(started.payment_id) == []
    row = await donations.get_donation(started.donation_id)
    assert (row["status"], int(row["refund_amount"])) == ("community_fund", 0)
    assert await posted(f"tender:{tender}:escrow:public") == 0
    assert (await run_checks()).ok


async def test_matched_bank_donation_to_a_cancelled_unsettled_tender_voids_its_match() -> None:
    tender = await make_tender()
    pledge = await make_pledge(per_donation_cap=30_00)
    started = await donations.start_donation(
        tender_id=tender, amount=cny(100_00), provider="bank_transfer"
    )
    assert await pledge_matched(pledge) == 30_00
    await set_status(tender, "cancelled")  # the settlement job has not run yet
    recorded = await payments.record_bank_transfer(
        reference_code=started.reference_code, amount=100_00, currency="CNY",
        bank_reference="ICBC 1", operator_id=await make_user(),
    )  # fmt: skip
    assert recorded["status"] == "succeeded"
    d = started.donation_id
    assert (await movement(f"donation:{d}:match:void"))[2] == 30_00
    assert await movement(f"payment:{started.payment_id}") == (
        "external:bank", f"donor:d{d}:refund", 100_00, "late_arrival"
    )  # fmt: skip
    refund = await only_refund(started.payment_id)
    assert (refund["status"], refund["provider"], refund["hold_code"]) == (
        "queued", "bank_transfer", f"donor:d{d}:refund"
    )  # fmt: skip
    assert [int(r["id"]) for r in await refunds.awaiting_bank_refunds()] == [refund["id"]]
    assert await pledge_matched(pledge) == 0
    assert (await get_account(f"pledge:{pledge}")).available.amount == 10_000_00
    # the settlement that follows finds nothing of this donation in the escrow
    assert await settlement.settle_tender(tender, "cancelled")
    assert await posted(f"donor:d{d}:refund") == 100_00  # waits for the operator's payout
    assert (await run_checks()).ok


async def test_donation_confirmed_after_completion_is_refunded() -> None:
    tender = await make_tender(status="contracted")
    started = await donations.start_donation(
        tender_id=tender, amount=cny(20_00), provider="sandbox", sandbox_outcome="decline"
    )
    await set_status(tender, "completed")
    assert await payments.confirm_payment(started.payment_id, amount=20_00, currency="CNY") == (
        "late_arrival"
    )
    assert (await only_refund(started.payment_id))["status"] == "paid"
    assert (await donations.get_donation(started.donation_id))["status"] == "refunded"
    assert await posted(f"tender:{tender}:escrow:public") == 0
    assert (await run_checks()).ok


async def test_expired_bank_donation_paid_while_the_tender_is_open_is_accepted_unmatched() -> None:
    tender = await make_tender()
    pledge = await make_pledge(per_donation_cap=40_00)
    started = await donations.start_donation(
        tender_id=tender, amount=cny(100_00), provider="bank_transfer"
    )
    later = clock.now() + timedelta(days=8)
    assert await payments.expire_payments(later) == {"expired": 1, "notified": 0}
    assert await pledge_matched(pledge) == 0
    outcome = await payments.confirm_payment(started.payment_id, amount=100_00, currency="CNY")
    assert outcome == "paid"
    assert await movement(f"payment:{started.payment_id}") == (
        "external:bank", f"tender:{tender}:escrow:public", 100_00, "donation"
    )  # fmt: skip
    row = await donations.get_donation(started.donation_id)
    assert (row["status"], row["match_status"], row["closed_at"]) == ("paid", "released", None)
    assert row["receipt_no"]
    assert await posted(f"tender:{tender}:escrow:corporate") == 0
    assert (await get_account(f"pledge:{pledge}")).available.amount == 10_000_00
    assert (await run_checks()).ok


async def _sponsorship(tender: int, provider: str, outcome: str = "approve") -> tuple[int, int]:
    user, company = await make_sponsor()
    contribution, payment, _ = await contributions.contribute(
        kind="sponsorship", tender_id=tender, organization_id=company,
        organization_kind="company", user_id=user, amount=cny(500_00), provider=provider,
        sandbox_outcome=outcome,
    )  # fmt: skip
    return contribution, int(payment["id"])


async def test_sponsorship_for_a_settled_tender_is_refunded_to_the_sponsor() -> None:
    tender = await make_tender()
    contribution, payment = await _sponsorship(tender, "sandbox", "decline")
    await cancel_and_settle(tender)
    assert await payments.confirm_payment(payment, amount=500_00, currency="CNY") == (
        "late_arrival"
    )
    assert await movement(f"payment:{payment}") == (
        "external:sandbox", f"payer:p{payment}:refund", 500_00, "late_arrival"
    )  # fmt: skip
    refund = await only_refund(payment)
    assert (refund["status"], refund["reason"]) == ("paid", "late_arrival")
    assert await movement(f"refund:{refund['id']}") == (
        f"payer:p{payment}:refund", "external:sandbox", 500_00, "refund"
    )  # fmt: skip
    rows = await execute("SELECT status FROM donors_contribution WHERE id = {}", contribution)
    assert rows[0]["status"] == "returned"
    assert await posted(f"tender:{tender}:escrow:corporate") == 0
    assert (await run_checks()).ok


async def test_own_income_after_completion_waits_in_the_operators_refund_queue() -> None:
    tender = await make_tender(status="contracted")
    user = await make_user()
    org = await make_org(kind="social_org", admin=user)
    _, payment, _ = await contributions.contribute(
        kind="own_income", tender_id=tender, organization_id=org,
        organization_kind="social_org", user_id=user, amount=cny(300_00),
    )  # fmt: skip
    await set_status(tender, "completed")
    assert await payments.confirm_payment(int(payment["id"]), amount=300_00, currency="CNY") == (
        "late_arrival"
    )
    refund = await only_refund(int(payment["id"]))
    assert (refund["status"], refund["provider"]) == ("queued", "bank_transfer")
    assert await posted(f"payer:p{payment['id']}:refund") == 300_00
    operator = await make_user()
    paid = await refunds.record_bank_refund(
        refund_id=int(refund["id"]), bank_reference="ABC 99", operator_id=operator
    )
    assert (paid["status"], paid["paid_by"], paid["bank_reference"]) == ("paid", operator, "ABC 99")
    assert await movement(f"refund:{refund['id']}") == (
        f"payer:p{payment['id']}:refund", "external:bank", 300_00, "refund"
    )  # fmt: skip
    assert await posted(f"payer:p{payment['id']}:refund") == 0
    assert (await run_checks()).ok


async def test_sponsorship_whose_payment_failed_is_accepted_while_the_tender_is_open() -> None:
    tender = await make_tender()
    contribution, payment = await _sponsorship(tender, "bank_transfer")
    await payments.fail_payment(payment, reason=payments.EXPIRED)
    assert await payments.confirm_payment(payment, amount=500_00, currency="CNY") == "paid"
    assert await movement(f"payment:{payment}") == (
        "external:bank", f"tender:{tender}:escrow:corporate", 500_00, "sponsorship"
    )  # fmt: skip
    rows = await execute("SELECT status FROM donors_contribution WHERE id = {}", contribution)
    assert rows[0]["status"] == "received"
    assert (await run_checks()).ok


async def _unfunded_pledge(**terms: object) -> tuple[int, int]:
    user, org = await make_sponsor()
    now = clock.now()
    pledge, payment, _ = await pledges.create_pledge(
        sponsor_id=org, user_id=user, sponsor_kind="company", ratio_sponsor=1,
        ratio_donor=1, per_donation_cap=100_00, total_cap=1_000_00,
        valid_from=now - timedelta(days=1),
        valid_until=terms.get("valid_until", now + timedelta(days=30)),  # type: ignore[arg-type]
    )  # fmt: skip
    return pledge, int(payment["id"])


async def test_prepayment_of_a_cancelled_pledge_is_refunded_not_activated() -> None:
    pledge, payment = await _unfunded_pledge()
    assert await payments.expire_payments(clock.now() + timedelta(days=7)) == {
        "expired": 1,
        "notified": 0,
    }
    assert (await pledges.get_pledge(pledge))["status"] == "cancelled"
    assert await payments.confirm_payment(payment, amount=1_000_00, currency="CNY") == (
        "late_arrival"
    )
    assert await movement(f"payment:{payment}") == (
        "external:bank", f"payer:p{payment}:refund", 1_000_00, "late_arrival"
    )  # fmt: skip
    assert (await only_refund(payment))["status"] == "queued"
    row = await pledges.get_pledge(pledge)
    assert (row["status"], int(row["matched"]), int(row["returned"])) == ("cancelled", 0, 0)
    assert row["expired_at"] is None
    assert await posted(f"pledge:{pledge}") == 0
    assert (await run_checks()).ok


async def test_prepayment_after_the_pledges_validity_ended_is_refunded() -> None:
    pledge, payment = await _unfunded_pledge(valid_until=clock.now() + timedelta(hours=1))
    clock.set_clock(clock.FrozenClock(clock.now() + timedelta(hours=2)))
    try:
        assert await payments.confirm_payment(payment, amount=1_000_00, currency="CNY") == (
            "late_arrival"
        )
        assert (await pledges.get_pledge(pledge))["status"] == "expired"
        assert await posted(f"payer:p{payment}:refund") == 1_000_00
        assert await posted(f"pledge:{pledge}") == 0
        assert (await run_checks()).ok
    finally:
        clock.set_clock(None)


async def test_a_late_arrival_confirmed_again_changes_nothing() -> None:
    tender = await make_tender()
    started = await donations.start_donation(
        tender_id=tender, amount=cny(70_00), provider="bank_transfer"
    )
    await cancel_and_settle(tender)
    assert await payments.confirm_payment(started.payment_id, amount=70_00, currency="CNY") == (
        "late_arrival"
    )
    count = await execute("SELECT COUNT(*) AS n FROM ledger_transfer")
    again = await payments.confirm_payment(started.payment_id, amount=70_00, currency="CNY")
    assert again == "duplicate"
    assert await execute("SELECT COUNT(*) AS n FROM ledger_transfer") == count
    assert len(await refunds.refunds_of_payment(started.payment_id)) == 1
    assert (await run_checks()).ok
