"""The kernel's part of the demo district (明湖区, Minghu District — fictional): its
people, its organizations and how each one joins the platform.

Every organization comes into being through the organizations services, at the
moment the district's history says, as in production: the cultivation centre is
founded by the system (`found_operator`, in `load_demo`); in the history
(composition/demo_history.py runs `joining_plan` on its timeline) its operator, Chen
Min, sets up the departments and the organizations the centre already knows whose
people have no demo log-in (`set_up_organization`), organizations with a demo admin
register themselves and are verified by the operator two days later, and the pending
ones register near the present (`register_pending`). No status is written directly:
each one follows from the audit chain's `organization.register` and
`organization.<decision>` events.

All demo users share one documented password, DEMO_PASSWORD.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from market import accounts, clock, uscc
from market import organization_rules as rules
from market.audit import actor_of, sequence_queued
from market.db import atomic
from market.demo_data import (
    COMPANIES,
    DEMO_PASSWORD,
    DEPARTMENTS,
    DIVISION,
    DOMAIN,
    FOUNDATIONS,
    PENDING,
    PLACES,
    SOCIAL_ORGS,
    STREETS,
    USERS,
    place_slug,
)
from market.organizations import services
from market.places import rules as place_rules
from market.places.services import add_place
from market.tables import User

__all__ = [
    "DEMO_PASSWORD",
    "PENDING",
    "STREETS",
    "USERS",
    "DemoDistrict",
    "DemoSection",
    "Joining",
    "email",
    "join",
    "joining_plan",
    "load_demo",
    "logins_table",
    "register_pending",
    "verify",
]

VERIFIED_AFTER_DAYS = 2  # how long a self-registration waits for the operator
SOCIAL_ORG_EVERY_DAYS = 7  # the social organizations joined one a week
# The centre opened this long before the district's history (composition/demo_history.py)
# begins: every established organization has joined and been verified by then.
FOUNDED_BEFORE_HISTORY = timedelta(days=120)
BEFORE_ANYTHING = datetime.min.replace(tzinfo=UTC)


class _Codes:
    """Deterministic, valid, distinct USCCs for the district, in the order asked."""

    def __init__(self) -> None:
        self._serial = itertools.count(1)

    def next(self, authority: str, kind: str) -> str:
        return uscc.make(authority, kind, DIVISION, f"MA{next(self._serial):06d}")


@dataclass
class DemoDistrict:
    """Ids of everything the demo created, by slug, for later sections and tests."""

    users: dict[str, int] = field(default_factory=dict)
    departments: dict[str, int] = field(default_factory=dict)
    operator_org: int = 0
    social_orgs: dict[str, int] = field(default_factory=dict)
    companies: dict[str, int] = field(default_factory=dict)
    foundations: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)
    places: dict[str, int] = field(default_factory=dict)  # slug → market_place id
    founded: datetime = BEFORE_ANYTHING  # when the cultivation centre opened
    codes: _Codes = field(default_factory=_Codes, repr=False)


def email(slug: str) -> str:
    return f"{USERS[slug][0]}@{DOMAIN}"


@contextmanager
def _at(moment: datetime) -> Iterator[None]:
    """The clock stands at `moment` inside (restored afterwards)."""
    saved = clock._now
    clock.set_clock(clock.FrozenClock(moment))
    try:
        yield
    finally:
        clock.set_clock(saved)


async def create_users() -> dict[str, int]:
    password_hash = accounts.hash_password(DEMO_PASSWORD)  # one hash: fast, same password
    now = clock.now()
    ids: dict[str, int] = {}
    for slug, (_, name, platform_role, _what) in USERS.items():
        rows = await User.insert(
            User(
                email=email(slug),
                display_name=name,
                password_hash=password_hash,
                platform_role=platform_role,
                created_at=now,
            )
        ).returning(User.id)
        ids[slug] = int(rows[0]["id"])
    return ids


@dataclass(frozen=True, slots=True)
class Joining:
    """When an established organization joins the platform: `group` is the
    DemoDistrict field its id goes to (departments, social_orgs, companies,
    foundations)."""

    at: datetime
    group: str
    slug: str


def joining_plan(founded: datetime) -> list[Joining]:
    """Every established organization's moment, in time order: the departments and
    the sponsors when the centre opens; the social organizations one a week, none
    before the year it was legally registered."""
    plan = [Joining(founded, "departments", slug) for slug in DEPARTMENTS]
    plan += [Joining(founded, "companies", slug) for slug in COMPANIES]
    plan += [Joining(founded, "foundations", slug) for slug in FOUNDATIONS]
    for index, (slug, row) in enumerate(SOCIAL_ORGS.items()):
        in_its_year = datetime(row[6], 1, 2, 10, tzinfo=rules.LOCAL_ZONE)
        weekly = founded + timedelta(days=SOCIAL_ORG_EVERY_DAYS * index)
        plan.append(Joining(max(weekly, in_its_year), "social_orgs", slug))
    return sorted(plan, key=lambda joining: joining.at)  # stable: ties keep their order


def _registration(demo: DemoDistrict, group: str, slug: str) -> tuple[dict[str, Any], str | None]:
    """(the registration's fields with a fresh code, the admin's slug) of one organization."""
    if group == "departments":
        name_zh, name_en, desc_zh, desc_en, area, admin = DEPARTMENTS[slug]
        fields: dict[str, Any] = {"kind": "department", "uscc": demo.codes.next("1", "1")}
        fields |= {"area": area}  # an organ of state (机关)
    elif group == "social_orgs":
        kind_code, name_zh, name_en, category, _rating, area, year, desc_zh, desc_en, admin = (
            SOCIAL_ORGS[slug]
        )
        fields = {"kind": "social_org", "uscc": demo.codes.next("5", kind_code)}
        fields |= {"category": category, "area": area, "registered_year": year}
    elif group == "companies":
        name_zh, name_en, area, year, desc_zh, desc_en, admin = COMPANIES[slug]
        fields = {"kind": "company", "uscc": demo.codes.next("9", "1")}
        fields |= {"area": area, "registered_year": year}
    else:
        name_zh, name_en, year, desc_zh, desc_en, admin = FOUNDATIONS[slug]
        fields = {"kind": "foundation", "uscc": demo.codes.next("5", "3"), "registered_year": year}
    fields |= {"name_zh": name_zh, "name_en": name_en}
    if group != "foundations":  # where it is based, from the district's places
        fields["place"] = demo.places[place_slug(str(fields.get("area", "")))]
    return fields | {"description_zh": desc_zh, "description_en": desc_en}, admin


def rating_of(slug: str) -> str:
    """A social organization's rating (the others have none)."""
    return SOCIAL_ORGS[slug][4] if slug in SOCIAL_ORGS else ""


