# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Reads of the district's budget: its appropriations, their lines with each line's
figures computed from the ledger (market/budget/rules.py says what each figure is),
and the lines a tender may be held against. Offered to the finance pages, the tender
form and `market ledger check` (market/budget/invariants.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from market.budget.rules import AppropriationFigures, LineFigures
from market.ledger.codes import appropriation_code
from market.money import Money
from market.sql import Row, execute, marks
from market.timestamps import timestamp

_LINE_ACCOUNT = "'budget:line:' || CAST(l.id AS VARCHAR(20))"
_ESCROW = "'tender:' || CAST(t.id AS VARCHAR(20)) || ':escrow:government'"


@dataclass(frozen=True, slots=True)
class Appropriation:
    id: int
    year: int
    district: int
    currency: str
    amount: int
    reference: str
    recorded_at: datetime
    year_end_at: datetime | None

    @property
    def code(self) -> str:
        return appropriation_code(self.year, self.district)

    def money(self, amount: int) -> Money:
        return Money(amount, self.currency)


@dataclass(frozen=True, slots=True)
class Line:
    """A budget line with where it is (its place) and its figures."""

    id: int
    appropriation: int
    year: int
    place: int
    place_code: str
    place_tier: str
    place_zh: str
    place_en: str
    category: str
    currency: str
    figures: LineFigures

    def place_name(self, lang: str) -> str:
        return self.place_zh if lang.startswith("zh") else self.place_en

    def money(self, amount: int) -> Money:
        """One of its figures as Money (for display)."""
        return Money(amount, self.currency)


def _appropriation(row: Row) -> Appropriation:
    return Appropriation(
        id=int(row["id"]),
        year=int(row["year"]),
        district=int(row["place"]),
        currency=row["currency"],
        amount=int(row["amount"]),
        reference=row["reference"],
        recorded_at=timestamp(row["recorded_at"]),
        year_end_at=timestamp(row["year_end_at"]) if row["year_end_at"] is not None else None,
    )


_APPROPRIATION_COLUMNS = "id, year, place, currency, amount, reference, recorded_at, year_end_at"


async def appropriations(district_id: int | None = None) -> list[Appropriation]:
    """A district's appropriations (every district's without one), latest year first."""
    where, args = ("WHERE place = {}", [district_id]) if district_id is not None else ("", [])
    rows = await execute(
        f"SELECT {_APPROPRIATION_COLUMNS} FROM market_budget_appropriation {where}"
        " ORDER BY year DESC, id",
        *args,
    )
    return [_appropriation(row) for row in rows]


async def appropriation_of(district_id: int, year: int) -> Appropriation | None:
    rows = await execute(
        f"SELECT {_APPROPRIATION_COLUMNS} FROM market_budget_appropriation"
        " WHERE place = {} AND year = {}",
        district_id,
        year,
    )
    return _appropriation(rows[0]) if rows else None


async def _line_flows(line_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per line, from its transfers: allocated (allocations and re-allocations in, less
    re-allocations out) and returned at year end."""
    flows: dict[int, dict[str, int]] = defaultdict(lambda: {"allocated": 0, "returned": 0})
    if not line_ids:
        return flows
    sides = (
        (
            "credit_account",
            "CASE WHEN t.reason IN ('allocation', 'reallocation') THEN t.amount ELSE 0 END",
            "0",
        ),
        (
            "debit_account",
            "CASE WHEN t.reason = 'reallocation' THEN -t.amount ELSE 0 END",
            "CASE WHEN t.reason = 'year_end_return' THEN t.amount ELSE 0 END",
        ),
    )
    for side, allocated, returned in sides:
        rows = await execute(
            f"SELECT l.id AS line, SUM({allocated}) AS allocated, SUM({returned}) AS returned"
            f" FROM market_budget_line l JOIN ledger_account a ON a.code = {_LINE_ACCOUNT}"
            f" JOIN ledger_transfer t ON t.{side} = a.id AND t.kind = 'single'"
            f" WHERE l.id IN ({marks(len(line_ids))}) GROUP BY l.id",
            *line_ids,
        )
        for row in rows:
            flows[int(row["line"])]["allocated"] += int(row["allocated"] or 0)
            flows[int(row["line"])]["returned"] += int(row["returned"] or 0)
    return flows


async def _tender_money(line_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per line: (what the government escrows of its tenders keep, what they released
    in tranches)."""
    out: dict[int, tuple[int, int]] = {}
    if not line_ids:
        return out
    kept = await execute(
        "SELECT t.budget_line AS line, SUM(e.credits_posted - e.debits_posted) AS kept"
        f" FROM market_tender t JOIN ledger_account e ON e.code = {_ESCROW}"
        f" WHERE t.budget_line IN ({marks(len(line_ids))}) GROUP BY t.budget_line",
        *line_ids,
    )
    released = await execute(
        "SELECT t.budget_line AS line, SUM(x.amount) AS released"
        f" FROM market_tender t JOIN ledger_account e ON e.code = {_ESCROW}"
        " JOIN ledger_transfer x ON x.debit_account = e.id AND x.reason = 'release'"
        " AND x.kind IN ('single', 'post')"
        f" WHERE t.budget_line IN ({marks(len(line_ids))}) GROUP BY t.budget_line",
        *line_ids,
    )
    paid = {int(r["line"]): int(r["released"] or 0) for r in released}
    for row in kept:
        out[int(row["line"])] = (int(row["kept"] or 0), paid.get(int(row["line"]), 0))
    for line, amount in paid.items():
        out.setdefault(line, (0, amount))
    return out


_LINES = (
    "SELECT l.id, l.appropriation, l.year, l.place, l.category, p.code AS place_code,"
    " p.tier AS place_tier, p.name_zh, p.name_en, a.currency, a.debits_pending,"
    " a.credits_posted - a.debits_posted - a.debits_pending AS free"
    " FROM market_budget_line l JOIN market_place p ON p.id = l.place"
    f" JOIN ledger_account a ON a.code = {_LINE_ACCOUNT}"
)


async def lines(
    *,
    appropriation_id: int | None = None,
    year: int | None = None,
    line_ids: list[int] | None = None,
) -> list[Line]:
    """Lines (of one appropriation, of one year, or these), by place code and category,
    each with its figures."""
    conditions: list[str] = []
    args: list[Any] = []
    if appropriation_id is not None:
        conditions.append("l.appropriation = {}")
        args.append(appropriation_id)
    if year is not None:
        conditions.append("l.year = {}")
        args.append(year)
    if line_ids is not None:
        if not line_ids:
            return []
        conditions.append(f"l.id IN ({marks(len(line_ids))})")
        args.extend(line_ids)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = await execute(_LINES + where + " ORDER BY p.code, l.category, l.id", *args)
    ids = [int(row["id"]) for row in rows]
    flows, tenders = await _line_flows(ids), await _tender_money(ids)
    out = []
    for row in rows:
        line_id = int(row["id"])
        kept, released = tenders.get(line_id, (0, 0))
        figures = LineFigures(
            allocated=flows[line_id]["allocated"],
            held=int(row["debits_pending"]) + kept,
            released=released,
            returned=flows[line_id]["returned"],
            free=int(row["free"]),
        )
        out.append(
            Line(
                id=line_id,
                appropriation=int(row["appropriation"]),
                year=int(row["year"]),
                place=int(row["place"]),
                place_code=row["place_code"],
                place_tier=row["place_tier"],
                place_zh=row["name_zh"],
                place_en=row["name_en"],
                category=row["category"],
                currency=row["currency"],
                figures=figures,
            )
        )
    return out


async def appropriation_figures(
    appropriation: Appropriation, of_lines: list[Line]
) -> AppropriationFigures:
    """The appropriation's figures: its lines' allocated, what its account received
    from the treasury and at year end, its balance."""
    rows = await execute(
        "SELECT a.credits_posted - a.debits_posted - a.debits_pending AS balance,"
        " (SELECT COALESCE(SUM(t.amount), 0) FROM ledger_transfer t WHERE t.credit_account"
        " = a.id AND t.reason = 'appropriation' AND t.kind = 'single') AS funded,"
        " (SELECT COALESCE(SUM(t.amount), 0) FROM ledger_transfer t WHERE t.credit_account"
        " = a.id AND t.reason = 'year_end_return' AND t.kind = 'single') AS returned"
        " FROM ledger_account a WHERE a.code = {}",
        appropriation.code,
    )
    row = rows[0] if rows else {"balance": 0, "funded": 0, "returned": 0}
    return AppropriationFigures(
        amount=appropriation.amount,
        allocated=sum(line.figures.allocated for line in of_lines),
        returned=int(row["returned"]),
        balance=int(row["balance"]),
        funded=int(row["funded"]),
    )


async def line_choices(year: int) -> list[Line]:
    """The lines of a budget year a department may hold a tender against (the tender
    form offers them; `market.tenders.budget_lines` checks the fit)."""
    return await lines(year=year)
