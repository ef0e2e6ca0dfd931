"""Model-based test of donors money at the edges (issue #13), in the style of
tests/services/test_ledger_state_machine.py.

Hypothesis interleaves, against the real services: donations started (matched by a
pledge or not; approved or declined card in the sandbox, or bank transfer left
awaiting), confirmations (in time and late: after the window expired, after the tender
was settled), failed payments, the clock advancing with payment expiry, pledge expiry,
tenders cancelled or completed, settlement (which pays sandbox refunds) and the
operator paying bank refunds. After every step: `market ledger check` passes (the
kernel's invariants and the donors' own, donors/invariants.py) and money is where the
model says it is:

- a tender not yet settled holds in its public escrow exactly its paid donations, and in
  its corporate escrow their posted matches (held: the open reservations);
- a payment that succeeded ends paid into an open project, or (its project settled
  after failure, or closed when the money arrived) refunded exactly its amount or given
  to the community fund; a payment that did not succeed moved nothing and refunded
  nothing.

The services are async and bound to the test's event loop and transaction, so the
synchronous machine runs in a worker thread and submits each call to the loop; each
example runs inside a savepoint rolled back at teardown.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from donors import donations, payments, pledges, refunds, settlement
from donors.rules import TenderClosedForDonations
from market import clock
from market.db import engine
from market.ledger.check import run_checks
from market.money import Money
from market.sql import Row, execute
from tests.builders import make_operator
from tests.donation_builders import make_pledge, make_tender

LOOP: asyncio.AbstractEventLoop
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
amounts = st.integers(min_value=1_00, max_value=120_00)
hows = st.sampled_from(["sandbox", "decline", "bank_transfer"])


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run_coroutine_threadsafe(coro, LOOP).result(timeout=60)


async def _donations() -> list[Row]:
    return await execute(
        "SELECT d.id, d.tender, d.amount, d.status, d.match_status, d.match_amount,"
        " p.id AS payment, p.status AS paid, p.refunded FROM donors_donation d"
        " JOIN donors_payment p ON p.object_key = 'donation:' || CAST(d.id AS VARCHAR)"
        " ORDER BY d.id"
    )


async def _escrows() -> dict[str, tuple[int, int]]:
    """Escrow code → (posted balance, credits pending)."""
    rows = await execute(
        "SELECT code, credits_posted - debits_posted AS posted, credits_pending"
        " FROM ledger_account WHERE code LIKE 'tender:%'"
    )
    return {r["code"]: (int(r["posted"]), int(r["credits_pending"])) for r in rows}


async def _settled() -> dict[int, str]:
    rows = await execute("SELECT tender, reason FROM donors_settlement")
    return {int(r["tender"]): r["reason"] for r in rows}


class MoneyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.savepoint: Any = None
        self.clock = clock.FrozenClock(START)
        self.tenders: list[int] = []  # 0: matched by the pledge; 1: never matched
        self.status: dict[int, str] = {}
        self.operator = 0

    @initialize(first=st.lists(st.tuples(st.integers(0, 1), amounts, hows), min_size=2, max_size=5))
    def start(self, first: list[tuple[int, int, str]]) -> None:
        async def go() -> Any:
            savepoint = await engine().current_transaction.get().savepoint()
            clock.set_clock(self.clock)
            self.operator = await make_operator()
            self.tenders = [await make_tender(status="contracted") for _ in range(2)]
            await make_pledge(
                per_donation_cap=50_00, total_cap=200_00, tender_ids=frozenset(self.tenders[:1])
            )
            return savepoint

        self.savepoint = run(go())
        self.status = dict.fromkeys(self.tenders, "contracted")
        for which, amount, how in first:
            self.donate(which, amount, how, fund=False)

    def teardown(self) -> None:
        if self.savepoint is not None:
            run(self.savepoint.rollback_to())
        clock.set_clock(None)

    def rows(self) -> list[Row]:
        return list(run(_donations()))

    # --- money arriving -------------------------------------------------------------

    @rule(which=st.integers(0, 1), amount=amounts, how=hows, fund=st.booleans())
    def donate(self, which: int, amount: int, how: str, fund: bool) -> None:
        tender = self.tenders[which]
        start = donations.start_donation(
            tender_id=tender,
            amount=Money(amount, "CNY"),
            provider="bank_transfer" if how == "bank_transfer" else "sandbox",
            sandbox_outcome="decline" if how == "decline" else "approve",
            on_failure="community_fund" if fund else "refund",
        )
        if self.status[tender] != "contracted":
            with pytest.raises(TenderClosedForDonations):
                run(start)
            return
        started = run(start)
        expected = {"sandbox": "paid", "decline": "failed", "bank_transfer": "pending"}[how]
        assert started.status == expected

    @rule(data=st.data())
    def confirm(self, data: st.DataObject) -> None:
        rows = [r for r in self.rows() if r["paid"] in ("awaiting", "failed")]  # or late
        if not rows:
            return
        row = data.draw(st.sampled_from(rows))
        outcome = run(
            payments.confirm_payment(int(row["payment"]), amount=int(row["amount"]), currency="CNY")
        )
        assert outcome in ("paid", "late_arrival", "duplicate")
        assert run(payments.get_payment(int(row["payment"])))["status"] == "succeeded"

    @rule(data=st.data())
    def fail(self, data: st.DataObject) -> None:
        rows = [r for r in self.rows() if r["paid"] == "awaiting"]
        if not rows:
            return
        payment = int(data.draw(st.sampled_from(rows))["payment"])
        assert run(payments.fail_payment(payment, reason="The bank returned it.")) == "failed"

    @rule(hours=st.sampled_from([1, 25, 24 * 8, 24 * 9]))
    def advance_clock(self, hours: int) -> None:
        """Time passes; the worker's jobs run: payment expiry, then pledge expiry."""
        self.clock.advance(hours=hours)
        run(payments.expire_payments(clock.now()))
        run(pledges.expire_pledges(clock.now()))

    # --- tenders ending ---------------------------------------------------------------

    @rule(which=st.integers(0, 1))
    def cancel(self, which: int) -> None:
        self.end(which, "cancelled")

    @rule(which=st.integers(0, 1))
    def complete(self, which: int) -> None:
        self.end(which, "completed")

    def end(self, which: int, status: str) -> None:
        tender = self.tenders[which]
        if self.status[tender] != "contracted":
            return
        run(execute("UPDATE market_tender SET status = {} WHERE id = {}", status, tender))
        self.status[tender] = status

    @rule()
    def settle(self) -> None:
        run(settlement.settle_all())  # the settlement job; pays sandbox refunds too

    @rule()
    def pay_bank_refunds(self) -> None:
        async def go() -> None:
            for refund in await refunds.awaiting_bank_refunds():
                await refunds.record_bank_refund(
                    refund_id=int(refund["id"]),
                    bank_reference="ICBC out",
                    operator_id=self.operator,
                )

        run(go())

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def money_is_where_it_belongs(self) -> None:
        if self.savepoint is None:
            return

        async def observe() -> Any:
            return await run_checks(), await _donations(), await _escrows(), await _settled()

        report, rows, escrows, settled = run(observe())
        assert report.ok, report.summary()
        for tender in self.tenders:
            if tender not in settled:
                self.check_open_tender(
                    tender, [r for r in rows if int(r["tender"]) == tender], escrows
                )
        for row in rows:
            self.check_payment(row, settled.get(int(row["tender"])))

    @staticmethod
    def check_open_tender(
        tender: int, rows: list[Row], escrows: dict[str, tuple[int, int]]
    ) -> None:
        paid = sum(int(r["amount"]) for r in rows if r["status"] == "paid")
        posted = sum(
            int(r["match_amount"])
            for r in rows
            if r["status"] == "paid" and r["match_status"] == "posted"
        )
        held = sum(int(r["match_amount"]) for r in rows if r["match_status"] == "reserved")
        assert escrows.get(f"tender:{tender}:escrow:public", (0, 0))[0] == paid
        assert escrows.get(f"tender:{tender}:escrow:corporate", (0, 0)) == (posted, held)

    @staticmethod
    def check_payment(row: Row, settled: str | None) -> None:
        amount, refunded = int(row["amount"]), int(row["refunded"])
        if row["paid"] != "succeeded":
            assert row["status"] in ("pending", "failed") and refunded == 0, dict(row)
        elif settled == "completed":  # the surplus goes back pro-rata: a part at most
            assert refunded <= amount, dict(row)
        elif settled is None and row["status"] == "paid":
            assert refunded == 0, dict(row)
        else:  # settled after failure, or arrived late once its tender had closed
            assert row["status"] in ("refund_queued", "refunded", "community_fund"), dict(row)
            assert refunded == (0 if row["status"] == "community_fund" else amount), dict(row)


# 40 random programs of up to 30 steps per engine, drawn afresh every run (database=None);
# MARKET_TEST_MONEY_EXAMPLES for a deeper hunt.
MoneyMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("MARKET_TEST_MONEY_EXAMPLES", "40")),
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


async def test_money_state_machine() -> None:
    global LOOP
    LOOP = asyncio.get_running_loop()
    await asyncio.to_thread(MoneyMachine.TestCase().runTest)