async def join(demo: DemoDistrict, joining: Joining) -> int | None:
    """The organization joins now, the way it would: one with a demo admin that may
    register itself does so, and waits for the operator (returns its id: `verify` it
    later); any other — a department, or one whose people have no demo log-in — is set
    up by the operator, verified, on behalf of its admin if any (returns None)."""
    fields, admin = _registration(demo, joining.group, joining.slug)
    admin_id = demo.users[admin] if admin else None
    ids: dict[str, int] = getattr(demo, joining.group)
    if admin_id is not None and fields["kind"] in rules.PUBLIC_KINDS:
        ids[joining.slug] = await services.register_organization(user_id=admin_id, **fields)
        return ids[joining.slug]
    ids[joining.slug] = await services.set_up_organization(
        operator_id=demo.users["operator"],
        admin_user_id=admin_id,
        rating=rating_of(joining.slug),
        **fields,
    )
    return None


async def verify(demo: DemoDistrict, joining: Joining, organization_id: int) -> None:
    """The operator verifies a registration (with its rating, for a social organization)."""
    await services.decide_organization(
        operator_id=demo.users["operator"],
        organization_id=organization_id,
        action="verify",
        rating=rating_of(joining.slug) or None,
    )


async def found_centre(demo: DemoDistrict) -> int:
    """The cultivation centre, founded now by the system with Chen Min as its admin."""
    return await services.found_operator(
        admin_user_id=demo.users["operator"],
        uscc=demo.codes.next("1", "2"),  # a public institution (事业单位)
        name_zh="明湖区社会组织培育发展中心",
        name_en="Minghu Social Organization Cultivation Centre",
        description_zh="登记、培育和评估全区社会组织，运营公益招投标平台。",
        description_en="Registers, supports and rates the district's social "
        "organizations and runs this tendering platform.",
        registered_year=2015,
    )


async def map_places(demo: DemoDistrict) -> None:
    """The district, its streets and communities, entered by the cultivation centre's
    admin when the platform opens (parents before children: PLACES is in code order)."""
    by_code: dict[str, int] = {}
    for slug, (code, name_zh, name_en) in sorted(PLACES.items(), key=lambda item: item[1][0]):
        parent = place_rules.parent_prefix(code)
        place = await add_place(
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            parent_id=by_code[parent] if parent else None,
            actor=actor_of(demo.users["operator"]),
        )
        by_code[code] = demo.places[slug] = place.id


async def register_pending(demo: DemoDistrict, slug: str) -> int:
    """A registration still waiting in the operator's queue, submitted now by Wu Jing
    (the history runs it `PENDING[slug]`'s days before the present)."""
    name_zh, name_en, category, area, year, _days_ago, desc_zh, desc_en = PENDING[slug]
    demo.pending[slug] = await services.register_organization(
        user_id=demo.users["applicant"],
        kind="social_org",
        uscc=demo.codes.next("5", "2"),
        name_zh=name_zh,
        name_en=name_en,
        description_zh=desc_zh,
        description_en=desc_en,
        category=category,
        area=area,
        place=demo.places[place_slug(area)],
        registered_year=year,
    )
    return demo.pending[slug]


DemoSection = Callable[["DemoDistrict"], Awaitable[object]]


async def load_demo(
    sections: Sequence[DemoSection] = (), *, history_starts: datetime | None = None
) -> DemoDistrict:
    """Everything in one transaction: the district appears whole or not at all.
    The people and the cultivation centre come first, `FOUNDED_BEFORE_HISTORY`
    before `history_starts` (default: 800 days ago); `sections` are the rest, passed
    in by the composition root (composition/demo.py) and run in order: the district's
    history from the centre's founding on, in which every other organization joins
    (`joining_plan`, `join`, `verify`, `register_pending`)."""
    start = history_starts or clock.now() - timedelta(days=800)
    demo = DemoDistrict(founded=start - FOUNDED_BEFORE_HISTORY)
    async with atomic():
        with _at(demo.founded):
            demo.users = await create_users()
            demo.operator_org = await found_centre(demo)
            await map_places(demo)
        for section in sections:
            await section(demo)
        await sequence_queued()  # the history arrives chained, as a worker would leave it
    return demo


def logins_table() -> str:
    width = max(len(email(slug)) for slug in USERS)
    lines = [f"  Demo log-ins (password for all: {DEMO_PASSWORD})"]
    for slug, (_, name, _role, what) in USERS.items():
        lines.append(f"    {email(slug):<{width}}  {what}  ({name})")
    return "\n".join(lines)
