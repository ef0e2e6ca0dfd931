"""Bid, complaint, contract and milestone rules. PURE (no framework imports).

Every state change goes through `transition(machine, current, target)`, which
raises `InvalidTransition` with a translatable message for anything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from market.errors import DomainError, InvalidTransition, PermissionDenied
from market.tenders.acceleration import REAL_TIME, accelerated, accelerated_at, end_of_day

BID = {
    "draft": {"submitted", "withdrawn"},
    "submitted": {"withdrawn", "needs_reconfirm", "qualified", "disqualified"},
    "needs_reconfirm": {"submitted", "withdrawn", "disqualified"},
    "qualified": {"awarded", "lost"},
    "awarded": {"lost"},  # an upheld complaint can reopen evaluation
    "lost": {"awarded"},
    "disqualified": set(),
    "withdrawn": set(),
}
COMPLAINT = {
    "filed": {"upheld", "dismissed"},
    "upheld": set(),
    "dismissed": set(),
}
CONTRACT = {
    "pending": {"active", "terminated"},
    "active": {"completed", "terminated"},
    "completed": set(),
    "terminated": set(),
}
MILESTONE = {
    "scheduled": {"submitted", "not_met"},
    "submitted": {"approved", "rejected"},
    "rejected": {"submitted", "not_met"},
    "approved": set(),
    "not_met": set(),
}
MACHINES = {"bid": BID, "complaint": COMPLAINT, "contract": CONTRACT, "milestone": MILESTONE}

DEFAULT_STANDSTILL = timedelta(days=5)
MAX_MILESTONES = 24


def transition(machine: str, current: str, target: str) -> str:
    states = MACHINES[machine]
    if current not in states:
        raise InvalidTransition("Unknown state %(state)s.", state=current)
    if target not in states[current]:
        raise InvalidTransition(
            "A %(machine)s cannot go from %(current)s to %(target)s.",
            machine=machine,
            current=current,
            target=target,
        )
    return target


def check_bid_window(now: datetime, deadline: datetime, opened: datetime | None) -> None:
    """Bids may be submitted, replaced or withdrawn only before the deadline."""
    if now >= deadline or opened is not None:
        raise DomainError("The bid deadline has passed; bids can no longer change.")


def check_price(price: int, budget: int) -> None:
    if isinstance(price, bool) or not isinstance(price, int) or price <= 0:
        raise DomainError("Enter a price greater than zero.", field="price")
    if price > budget:
        raise DomainError("The price cannot exceed the tender's budget.", field="price")


def standstill_ends(
    awarded_at: datetime, factor: int = REAL_TIME, period: timedelta = DEFAULT_STANDSTILL
) -> datetime:
    """The end of the standstill (and of its complaint window), accelerated for a sandbox
    tender."""
    return awarded_at + accelerated(period, factor)


def check_complaint_window(now: datetime, awarded_at: datetime, ends: datetime) -> None:
    if not awarded_at <= now < ends:
        raise DomainError("Complaints can only be filed during the standstill period.")


def check_contract_can_be_signed(
    now: datetime, standstill_end: datetime, open_complaints: int
) -> None:
    if now < standstill_end:
        raise DomainError("The contract can be signed once the standstill period has ended.")
    if open_complaints:
        raise DomainError("The contract cannot be signed while a complaint is open.")


@dataclass(frozen=True, slots=True)
class MilestonePlan:
    deliverable: str
    due: date
    amount: int


def check_milestones(plan: Sequence[MilestonePlan], contract_amount: int, starts: date) -> None:
    """Milestones: 1..24, each with a deliverable, a due date on/after the start, amount > 0,
    due dates in order, amounts summing exactly to the contract amount."""
    if not plan:
        raise DomainError("A contract needs at least one milestone.", field="milestones")
    if len(plan) > MAX_MILESTONES:
        raise DomainError("A contract can have at most 24 milestones.", field="milestones")
    previous = starts
    for index, item in enumerate(plan, start=1):
        if not item.deliverable.strip():
            raise DomainError("Milestone %(n)d needs a deliverable.", field="milestones", n=index)
        if item.amount <= 0:
            raise DomainError(
                "Milestone %(n)d needs an amount above zero.", field="milestones", n=index
            )
        if item.due < previous:
            raise DomainError(
                "Milestone %(n)d is due before the one before it.", field="milestones", n=index
            )
        previous = item.due
    if sum(item.amount for item in plan) != contract_amount:
        raise DomainError(
            "Milestone amounts must add up to the contract amount.", field="milestones"
        )


class FourEyesDenied(PermissionDenied):
    """The contract's creator tried to decide one of its milestones (403, shown beside it)."""


def check_approver(approver_id: int, contract_creator_id: int) -> None:
    """Four eyes: whoever created the contract record may not approve its milestones."""
    if approver_id == contract_creator_id:
        raise FourEyesDenied(
            "A milestone must be approved by someone other than whoever created the contract.",
            field="decision",
        )


def milestone_due_at(due: date, planned_at: datetime, factor: int = REAL_TIME) -> datetime:
    """The moment a milestone is late: the end of its due day (UTC), or for a sandbox
    tender that moment's distance from the contract's drafting (`planned_at`) accelerated."""
    return accelerated_at(planned_at, end_of_day(due), factor)


def can_mark_not_met(
    now: datetime,
    due: date,
    status: str,
    planned_at: datetime | None = None,
    factor: int = REAL_TIME,
) -> bool:
    late = milestone_due_at(due, planned_at or now, factor)
    return status in ("scheduled", "rejected") and now >= late
