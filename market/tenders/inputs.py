"""Tender input: parsing and validating the workspace form. PURE (no framework imports).

`validate_tender(form)` reports every field error at once (ValidationFailed with
`field_params` for messages that carry numbers) or returns a TenderInput with money
in minor units and times in aware UTC (form times are Beijing time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from market import inputs as bounded
from market.errors import ValidationFailed
from market.money import MoneyError, parse_money
from market.tenders import acceleration as sandbox

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
CATEGORIES = (
    "software_services",
    "science_technology",
    "dispute_mediation",
    "coordination_management",
    "charity",
    "community_services",
)
AREA_LEVELS = ("district", "street", "community")
GOAL_SOURCES = ("corporate", "foundation", "public", "own")
MAX_MIN_BIDS = 9
MAX_CRITERIA = 8
TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
AREA_MAX = 100


# --- input --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Criterion:
    key: str
    name: str
    weight: int
    is_price: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "weight": self.weight,
            "is_price": self.is_price,
        }


@dataclass(frozen=True, slots=True)
class TenderInput:
    """A validated tender: money in minor units, times timezone-aware UTC."""

    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    category: str
    area_level: str
    area: str
    currency: str
    budget: int
    goals: dict[str, int]
    min_bids: int
    criteria: tuple[Criterion, ...]
    enquiry_end: datetime
    bid_deadline: datetime
    opening_at: datetime
    acceleration: int | None = None  # set by the draft form only (None: not on the form)
    # The place the service covers (market_place id; area and area_level then follow
    # from it, market/tenders/places.py) and the budget line its government budget is
    # held against (market/budget/); None when not chosen.
    place: int | None = None
    budget_line: int | None = None

    def columns(self) -> dict[str, Any]:
        """The stored form (goal_* columns, criteria as a list of dicts)."""
        return {
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "description_zh": self.description_zh,
            "description_en": self.description_en,
            "category": self.category,
            "area_level": self.area_level,
            "area": self.area,
            "currency": self.currency,
            "budget": self.budget,
            **{f"goal_{s}": self.goals.get(s, 0) for s in GOAL_SOURCES},
            "min_bids": self.min_bids,
            "criteria": [c.as_dict() for c in self.criteria],
            "enquiry_end": self.enquiry_end,
            "bid_deadline": self.bid_deadline,
            "opening_at": self.opening_at,
            "place": self.place,
            "budget_line": self.budget_line,
        } | ({} if self.acceleration is None else {"acceleration": self.acceleration})


def parse_local_datetime(text: str, field: str = "time") -> datetime:
    """'2026-12-01T17:00' in Beijing time (a datetime-local input) → aware UTC, within
    the years 2000–2100 (InputInvalid otherwise)."""
    return bounded.parse_local_datetime(text, LOCAL_ZONE, field=field)


def to_local_input(value: datetime | None) -> str:
    """Aware datetime → the value a datetime-local input shows (Beijing time)."""
    if value is None:
        return ""
    return value.astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M")


def _text(form: dict[str, str], name: str) -> str:
    return str(form.get(name, "") or "").strip()


def _has_control_chars(text: str) -> bool:
    return any(ord(c) < 32 and c not in "\n\r\t" for c in text)


def parse_criteria(form: dict[str, str]) -> tuple[list[Criterion], str | None]:
    """Rows `criterion_name_{i}` / `criterion_weight_{i}`; `price_criterion` = i of the
    price row. Blank rows are skipped. Returns (criteria, error msgid)."""
    price_row = _text(form, "price_criterion")
    criteria: list[Criterion] = []
    for i in range(MAX_CRITERIA):
        name = _text(form, f"criterion_name_{i}")
        weight_text = _text(form, f"criterion_weight_{i}")
        if not name and not weight_text:
            continue
        if not name:
            return criteria, "Give every weighted criterion a name."
        if len(name) > 100:
            return criteria, "A criterion name can be at most 100 characters."
        if not bounded.is_ascii_digits(weight_text) or len(weight_text) > 3:
            return criteria, "Weights are whole numbers from 1 to 100."
        weight = int(weight_text)
        if not 1 <= weight <= 100:
            return criteria, "Weights are whole numbers from 1 to 100."
        is_price = price_row == str(i)
        criteria.append(Criterion("price" if is_price else f"c{i + 1}", name, weight, is_price))
    if not criteria:
        return criteria, "Add at least one evaluation criterion."
    if len({c.name for c in criteria}) != len(criteria):
        return criteria, "Each criterion needs a different name."
    if sum(c.weight for c in criteria) != 100:
        return criteria, "The criterion weights must add up to 100 (they add up to %(total)s)."
    return criteria, None


def _check_texts(values: dict[str, str], errors: dict[str, str]) -> None:
    """A title in at least one language; lengths; no control characters."""
    if not values["title_zh"] and not values["title_en"]:
        errors["title_zh"] = "Give the tender a title (in Chinese, English or both)."
    for name in ("title_zh", "title_en"):
        if len(values[name]) > TITLE_MAX:
            errors[name] = "A title can be at most 200 characters."
    for name in ("description_zh", "description_en"):
        if len(values[name]) > DESCRIPTION_MAX:
            errors[name] = "A description can be at most 10,000 characters."
    for name, value in values.items():
        if _has_control_chars(value):
            errors[name] = "Remove the control characters from this text."


def _service(
    form: dict[str, str], area: str, place: int | None, errors: dict[str, str]
) -> tuple[str, str]:
    """The category from its list; the area level and area named (not too long) unless
    a place is chosen, whose tier and name they then are (market/tenders/places.py)."""
    category = _text(form, "category")
    if category not in CATEGORIES:
        errors["category"] = "Choose a category from the list."
    area_level = _text(form, "area_level")
    if place is not None:
        return category, area_level if area_level in AREA_LEVELS else ""
    if area_level not in AREA_LEVELS:
        errors["area_level"] = "Choose district, street or community."
    if not area:
        errors["area"] = "Name the area the service covers."
    elif len(area) > AREA_MAX:
        errors["area"] = "An area name can be at most 100 characters."
    return category, area_level


def _choice(form: dict[str, str], name: str, message: str, errors: dict[str, str]) -> int | None:
    """An optional id chosen from a select (empty: none chosen)."""
    raw = _text(form, name)
    if not raw:
        return None
    try:
        return bounded.parse_int(raw, field=name, minimum=1, maximum=2**31 - 1)
    except bounded.InputInvalid:
        errors[name] = message
        return None


def _budget(form: dict[str, str], currency: str, errors: dict[str, str]) -> int:
    budget = 0
    try:
        budget = parse_money(_text(form, "budget"), currency).amount
    except MoneyError:
        errors["budget"] = "Enter a government budget greater than zero, e.g. 200000.00."
    return budget


def _goals(form: dict[str, str], currency: str, errors: dict[str, str]) -> dict[str, int]:
    """Each source's funding goal; empty means zero."""
    goals: dict[str, int] = {}
    for source in GOAL_SOURCES:
        name = f"goal_{source}"
        raw = _text(form, name)
        try:
            goals[source] = parse_money(raw, currency, allow_zero=True).amount if raw else 0
        except MoneyError:
            errors[name] = "Enter an amount of zero or more, e.g. 50000.00."
    return goals


