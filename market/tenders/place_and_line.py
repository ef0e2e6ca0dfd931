"""Where a tender's service is (its place) and which budget line pays for it.

The form offers the district's places (market_place) instead of a typed area; the
chosen place fills the old `area` / `area_level` columns, which the tender filters,
feeds, OCDS and views still read: a district's or a street's name, or for a community
"street·community" (湖滨街道·柳岸社区), as the demo and 360Giving's locations have
always written it. Where the platform has no places yet, the area is still typed.

A real tender's government budget is held at publication against a budget line
(market/budget/) of its category whose place is the tender's place or one it lies in
(a community's, its street's or the district's line), of the current budget year;
once the year has lines, a real tender is published only with one. A sandbox tender
trains with simulated money and never names a line (market/tenders/inputs.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from market import clock
from market.budget import queries as budget
from market.budget.rules import budget_year, line_fits
from market.errors import NotFound, ValidationFailed
from market.inputs import InputInvalid, parse_optional_id
from market.places import rules as place_rules
from market.places.queries import Place, all_places, area_name, group_places, lineage
from market.sql import execute
from market.tenders import acceleration
from market.tenders.inputs import CATEGORIES, TenderInput


async def _lineage(place_id: int) -> list[Place]:
    try:
        return await lineage(place_id)
    except NotFound:
        raise ValidationFailed.single("place", "Choose the place from the list.") from None


async def places_exist() -> bool:
    return bool(await execute("SELECT id FROM market_place LIMIT 1"))


def fixed(row: dict[str, Any]) -> dict[str, str]:
    """A published tender's place and line, as its amendment form would send them."""
    return {
        "place": str(row.get("place") or ""),
        "budget_line": str(row.get("budget_line") or ""),
    }


@asynccontextmanager
async def place_refusals(form: dict[str, str]) -> AsyncIterator[None]:
    """Validation errors of a form sent without a place, where the platform has places
    (so the form offered a place, no area to type): the place is what is missing, not
    the area."""
    try:
        yield
    except ValidationFailed as failure:
        if not str(form.get("place") or "").strip() and await places_exist():
            errors = {k: v for k, v in failure.errors.items() if k not in ("area", "area_level")}
            errors["place"] = "Choose the place the service covers."
            refused = ValidationFailed(errors)
            refused.field_params = failure.field_params
            raise refused from None
        raise


async def with_place(data: TenderInput, *, required: bool) -> TenderInput:
    """The input with its area and area level taken from its place; when `required`
    and the platform has places, a place must be chosen. The budget line, if any, is
    checked to fit the place and category."""
    if data.place is None:
        if required and await places_exist():
            raise ValidationFailed.single("place", "Choose the place the service covers.")
        if data.budget_line is not None:
            raise ValidationFailed.single(
                "budget_line", "Choose the place first: a budget line belongs to a place."
            )
        return data
    places = await _lineage(data.place)
    if data.budget_line is not None:
        await _check_fit(data.budget_line, places[-1].code, data.category)
    return dataclasses.replace(data, area=area_name(places), area_level=places[-1].tier)


async def _line(line_id: int) -> budget.Line:
    found = await budget.lines(line_ids=[line_id])
    if not found:
        raise ValidationFailed.single("budget_line", "Choose a budget line from the list.")
    return found[0]


async def _check_fit(line_id: int, place_code: str, category: str) -> budget.Line:
    line = await _line(line_id)
    if not line_fits(line.place_code, line.category, place_code, category):
        raise ValidationFailed.single(
            "budget_line",
            "This budget line is not for the tender's category and place (or a place it lies in).",
        )
    return line


async def line_of(tender_id: int) -> budget.Line | None:
    """The budget line a tender names (None: none)."""
    rows = await execute("SELECT budget_line FROM market_tender WHERE id = {}", tender_id)
    if not rows or rows[0]["budget_line"] is None:
        return None
    found = await budget.lines(line_ids=[int(rows[0]["budget_line"])])
    return found[0] if found else None


async def line_to_hold(row: dict[str, Any], *, this_year: bool = True) -> int | None:
    """At publication, inside its transaction: the line a real tender's budget is held
    against (None: the department's budget, for a tender from before budget lines).
    Refused when the year has lines and the tender names none, or its line no longer
    fits its place and category, or (`this_year`: at publication, not at an amendment's
    new hold) is of another budget year."""
    if acceleration.is_sandbox(int(row["acceleration"])) or row.get("community_fund"):
        return None  # simulated money; a community fund's call: the fund's money
    year = budget_year(clock.now())
    line_id = row.get("budget_line")
    if line_id is None:
        if this_year and await execute(
            "SELECT id FROM market_budget_line WHERE year = {} LIMIT 1", year
        ):
            raise ValidationFailed.single(
                "budget_line",
                "Choose the budget line this tender is paid from (edit the draft) before"
                " publishing it.",
            )
        return None
    if row.get("place") is None:
        raise ValidationFailed.single(
            "budget_line", "Choose the place first: a budget line belongs to a place."
        )
    places = await _lineage(int(row["place"]))
    line = await _check_fit(int(line_id), places[-1].code, row["category"])
    if this_year and line.year != year:
        raise ValidationFailed.single(
            "budget_line",
            "The budget line is of %(year)s: choose a line of %(current)s.",
            year=line.year,
            current=year,
        )
    return line.id


def _by_place(lines: list[budget.Line]) -> list[list[budget.Line]]:
    by_place: dict[int, list[budget.Line]] = {}
    for line in lines:
        by_place.setdefault(line.place, []).append(line)
    return list(by_place.values())


async def form_choices() -> dict[str, Any]:
    """What the tender form offers: the places grouped by street, and this budget
    year's lines (each with its free money) grouped by place — every line, so that the
    form works without JavaScript (the server refuses a line that does not fit)."""
    year = budget_year(clock.now())
    return {
        "place_groups": group_places(await all_places()),
        "line_groups": _by_place(await budget.line_choices(year)),
        "budget_year": year,
        "narrowed": False,
    }


async def fitting_choices(place: str, category: str) -> dict[str, Any]:
    """The form's budget-line select narrowed to the lines a tender of this place and
    category may be held against (`line_fits`; a blank place or category narrows by
    nothing): what the form asks for when either changes. A place that is not an id or
    a category not offered is 400, an unknown place 404."""
    year = budget_year(clock.now())
    place_id = parse_optional_id(place, field="place")
    category = category.strip()
    if category and category not in CATEGORIES:
        raise InputInvalid("Choose a category from the list.", field="category")
    code = (await lineage(place_id))[-1].code if place_id is not None else None
    lines = [
        line
        for line in await budget.line_choices(year)
        if (not category or line.category == category)
        and (code is None or place_rules.contains(line.place_code, code))
    ]
    return {
        "line_groups": _by_place(lines),
        "budget_year": year,
        "narrowed": bool(category or code),
    }
