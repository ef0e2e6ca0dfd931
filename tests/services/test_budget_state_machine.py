"""Model-based test of the district's budget (issue #18), in the style of
tests/services/test_ledger_state_machine.py.

Hypothesis drives random sequences of allocations and re-allocations by the finance
bureau, tenders published against lines (a hold never beyond what the line has free),
cancellations, awards with the contract signed at a price (the hold posted, the rest
back to the line), tranches released, terminations and completions (the escrow's
remainder back to the line), and year ends (the clock moved into the next year, the
job run, the next year's appropriation and lines opened) — all through the real
services. After every step: `market ledger check` passes (the budget's own invariants
included), and for every appropriation `amount = allocated + unallocated` and for
every line `allocated = held + released + returned + free`, each figure equal to the
model's.

The services are async and bound to the test's event loop and transaction, so the
synchronous machine runs in a worker thread and submits each call to the loop; each
example runs inside a savepoint rolled back at teardown.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from donors import settlement
from market import clock
from market.budget import queries
from market.budget import services as budget
from market.budget.rules import budget_year, is_closed, year_ends_at
from market.budget.year_end import run_year_end
from market.db import engine
from market.errors import ValidationFailed
from market.ledger import escrow
from market.ledger.check import run_checks
from market.ledger.rules import ExceedsCredits
from market.money import Money
from market.sql import execute
from market.tenders import lifecycle
from market.tenders import services as tenders
from tests.budget_builders import (
    appropriation,
    department_without_budget,
    make_district,
    make_finance,
)
from tests.builders import make_org
from tests.tender_builders import bids_app, tender_form

LOOP: asyncio.AbstractEventLoop
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
APPROPRIATION = 20_000  # yuan a year
OPENING = 3_000  # yuan each line is allocated when its year is opened
amounts = st.integers(min_value=1, max_value=4_000)  # yuan
budgets = st.integers(min_value=1, max_value=1_500)  # yuan


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run_coroutine_threadsafe(coro, LOOP).result(timeout=120)


def cny(yuan: int) -> Money:
    return Money(yuan * 100, "CNY")


@dataclass
class LineModel:
    year: int
    place: int
    allocated: int = 0
    free: int = 0
    returned: int = 0


@dataclass
class TenderModel:
    line: int
    budget: int
    state: str  # held | contracted | closed
    escrow: int = 0  # what the government escrow keeps (contracted)
    deadline: datetime = START


class BudgetMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.savepoint: Any = None
        self.stack = contextlib.ExitStack()
        self.clock = clock.FrozenClock(START)
        self.n = 0
        self.years: dict[int, int] = {}  # year → appropriation id
        self.unallocated: dict[int, int] = {}
        self.lines: dict[int, LineModel] = {}
        self.tenders: dict[int, TenderModel] = {}
        self.world: dict[str, Any] = {}

    def key(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n}"

    @property
    def now(self) -> datetime:
        return self.clock.at

    @initialize()
    def start(self) -> None:
        self.stack.enter_context(bids_app(live_bids=9))  # deadlines lead to evaluation

        async def go() -> Any:
            savepoint = await engine().current_transaction.get().savepoint()
            clock.set_clock(self.clock)
            district = await make_district()
            finance = await make_finance(district)
            department = await department_without_budget()
            supplier = await make_org(name_zh="承接机构", name_en="Supplier")
            return savepoint, district, finance, department, supplier

        self.savepoint, district, finance, department, supplier = run(go())
        self.world = {
            "district": district,
            "finance": finance,
            "department": department,
            "supplier": supplier,
        }
        self._open_year(budget_year(self.now))

    def teardown(self) -> None:
        if self.savepoint is not None:
            run(self.savepoint.rollback_to())
        clock.set_clock(None)
        self.stack.close()

    def _open_year(self, year: int) -> None:
        """The year's appropriation and a line for a street and one of its communities,
        each allocated OPENING."""
        district, finance = self.world["district"], self.world["finance"]

        async def go() -> tuple[int, list[int]]:
            appropriation_id = await appropriation(finance, district, APPROPRIATION, year=year)
            lines = []
            for place in (district.streets[0], district.communities[0]):
                line = await budget.open_line(
                    appropriation_id=appropriation_id,
                    place_id=place,
                    category="community_services",
                    user_id=finance.user_id,
                )
                await budget.allocate(
                    line_id=line, amount=cny(OPENING), key=f"open-{line}", user_id=finance.user_id
                )
                lines.append(line)
            return appropriation_id, lines

        appropriation_id, lines = run(go())
        self.years[year] = appropriation_id
        self.unallocated[year] = APPROPRIATION - 2 * OPENING
        for line, place in zip(lines, (district.streets[0], district.communities[0]), strict=True):
            self.lines[line] = LineModel(year, place, OPENING, OPENING)

    def _line(self, data: st.DataObject) -> int:
        """Any line, a line of the current year twice as likely."""
        year = budget_year(self.now)
        current = [line for line, model in sorted(self.lines.items()) if model.year == year]
        return data.draw(st.sampled_from(current + sorted(self.lines)))

    def _tender(self, data: st.DataObject, state: str) -> int | None:
        found = sorted(t for t, m in self.tenders.items() if m.state == state)
        return data.draw(st.sampled_from(found)) if found else None

    # --- the finance bureau ------------------------------------------------------------

    @rule(data=st.data(), amount=amounts)
    def allocate(self, data: st.DataObject, amount: int) -> None:
        line = self._line(data)
        model = self.lines[line]
        call = budget.allocate(
            line_id=line,
            amount=cny(amount),
            key=self.key("allocate"),
            user_id=self.world["finance"].user_id,
        )
        if is_closed(model.year, self.now) or amount > self.unallocated[model.year]:
            with pytest.raises(ValidationFailed):
                run(call)
            event("allocate: refused")
            return
        run(call)
        event("allocate: done")
        self.unallocated[model.year] -= amount
        model.allocated += amount
        model.free += amount

    @rule(data=st.data(), amount=amounts)
    def reallocate(self, data: st.DataObject, amount: int) -> None:
        source, target = self._line(data), self._line(data)
        a, b = self.lines[source], self.lines[target]
        call = budget.reallocate(
            from_line=source,
            to_line=target,
            amount=cny(amount),
            why="model",
            key=self.key("reallocate"),
            user_id=self.world["finance"].user_id,
        )
        if source == target or a.year != b.year or is_closed(a.year, self.now) or amount > a.free:
            with pytest.raises(ValidationFailed):
                run(call)
            return
        run(call)
        a.allocated, a.free = a.allocated - amount, a.free - amount
        b.allocated, b.free = b.allocated + amount, b.free + amount

    @precondition(lambda self: len(self.years) < 3 and len(self.tenders) >= 2 * len(self.years))
    @rule()
    def year_end(self) -> None:
        """The clock into the next budget year, the job run (twice: nothing more the
        second time), the next year's appropriation and lines."""
        year = max(self.years)
        self.clock.set(max(self.now, year_ends_at(year) + timedelta(minutes=1)))
        first = run(run_year_end())
        event(f"year end: {'money returned' if first.returned else 'nothing free'}")
        returned = sum(m.free for m in self.lines.values() if is_closed(m.year, self.now))
        assert first.returned == returned * 100
        for model in self.lines.values():
            if is_closed(model.year, self.now):
                model.returned += model.free  # back in the appropriation's account, which
                model.free = 0  # keeps it apart from the unallocated part of the amount
        assert run(run_year_end()).returned == 0
        if budget_year(self.now) not in self.years:
            self._open_year(budget_year(self.now))

    # --- departments' tenders --------------------------------------------------------

    @rule(data=st.data(), amount=budgets, where=st.sampled_from(["line", "community", "away"]))
    def publish(self, data: st.DataObject, amount: int, where: str) -> None:
        """A tender of the line's place, of a community in it, or of another street."""
        line = self._line(data)
        model = self.lines[line]
        district = self.world["district"]
        place = {
            "line": model.place,
            "community": district.communities[0],
            "away": district.streets[1],
        }[where]
        fits = where != "away"  # the line's street holds its community's tenders too
        department = self.world["department"]
        form = tender_form(now=self.now, budget=str(amount), place=str(place))
        form["budget_line"] = str(line)

        async def go() -> int:
            tender = await tenders.create_tender(
                user_id=department.user_id, department_id=department.id, form=form
            )
            await tenders.publish_tender(user_id=department.user_id, tender_id=tender)
            return tender

        if not fits or model.year != budget_year(self.now) or amount > model.free:
            with pytest.raises(ValidationFailed):
                run(go())
            event("publish: refused")
            return
        tender = run(go())
        event("publish: held")
        model.free -= amount
        self.tenders[tender] = TenderModel(line, amount, "held", 0, self.now + timedelta(days=10))

    def _any(self, state: str) -> bool:
        return any(m.state == state for m in self.tenders.values())

    @precondition(lambda self: self._any("held"))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        tender = self._tender(data, "held")
        if tender is None:
            return
        department = self.world["department"]
        run(tenders.cancel_tender(user_id=department.user_id, tender_id=tender, reason="model"))
        model = self.tenders[tender]
        model.state = "closed"
        self.lines[model.line].free += model.budget
        event(
            "cancelled"
            + (" after its year" if is_closed(self.lines[model.line].year, self.now) else "")
        )

    @precondition(lambda self: self._any("held"))
    @rule(data=st.data(), share=st.integers(1, 100))
    def award_and_sign(self, data: st.DataObject, share: int) -> None:
        tender = self._tender(data, "held")
        if tender is None:
            return
        model = self.tenders[tender]
        self.clock.set(max(self.now, model.deadline + timedelta(minutes=1)))
        price = max(1, model.budget * share // 100)

        async def go() -> None:
            await lifecycle.advance(tender)
            await lifecycle.mark_tender_awarded(tender, actor="bids:model")
            await lifecycle.mark_tender_contracted(
                tender, actor="bids:model", government_amount=cny(price)
            )

        run(go())
        event("award and sign")
        model.state, model.escrow = "contracted", price
        self.lines[model.line].free += model.budget - price

    @precondition(lambda self: self._any("contracted"))
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        """A tranche, sometimes more than the escrow keeps (refused)."""
        tender = self._tender(data, "contracted")
        if tender is None:
            return
        model = self.tenders[tender]
        amount = data.draw(st.integers(1, model.escrow + 20))
        call = escrow.release(
            self.key("tranche"),
            tender_id=tender,
            org_id=self.world["supplier"],
            amount=cny(amount),
            actor="bids:model",
        )
        if amount > model.escrow:
            with pytest.raises(ExceedsCredits):
                run(call)
            return
        run(call)
        event("tranche released")
        model.escrow -= amount

    @precondition(lambda self: self._any("contracted"))
    @rule(data=st.data(), completed=st.booleans())
    def end_contract(self, data: st.DataObject, completed: bool) -> None:
        """Completed (the surplus settled) or terminated (settled in its transaction):
        what the escrow keeps goes back to the line."""
        tender = self._tender(data, "contracted")
        if tender is None:
            return

        async def go() -> None:
            if completed:
                await lifecycle.mark_tender_completed(tender, actor="bids:model")
                assert await settlement.settle_tender(tender, "completed")
            else:
                await lifecycle.mark_tender_terminated(tender, actor="bids:model", reason="model")

        run(go())
        event("completed" if completed else "terminated")
        model = self.tenders[tender]
        self.lines[model.line].free += model.escrow
        model.state, model.escrow = "closed", 0

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def the_ledger_and_the_model_agree(self) -> None:
        if self.savepoint is None:
            return

        async def observe() -> Any:
            report = await run_checks()
            lines = await queries.lines()
            figures = {}
            for year, appropriation_id in self.years.items():
                (found,) = [a for a in await queries.appropriations() if a.id == appropriation_id]
                of_year = [line for line in lines if line.appropriation == appropriation_id]
                figures[year] = await queries.appropriation_figures(found, of_year)
            held = await execute(
                "SELECT COUNT(*) AS n FROM market_tender WHERE status IN"
                " ('published', 'tendering', 'evaluation')"
            )
            return report, lines, figures, int(held[0]["n"])

        report, lines, figures, held = run(observe())
        assert report.ok, report.summary()
        for year, f in figures.items():
            assert (
                f.amount == f.allocated + f.unallocated
            )  # appropriation = allocated + unallocated
            assert f.unallocated == self.unallocated[year] * 100
        assert {line.id for line in lines} == set(self.lines)
        for line in lines:
            model = self.lines[line.id]
            fig = line.figures
            assert fig.allocated == fig.held + fig.released + fig.returned + fig.free
            assert (fig.allocated, fig.free, fig.returned) == (
                model.allocated * 100,
                model.free * 100,
                model.returned * 100,
            ), (line.id, fig, model)
        assert held == sum(1 for m in self.tenders.values() if m.state == "held")


# 20 random programs of up to 50 steps in each engine's pass of `make test` (every step
# goes through the real services), drawn afresh every run (database=None).
# MARKET_TEST_BUDGET_EXAMPLES=300 for a deeper hunt.
BudgetMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("MARKET_TEST_BUDGET_EXAMPLES", "20")),
    stateful_step_count=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


async def test_budget_state_machine() -> None:
    global LOOP
    LOOP = asyncio.get_running_loop()
    await asyncio.to_thread(BudgetMachine.TestCase().runTest)
