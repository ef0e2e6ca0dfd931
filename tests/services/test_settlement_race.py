"""PostgreSQL, real separate connections: a settlement racing the confirmations and
expiries of the same project's payments, many rounds, for a failure and for a surplus.

The project is closed (cancelled, or completed) under its funding gate and then
settled, while its payments are confirmed through `donors.payments.confirm_payment`,
which takes the gate shared (ARCHITECTURE.md "Lock order"): a confirmation that
commits before the closing is in the escrow and in the settlement; one after it takes
the late-arrival path and is refunded (or given to the community fund) exactly its
amount by itself. Expiries take no gate:
the lock order alone (payment → donation → pledge → ledger) keeps them deadlock-free
beside the settlement, and a failed payment's reservation is released once. Whatever the
interleaving, the settlement gives back exactly what was put in before it: every
paid donor exactly their amount (nothing was released), never more; every pledge
exactly the matches it posted here; the escrow ends empty, `matched` equals posted +
pending − returned, and `market ledger check` passes.
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

import pytest

from donors import payments, settlement
from donors.donations import DonationStarted
from market.db import atomic
from market.ledger.check import run_checks
from market.sql import execute
from market.tenders.readmodels import lock_tender_funding
from tests.builders import make_operator
from tests.donation_builders import make_pledge, make_tender
from tests.settlement_builders import (
    available,
    donate,
    escrow_left,
    moved,
    pledge_counters,
    refunds_of,
)

pytestmark = pytest.mark.postgres_only

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 25
WAITING = 6  # awaiting payments per round: the first CONFIRMED are confirmed, the rest fail
CONFIRMED = 4


async def _confirm(payment: int, amount: int) -> str:
    """ "paid" before the project closed, "late_arrival" after."""
    await asyncio.sleep(random.random() / 200)
    return await payments.confirm_payment(payment, amount=amount, currency="CNY")


async def _fail(payment: int) -> str:
    """An expiry, taking no gate at all: the lock order alone keeps it deadlock-free."""
    await asyncio.sleep(random.random() / 200)
    return await payments.fail_payment(payment, reason="expired")


async def _close_and_settle(tender: int, reason: str) -> bool:
    """The kernel closes the project (its status, under the gate), then the job settles."""
    await asyncio.sleep(random.random() / 200)
    async with atomic():
        await lock_tender_funding(tender, exclusive=True)
        await execute("UPDATE market_tender SET status = {} WHERE id = {}", reason, tender)
    return await settlement.settle_tender(tender, reason)


async def _round(reason: str, pledge: int) -> dict[str, int]:
    tender = await make_tender(status="contracted")
    paid = [
        await donate(tender, 100_00 + i, "refund" if i % 2 else "community_fund") for i in (1, 2)
    ]
    waiting = [
        await donate(tender, 50_01 + i, "community_fund" if i == 3 else "refund", "bank_transfer")
        for i in range(WAITING)
    ]
    outcomes = await asyncio.gather(
        _close_and_settle(tender, reason),
        *(
            _confirm(w.payment_id, 50_01 + i) if i < CONFIRMED else _fail(w.payment_id)
            for i, w in enumerate(waiting)
        ),
    )
    assert outcomes[0] is True
    confirmed = [w for w, o in zip(waiting, outcomes[1:], strict=True) if o == "paid"]
    late = [w for w, o in zip(waiting, outcomes[1:], strict=True) if o == "late_arrival"]
    assert len(confirmed) + len(late) == CONFIRMED
    assert outcomes[1 + CONFIRMED :] == ["failed"] * (WAITING - CONFIRMED)
    await _check_round(tender, reason, [*paid, *confirmed], late, waiting[CONFIRMED:])
    return {"confirmed_first": len(confirmed), "late": len(late)}


async def _check_round(
    tender: int,
    reason: str,
    included: list[DonationStarted],
    late: list[DonationStarted],
    failed: list[DonationStarted],
) -> None:
    assert set((await escrow_left(tender)).values()) == {0}
    fund = await moved(credit="community_fund", reference=f"tender:{tender}:{reason}")
    expected_fund = 0
    for started in included:  # put in before the settlement: all of it back, exactly
        row = (await execute("SELECT * FROM donors_donation WHERE id = {}", started.donation_id))[0]
        amount = int(row["amount"])
        if row["on_failure"] == "refund":
            assert await refunds_of(started.payment_id) == amount
            assert int(row["refund_amount"]) == amount
        else:
            assert await refunds_of(started.payment_id) == 0
            expected_fund += amount
        assert (row["status"] == "paid") == (reason == "completed")  # failure closes it
    assert fund == expected_fund
    for started in late:  # arrived after the closing: all of it back by itself, unmatched
        row = (await execute("SELECT * FROM donors_donation WHERE id = {}", started.donation_id))[0]
        assert row["match_status"] == "released", row
        if row["on_failure"] == "refund":
            assert row["status"] == "refund_queued", row
            assert await refunds_of(started.payment_id) == int(row["amount"])
        else:
            assert row["status"] == "community_fund", row
            assert await refunds_of(started.payment_id) == 0
    for started in failed:  # never paid: no share, its reservation released
        row = (await execute("SELECT * FROM donors_donation WHERE id = {}", started.donation_id))[0]
        assert row["status"] == "failed" and row["match_status"] == "released", row
        assert await refunds_of(started.payment_id) == 0
    posted_here = sum(
        int(r["match_amount"])
        for r in await execute(
            "SELECT match_amount FROM donors_donation WHERE tender = {}"
            " AND match_status = 'posted'",
            tender,
        )
    )
    pledges_back = sum(
        int(r["amount"])
        for r in await execute(
            "SELECT t.amount FROM ledger_transfer t JOIN ledger_account c"
            " ON c.id = t.credit_account WHERE c.code LIKE 'pledge:%' AND t.reference = {}",
            f"tender:{tender}:{reason}",
        )
    )
    assert pledges_back == posted_here


@pytest.mark.parametrize("reason", ["cancelled", "completed"])
async def test_settlement_racing_confirmations_gives_back_exactly_what_was_put_in(
    fresh_db: None, reason: str
) -> None:
    await make_operator()
    pledge = await make_pledge(per_donation_cap=30_00, total_cap=100_000_00)
    totals = {"confirmed_first": 0, "late": 0}
    for _ in range(ROUNDS):
        for name, n in (await _round(reason, pledge)).items():
            totals[name] += n
        matched, expected = await pledge_counters(pledge)
        assert matched == expected
        assert matched + await available(f"pledge:{pledge}") == 100_000_00
    # Both orders happened (else the race was not exercised).
    print(
        f"\n{reason}: {totals} over {ROUNDS} rounds of {CONFIRMED} confirmations"
        f" and {WAITING - CONFIRMED} expiries"
    )
    assert totals["confirmed_first"] > 0 and totals["late"] > 0
    assert (await run_checks()).ok
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "composition.cli", "ledger", "check", cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, out.decode() + err.decode()
    assert "ledger OK" in out.decode()
