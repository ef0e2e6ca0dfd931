"""Budget execution rules (opendata/budget/rules.py, fiscal.py): pure.

A Hypothesis model moves money the way the ledger does (allocate, re-allocate, hold a
tender's budget, post part of it, void it, release tranches, return the escrow, return
a line's free money at year end) and checks after every run that each line's figures
are what the model holds and that allocated = committed + released + returned +
remaining, and that the appropriation adds up."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market.errors import NotFound
from market.inputs import InputInvalid
from market.tenders.inputs import CATEGORIES
from opendata.budget import fiscal, rules
from opendata.budget import lines as listing
from opendata.budget.lines import BudgetFilter, LineInfo
from opendata.budget.rules import Figures, Move

APPROPRIATION = "budget:2026:p1:appropriation"
TREASURY = "external:treasury"
LINES = tuple(f"budget:line:{i}" for i in (1, 2, 3))


@dataclass
class Model:
    """What each account holds, kept by hand beside the moves it writes."""

    moves: list[Move] = field(default_factory=list)
    resolved: set[int] = field(default_factory=set)
    unallocated: int = 0
    free: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LINES, 0))
    allocated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LINES, 0))
    returned: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LINES, 0))
    released: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LINES, 0))
    pending: dict[int, tuple[int, str, int]] = field(default_factory=dict)  # tender → move
    escrow: dict[int, tuple[str, int]] = field(default_factory=dict)  # tender → line, held
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    tenders: itertools.count = field(default_factory=lambda: itertools.count(1))

    def move(self, kind: str, reason: str, amount: int, debit: str, credit: str, **kw) -> int:
        move = Move(next(self.ids), kind, reason, amount, debit, credit, **kw)
        self.moves.append(move)
        return move.id

    def held(self, line: str) -> int:
        pending = sum(a for _, ln, a in self.pending.values() if ln == line)
        return pending + sum(a for ln, a in self.escrow.values() if ln == line)


def escrow(tender: int) -> str:
    return f"tender:{tender}:escrow:government"


def step(model: Model, data: st.DataObject) -> None:
    op = data.draw(st.sampled_from(("allocate", "reallocate", "hold", "post", "void", "release",
                                    "return", "year_end")))  # fmt: skip
    line = data.draw(st.sampled_from(LINES))
    if op == "allocate" and model.unallocated:
        amount = data.draw(st.integers(1, model.unallocated))
        model.move("single", "allocation", amount, APPROPRIATION, line)
        model.unallocated -= amount
        model.free[line] += amount
        model.allocated[line] += amount
    elif op == "reallocate" and model.free[line]:
        other = data.draw(st.sampled_from([ln for ln in LINES if ln != line]))
        amount = data.draw(st.integers(1, model.free[line]))
        model.move("single", "reallocation", amount, line, other)
        model.free[line] -= amount
        model.free[other] += amount
        model.allocated[line] -= amount
        model.allocated[other] += amount
    elif op == "hold" and model.free[line]:
        tender = next(model.tenders)
        amount = data.draw(st.integers(1, model.free[line]))
        pending_id = model.move(
            "pending", "budget_hold", amount, line, escrow(tender), tender_id=tender,
            source="government",
        )  # fmt: skip
        model.pending[tender] = (pending_id, line, amount)
        model.free[line] -= amount
    elif op in ("post", "void") and model.pending:
        tender = data.draw(st.sampled_from(sorted(model.pending)))
        pending_id, held_line, amount = model.pending.pop(tender)
        posted = data.draw(st.integers(1, amount)) if op == "post" else amount
        model.move(op, "budget_hold", posted, held_line, escrow(tender), tender_id=tender,
                   source="government")  # fmt: skip
        model.resolved.add(pending_id)
        if op == "post":
            model.escrow[tender] = (held_line, posted)
            model.free[held_line] += amount - posted
        else:
            model.free[held_line] += amount
    elif op in ("release", "return") and any(a for _, a in model.escrow.values()):
        tender = data.draw(st.sampled_from(sorted(t for t, (_, a) in model.escrow.items() if a)))
        held_line, left = model.escrow[tender]
        amount = data.draw(st.integers(1, left)) if op == "release" else left
        credit = "org:9:payable" if op == "release" else held_line
        model.move("single", op, amount, escrow(tender), credit, tender_id=tender,
                   source="government")  # fmt: skip
        model.escrow[tender] = (held_line, left - amount)
        if op == "release":
            model.released[held_line] += amount
        else:
            model.free[held_line] += amount
    elif op == "year_end" and model.free[line]:
        amount = model.free[line]
        model.move("single", "year_end_return", amount, line, APPROPRIATION)
        model.free[line] = 0
        model.returned[line] += amount
        model.unallocated += amount


# a loaded 2-core CI machine must fail it neither on time nor on generation speed
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.integers(1, 10_000_00), st.data())
def test_every_line_adds_up_whatever_happens(appropriated: int, data: st.DataObject) -> None:
    model = Model()
    model.move("single", "appropriation", appropriated, TREASURY, APPROPRIATION)
    model.unallocated = appropriated
    for _ in range(data.draw(st.integers(0, 40))):
        step(model, data)
    result = rules.execution(model.moves, model.resolved)
    for line in LINES:
        figures = result.lines.get(line, Figures())
        assert figures.balanced, (line, figures)
        assert figures == Figures(
            allocated=model.allocated[line],
            committed=model.held(line),
            released=model.released[line],
            returned=model.returned[line],
            remaining=model.free[line],
        )
    assert result.appropriated.get(APPROPRIATION) == appropriated
    assert result.unallocated[APPROPRIATION] == model.unallocated
    lines = rules.total(result.lines.values())
    assert appropriated == lines.committed + lines.released + lines.remaining + model.unallocated


def test_a_voided_hold_comes_back_and_counts_for_its_tender() -> None:
    moves = [
        Move(1, "single", "allocation", 500, APPROPRIATION, LINES[0]),
        Move(2, "pending", "budget_hold", 200, LINES[0], escrow(7), 7, "government"),
        Move(3, "void", "budget_hold", 200, LINES[0], escrow(7), 7, "government"),
    ]
    result = rules.execution(moves, resolved={2})
    assert result.lines[LINES[0]] == Figures(allocated=500, remaining=500)
    tender = result.tenders[7]
    assert (tender.held, tender.committed, tender.back_to_line) == (200, 0, 200)


def test_money_of_another_account_is_not_a_lines() -> None:
    moves = [
        Move(1, "single", "appropriation", 900, "department:3:budget", "tender:1:escrow:public"),
        Move(2, "pending", "budget_hold", 100, "department:3:budget", escrow(1), 1, "government"),
    ]
    result = rules.execution(moves, resolved=set())
    assert result.lines == {} and result.tenders == {}


LINE = LineInfo(1, 1, 2026, "330109001001", "community", "charity")


@pytest.mark.parametrize(
    ("chosen", "matches"),
    [
        (BudgetFilter(), True),
        (BudgetFilter(year=2026, tier="community", category="charity", line=1), True),
        (BudgetFilter(place="330109000000"), True),  # the district holds the community
        (BudgetFilter(place="330109001000"), True),  # and so does its street
        (BudgetFilter(place="330109002000"), False),
        (BudgetFilter(year=2025), False),
        (BudgetFilter(tier="street"), False),
        (BudgetFilter(line=2), False),
    ],
)
def test_a_filter_chooses_lines(chosen: BudgetFilter, matches: bool) -> None:
    assert chosen.matches(LINE) is matches


def known(code: str) -> bool:
    return code in {"330109000000", "330109001000"}


def test_filters_parse_and_refuse_what_the_form_does_not_offer() -> None:
    chosen = listing.parse_filter(
        {"year": "", "tier": "street", "place": "330109001000", "category": "charity"},
        default_year=2026,
        known_place=known,
    )
    assert chosen == BudgetFilter(2026, "street", "330109001000", "charity", None)
    assert listing.parse_filter({"year": "all"}, default_year=2026, known_place=known).year is None
    for bad in (
        {"year": "２０２６"},
        {"year": "99999"},
        {"tier": "province"},
        {"place": "33010900100"},
        {"category": "elderly"},
        {"line": "0"},
    ):
        with pytest.raises(InputInvalid):
            listing.parse_filter(bad, default_year=None, known_place=known)
    with pytest.raises(NotFound):  # well formed, but no place of the district
        listing.parse_filter({"place": "330109009000"}, default_year=None, known_place=known)


def test_lines_are_paged_by_a_keyset_cursor() -> None:
    ordered = sorted(
        (
            LineInfo(i, 1, 2025 + i % 2, f"33010900{i % 3}000" if i % 3 else "330109000000",
                     "street" if i % 3 else "district", CATEGORIES[i % 6])
            for i in range(1, 46)
        ),
        key=listing.line_order,
    )  # fmt: skip
    seen: list[int] = []
    after = None
    while True:
        page = listing.page_of(ordered, after)
        seen += [ln.id for ln in page.lines]
        assert len(page.lines) <= listing.PAGE_SIZE
        if page.next_after is None:
            break
        after = page.next_after
    assert seen == [ln.id for ln in ordered]  # every line once, in order
    # a well-formed cursor of a line that is gone still says where the page starts
    gone = listing.page_of(ordered, "2026.330109001000.3.999")
    assert all(listing.line_order(ln) > (-2026, 330109001000, 3, 999) for ln in gone.lines)
    for bad in ("abc", "99", "2026.330109000000.0", "1999.330109000000.0.1", "2026.1.0.1"):
        with pytest.raises(InputInvalid):
            listing.page_of(ordered, bad)


def test_the_csv_has_one_column_per_phase_in_yuan_with_two_decimals() -> None:
    row = fiscal.FiscalRow(
        2026, "budget:line:1", APPROPRIATION, "p", "street",
        {"district": fiscal.Named("330109000000", "明湖区", "Minghu"),
         "street": fiscal.Named("330109001000", "湖滨街道", "Hubin")},
        fiscal.Named("charity", "慈善", "Charity"), "CNY",
        {p: Decimal(n).scaleb(-2) for n, p in enumerate(rules.LINE_PHASES, 1)},
    )  # fmt: skip
    header, record = list(fiscal.records([row]))
    assert header == [f["name"] for f in fiscal.fields()]
    cells = dict(zip(header, record, strict=True))
    assert cells["allocated"] == "0.01" and cells["remaining"] == "0.05"
    assert cells["appropriated"] == "" and cells["community_code"] == ""
    assert cells["street_name_zh"] == "湖滨街道" and cells["currency"] == "CNY"
    descriptor = fiscal.descriptor(currency="CNY", years=[2025, 2026], homepage="http://x")
    assert descriptor["fiscalPeriod"] == {"start": "2025-01-01", "end": "2026-12-31"}
    assert set(descriptor["model"]["measures"]) == set(rules.PHASES)
