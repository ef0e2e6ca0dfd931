"""The notify app's pure rules: which tenders a subscription matches, when a reminder
is due, and when a pledge counts as nearly used up. No I/O, no framework.

Reminders are occurrences in time (a deadline 24 hours away, a milestone past due). A
run of the reminder job covers the window (since, now] — from where the previous run
stopped to the job's `now` — and fires each occurrence whose moment falls in it, so a
moment is covered by exactly one run (the outbox keys make a retried run harmless).
A sandbox tender's lead times are accelerated like its periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from market.errors import ValidationFailed
from market.money import Money, MoneyError, parse_money
from market.tenders.acceleration import accelerated
from market.tenders.inputs import AREA_MAX, CATEGORIES

DEADLINE_LEAD = timedelta(hours=24)  # "a deadline I am part of is 24 hours away"
MILESTONE_LEAD = timedelta(hours=24)
PLEDGE_EXPIRY_LEAD = timedelta(days=7)
NEARLY_EXHAUSTED = 10  # percent of a pledge's total left
FIRST_WINDOW = timedelta(days=1)  # how far back the very first run of the job looks
MAX_SUBSCRIPTIONS = 20  # per user


# --- subscriptions ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Terms:
    """ "New tenders like this": every set field must match ("" / None = any)."""

    category: str = ""
    area: str = ""
    budget_min: int | None = None  # minor units, inclusive
    budget_max: int | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.category or self.area) and self.budget_min is self.budget_max is None


def normalise_area(area: str) -> str:
    """Street and community names compare without case or surrounding spaces."""
    return " ".join(area.split()).casefold()


def matches(terms: Terms, *, category: str, area: str, budget: int) -> bool:
    """Whether a published tender (its category, area and budget) is one the
    subscription asks for."""
    if terms.category and terms.category != category:
        return False
    if terms.area and normalise_area(terms.area) != normalise_area(area):
        return False
    if terms.budget_min is not None and budget < terms.budget_min:
        return False
    return terms.budget_max is None or budget <= terms.budget_max


def _amount(raw: str, field: str, errors: dict[str, str], currency: str) -> int | None:
    if not raw.strip():
        return None
    try:
        return parse_money(raw, currency, allow_zero=True).amount
    except MoneyError:
        errors[field] = "Enter an amount in yuan, e.g. 50000 or 50000.00."
        return None


def parse_terms(values: dict[str, str], currency: str = "CNY") -> Terms:
    """A subscription from the form's text; every refusal names its field (msgids)."""
    errors: dict[str, str] = {}
    category = values.get("category", "").strip()
    if category and category not in CATEGORIES:
        errors["category"] = "Choose a category from the list."
    area = " ".join(values.get("area", "").split())
    if len(area) > AREA_MAX:
        errors["area"] = "A street or community name can be at most 100 characters."
    low = _amount(values.get("budget_min", ""), "budget_min", errors, currency)
    high = _amount(values.get("budget_max", ""), "budget_max", errors, currency)
    if low is not None and high is not None and low > high:
        errors["budget_max"] = "The upper budget must not be below the lower one."
    terms = Terms(category, area, low, high)
    if not errors and terms.is_empty:
        errors["category"] = "Choose at least a category, an area or a budget range."
    if errors:
        raise ValidationFailed(errors)
    return terms


def form_values(terms: Terms, currency: str = "CNY") -> dict[str, str]:
    """A subscription as the form shows it (amounts in yuan)."""

    def text(amount: int | None) -> str:
        return "" if amount is None else str(Money(amount, currency).to_decimal())

    return {
        "category": terms.category,
        "area": terms.area,
        "budget_min": text(terms.budget_min),
        "budget_max": text(terms.budget_max),
    }


# --- reminders --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    """The stretch of time one run of the reminder job covers: (since, now]."""

    since: datetime
    now: datetime

    def __post_init__(self) -> None:
        if self.since.tzinfo is None or self.now.tzinfo is None:
            raise ValueError("reminder windows need timezone-aware times")

    def covers(self, moment: datetime) -> bool:
        return self.since < moment <= self.now


def window(cursor: datetime | None, now: datetime) -> Window:
    """From where the last run stopped (the first run: a day back) to now; never
    backwards, should the clock have been set back."""
    since = cursor if cursor is not None else now - FIRST_WINDOW
    return Window(min(since, now), now)


def lead(duration: timedelta, factor: int) -> timedelta:
    """A reminder's lead time for a tender running `factor` times faster (sandbox)."""
    return accelerated(duration, factor)


def soon_fires(event_at: datetime, lead_time: timedelta, span: Window) -> bool:
    """A "24 hours before" reminder: its moment (event − lead) falls in the window and
    the event is still ahead (a deadline amended to within the lead is not reminded of
    twice: its moment has passed)."""
    return span.covers(event_at - lead_time) and event_at > span.now


def passed_fires(event_at: datetime, span: Window) -> bool:
    """A "has passed" notice (standstill ended, milestone overdue): once, when it passes."""
    return span.covers(event_at)


def nearly_exhausted(total_cap: int, matched: int) -> bool:
    """Less than NEARLY_EXHAUSTED percent of the pledge is left to match."""
    if total_cap <= 0:
        return False
    left = max(total_cap - matched, 0)
    return left * 100 < total_cap * NEARLY_EXHAUSTED
