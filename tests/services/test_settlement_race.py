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

from donors import payments
from market.ledger.check import run_checks
from tests.builders import make_operator
from tests.donation_builders import make_pledge, make_tender
from tests.settlement_builders import (
    available,
    check_round,
    close_and_settle,
    donate,
    pledge_counters,
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
        close_and_settle(tender, reason),
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
    await check_round(tender, reason, [*paid, *confirmed], late, waiting[CONFIRMED:])
    return {"confirmed_first": len(confirmed), "late": len(late)}


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
