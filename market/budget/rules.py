"""The budget's pure rules: budget years, what may change in which year, and the
figures of a line and of an appropriation with the invariants that tie them to the
ledger. PURE (no framework, no I/O).

A budget year is the calendar year in Beijing time (预算年度: 1 January – 31 December).
Year Y is *open* from the moment it begins until 1 January Y+1 00:00 Beijing time,
when it *closes*: from then on its appropriation and lines take no new allocation,
re-allocation, line or hold, and the year-end job returns every line's free balance
to the appropriation (market/budget/year_end.py).

Figures (issue #18, the shared design): for one line

    allocated = Σ allocation in + Σ re-allocation in − Σ re-allocation out
    held      = open holds from the line + what the government escrows of the tenders
                held against the line still keep
    released  = tranches paid from those escrows
    returned  = Σ year-end returns out of the line
    free      = the line account's available balance

and `allocated = held + released + returned + free` (money a tender gives back to its
line counts again in free). For an appropriation: `amount + returned to it =
Σ allocated of its lines + its account's balance` — the "unallocated" part of the
amount being the balance less what came back at year end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from market.errors import ValidationFailed
from market.places import rules as places

LOCAL_ZONE: Final = ZoneInfo("Asia/Shanghai")
FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2100
REFERENCE_MAX: Final = 200
WHY_MAX: Final = 500


def budget_year(now: datetime) -> int:
    """The budget year `now` (aware) falls in."""
    return now.astimezone(LOCAL_ZONE).year


def year_ends_at(year: int) -> datetime:
    """The moment budget year `year` closes: 1 January of the next year, 00:00 Beijing."""
    return datetime(year + 1, 1, 1, tzinfo=LOCAL_ZONE)


def is_closed(year: int, now: datetime) -> bool:
    return now >= year_ends_at(year)


def check_open(year: int, now: datetime, *, field: str = "year") -> None:
    """Refuse a change to a closed budget year (ValidationFailed naming `field`)."""
    if is_closed(year, now):
        raise ValidationFailed.single(
            field,
            "The %(year)s budget year is closed: its money has gone back at year end.",
            year=year,
        )


def check_appropriation_year(year: int, now: datetime) -> None:
    """An appropriation is recorded for the current budget year or the next one (the
    budget law is voted before the year starts), never for a closed year."""
    current = budget_year(now)
    if not FIRST_YEAR <= year <= LAST_YEAR or year not in (current, current + 1):
        raise ValidationFailed.single(
            "year",
            "Record the appropriation of %(current)s or %(next)s.",
            current=current,
            next=current + 1,
        )


@dataclass(frozen=True, slots=True)
class LineFigures:
    """One budget line's figures in minor units (see the module docstring)."""

    allocated: int
    held: int
    released: int
    returned: int
    free: int

    @property
    def accounted(self) -> int:
        """Where the allocated money is now: held + released + returned + free."""
        return self.held + self.released + self.returned + self.free

    def balances(self) -> bool:
        return self.allocated == self.accounted


def line_problems(name: str, figures: LineFigures) -> list[str]:
    """What is wrong with a line's figures (empty when its invariant holds)."""
    problems = []
    if not figures.balances():
        problems.append(
            f"{name}: allocated {figures.allocated} ≠ held {figures.held} + released"
            f" {figures.released} + returned {figures.returned} + free {figures.free}"
        )
    if figures.free < 0:
        problems.append(f"{name}: free balance {figures.free} is negative")
    return problems


@dataclass(frozen=True, slots=True)
class AppropriationFigures:
    """One appropriation: the amount the budget law voted, what its lines were
    allocated (net of re-allocations among them), what came back to it at year end,
    its account's balance and what the treasury paid into it."""

    amount: int
    allocated: int
    returned: int
    balance: int
    funded: int

    @property
    def unallocated(self) -> int:
        """The part of the amount not allocated to a line (its balance less returns)."""
        return self.balance - self.returned


def appropriation_problems(name: str, figures: AppropriationFigures) -> list[str]:
    """The appropriation's invariants: funded exactly by its amount; allocations never
    above the amount; amount = allocated + unallocated; never negative."""
    problems = []
    if figures.funded != figures.amount:
        problems.append(
            f"{name}: the treasury paid in {figures.funded}, the recorded amount is"
            f" {figures.amount}"
        )
    if figures.allocated > figures.amount:
        problems.append(
            f"{name}: allocations {figures.allocated} exceed the appropriation {figures.amount}"
        )
    if figures.amount != figures.allocated + figures.unallocated:
        problems.append(
            f"{name}: amount {figures.amount} ≠ allocated {figures.allocated} + unallocated"
            f" {figures.unallocated}"
        )
    if figures.balance < 0:
        problems.append(f"{name}: balance {figures.balance} is negative")
    return problems


def line_fits(line_place: str, line_category: str, tender_place: str, category: str) -> bool:
    """A tender may be held against a line of its own category whose place is the
    tender's place or a place it lies in (a community project against its community's,
    its street's or the district's line). Places by their 12-digit codes."""
    return line_category == category and places.contains(line_place, tender_place)


def check_reason(why: str) -> str:
    """A re-allocation's reason: said, not too long."""
    why = why.strip()
    if not why:
        raise ValidationFailed.single("reason", "Say why the money moves.")
    if len(why) > WHY_MAX:
        raise ValidationFailed.single("reason", "A reason can be at most 500 characters.")
    return why
