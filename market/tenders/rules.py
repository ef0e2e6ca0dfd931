"""Tender rules: the lifecycle state machine, time rules, amendments, Q&A tags.

PURE: no Piccolo or Litestar imports. Services feed these functions the stored row
and the clock's `now`, and persist what they return.

    draft ─publish─▶ published ─(enquiry end)─▶ tendering ─(bid deadline)─▶ evaluation
                      (enquiries open)                                          │
    evaluation ─award─▶ awarded ─contract─▶ contracted ─complete─▶ completed     │
    contracted ─terminate─▶ terminated  (the contract ended early, after signing)│
    awarded ─reopen─▶ evaluation  (an upheld complaint)                          │
    tendering | evaluation | awarded ─fail─▶ unsuccessful  (too few valid bids)  │
    draft | published | tendering | evaluation | awarded ─cancel─▶ cancelled ◀──┘

Time rules are checked at every write against the dates, not the stored status: a
tender still marked `published` after its enquiry end is treated as `tendering`
whether or not the chronograph (`market tick`) has run.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from market.errors import InvalidTransition, ValidationFailed
from market.tenders.acceleration import accelerated_at, is_sandbox
from market.tenders.inputs import TenderInput

STATUSES = (
    "draft",
    "published",
    "tendering",
    "evaluation",
    "awarded",
    "contracted",
    "completed",
    "cancelled",
    "unsuccessful",
    "terminated",
)
PUBLIC_STATUSES = STATUSES[1:]
TERMINAL = ("completed", "cancelled", "unsuccessful", "terminated")

# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "publish": (("draft",), "published"),
    "open_tendering": (("published",), "tendering"),
    "close_tendering": (("tendering",), "evaluation"),
    "award": (("evaluation",), "awarded"),
    "reopen": (("awarded",), "evaluation"),
    "contract": (("awarded",), "contracted"),
    "complete": (("contracted",), "completed"),
    "terminate": (("contracted",), "terminated"),
    "fail": (("tendering", "evaluation", "awarded"), "unsuccessful"),
    "cancel": (("draft", "published", "tendering", "evaluation", "awarded"), "cancelled"),
}
ACTION_WORDS = {
    "publish": "published",
    "open_tendering": "opened for bids",
    "close_tendering": "closed for bids",
    "award": "awarded",
    "reopen": "reopened for evaluation",
    "contract": "contracted",
    "complete": "completed",
    "terminate": "terminated",
    "fail": "declared unsuccessful",
    "cancel": "cancelled",
}
# Actions only the chronograph or the bids app take (never a form).
TIME_ACTIONS = ("open_tendering", "close_tendering")

DEFAULT_MIN_WINDOW = timedelta(days=3)
REASON_MAX = 2_000
QUESTION_MAX = 2_000


def transition(action: str, status: str) -> str:
    """The status `action` leads to from `status`, or InvalidTransition."""
    if action not in TRANSITIONS:
        raise InvalidTransition("Unknown tender action %(action)s.", action=action)
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise InvalidTransition(
            "A tender that is %(status)s cannot be %(action)s.",
            field="status",
            status=status,
            action=ACTION_WORDS[action],
        )
    return target


def effective_status(
    status: str, enquiry_end: datetime, bid_deadline: datetime, now: datetime
) -> str:
    """The status the dates say the tender is in now (what `tick` would make it)."""
    if status == "published" and now >= enquiry_end:
        status = "tendering"
    if status == "tendering" and now >= bid_deadline:
        status = "evaluation"
    return status


def due_action(
    status: str, enquiry_end: datetime, bid_deadline: datetime, now: datetime
) -> str | None:
    """The next time-driven action that is due, if any (the chronograph's question)."""
    if status == "published" and now >= enquiry_end:
        return "open_tendering"
    if status == "tendering" and now >= bid_deadline:
        return "close_tendering"
    return None


# --- time rules checked at each write -----------------------------------------------


def check_can_edit(status: str) -> None:
    if status != "draft":
        raise InvalidTransition(
            "Only a draft can be edited; a published tender is changed by an amendment.",
            field="status",
        )


def check_can_amend(
    status: str, enquiry_end: datetime, bid_deadline: datetime, now: datetime
) -> None:
    current = effective_status(status, enquiry_end, bid_deadline, now)
    if current not in ("published", "tendering"):
        if status in ("published", "tendering"):
            raise InvalidTransition(
                "The bid deadline has passed; the tender can no longer be amended.",
                field="bid_deadline",
            )
        raise InvalidTransition(
            "Only a published tender open for bids can be amended; this one is %(status)s.",
            field="status",
            status=current,
        )


def check_can_ask(
    status: str, enquiry_end: datetime, bid_deadline: datetime, now: datetime
) -> None:
    if effective_status(status, enquiry_end, bid_deadline, now) != "published":
        raise InvalidTransition(
            "Questions can only be asked during the enquiry period.", field="question"
        )


def check_can_answer(
    status: str, enquiry_end: datetime, bid_deadline: datetime, now: datetime
) -> None:
    if effective_status(status, enquiry_end, bid_deadline, now) not in ("published", "tendering"):
        raise InvalidTransition(
            "Questions can only be answered before the bid deadline.", field="answer"
        )


def check_accepts_bids(
    status: str, enquiry_end: datetime, bid_deadline: datetime, now: datetime
) -> None:
    """For the bids app: bids may be submitted, replaced or withdrawn only now."""
    if effective_status(status, enquiry_end, bid_deadline, now) not in ("published", "tendering"):
        raise InvalidTransition("This tender is not accepting bids.", field="status")


def check_publishable(
    enquiry_end: datetime, bid_deadline: datetime, now: datetime, min_window: timedelta
) -> None:
    """Periods must still be ahead at publication, with at least `min_window` to bid."""
    errors: dict[str, str] = {}
    if enquiry_end <= now:
        errors["enquiry_end"] = "The end of enquiries has already passed; move it later."
    if bid_deadline < now + min_window:
        errors["bid_deadline"] = (
            "Leave at least %(days)s days between publication and the bid deadline."
        )
    if errors:
        failure = ValidationFailed(errors)
        if "bid_deadline" in errors:
            failure.field_params = {"bid_deadline": {"days": min_window.days}}
        raise failure


PERIODS = ("enquiry_end", "bid_deadline", "opening_at")


def periods_at_publication(
    row: dict[str, Any], published_at: datetime, factor: int
) -> dict[str, datetime]:
    """The enquiry end, bid deadline and opening a tender published now keeps: a sandbox
    tender's form dates (written as for a real tender) compressed towards `published_at`;
    none for real time (the dates stay as written)."""
    if not is_sandbox(factor):
        return {}
    return {name: accelerated_at(published_at, row[name], factor) for name in PERIODS}


def sandbox_changes(periods: dict[str, datetime], factor: int) -> dict[str, Any]:
    """What the publication revision records of a sandbox tender's compressed periods."""
    if not periods:
        return {}
    return {"acceleration": factor} | {k: v.isoformat() for k, v in periods.items()}


def check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationFailed.single("reason", "Give a reason: it is published with the tender.")
    if len(reason) > REASON_MAX:
        raise ValidationFailed.single("reason", "A reason can be at most 2,000 characters.")
    return reason


def check_question(text: str, name: str = "question") -> str:
    text = text.strip()
    if not text:
        raise ValidationFailed.single(name, "Write something first.")
    if len(text) > QUESTION_MAX:
        raise ValidationFailed.single(name, "At most 2,000 characters.")
    return text


# --- amendments ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Amendment:
    changes: dict[str, tuple[Any, Any]]  # column → (old, new), datetimes as ISO text
    bid_deadline: datetime
    opening_at: datetime
    extended: bool  # the deadline was pushed out to keep the minimum window


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def plan_amendment(
    current: dict[str, Any],
    new: TenderInput,
    *,
    now: datetime,
    min_window: timedelta,
    documents_changed: bool = False,
) -> Amendment:
    """What an amendment changes, and the deadline it leaves.

    The enquiry end cannot move once passed; deadlines never move earlier; whatever
    changes, the bid deadline is pushed out so at least `min_window` remains.
    """
    # A form shows times to the minute: an unchanged field keeps its stored seconds.
    kept = {
        name: current[name]
        for name in ("enquiry_end", "bid_deadline", "opening_at")
        if getattr(new, name) == current[name].replace(second=0, microsecond=0)
    }
    new = replace(new, **kept)
    wanted = new.columns()
    errors: dict[str, str] = {}
    if new.currency != current["currency"]:
        errors["budget"] = "The currency of a published tender cannot change."
    if current["enquiry_end"] <= now and new.enquiry_end != current["enquiry_end"]:
        errors["enquiry_end"] = "The enquiry period has ended; its end can no longer change."
    elif new.enquiry_end != current["enquiry_end"] and new.enquiry_end <= now:
        errors["enquiry_end"] = "The end of enquiries has already passed; move it later."
    if new.bid_deadline < current["bid_deadline"]:
        errors["bid_deadline"] = "An amendment cannot bring the bid deadline forward."
    if errors:
        raise ValidationFailed(errors)
    changes = {
        name: (_plain(current[name]), _plain(value))
        for name, value in wanted.items()
        if current[name] != value
    }
    if not changes and not documents_changed:
        raise ValidationFailed.single("note", "Nothing was changed.")
    deadline, opening = new.bid_deadline, new.opening_at
    extended = False
    if deadline < now + min_window:
        shift = now + min_window - deadline
        deadline, opening, extended = deadline + shift, opening + shift, True
        changes["bid_deadline"] = (_plain(current["bid_deadline"]), _plain(deadline))
        changes["opening_at"] = (_plain(current["opening_at"]), _plain(opening))
    return Amendment(changes, deadline, opening, extended)


# --- Q&A ----------------------------------------------------------------------------


def asker_tag(secret: str, tender_id: int, salt: str, org_id: int) -> str:
    """Anonymous but linkable: the same organization gets the same tag within one tender,
    different tags across tenders, and the tag does not reveal the organization."""
    message = f"{tender_id}:{salt}:{org_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:10]
