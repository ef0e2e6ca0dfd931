# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""What the finance bureau's pages show (market/controllers/finance.py): the district's
budget years, and one year's appropriation with its lines, their figures, the
re-allocations with their reasons and the state of the year end."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from market import clock
from market.budget import queries
from market.budget.rules import (
    AppropriationFigures,
    LineFigures,
    budget_year,
    is_closed,
    year_ends_at,
)
from market.errors import NotFound
from market.money import Money
from market.places import rules as place_rules
from market.places.queries import Place, PlaceGroup, all_places, get_place, group_places
from market.sql import execute, marks
from market.timestamps import timestamp


@dataclass(frozen=True, slots=True)
class YearRow:
    appropriation: queries.Appropriation
    figures: AppropriationFigures
    closed: bool


@dataclass(frozen=True, slots=True)
class Overview:
    district: Place
    years: list[YearRow]
    this_year: int


async def _district_places(district: Place) -> list[Place]:
    return [p for p in await all_places() if place_rules.contains(district.code, p.code)]


async def overview(district_id: int) -> Overview:
    """The district's budget years, latest first, with their figures."""
    now = clock.now()
    rows = []
    for appropriation in await queries.appropriations(district_id):
        lines = await queries.lines(appropriation_id=appropriation.id)
        rows.append(
            YearRow(
                appropriation,
                await queries.appropriation_figures(appropriation, lines),
                is_closed(appropriation.year, now),
            )
        )
    return Overview(await get_place(district_id), rows, budget_year(now))


@dataclass(frozen=True, slots=True)
class Reallocation:
    at: datetime
    from_line: int
    to_line: int
    amount: Money
    why: str


@dataclass(frozen=True, slots=True)
class YearPage:
    district: Place
    appropriation: queries.Appropriation
    figures: AppropriationFigures
    lines: list[queries.Line]
    totals: LineFigures
    reallocations: list[Reallocation]
    place_groups: list[PlaceGroup]
    closes_at: datetime
    closed: bool

    @property
    def line_groups(self) -> list[list[queries.Line]]:
        groups: dict[int, list[queries.Line]] = {}
        for line in self.lines:
            groups.setdefault(line.place, []).append(line)
        return list(groups.values())

    def line(self, line_id: int) -> queries.Line | None:
        return next((line for line in self.lines if line.id == line_id), None)


async def _reallocations(lines: list[queries.Line], currency: str) -> list[Reallocation]:
    """The re-allocations out of these lines, latest first, with their reasons."""
    if not lines:
        return []
    ids = [str(line.id) for line in lines]
    rows = await execute(
        "SELECT at, object_id, change FROM audit_event WHERE action = 'budget.reallocate'"
        f" AND object_type = 'budget_line' AND object_id IN ({marks(len(ids))})"
        " ORDER BY id DESC LIMIT 100",
        *ids,
    )
    out = []
    for row in rows:
        change: dict[str, Any] = json.loads(row["change"])
        out.append(
            Reallocation(
                at=timestamp(row["at"]),
                from_line=int(row["object_id"]),
                to_line=int(change["to_line"]),
                amount=Money(int(change["amount"]), change.get("currency", currency)),
                why=str(change.get("why", "")),
            )
        )
    return out


def _totals(lines: list[queries.Line]) -> LineFigures:
    return LineFigures(
        allocated=sum(line.figures.allocated for line in lines),
        held=sum(line.figures.held for line in lines),
        released=sum(line.figures.released for line in lines),
        returned=sum(line.figures.returned for line in lines),
        free=sum(line.figures.free for line in lines),
    )


async def year_page(district_id: int, year: int) -> YearPage:
    """One budget year of the district (404 when it has no appropriation)."""
    appropriation = await queries.appropriation_of(district_id, year)
    if appropriation is None:
        raise NotFound("No appropriation is recorded for this year.")
    district = await get_place(district_id)
    lines = await queries.lines(appropriation_id=appropriation.id)
    return YearPage(
        district=district,
        appropriation=appropriation,
        figures=await queries.appropriation_figures(appropriation, lines),
        lines=lines,
        totals=_totals(lines),
        reallocations=await _reallocations(lines, appropriation.currency),
        place_groups=group_places(await _district_places(district)),
        closes_at=year_ends_at(year),
        closed=is_closed(year, clock.now()),
    )


@dataclass(frozen=True, slots=True)
class Department:
    """A verified government department, as the operator's bureau form lists it."""

    id: int
    name_zh: str
    name_en: str
    finance_of: int | None

    def name(self, lang: str) -> str:
        return self.name_zh if lang.startswith("zh") or not self.name_en else self.name_en


@dataclass(frozen=True, slots=True)
class DistrictBureau:
    district: Place
    bureau: Department | None  # the finance bureau now, if one is designated


@dataclass(frozen=True, slots=True)
class BureauPage:
    """The operator's page: each district with its finance bureau now, and the
    verified departments one may be designated from."""

    districts: list[DistrictBureau]
    departments: list[Department]

    def options(self, lang: str, blank: str) -> list[tuple[str, str]]:
        """The form's choices: `blank` first (no department), then each department."""
        return [("", blank), *((str(o.id), o.name(lang)) for o in self.departments)]


async def bureau_page() -> BureauPage:
    rows = await execute(
        "SELECT id, name_zh, name_en, finance_of FROM market_organization"
        " WHERE kind = 'department' AND status = 'verified' ORDER BY name_zh, id"
    )
    departments = [
        Department(
            int(r["id"]),
            str(r["name_zh"]),
            str(r["name_en"] or ""),
            int(r["finance_of"]) if r["finance_of"] is not None else None,
        )
        for r in rows
    ]
    # A bureau no longer verified keeps no budget (access.check_finance): shown as none.
    districts = [p for p in await all_places() if p.tier == "district"]
    return BureauPage(
        [
            DistrictBureau(d, next((o for o in departments if o.finance_of == d.id), None))
            for d in districts
        ],
        departments,
    )
