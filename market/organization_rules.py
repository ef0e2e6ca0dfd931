"""Organization rules: the verification state machine, the decision deadline, and
validation of registration input. Pure: no Piccolo or Litestar imports.

    pending ──verify──▶ verified ──suspend──▶ suspended
       │                    ▲                     │
       └──reject──▶ rejected └──────reinstate─────┘
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from market import uscc
from market.errors import InvalidTransition, ValidationFailed

KINDS = ("department", "social_org", "company", "foundation", "operator")
# A community's fund (社区基金, the funds app): no legal person, so never registered
# through the form; the operator sets it up for a community (`set_up_fund_organization`)
# and its members are the fund's committee. It owns its calls for proposals as a
# department owns its tenders: both are BUYER_KINDS.
FUND_KIND = "community_fund"
BUYER_KINDS = ("department", FUND_KIND)
FUND_PREFIX = "FUND-"
# Departments and operators are set up by an operator (`set_up_organization`; the first
# operator by the system, `found_operator`), never self-registered.
PUBLIC_KINDS = ("social_org", "company", "foundation")
CATEGORIES = (
    "software_services",
    "science_technology",
    "dispute_mediation",
    "coordination_management",
    "charity",
    "community_services",
)
RATINGS = ("1A", "2A", "3A", "4A", "5A")
STATUSES = ("pending", "verified", "rejected", "suspended")
ROLES = ("admin", "member")

# action → (from status, to status)
TRANSITIONS: dict[str, tuple[str, str]] = {
    "verify": ("pending", "verified"),
    "reject": ("pending", "rejected"),
    "suspend": ("verified", "suspended"),
    "reinstate": ("suspended", "verified"),
}
NEEDS_REASON = ("reject", "suspend")
SETS_RATING = ("verify", "reinstate")

DECISION_WORKING_DAYS = 5
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")

NAME_MAX = 200
AREA_MAX = 100
DESCRIPTION_MAX = 5000
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
FIRST_YEAR = 1949

_REFUSALS = {
    "verify": "Only an organization pending review can be verified; this one is %(status)s.",
    "reject": "Only an organization pending review can be rejected; this one is %(status)s.",
    "suspend": "Only a verified organization can be suspended; this one is %(status)s.",
    "reinstate": "Only a suspended organization can be reinstated; this one is %(status)s.",
}


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of an operator's decision: the new status, and the rating to store
    (None keeps the current one)."""

    status: str
    rating: str | None
    reason: str


def decide(status: str, action: str, *, reason: str = "", rating: str | None = None) -> Decision:
    """Apply an operator's action to an organization in `status`."""
    if action not in TRANSITIONS:
        raise ValidationFailed.single("action", "Choose verify, reject, suspend or reinstate.")
    source, target = TRANSITIONS[action]
    if status != source:
        raise InvalidTransition(_REFUSALS[action], field="action", status=status)
    reason = reason.strip()
    if action in NEEDS_REASON and not reason:
        raise ValidationFailed.single("reason", "Give a reason: the organization will see it.")
    if len(reason) > DESCRIPTION_MAX:
        raise ValidationFailed.single("reason", "A reason can be at most 5000 characters.")
    new_rating: str | None = None
    if action in SETS_RATING and rating is not None:
        new_rating = validate_rating(rating)
    return Decision(status=target, rating=new_rating, reason=reason)


def validate_rating(rating: str) -> str:
    rating = rating.strip().upper()
    if rating not in ("", *RATINGS):
        raise ValidationFailed.single("rating", "A rating is 1A to 5A, or none yet.")
    return rating


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def decision_deadline(
    submitted_at: datetime, working_days: int = DECISION_WORKING_DAYS
) -> datetime:
    """The end (23:59:59 Beijing time) of the n-th working day after the day of submission.

    Working days are Monday to Friday. Public holidays and the weekend working days
    that make up for them (调休) are not modelled, so around Spring Festival or
    National Day the real deadline can be later than this one.
    """
    if submitted_at.tzinfo is None:
        raise ValueError("submitted_at must be timezone-aware")
    day = submitted_at.astimezone(LOCAL_ZONE).date()
    remaining = working_days
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return datetime.combine(day, time(23, 59, 59), tzinfo=LOCAL_ZONE)


def is_overdue(status: str, due_at: datetime, now: datetime) -> bool:
    return status == "pending" and now > due_at


