"""Failure policy: a failed tender returns every source's remainder, once."""

from __future__ import annotations

from donors import contributions, donations, settlement
from market.ledger import escrow
from market.ledger.accounts import get_account
from market.ledger.check import run_checks
from market.money import Money, allocate
from market.sql import execute
from tests.builders import make_operator, make_org
from tests.donation_builders import make_pledge, make_sponsor, make_tender


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


async def posted(code: str) -> int:
    return (await get_account(code)).posted.amount


async def test_cancelled_tender_returns_every_source_pro_rata_and_only_once() -> None:
    await make_operator()
    tender = await make_tender(status="contracted")
    pledge = await make_pledge(per_donation_cap=100_00)
    refund = await donations.start_donation(
        tender_id=tender, amount=cny(300_00), provider="sandbox", on_failure="refund"
    )
    fund = await donations.start_donation(
        tender_id=tender, amount=cny(100_00), provider="sandbox", on_failure="community_fund"
    )
    user, company = await make_sponsor()
    await contributions.contribute(
        kind="sponsorship", tender_id=tender, organization_id=company,
        organization_kind="company", user_id=user, amount=cny(1_000_00), provider="sandbox",
    )  # fmt: skip
    # A tranche of ¥800 (half of all sources) was already released to the organization.
    org = await make_org()
    await escrow.release("m1", tender_id=tender, org_id=org, amount=cny(800_00), actor="t")
    public_left = await posted(f"tender:{tender}:escrow:public")
    corporate_left = await posted(f"tender:{tender}:escrow:corporate")
    assert public_left > 0 and corporate_left > 0
    await execute("UPDATE market_tender SET status = 'cancelled' WHERE id = {}", tender)

    settled, refunds = await settlement.settle_all()
    assert (settled, refunds) == (1, 1)
    for source in ("public", "corporate"):
        assert await posted(f"tender:{tender}:escrow:{source}") == 0
    # public: 300:100 of what was left; the ¥300 donor refunded in the sandbox at once
    refunded = await donations.get_donation(refund.donation_id)
    assert refunded["status"] == "refunded"
    to_refund, to_fund = allocate(public_left, [300_00, 100_00])  # largest remainder
    assert int(refunded["refund_amount"]) == to_refund
    assert await posted("community_fund") == to_fund
    assert (await donations.get_donation(fund.donation_id))["status"] == "community_fund"
    # corporate: matches back to the pledge, the sponsorship back to the sponsor
    rows = await execute("SELECT matched FROM donors_pledge WHERE id = {}", pledge)
    matched_back = 200_00 - int(rows[0]["matched"])
    assert matched_back > 0
    assert (await get_account(f"pledge:{pledge}")).available.amount == 10_000_00 - 200_00 + (
        matched_back
    )
    assert await settlement.settle_all() == (0, 0)
    assert (await run_checks()).ok


async def test_a_remainder_that_does_not_divide_is_split_by_the_largest_remainder() -> None:
    """¥400.01 left for donations of 3:1: 30,001 fen and 10,000 fen (floor division
    would refund 30,000 and leave one fen unaccounted for or misplaced)."""
    await make_operator()
    tender = await make_tender(status="contracted")
    refund = await donations.start_donation(
        tender_id=tender, amount=cny(600_00), provider="sandbox", on_failure="refund"
    )
    fund = await donations.start_donation(
        tender_id=tender, amount=cny(200_00), provider="sandbox", on_failure="community_fund"
    )
    org = await make_org()
    await escrow.release("m1", tender_id=tender, org_id=org, amount=cny(39_999), actor="t")
    public_left = await posted(f"tender:{tender}:escrow:public")
    assert public_left == 40_001
    await execute("UPDATE market_tender SET status = 'cancelled' WHERE id = {}", tender)

    assert await settlement.settle_all() == (1, 1)
    assert await posted(f"tender:{tender}:escrow:public") == 0
    assert allocate(public_left, [600_00, 200_00]) == [30_001, 10_000]
    refunded = await donations.get_donation(refund.donation_id)
    assert (refunded["status"], int(refunded["refund_amount"])) == ("refunded", 30_001)
    assert await posted("community_fund") == 10_000
    assert (await donations.get_donation(fund.donation_id))["status"] == "community_fund"
    assert (await run_checks()).ok
