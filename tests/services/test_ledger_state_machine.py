"""Model-based test of the ledger (the Python stand-in for TigerBeetle's VOPR auditor).

Hypothesis drives random sequences of funding, budget and milestone holds, partial
and full posts, voids, pro-rata releases, return-all, duplicate and conflicting
retries and bad input against the real services, and after every step checks:
the expected outcome of the step, cached balances = the model's balances, the
read model = the model, `market ledger check` passes and the audit chain verifies.

The services are async and bound to the test's event loop and transaction, so the
synchronous state machine runs in a worker thread (with the test's context) and
submits each call to the loop. Each example runs inside a savepoint rolled back at
teardown.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from market.db import engine
from market.ledger import escrow, rules
from market.ledger.check import run_checks
from market.ledger.readmodels import tender_funding
from market.ledger.rules import SOURCES, TransferRequest, escrow_code
from market.ledger.services import create_transfers, ensure_accounts, transfer
from market.money import Money, allocate
from market.sql import execute
from tests.builders import chained_and_verified

LOOP: asyncio.AbstractEventLoop
T = 1
ACTOR = "model"
BUDGET = "department:1:budget"
PAYABLE = "org:1:payable"
ESCROW = {s: escrow_code(T, s) for s in SOURCES}
DESTINATIONS: dict[str, Any] = {
    "government": BUDGET,
    "corporate": "external:bank",
    "foundation": "external:bank",
    "public": [("donor:1:refund", 2), ("community_fund", 1)],
    "own": "external:bank",
}
ACCOUNTS = [
    "external:bank",
    "external:treasury",
    BUDGET,
    PAYABLE,
    "donor:1:refund",
    "community_fund",
    *ESCROW.values(),
]
amounts = st.integers(min_value=1, max_value=5_000)
sources = st.sampled_from(SOURCES)


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run_coroutine_threadsafe(coro, LOOP).result(timeout=60)


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.savepoint: Any = None
        self.n = 0
        # code → [debits_pending, debits_posted, credits_pending, credits_posted]
        self.bal: dict[str, list[int]] = {c: [0, 0, 0, 0] for c in ACCOUNTS}
        self.done: dict[str, TransferRequest] = {}  # key → the request that created it
        self.failed: dict[str, TransferRequest] = {}
        self.pending: dict[str, tuple[str, str, int]] = {}  # open holds: key → debit, credit, amt
        self.resolved: set[str] = set()
        self.released = {s: 0 for s in SOURCES}
        self.refunded = {s: 0 for s in SOURCES}
        self.operations: dict[str, tuple[str, int]] = {}

    def key(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}:{self.n}"

    def available(self, code: str) -> int:
        dp, dpo, _, cpo = self.bal[code]
        return cpo - dpo - dp

    def limited(self, code: str) -> bool:
        return not code.startswith("external:")

    def apply(self, kind: str, debit: str, credit: str, amount: int, held: int = 0) -> None:
        d, c = self.bal[debit], self.bal[credit]
        if kind == "single":
            d[1] += amount
            c[3] += amount
        elif kind == "pending":
            d[0] += amount
            c[2] += amount
        else:
            d[0] -= held
            c[2] -= held
            if kind == "post":
                d[1] += amount
                c[3] += amount

    @initialize()
    def start(self) -> None:
        async def go() -> Any:
            savepoint = await engine().current_transaction.get().savepoint()
            await ensure_accounts(ACCOUNTS, "CNY")
            return savepoint

        self.savepoint = run(go())

    def teardown(self) -> None:
        if self.savepoint is not None:
            run(self.savepoint.rollback_to())

    # --- money in ------------------------------------------------------------------

    @rule(source=sources, amount=amounts)
    def fund(self, source: str, amount: int) -> None:
        key = self.key("fund")
        run(
            escrow.fund(
                key,
                tender_id=T,
                source=source,
                from_code="external:bank",
                amount=cny(amount),
                actor=ACTOR,
                reason="donation",
            )
        )
        self.apply("single", "external:bank", ESCROW[source], amount)
        self.done[key] = TransferRequest(
            key=key,
            kind="single",
            amount=amount,
            debit="external:bank",
            credit=ESCROW[source],
            currency="CNY",
            reason="donation",
            tender_id=T,
            source=source,
        )

    @rule(amount=amounts)
    def budget(self, amount: int) -> None:
        req = TransferRequest(
            key=self.key("budget"),
            kind="single",
            amount=amount,
            debit="external:treasury",
            credit=BUDGET,
            currency="CNY",
            reason="budget",
        )
        run(create_transfers([req], actor=ACTOR))
        self.apply("single", req.debit or "", req.credit or "", amount)
        self.done[req.key] = req

    # --- holds -----------------------------------------------------------------------

    def _hold(self, debit: str, credit: str, amount: int, source: str) -> None:
        req = TransferRequest(
            key=self.key("hold"),
            kind="pending",
            amount=amount,
            debit=debit,
            credit=credit,
            currency="CNY",
            reason="hold",
            tender_id=T,
            source=source,
        )
        if self.limited(debit) and amount > self.available(debit):
            with pytest.raises(rules.ExceedsCredits):
                run(create_transfers([req], actor=ACTOR))
            self.failed[req.key] = req
            return
        run(create_transfers([req], actor=ACTOR))
        self.apply("pending", debit, credit, amount)
        self.pending[req.key] = (debit, credit, amount)
        self.done[req.key] = req

    @rule(amount=amounts)
    def hold_budget(self, amount: int) -> None:
        self._hold(BUDGET, ESCROW["government"], amount, "government")

    @rule(source=sources, amount=amounts)
    def hold_milestone(self, source: str, amount: int) -> None:
        self._hold(ESCROW[source], PAYABLE, amount, source)

    @precondition(lambda self: bool(self.pending) or bool(self.resolved))
    @rule(data=st.data(), partial=st.booleans(), void=st.booleans())
    def resolve(self, data: st.DataObject, partial: bool, void: bool) -> None:
        target = data.draw(st.sampled_from(sorted(self.pending) + sorted(self.resolved)))
        key = self.key("void" if void else "post")
        if target in self.resolved:
            amount = None
        else:
            held = self.pending[target][2]
            amount = data.draw(st.integers(1, held + 2)) if partial and not void else None
        req = TransferRequest(
            key=key, kind="void" if void else "post", amount=amount, pending_key=target
        )
        if target in self.resolved:
            with pytest.raises(rules.PendingAlreadyResolved):
                run(create_transfers([req], actor=ACTOR))
            return
        debit, credit, held = self.pending[target]
        if amount is not None and amount > held:
            with pytest.raises(rules.ExceedsPendingAmount):
                run(create_transfers([req], actor=ACTOR))
            return
        (result,) = run(create_transfers([req], actor=ACTOR))
        posted = held if amount is None else amount
        assert result.transfer.amount == posted and result.created
        self.apply(req.kind, debit, credit, posted, held)
        if credit == PAYABLE and req.kind == "post":
            self.released[debit.rsplit(":", 1)[1]] += posted
        del self.pending[target]
        self.resolved.add(target)
        self.done[key] = req

    # --- releases and cancellation ------------------------------------------------------

    @rule(amount=st.integers(1, 12_000))
    def release(self, amount: int) -> None:
        key = self.key("release")
        avail = [max(self.available(ESCROW[s]), 0) for s in SOURCES]
        if amount > sum(avail):
            with pytest.raises(rules.ExceedsCredits):
                run(escrow.release(key, tender_id=T, org_id=1, amount=cny(amount), actor=ACTOR))
            return
        results = run(escrow.release(key, tender_id=T, org_id=1, amount=cny(amount), actor=ACTOR))
        parts = allocate(amount, avail)
        assert {r.transfer.source: r.transfer.amount for r in results} == {
            s: p for s, p in zip(SOURCES, parts, strict=True) if p
        }
        for source, part in zip(SOURCES, parts, strict=True):
            if part:
                self.apply("single", ESCROW[source], PAYABLE, part)
                self.released[source] += part
        self.operations[key] = ("release", amount)

    @rule()
    def return_all(self) -> None:
        key = self.key("cancel")
        result = run(escrow.return_all(key, tender_id=T, destinations=DESTINATIONS, actor=ACTOR))
        touching = sorted(
            k
            for k, (d, c, _) in self.pending.items()
            if d in ESCROW.values() or c in ESCROW.values()
        )
        assert sorted(r.transfer.pending_key or "" for r in result.voided) == touching
        for k in touching:
            debit, credit, held = self.pending.pop(k)
            self.apply("void", debit, credit, held, held)
            self.resolved.add(k)
        for source in SOURCES:
            left = self.available(ESCROW[source])
            if left <= 0:
                continue
            dest = DESTINATIONS[source]
            routes = [(dest, 1)] if isinstance(dest, str) else dest
            for (code, _), part in zip(routes, allocate(left, [w for _, w in routes]), strict=True):
                if part:
                    self.apply("single", ESCROW[source], code, part)
            self.refunded[source] += left
        self.operations[key] = ("return_all", 0)

    # --- retries and bad input -----------------------------------------------------------

    @precondition(lambda self: bool(self.done))
    @rule(data=st.data())
    def retry_same(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.done)))
        (result,) = run(create_transfers([self.done[key]], actor=ACTOR))
        assert not result.created and result.key == key

    @precondition(lambda self: bool(self.done))
    @rule(data=st.data(), bump=st.integers(1, 3))
    def retry_conflicting(self, data: st.DataObject, bump: int) -> None:
        req = self.done[data.draw(st.sampled_from(sorted(self.done)))]
        fields = {f: getattr(req, f) for f in req.__slots__}
        if req.kind in ("post", "void"):
            fields["reference"] = f"other:{bump}"
        else:
            fields["amount"] = (req.amount or 1) + bump
        changed = TransferRequest(**fields)
        with pytest.raises(rules.IdempotencyConflict):
            run(create_transfers([changed], actor=ACTOR))

    @precondition(lambda self: bool(self.failed))
    @rule(data=st.data())
    def retry_failed(self, data: st.DataObject) -> None:
        req = self.failed[data.draw(st.sampled_from(sorted(self.failed)))]
        with pytest.raises(rules.TransferAlreadyFailed):
            run(create_transfers([req], actor=ACTOR))

    @precondition(lambda self: bool(self.operations))
    @rule(data=st.data())
    def retry_operation(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.operations)))
        kind, amount = self.operations[key]
        if kind == "release":
            run(escrow.release(key, tender_id=T, org_id=1, amount=cny(amount), actor=ACTOR))
            with pytest.raises(rules.IdempotencyConflict):
                run(escrow.release(key, tender_id=T, org_id=1, amount=cny(amount + 1), actor=ACTOR))
        else:
            run(escrow.return_all(key, tender_id=T, destinations=DESTINATIONS, actor=ACTOR))

    @rule(amount=st.sampled_from([0, -1, -500]))
    def bad_amount(self, amount: int) -> None:
        with pytest.raises(rules.InvalidTransfer):
            run(
                transfer(
                    self.key("bad"),
                    debit="external:bank",
                    credit=PAYABLE,
                    amount=cny(amount),
                    reason="bad",
                )
            )

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def ledger_matches_the_model(self) -> None:
        if self.savepoint is None:
            return

        async def observe() -> Any:
            rows = await execute(
                "SELECT code, debits_pending, debits_posted, credits_pending,"
                " credits_posted FROM ledger_account"
            )
            # The ledger alone: no donors rows for the apps' invariants to check (they
            # run after every step of tests/services/test_money_state_machine.py).
            report = await run_checks(apps=False)
            return rows, report, await tender_funding(T), await chained_and_verified()

        rows, report, funding, chain = run(observe())
        assert report.ok, report.summary()
        assert chain.ok, chain.summary()
        cached = {
            r["code"]: [
                int(r[c])
                for c in ("debits_pending", "debits_posted", "credits_pending", "credits_posted")
            ]
            for r in rows
        }
        assert cached == self.bal
        for source in SOURCES:
            f = funding.sources[source]
            dp, dpo, cp, cpo = self.bal[ESCROW[source]]
            assert f.held.amount == cpo - dpo >= dp
            assert f.released.amount == self.released[source]
            assert f.refunded.amount == self.refunded[source]
            assert f.pending_out.amount == dp and f.pending_in.amount == cp
        for totals in (
            [sum(v[1] for v in self.bal.values()), sum(v[3] for v in self.bal.values())],
            [sum(v[0] for v in self.bal.values()), sum(v[2] for v in self.bal.values())],
        ):
            assert totals[0] == totals[1]


# 200 random programs of up to 50 steps in each engine's pass of `make test`, drawn
# afresh every run (database=None). MARKET_TEST_LEDGER_EXAMPLES=1000 for a deeper hunt.
LedgerMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("MARKET_TEST_LEDGER_EXAMPLES", "200")),
    stateful_step_count=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


async def test_ledger_state_machine() -> None:
    global LOOP
    LOOP = asyncio.get_running_loop()
    await asyncio.to_thread(LedgerMachine.TestCase().runTest)
