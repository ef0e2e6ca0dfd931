"""Tender rules: the lifecycle state machine, time rules and input validation.

PURE: no Piccolo or Litestar imports. Services feed these functions the stored row
and the clock's `now`, and persist what they return.

    draft ─publish─▶ published ─(enquiry end)─▶ tendering ─(bid deadline)─▶ evaluation
                      (enquiries open)                                          │
    evaluation ─award─▶ awarded ─contract─▶ contracted ─complete─▶ completed     │
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
from zoneinfo import ZoneInfo

from market.errors import InvalidTransition, ValidationFailed
from market.money import MoneyError, parse_money

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
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
)
PUBLIC_STATUSES = STATUSES[1:]
TERMINAL = ("completed", "cancelled", "unsuccessful")
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

# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "publish": (("draft",), "published"),
    "open_tendering": (("published",), "tendering"),
    "close_tendering": (("tendering",), "evaluation"),
    "award": (("evaluation",), "awarded"),
    "reopen": (("awarded",), "evaluation"),
    "contract": (("awarded",), "contracted"),
    "complete": (("contracted",), "completed"),
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
    "fail": "declared unsuccessful",
    "cancel": "cancelled",
}
# Actions only the chronograph or the bids app take (never a form).
TIME_ACTIONS = ("open_tendering", "close_tendering")

DEFAULT_MIN_WINDOW = timedelta(days=3)
MAX_MIN_BIDS = 9
MAX_CRITERIA = 8
TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
AREA_MAX = 100
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
        }


def parse_local_datetime(text: str) -> datetime:
    """'2026-12-01T17:00' in Beijing time (a datetime-local input) → aware UTC."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_ZONE)
    return value.astimezone(ZoneInfo("UTC"))


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
        try:
            weight = int(weight_text)
        except ValueError:
            return criteria, "Weights are whole numbers from 1 to 100."
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


def validate_tender(form: dict[str, str], *, currency: str = "CNY") -> TenderInput:
    """Every field error at once (ValidationFailed, with `field_params`), or the input."""
    errors: dict[str, str] = {}
    params: dict[str, dict[str, object]] = {}
    values = {
        name: _text(form, name)
        for name in ("title_zh", "title_en", "description_zh", "description_en", "area")
    }
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
    category = _text(form, "category")
    if category not in CATEGORIES:
        errors["category"] = "Choose a category from the list."
    area_level = _text(form, "area_level")
    if area_level not in AREA_LEVELS:
        errors["area_level"] = "Choose district, street or community."
    if not values["area"]:
        errors["area"] = "Name the area the service covers."
    elif len(values["area"]) > AREA_MAX:
        errors["area"] = "An area name can be at most 100 characters."

    budget = 0
    try:
        budget = parse_money(_text(form, "budget"), currency).amount
    except MoneyError:
        errors["budget"] = "Enter a government budget greater than zero, e.g. 200000.00."
    goals: dict[str, int] = {}
    for source in GOAL_SOURCES:
        name = f"goal_{source}"
        raw = _text(form, name)
        try:
            goals[source] = parse_money(raw, currency, allow_zero=True).amount if raw else 0
        except MoneyError:
            errors[name] = "Enter an amount of zero or more, e.g. 50000.00."

    min_bids = 1
    try:
        min_bids = int(_text(form, "min_bids") or "1")
        if not 1 <= min_bids <= MAX_MIN_BIDS:
            raise ValueError
    except ValueError:
        errors["min_bids"] = "The minimum number of bids is a whole number from 1 to 9."

    criteria, problem = parse_criteria(form)
    if problem:
        errors["criteria"] = problem
        if "%(total)s" in problem:
            params["criteria"] = {"total": sum(c.weight for c in criteria)}

    times: dict[str, datetime] = {}
    for name in ("enquiry_end", "bid_deadline", "opening_at"):
        raw = _text(form, name)
        if not raw and name == "opening_at" and "bid_deadline" in times:
            times[name] = times["bid_deadline"]
            continue
        try:
            times[name] = parse_local_datetime(raw)
        except ValueError:
            errors[name] = "Enter a date and time, e.g. 2026-12-01 17:00."
    enquiry_end, deadline = times.get("enquiry_end"), times.get("bid_deadline")
    opening = times.get("opening_at")
    if enquiry_end and deadline and deadline < enquiry_end:
        errors["bid_deadline"] = "The bid deadline cannot be before the end of enquiries."
    if deadline and opening and opening < deadline:
        errors["opening_at"] = "Bids cannot be opened before the bid deadline."

    if errors:
        failure = ValidationFailed(errors)
        failure.field_params = params  # type: ignore[attr-defined]
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
    )


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
            failure.field_params = {"bid_deadline": {"days": min_window.days}}  # type: ignore[attr-defined]
        raise failure


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
