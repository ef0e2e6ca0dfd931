"""PostgreSQL: payment expiry racing confirmations of the same payments — no deadlock,
and each payment ends one way: paid with its match posted, or expired (match released,
pledge room back) and then, when its money still arrives, accepted unmatched. And the
public route's limit on unpaid donations holds when one client starts many at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from donors import donations, payments
from market import clock
from market.ledger.accounts import get_account
from market.ledger.check import run_checks
from market.money import Money
from market.sql import execute
from tests.donation_builders import make_pledge, make_tender

DONATIONS = 40


@pytest.mark.postgres_only
async def test_expiry_and_confirmations_of_the_same_payments_race_cleanly(
    fresh_db: None,
) -> None:
    tender = await make_tender()
    pledge = await make_pledge(per_donation_cap=20_00, total_cap=DONATIONS * 20_00)
    started = [
        await donations.start_donation(
            tender_id=tender, amount=Money(50_00, "CNY"), provider="bank_transfer"
        )
        for _ in range(DONATIONS)
    ]
    later = clock.now() + timedelta(days=8)

    async def confirm(n: int, s: donations.DonationStarted) -> str:
        await asyncio.sleep(0.015 * n)  # newest first, while expiry goes oldest first
        return await payments.confirm_payment(s.payment_id, amount=50_00, currency="CNY")

    results = await asyncio.gather(
        payments.expire_payments(later),
        payments.expire_payments(later),
        *(confirm(n, s) for n, s in enumerate(reversed(started))),  # they meet midway
    )
    expired = sum(run["expired"] for run in results[:2])  # type: ignore[union-attr]
    assert sorted(set(results[2:])) == ["paid"]  # expired ones are accepted unmatched
    rows = await execute(
        "SELECT match_status, status FROM donors_donation WHERE tender = {}", tender
    )
    assert all(r["status"] == "paid" for r in rows)
    posted = sum(1 for r in rows if r["match_status"] == "posted")
    released = sum(1 for r in rows if r["match_status"] == "released")
    assert posted + released == DONATIONS and released == expired
    [row] = await execute("SELECT matched FROM donors_pledge WHERE id = {}", pledge)
    assert int(row["matched"]) == posted * 20_00
    corporate = await get_account(f"tender:{tender}:escrow:corporate")
    assert corporate.posted.amount == posted * 20_00 and corporate.available.amount == (
        posted * 20_00
    )
    public = await get_account(f"tender:{tender}:escrow:public")
    assert public.posted.amount == DONATIONS * 50_00
    assert (await run_checks()).ok


@pytest.mark.postgres_only
async def test_one_client_starting_ten_donations_at_once_gets_exactly_the_limit(
    fresh_db: None,
) -> None:
    tender = await make_tender()
    await make_pledge(per_donation_cap=10_00)

    async def start() -> str:
        try:
            await donations.start_donation(
                tender_id=tender, amount=Money(30_00, "CNY"), provider="bank_transfer",
                client_key="one-client",
            )  # fmt: skip
        except donations.UnpaidLimitError:
            return "refused"
        return "started"

    outcomes = await asyncio.gather(*(start() for _ in range(10)))
    assert sorted(outcomes) == ["refused"] * 7 + ["started"] * 3
    [row] = await execute("SELECT COUNT(*) AS n FROM donors_donation")
    assert int(row["n"]) == 3
    [row] = await execute("SELECT matched FROM donors_pledge")
    assert int(row["matched"]) == 3 * 10_00
    assert (await run_checks()).ok
