"""Donations through the sandbox and bank transfer: ledger effects, matches, refusals."""

from __future__ import annotations

import pytest

from donors import donations, payments, pledges
from market.errors import DomainError, ValidationFailed
from market.ledger.accounts import get_account
from market.ledger.check import run_checks
from market.money import Money
from tests.builders import make_operator
from tests.donation_builders import make_pledge, make_tender


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


async def balance(code: str) -> int:
    try:
        return (await get_account(code)).posted.amount
    except DomainError:
        return 0


async def test_sandbox_donation_posts_the_donation_and_its_match_once() -> None:
    tender = await make_tender()
    pledge = await make_pledge(ratio=(1, 1), per_donation_cap=300_00)
    started = await donations.start_donation(
        tender_id=tender, amount=cny(500_00), provider="sandbox", display_name="王女士"
    )
    assert started.status == "paid"
    assert started.match == cny(300_00)
    assert await balance(f"tender:{tender}:escrow:public") == 500_00
    assert await balance(f"tender:{tender}:escrow:corporate") == 300_00
    assert await balance(f"pledge:{pledge}") == 10_000_00 - 300_00
    row = await donations.get_donation(started.donation_id)
    assert row["receipt_no"].startswith("D")
    assert row["match_status"] == "posted"
    again = await payments.confirm_payment(started.payment_id, amount=500_00, currency="CNY")
    assert again == "duplicate"
    assert await balance(f"tender:{tender}:escrow:public") == 500_00
    assert (await run_checks()).ok


async def test_declined_sandbox_card_posts_nothing_and_releases_the_match() -> None:
    tender = await make_tender()
    pledge = await make_pledge()
    started = await donations.start_donation(
        tender_id=tender, amount=cny(200_00), provider="sandbox", sandbox_outcome="decline"
    )
    assert started.status == "failed"
    assert await balance(f"tender:{tender}:escrow:public") == 0
    account = await get_account(f"pledge:{pledge}")
    assert account.available.amount == 10_000_00
    assert int((await pledges.get_pledge(pledge))["matched"]) == 0
    row = await donations.get_donation(started.donation_id)
    assert row["match_status"] == "released"


async def test_bank_transfer_donation_waits_for_the_operator() -> None:
    tender = await make_tender()
    operator = await make_operator()
    started = await donations.start_donation(
        tender_id=tender, amount=cny(1_000_00), provider="bank_transfer"
    )
    assert started.status == "pending"
    assert started.reference_code.startswith("PGM-")
    assert await balance(f"tender:{tender}:escrow:public") == 0
    with pytest.raises(payments.PaymentMismatch):
        await payments.record_bank_transfer(
            reference_code=started.reference_code,
            amount=999_00,
            currency="CNY",
            bank_reference="ICBC 0042",
            operator_id=operator,
        )
    await payments.record_bank_transfer(
        reference_code=started.reference_code.lower(),
        amount=1_000_00,
        currency="CNY",
        bank_reference="ICBC 0042",
        operator_id=operator,
    )
    assert await balance(f"tender:{tender}:escrow:public") == 1_000_00
    assert await balance("external:bank") == -1_000_00


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        (0, "CNY", "amount"),
        (-5, "CNY", "amount"),
        (100_000_01, "CNY", "amount"),
        (100_00, "USD", "currency"),
    ],
)
async def test_bad_donations_are_refused_before_anything_is_written(
    amount: int, currency: str, field: str
) -> None:
    tender = await make_tender()
    await make_pledge()
    with pytest.raises(ValidationFailed) as refused:
        await donations.start_donation(
            tender_id=tender, amount=Money(amount, currency), provider="sandbox"
        )
    assert field in refused.value.errors
    assert await balance(f"tender:{tender}:escrow:public") == 0
    assert await balance(f"tender:{tender}:escrow:corporate") == 0


@pytest.mark.parametrize("status", ["draft", "cancelled", "unsuccessful", "completed"])
async def test_a_closed_tender_takes_no_donation(status: str) -> None:
    tender = await make_tender(status=status)
    with pytest.raises(DomainError, match="does not accept money"):
        await donations.start_donation(tender_id=tender, amount=cny(100_00), provider="sandbox")
    assert await balance(f"tender:{tender}:escrow:public") == 0
