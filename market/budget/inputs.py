"""The finance forms' input: parsing and validating what the finance officer typed.
PURE (no framework imports). Every field error at once (ValidationFailed)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from market import inputs as bounded
from market.budget.rules import FIRST_YEAR, LAST_YEAR, REFERENCE_MAX, WHY_MAX
from market.errors import ValidationFailed
from market.money import Money, MoneyError, parse_money

AMOUNT_HELP = "Enter an amount in yuan greater than zero, e.g. 500000.00."
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,40}$")


def form_key() -> str:
    """A fresh idempotency key for one rendering of a money form (a double submit of
    the same form moves the money once)."""
    return secrets.token_urlsafe(12)


def _key(form: dict[str, str]) -> str:
    key = form.get("key", "").strip()
    return key if _KEY.match(key) else form_key()


def _amount(form: dict[str, str], currency: str, errors: dict[str, str]) -> Money:
    try:
        return parse_money(form.get("amount", "").strip(), currency)
    except MoneyError:
        errors["amount"] = AMOUNT_HELP
        return Money(0, currency)


def _id(form: dict[str, str], name: str, message: str, errors: dict[str, str]) -> int:
    try:
        return bounded.parse_int(form.get(name, ""), field=name, minimum=1, maximum=2**31 - 1)
    except bounded.InputInvalid:
        errors[name] = message
        return 0


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed(errors)


@dataclass(frozen=True, slots=True)
class AppropriationInput:
    year: int
    amount: Money
    reference: str


def parse_appropriation(form: dict[str, str], currency: str = "CNY") -> AppropriationInput:
    errors: dict[str, str] = {}
    year = 0
    try:
        year = bounded.parse_int(
            form.get("year", ""), field="year", minimum=FIRST_YEAR, maximum=LAST_YEAR
        )
    except bounded.InputInvalid:
        errors["year"] = "Enter the budget year, e.g. 2027."
    amount = _amount(form, currency, errors)
    reference = form.get("reference", "").strip()
    if len(reference) > REFERENCE_MAX:
        errors["reference"] = "A reference can be at most 200 characters."
    _raise(errors)
    return AppropriationInput(year, amount, reference)


@dataclass(frozen=True, slots=True)
class LineInput:
    place: int
    category: str


def parse_line(form: dict[str, str], categories: tuple[str, ...]) -> LineInput:
    errors: dict[str, str] = {}
    place = _id(form, "place", "Choose the place from the list.", errors)
    category = form.get("category", "").strip()
    if category not in categories:
        errors["category"] = "Choose a category from the list."
    _raise(errors)
    return LineInput(place, category)


@dataclass(frozen=True, slots=True)
class AllocationInput:
    line: int
    amount: Money
    key: str


def parse_allocation(form: dict[str, str], currency: str = "CNY") -> AllocationInput:
    errors: dict[str, str] = {}
    line = _id(form, "line", "Choose a budget line from the list.", errors)
    amount = _amount(form, currency, errors)
    _raise(errors)
    return AllocationInput(line, amount, _key(form))


@dataclass(frozen=True, slots=True)
class ReallocationInput:
    from_line: int
    to_line: int
    amount: Money
    why: str
    key: str


def parse_reallocation(form: dict[str, str], currency: str = "CNY") -> ReallocationInput:
    errors: dict[str, str] = {}
    source = _id(form, "from_line", "Choose the line the money leaves.", errors)
    target = _id(form, "to_line", "Choose the line the money goes to.", errors)
    if source and source == target:
        errors["to_line"] = "Choose another line."
    amount = _amount(form, currency, errors)
    why = form.get("reason", "").strip()
    if not why:
        errors["reason"] = "Say why the money moves."
    elif len(why) > WHY_MAX:
        errors["reason"] = "A reason can be at most 500 characters."
    _raise(errors)
    return ReallocationInput(source, target, amount, why, _key(form))