def _min_bids(form: dict[str, str], errors: dict[str, str]) -> int:
    min_bids = 1
    try:
        min_bids = bounded.parse_int(
            _text(form, "min_bids") or "1", field="min_bids", minimum=1, maximum=MAX_MIN_BIDS
        )
    except bounded.InputInvalid:
        errors["min_bids"] = "The minimum number of bids is a whole number from 1 to 9."
    return min_bids


def _times(
    form: dict[str, str],
    now: datetime | None,
    errors: dict[str, str],
    params: dict[str, dict[str, object]],
) -> dict[str, datetime]:
    """The enquiry end, bid deadline and opening, each parsed, then in order."""
    times: dict[str, datetime] = {}
    for name in ("enquiry_end", "bid_deadline", "opening_at"):
        raw = _text(form, name)
        if not raw and name == "opening_at":
            # Empty means "at the deadline": derived from this form's deadline, never kept
            # from an earlier one (a missing deadline is reported on its own field).
            if "bid_deadline" in times:
                times[name] = times["bid_deadline"]
            continue
        try:
            times[name] = parse_local_datetime(raw, name)
        except bounded.InputInvalid as error:
            errors[name] = error.message
            if error.params:
                params[name] = error.params
    enquiry_end, deadline = times.get("enquiry_end"), times.get("bid_deadline")
    opening = times.get("opening_at")
    if enquiry_end and now and enquiry_end < now:
        errors["enquiry_end"] = "The end of enquiries cannot be in the past."
    if enquiry_end and deadline and deadline < enquiry_end:
        errors["bid_deadline"] = "The bid deadline cannot be before the end of enquiries."
    if deadline and opening and opening < deadline:
        errors["opening_at"] = "Bids cannot be opened before the bid deadline."
    return times