class InvalidRegistration(ValidationFailed):
    """Field errors whose msgids may carry parameters (`field_params[field]`), so the
    web layer can translate the msgid first and fill it in afterwards."""

    def __init__(self, errors: dict[str, str], field_params: dict[str, dict[str, object]]):
        super().__init__(errors)
        self.field_params = field_params


@dataclass(frozen=True, slots=True)
class Registration:
    """Registration input after validation and normalisation."""

    kind: str
    name_zh: str
    name_en: str
    uscc: str
    category: str
    area: str
    description_zh: str
    description_en: str
    contact_email: str
    registered_year: int | None


def _check_kind(kind: str, allowed: Collection[str], errors: dict[str, str]) -> None:
    if kind not in allowed:
        errors["kind"] = (
            "Choose the kind of organization."
            if kind not in KINDS
            else "Departments and the platform operator are set up by the operator."
        )


def _check_names(name_zh: str, name_en: str, errors: dict[str, str]) -> None:
    if not name_zh:
        errors["name_zh"] = "Enter the registered Chinese name."
    elif len(name_zh) > NAME_MAX:
        errors["name_zh"] = "A name can be at most 200 characters."
    if len(name_en) > NAME_MAX:
        errors["name_en"] = "A name can be at most 200 characters."


def _registered_year(
    registered_year: int | str | None, this_year: int, errors: dict[str, str]
) -> int | None:
    """The year of legal registration (optional), between FIRST_YEAR and this year."""
    year: int | None = None
    if registered_year not in (None, ""):
        try:
            year = int(str(registered_year).strip())
        except ValueError:
            year = None
        if year is None or not FIRST_YEAR <= year <= this_year:
            errors["registered_year"] = "Enter the year of legal registration, e.g. 2018."
    return year


def validate_registration(
    *,
    kind: str,
    name_zh: str,
    name_en: str,
    uscc_code: str,
    category: str,
    area: str,
    description_zh: str,
    description_en: str,
    contact_email: str,
    registered_year: int | str | None,
    this_year: int,
    by_operator: bool = False,
) -> Registration:
    """Every field checked at once; ValidationFailed lists each error beside its field."""
    errors: dict[str, str] = {}
    allowed = KINDS if by_operator else PUBLIC_KINDS
    kind = kind.strip()
    _check_kind(kind, allowed, errors)
    name_zh, name_en = name_zh.strip(), name_en.strip()
    _check_names(name_zh, name_en, errors)
    field_params: dict[str, dict[str, object]] = {}
    code = ""
    try:
        code = uscc.validate(uscc_code)
    except uscc.InvalidUSCC as exc:
        errors["uscc"] = exc.message
        field_params["uscc"] = exc.params
    category = category.strip()
    if kind == "social_org":
        if category not in CATEGORIES:
            errors["category"] = "Choose the category of your services."
    else:
        category = ""  # categories describe social organizations' services only
    area = area.strip()
    if len(area) > AREA_MAX:
        errors["area"] = "An area can be at most 100 characters."
    description_zh, description_en = description_zh.strip(), description_en.strip()
    for name, text in (("description_zh", description_zh), ("description_en", description_en)):
        if len(text) > DESCRIPTION_MAX:
            errors[name] = "A description can be at most 5000 characters."
    contact_email = contact_email.strip().lower()
    if contact_email and not EMAIL_RE.match(contact_email):
        errors["contact_email"] = "Enter a valid e-mail address."
    year = _registered_year(registered_year, this_year, errors)
    if errors:
        raise InvalidRegistration(errors, field_params)
    return Registration(
        kind=kind,
        name_zh=name_zh,
        name_en=name_en,
        uscc=code,
        category=category,
        area=area,
        description_zh=description_zh,
        description_en=description_en,
        contact_email=contact_email,
        registered_year=year,
    )


def validate_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationFailed.single("role", "Choose administrator or member.")
    return role


def fund_identifier(place_code: str) -> str:
    """A community fund has no Unified Social Credit Code of its own (it is a special
    fund held by the cultivation centre, not a legal person): its organization row
    carries `FUND-<the community's 12-digit code>` in the `uscc` column instead —
    unique, and never mistaken for a USCC (which has no hyphen). Open data names the
    fund by its own identifier built from the same code (opendata/giving_rules.py)."""
    if len(place_code) != 12 or not place_code.isascii() or not place_code.isdigit():
        raise ValueError(f"a community code is 12 digits, got {place_code!r}")
    return FUND_PREFIX + place_code


def is_fund_identifier(code: str) -> bool:
    return code.startswith(FUND_PREFIX)
