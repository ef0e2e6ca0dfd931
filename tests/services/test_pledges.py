"""Match pledges: terms checked, prepayment, eligibility, expiry return; sponsorships
and own income entering escrow with their source."""

from __future__ import annotations

from datetime import timedelta

import pytest

from donors import contributions, donations, pledges
from market import clock
from market.errors import PermissionDenied, ValidationFailed
from market.ledger.accounts import get_account
from market.ledger.check import run_checks
from market.money import Money
from market.sql import execute
from tests.builders import make_operator, make_org, make_user
from tests.donation_builders import make_pledge, make_sponsor, make_tender


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


@pytest.mark.parametrize(
    ("ratio", "per_donation", "total", "field"),
    [((0, 1), 100, 1000, "ratio"), ((1, 0), 100, 1000, "ratio"), ((-1, 1), 100, 1000, "ratio"),
     ((1, 1), 100, 50, "total_cap"), ((1, 1), 0, 1000, "per_donation_cap")],
)  # fmt: skip
async def test_bad_pledge_terms_are_refused_and_nothing_is_written(
    ratio: tuple[int, int], per_donation: int, total: int, field: str
) -> None:
    user, org = await make_sponsor()
    now = clock.now()
    with pytest.raises(ValidationFailed) as refused:
        await pledges.create_pledge(
            sponsor_id=org, user_id=user, sponsor_kind="company", ratio_sponsor=ratio[0],
            ratio_donor=ratio[1], per_donation_cap=per_donation, total_cap=total,
            valid_from=now, valid_until=now + timedelta(days=1), provider="sandbox",
        )  # fmt: skip
    assert field in refused.value.errors
    assert not await execute("SELECT id FROM donors_pledge")
    assert not await execute("SELECT id FROM donors_payment")


async def test_a_social_organization_cannot_pledge() -> None:
    user = await make_user()
    org = await make_org(admin=user)
    now = clock.now()
    with pytest.raises(PermissionDenied):
        await pledges.create_pledge(
            sponsor_id=org, user_id=user, sponsor_kind="social_org", ratio_sponsor=1,
            ratio_donor=1, per_donation_cap=100, total_cap=1000, valid_from=now,
            valid_until=now + timedelta(days=1),
        )  # fmt: skip


async def test_a_pledge_matches_only_once_prepaid_and_only_eligible_tenders() -> None:
    tender = await make_tender(category="community_services")
    other = await make_tender(category="dispute_mediation")
    pledge = await make_pledge(funded=False, categories=frozenset({"community_services"}))
    unpaid = await donations.start_donation(tender_id=tender, amount=cny(50_00), provider="sandbox")
    assert unpaid.match.amount == 0  # awaiting its bank transfer: matches nothing yet
    payment = await execute("SELECT reference_code FROM donors_payment WHERE kind = 'pledge'")
    from donors import payments

    await payments.record_bank_transfer(
        reference_code=payment[0]["reference_code"], amount=10_000_00, currency="CNY",
        bank_reference="BOC 1", operator_id=await make_operator(),
    )  # fmt: skip
    assert (await pledges.get_pledge(pledge))["status"] == "active"
    matched = await donations.start_donation(
        tender_id=tender, amount=cny(50_00), provider="sandbox"
    )
    assert matched.match == cny(50_00)
    elsewhere = await donations.start_donation(
        tender_id=other, amount=cny(50_00), provider="sandbox"
    )
    assert elsewhere.match.amount == 0


async def test_ratio_two_to_one_and_caps(frozen_clock: clock.FrozenClock) -> None:
    tender = await make_tender()
    await make_pledge(ratio=(2, 1), per_donation_cap=150_00, total_cap=200_00)
    first = await donations.start_donation(tender_id=tender, amount=cny(50_00), provider="sandbox")
    second = await donations.start_donation(tender_id=tender, amount=cny(90_00), provider="sandbox")
    third = await donations.start_donation(tender_id=tender, amount=cny(90_00), provider="sandbox")
    assert [first.match, second.match, third.match] == [cny(100_00), cny(100_00), cny(0)]


async def test_expiry_returns_the_unused_balance_to_the_sponsor(
    frozen_clock: clock.FrozenClock,
) -> None:
    tender = await make_tender()
    pledge = await make_pledge(per_donation_cap=100_00, valid_until=clock.now() + timedelta(days=2))
    await donations.start_donation(tender_id=tender, amount=cny(100_00), provider="sandbox")
    assert await pledges.expire_pledges() == []  # not yet
    frozen_clock.advance(days=3)
    assert await pledges.expire_pledges() == [(pledge, 10_000_00 - 100_00)]
    assert await pledges.expire_pledges() == []  # idempotent
    assert (await get_account(f"pledge:{pledge}")).posted.amount == 0
    assert (await pledges.get_pledge(pledge))["status"] == "expired"
    late = await donations.start_donation(tender_id=tender, amount=cny(100_00), provider="sandbox")
    assert late.match.amount == 0
    assert (await run_checks()).ok


async def test_sponsorship_and_own_income_enter_escrow_with_their_source() -> None:
    tender = await make_tender(status="contracted")
    user, foundation = await make_sponsor("foundation")
    await contributions.contribute(
        kind="sponsorship", tender_id=tender, organization_id=foundation,
        organization_kind="foundation", user_id=user, amount=cny(2_000_00), provider="sandbox",
    )  # fmt: skip
    org_user = await make_user()
    org = await make_org(admin=org_user)
    await contributions.contribute(
        kind="own_income", tender_id=tender, organization_id=org,
        organization_kind="social_org", user_id=org_user, amount=cny(500_00), provider="sandbox",
    )  # fmt: skip
    assert (await get_account(f"tender:{tender}:escrow:foundation")).posted == cny(2_000_00)
    assert (await get_account(f"tender:{tender}:escrow:own")).posted == cny(500_00)
    with pytest.raises(PermissionDenied):
        await contributions.contribute(
            kind="sponsorship", tender_id=tender, organization_id=org,
            organization_kind="social_org", user_id=org_user, amount=cny(1_00),
        )  # fmt: skip