def _place_and_line(form: dict[str, str], errors: dict[str, str]) -> tuple[int | None, int | None]:
    return (
        _choice(form, "place", "Choose the place from the list.", errors),
        _choice(form, "budget_line", "Choose a budget line from the list.", errors),
    )


def _acceleration(
    form: dict[str, str], allowed: bool | None, errors: dict[str, str], budget_line: int | None
) -> int | None:
    """The sandbox factor (the draft form only); a sandbox tender names no budget line."""
    if allowed is None:
        return None
    try:
        factor = sandbox.check_factor(_text(form, "acceleration"), allowed=allowed)
    except ValidationFailed as failure:
        errors.update(failure.errors)
        return None
    if budget_line is not None and sandbox.is_sandbox(factor):
        errors["budget_line"] = (
            "A sandbox tender trains with simulated money: leave the budget line empty."
        )
    return factor


def validate_tender(
    form: dict[str, str],
    *,
    currency: str = "CNY",
    now: datetime | None = None,
    sandbox_allowed: bool | None = None,
) -> TenderInput:
    """Every field error at once (ValidationFailed, with `field_params`), or the input.

    With `now` (drafts), an enquiry end already in the past is an error too. With
    `sandbox_allowed` (the draft form) the `acceleration` field is read too: a factor
    above 1 only where the sandbox is allowed (never in prod)."""
    errors: dict[str, str] = {}
    params: dict[str, dict[str, object]] = {}
    values = {
        name: _text(form, name)
        for name in ("title_zh", "title_en", "description_zh", "description_en", "area")
    }
    _check_texts(values, errors)
    place, budget_line = _place_and_line(form, errors)
    category, area_level = _service(form, values["area"], place, errors)

    budget = _budget(form, currency, errors)
    goals = _goals(form, currency, errors)

    min_bids = _min_bids(form, errors)

    criteria, problem = parse_criteria(form)
    if problem:
        errors["criteria"] = problem
        if "%(total)s" in problem:
            params["criteria"] = {"total": sum(c.weight for c in criteria)}

    times = _times(form, now, errors, params)
    factor = _acceleration(form, sandbox_allowed, errors, budget_line)

    if errors:
        failure = ValidationFailed(errors)
        failure.field_params = params
        raise failure
    return TenderInput(
        title_zh=values["title_zh"],
        title_en=values["title_en"],
        description_zh=values["description_zh"],
        description_en=values["description_en"],
        area=values["area"],
        category=category,
        area_level=area_level,
        currency=currency,
        budget=budget,
        goals=goals,
        min_bids=min_bids,
        criteria=tuple(criteria),
        enquiry_end=times["enquiry_end"],
        bid_deadline=times["bid_deadline"],
        opening_at=times["opening_at"],
        acceleration=factor,
        place=place,
        budget_line=budget_line,
    )
