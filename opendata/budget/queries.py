# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Reads of the district's budget: its appropriations and lines (the kernel's views
`market_v_budget_appropriation` and `market_v_budget_line`), their places
(`market.places.queries`) and their money, straight from the ledger's open-data views
(`market_v_ledger_transfer`, which leaves sandbox tenders out, and
`market_v_ledger_resolution`).

One read serves the page, the API and the Fiscal Data Package: a handful of queries
whatever the number of lines (the lines' and appropriations' accounts by code, their
transfers through the (account, id) indexes, the government escrow outflows of the
tenders held on them by (tender_id, reason)), then `rules.execution` adds them up.

The filters (year, tier, place, category, line) are the SQL's: only the appropriations
and lines they choose are read, and only those lines' money. An appropriation's own
figures do not need its other lines: what it allocated and got back at year end are
its account's transfers, what its lines still have free and what their tenders
released are two sums in SQL, and what is committed is the rest
(`rules.appropriation_lines`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from market.ledger.codes import appropriation_code
from market.places import rules as place_rules
from market.places.queries import Place, all_places
from market.settings import get_settings
from market.sql import Row, execute, marks
from opendata.budget.lines import BudgetFilter, LineInfo, line_order
from opendata.budget.rules import (
    LINE_PREFIX,
    Execution,
    Figures,
    Move,
    appropriation_lines,
    execution,
)

CHUNK = 500  # ids per IN (…) list


@dataclass(frozen=True, slots=True)
class Appropriation:
    id: int
    year: int
    district: Place
    currency: str
    amount: int  # as recorded (the ledger's `appropriated` must equal it)
    reference: str

    @property
    def code(self) -> str:
        return appropriation_code(self.year, self.district.id)


@dataclass(frozen=True)
class Frame:
    """What every budget read starts from: the district's currency, its places and the
    budget years it has (to parse the filters against)."""

    currency: str
    places: dict[int, Place]
    years: list[int]  # newest first

    @property
    def latest_year(self) -> int | None:
        return self.years[0] if self.years else None

    def place_code(self, code: str) -> Place | None:
        return next((p for p in self.places.values() if p.code == code), None)


@dataclass(frozen=True)
class Budget:
    """What the budget pages show of the appropriations and lines a filter chose, in
    the district's currency."""

    frame: Frame
    appropriations: list[Appropriation]  # newest year first
    lines: list[LineInfo]  # lines.line_order
    execution: Execution
    # appropriation id → all its lines added up (whatever the filter chose of them)
    appropriation_lines: dict[int, Figures] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return self.frame.currency

    @property
    def places(self) -> dict[int, Place]:
        return self.frame.places

    @property
    def years(self) -> list[int]:
        return self.frame.years

    @property
    def latest_year(self) -> int | None:
        return self.frame.latest_year

    def figures(self, line: LineInfo) -> Figures:
        return self.execution.lines.get(line.code, Figures())

    def place_code(self, code: str) -> Place | None:
        return self.frame.place_code(code)

    def line_place(self, line: LineInfo) -> Place:
        return next(p for p in self.places.values() if p.code == line.place)

    def lineage(self, place: Place) -> list[Place]:
        """The place and the places it lies in, district first."""
        return frame_lineage(self.frame, place)

    def appropriated(self, appropriation: Appropriation) -> int:
        return self.execution.appropriated.get(appropriation.code, 0)

    def unallocated(self, appropriation: Appropriation) -> int:
        return self.execution.unallocated.get(appropriation.code, 0)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


async def rows_in(sql: str, values: Sequence[Any], *before: Any) -> list[Row]:
    """`sql` with `{in}` standing for an IN list of `values`, run chunk by chunk."""
    out: list[Row] = []
    for chunk in _chunks(sorted(set(values))):
        out += await execute(sql.replace("{in}", marks(len(chunk))), *before, *chunk)
    return out


_MOVE = (
    "SELECT t.id, t.kind, t.reason, t.amount, t.tender_id, t.source,"
    " d.code AS debit, c.code AS credit FROM market_v_ledger_transfer t"
    " JOIN market_v_ledger_account d ON d.id = t.debit_account"
    " JOIN market_v_ledger_account c ON c.id = t.credit_account"
)


def _move(row: Row) -> Move:
    tender = row["tender_id"]
    return Move(
        id=int(row["id"]),
        kind=str(row["kind"]),
        reason=str(row["reason"]),
        amount=int(row["amount"]),
        debit=str(row["debit"]),
        credit=str(row["credit"]),
        tender_id=int(tender) if tender is not None else None,
        source=row["source"],
    )


async def ledger_moves(codes: Sequence[str]) -> tuple[list[Move], set[int]]:
    """Every transfer into or out of the accounts `codes`, the government escrow
    outflows of the tenders held on them, and which of the holds are resolved."""
    accounts = await rows_in("SELECT id FROM market_v_ledger_account WHERE code IN ({in})", codes)
    ids = [int(r["id"]) for r in accounts]
    moves: dict[int, Move] = {}
    for chunk in _chunks(ids):
        rows = await execute(
            _MOVE + f" WHERE t.debit_account IN ({marks(len(chunk))})"
            f" OR t.credit_account IN ({marks(len(chunk))})",
            *chunk,
            *chunk,
        )
        moves.update((m.id, m) for m in map(_move, rows))
    held = [m.tender_id for m in moves.values() if m.reason == "budget_hold" and m.tender_id]
    escrow = await rows_in(
        _MOVE + " WHERE t.source = 'government' AND t.reason IN ('release', 'return')"
        " AND t.kind IN ('single', 'post') AND t.tender_id IN ({in})",
        held,
    )
    moves.update((m.id, m) for m in map(_move, escrow))
    pendings = [m.id for m in moves.values() if m.kind == "pending"]
    resolved = await rows_in(
        "SELECT pending FROM market_v_ledger_resolution WHERE pending IN ({in})", pendings
    )
    return sorted(moves.values(), key=lambda m: m.id), {int(r["pending"]) for r in resolved}


async def budget_frame() -> Frame:
    """The currency, the places and the budget years (appropriations' and lines')."""
    currency = get_settings().default_currency
    rows = await execute(
        "SELECT DISTINCT year FROM market_v_budget_appropriation WHERE currency = {}", currency
    )
    places = {p.id: p for p in await all_places()}
    return Frame(currency, places, sorted((int(r["year"]) for r in rows), reverse=True))


def _chosen_places(frame: Frame, chosen: BudgetFilter) -> list[int] | None:
    """The ids of the places whose lines the filter's tier and place choose (None: any
    place). Places are few; lines are what the filter must not read in bulk."""
    if not chosen.tier and not chosen.place:
        return None
    return [
        p.id
        for p in frame.places.values()
        if (not chosen.tier or p.tier == chosen.tier)
        and (not chosen.place or place_rules.contains(chosen.place, p.code))
    ]


def _where(conditions: list[tuple[str, list[Any]]]) -> tuple[str, list[Any]]:
    sql = " AND ".join(c for c, _ in conditions)
    return (f" WHERE {sql}" if sql else ""), [v for _, values in conditions for v in values]


async def _appropriations(frame: Frame, chosen: BudgetFilter) -> list[Appropriation]:
    """The appropriations of the chosen year whose district holds the chosen place."""
    conditions: list[tuple[str, list[Any]]] = [("currency = {}", [frame.currency])]
    if chosen.year is not None:
        conditions.append(("year = {}", [chosen.year]))
    if chosen.place:
        place = frame.place_code(chosen.place)
        district = frame_lineage(frame, place)[0] if place is not None else None
        conditions.append(("place = {}", [district.id if district else 0]))
    where, args = _where(conditions)
    rows = await execute(
        "SELECT id, year, place, currency, amount, reference FROM market_v_budget_appropriation"
        + where
        + " ORDER BY year DESC, place",
        *args,
    )
    return [
        Appropriation(
            int(r["id"]),
            int(r["year"]),
            frame.places[int(r["place"])],
            str(r["currency"]),
            int(r["amount"]),
            str(r["reference"] or ""),
        )
        for r in rows
    ]


async def _lines(frame: Frame, chosen: BudgetFilter) -> list[LineInfo]:
    """The lines the filter chooses, of appropriations in the district's currency."""
    conditions: list[tuple[str, list[Any]]] = [("a.currency = {}", [frame.currency])]
    if chosen.year is not None:
        conditions.append(("l.year = {}", [chosen.year]))
    if chosen.category:
        conditions.append(("l.category = {}", [chosen.category]))
    if chosen.line is not None:
        conditions.append(("l.id = {}", [chosen.line]))
    places = _chosen_places(frame, chosen)
    if places is not None:
        if not places:
            return []
        conditions.append((f"l.place IN ({marks(len(places))})", places))
    where, args = _where(conditions)
    rows = await execute(
        "SELECT l.id, l.appropriation, l.year, l.place, l.category FROM market_v_budget_line l"
        " JOIN market_v_budget_appropriation a ON a.id = l.appropriation" + where,
        *args,
    )
    return sorted(
        (
            LineInfo(
                id=int(r["id"]),
                appropriation=int(r["appropriation"]),
                year=int(r["year"]),
                place=frame.places[int(r["place"])].code,
                tier=frame.places[int(r["place"])].tier,
                category=str(r["category"]),
            )
            for r in rows
        ),
        key=line_order,
    )


async def _appropriation_sums(ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Per appropriation, over all its lines: what they have free (their accounts'
    available balances) and what the tenders held on them released in tranches."""
    if not ids:
        return {}, {}
    free = await rows_in(
        "SELECT l.appropriation AS a,"
        " SUM(b.credits_posted - b.debits_posted - b.debits_pending) AS n"
        " FROM market_v_budget_line l JOIN market_v_ledger_balance b"
        f" ON b.code = '{LINE_PREFIX}' || CAST(l.id AS VARCHAR(20))"
        " WHERE l.appropriation IN ({in}) GROUP BY l.appropriation",
        ids,
    )
    released = await rows_in(
        "SELECT l.appropriation AS a, SUM(t.amount) AS n FROM market_v_budget_line l"
        " JOIN market_v_tender_budget_line h ON h.budget_line = l.id"
        " JOIN market_v_ledger_transfer t ON t.tender_id = h.id AND t.reason = 'release'"
        " AND t.source = 'government' AND t.kind IN ('single', 'post')"
        " JOIN market_v_ledger_account d ON d.id = t.debit_account"
        " AND d.code = 'tender:' || CAST(h.id AS VARCHAR(20)) || ':escrow:government'"
        " WHERE l.appropriation IN ({in}) GROUP BY l.appropriation",
        ids,
    )

    def sums(rows: list[Row]) -> dict[int, int]:
        return {int(r["a"]): int(r["n"] or 0) for r in rows}

    return sums(free), sums(released)


async def read_budget(chosen: BudgetFilter | None = None, frame: Frame | None = None) -> Budget:
    """The appropriations and lines the filter chooses (every one without a filter),
    with their money."""
    frame = frame or await budget_frame()
    chosen = chosen or BudgetFilter()
    appropriations = await _appropriations(frame, chosen)
    wanted = {a.id for a in appropriations}
    lines = [ln for ln in await _lines(frame, chosen) if ln.appropriation in wanted]
    codes = [a.code for a in appropriations] + [line.code for line in lines]
    moves, resolved = await ledger_moves(codes)
    free, released = await _appropriation_sums(sorted(wanted))
    return Budget(
        frame,
        appropriations,
        lines,
        execution(moves, resolved),
        {
            a.id: appropriation_lines(
                moves, a.code, free=free.get(a.id, 0), released=released.get(a.id, 0)
            )
            for a in appropriations
        },
    )


def frame_lineage(frame: Frame, place: Place | None) -> list[Place]:
    """The place and the places it lies in, district first."""
    if place is None:
        return []
    out = [place]
    while out[0].parent is not None:
        out.insert(0, frame.places[out[0].parent])
    return out
