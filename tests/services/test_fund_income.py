"""Money into a community's fund: residents' gifts, a company's sponsorship by bank
transfer, and the consented money of a failed project in the community — routed to
that community's fund by the settlement and by a late arrival, while a project of a
street keeps the district-wide fund."""

from __future__ import annotations

import pytest

from donors import donations, payments, settlement
from funds import gifts, ledger
from market.errors import PermissionDenied, ValidationFailed
from market.ledger.check import run_checks
from market.ledger.codes import COMMUNITY_FUND, community_fund_code
from market.money import Money
from market.sql import execute
from tests.builders import make_operator, make_user
from tests.donation_builders import make_sponsor, make_tender
from tests.fund_builders import balance, give, make_fund


async def placed_tender(place_id: int) -> int:
    tender = await make_tender()
    await execute("UPDATE market_tender SET place = {} WHERE id = {}", place_id, tender)
    return tender


async def cancel_and_settle(tender: int) -> None:
    await execute("UPDATE market_tender SET status = 'cancelled' WHERE id = {}", tender)
    await settlement.settle_all()


async def test_consented_money_of_a_failed_project_goes_to_its_communitys_fund():
    world = await make_fund()
    tender = await placed_tender(world.place_id)
    await donations.start_donation(
        tender_id=tender, amount=Money(300_00, "CNY"), provider="sandbox", on_failure="refund"
    )
    await donations.start_donation(
        tender_id=tender,
        amount=Money(100_00, "CNY"),
        provider="sandbox",
        on_failure="community_fund",
    )
    await cancel_and_settle(tender)
    assert await balance(community_fund_code(world.place_id)) == (100_00, 0)
    assert await balance(COMMUNITY_FUND) == (0, 0)
    figures = await ledger.figures(world.place_id)
    assert figures.income["consented"] == 100_00 and not figures.unplaced
    assert (await run_checks()).ok


async def test_a_street_projects_consented_money_stays_with_the_district_fund():
    world = await make_fund()
    street = int(
        (await execute("SELECT parent FROM market_place WHERE id = {}", world.place_id))[0][
            "parent"
        ]
    )
    tender = await placed_tender(street)
    await donations.start_donation(
        tender_id=tender,
        amount=Money(50_00, "CNY"),
        provider="sandbox",
        on_failure="community_fund",
    )
    await cancel_and_settle(tender)
    assert await balance(COMMUNITY_FUND) == (50_00, 0)
    assert await balance(community_fund_code(street)) == (0, 0)


async def test_a_late_donation_of_a_settled_community_project_goes_to_its_fund():
    world = await make_fund()
    tender = await placed_tender(world.place_id)
    started = await donations.start_donation(
        tender_id=tender,
        amount=Money(60_00, "CNY"),
        provider="bank_transfer",
        on_failure="community_fund",
    )
    await cancel_and_settle(tender)
    outcome = await payments.confirm_payment(started.payment_id, amount=60_00, currency="CNY")
    assert outcome == "late_arrival"
    assert await balance(community_fund_code(world.place_id)) == (60_00, 0)
    assert (await ledger.figures(world.place_id)).income["consented"] == 60_00
    assert (await run_checks()).ok


async def test_a_company_sponsors_a_fund_by_bank_transfer_the_operator_records():
    world = await make_fund()
    operator = await make_operator()
    user, company = await make_sponsor("company")
    started = await gifts.start_gift(
        fund_id=world.fund_id,
        amount=Money(50_000_00, "CNY"),
        provider="bank_transfer",
        donor_id=user,
        sponsor_id=company,
    )
    assert started.status == "pending"
    assert await balance(community_fund_code(world.place_id)) == (0, 0)
    await payments.record_bank_transfer(
        reference_code=started.reference_code,
        amount=50_000_00,
        currency="CNY",
        bank_reference="ICBC 2026-11-02 0042",
        operator_id=operator,
    )
    figures = await ledger.figures(world.place_id)
    assert (figures.income["corporate"], figures.balance) == (50_000_00, 50_000_00)
    assert (await gifts.gift_row(started.gift_id))["status"] == "paid"
    assert (await run_checks()).ok


async def test_only_a_sponsors_member_gives_in_its_name_and_not_by_stripe():
    world = await make_fund()
    stranger = await make_user()
    _, company = await make_sponsor("foundation")
    with pytest.raises(PermissionDenied):
        await gifts.start_gift(
            fund_id=world.fund_id,
            amount=Money(100_00, "CNY"),
            provider="sandbox",
            donor_id=stranger,
            sponsor_id=company,
        )
    with pytest.raises(ValidationFailed) as refused:
        await give(world, 50)  # below ¥1.00
    assert set(refused.value.errors) == {"amount"}
    assert not await execute("SELECT id FROM funds_gift")
