"""The kernel's part of the demo district (明湖区, Minghu District — fictional).

One section per function, each returning the ids it created keyed by a short slug,
so later issues can extend the district (tenders, bids, donations…) by adding a
section to `load_demo()` that uses the ids of the earlier ones.

All demo users share one documented password, DEMO_PASSWORD.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from market import accounts, clock, uscc
from market import organization_rules as rules
from market.audit import append_audit, sequence_queued
from market.db import atomic
from market.demo_data import (
    COMPANIES,
    DEMO_PASSWORD,
    DEPARTMENTS,
    DIVISION,
    DOMAIN,
    FOUNDATIONS,
    PENDING,
    SOCIAL_ORGS,
    STREETS,
    USERS,
)
from market.organizations import services
from market.tables import Membership, Organization, User

__all__ = [
    "DEMO_PASSWORD",
    "STREETS",
    "USERS",
    "DemoDistrict",
    "DemoSection",
    "email",
    "load_demo",
    "logins_table",
]


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


def email(slug: str) -> str:
    return f"{USERS[slug][0]}@{DOMAIN}"


class _Codes:
    """Deterministic, valid, distinct USCCs for the district."""

    def __init__(self) -> None:
        self._serial = itertools.count(1)

    def next(self, authority: str, kind: str) -> str:
        return uscc.make(authority, kind, DIVISION, f"MA{next(self._serial):06d}")


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


async def _organization(
    *,
    kind: str,
    code: str,
    name_zh: str,
    name_en: str,
    description_zh: str = "",
    description_en: str = "",
    category: str = "",
    rating: str = "",
    area: str = "",
    year: int | None = None,
    status: str = "verified",
    submitted_at: datetime,
    decided_by: int | None,
    admin: int | None,
) -> int:
    """One organization (+ its admin). One that could register itself and has a demo
    admin does, through the organizations service (and is verified by the operator);
    departments, the operator and the admin-less rest are set up as the operator
    would, recorded in the audit chain like a real registration."""
    if admin is not None and kind in rules.PUBLIC_KINDS:
        return await _registered(
            kind=kind,
            code=code,
            texts=(name_zh, name_en, description_zh, description_en),
            category=category,
            rating=rating,
            area=area,
            year=year,
            verify=status != "pending",
            submitted_at=submitted_at,
            operator=decided_by,
            admin=admin,
        )
    decided = status != "pending"
    decided_at = submitted_at + timedelta(days=2) if decided else None
    rows = await Organization.insert(
        Organization(
            kind=kind,
            name_zh=name_zh,
            name_en=name_en,
            uscc=code,
            category=category,
            rating=rating,
            status=status,
            area=area,
            description_zh=description_zh,
            description_en=description_en,
            registered_year=year,
            created_at=submitted_at,
            submitted_at=submitted_at,
            decision_due_at=rules.decision_deadline(submitted_at),
            decided_at=decided_at,
            decided_by=decided_by if decided else None,
        )
    ).returning(Organization.id)
    organization_id = int(rows[0]["id"])
    if admin is not None:
        await Membership.insert(
            Membership(
                user=admin, organization=organization_id, role="admin", created_at=submitted_at
            )
        )
    await append_audit(
        "demo",
        "organization.register",
        "organization",
        organization_id,
        {"kind": kind, "uscc": code, "status": "pending"},
    )
    if decided:
        await append_audit(
            "demo",
            "organization.verify",
            "organization",
            organization_id,
            {"from": "pending", "to": status, "reason": "", "rating": rating},
        )
    return organization_id


async def _registered(
    *,
    kind: str,
    code: str,
    texts: tuple[str, str, str, str],
    category: str,
    rating: str,
    area: str,
    year: int | None,
    verify: bool,
    submitted_at: datetime,
    operator: int | None,
    admin: int,
) -> int:
    """Registered by its admin at `submitted_at`; verified two days later."""
    name_zh, name_en, description_zh, description_en = texts
    saved, at = clock._now, clock.FrozenClock(submitted_at)
    clock.set_clock(at)
    try:
        organization_id = await services.register_organization(
            user_id=admin,
            kind=kind,
            name_zh=name_zh,
            name_en=name_en,
            uscc=code,
            category=category,
            area=area,
            description_zh=description_zh,
            description_en=description_en,
            registered_year=year,
        )
        if verify and operator is not None:
            at.advance(days=2)
            await services.decide_organization(
                operator_id=operator,
                organization_id=organization_id,
                action="verify",
                rating=rating or None,
            )
    finally:
        clock.set_clock(saved)
    return organization_id


async def create_operator(users: dict[str, int], codes: _Codes, since: datetime) -> int:
    return await _organization(
        kind="operator",
        code=codes.next("1", "2"),  # a public institution (事业单位)
        name_zh="明湖区社会组织培育发展中心",
        name_en="Minghu Social Organization Cultivation Centre",
        description_zh="登记、培育和评估全区社会组织，运营公益招投标平台。",
        description_en="Registers, supports and rates the district's social organizations "
        "and runs this tendering platform.",
        year=2015,
        submitted_at=since,
        decided_by=None,
        admin=users["operator"],
    )


async def create_departments(
    users: dict[str, int], codes: _Codes, since: datetime
) -> dict[str, int]:
    ids = {}
    for slug, (name_zh, name_en, desc_zh, desc_en, area, admin) in DEPARTMENTS.items():
        ids[slug] = await _organization(
            kind="department",
            code=codes.next("1", "1"),  # an organ of state (机关)
            name_zh=name_zh,
            name_en=name_en,
            description_zh=desc_zh,
            description_en=desc_en,
            area=area,
            submitted_at=since,
            decided_by=users["operator"],
            admin=users[admin] if admin else None,
        )
    return ids


async def create_social_orgs(
    users: dict[str, int], codes: _Codes, since: datetime
) -> dict[str, int]:
    ids = {}
    for index, (slug, row) in enumerate(SOCIAL_ORGS.items()):
        kind_code, name_zh, name_en, category, rating, area, year, desc_zh, desc_en, admin = row
        ids[slug] = await _organization(
            kind="social_org",
            code=codes.next("5", kind_code),
            name_zh=name_zh,
            name_en=name_en,
            description_zh=desc_zh,
            description_en=desc_en,
            category=category,
            rating=rating,
            area=area,
            year=year,
            submitted_at=since + timedelta(days=7 * index),
            decided_by=users["operator"],
            admin=users[admin] if admin else None,
        )
    return ids


async def create_sponsors(
    users: dict[str, int], codes: _Codes, since: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    companies = {}
    for slug, (name_zh, name_en, area, year, desc_zh, desc_en, admin) in COMPANIES.items():
        companies[slug] = await _organization(
            kind="company",
            code=codes.next("9", "1"),
            name_zh=name_zh,
            name_en=name_en,
            description_zh=desc_zh,
            description_en=desc_en,
            area=area,
            year=year,
            submitted_at=since,
            decided_by=users["operator"],
            admin=users[admin] if admin else None,
        )
    foundations = {}
    for slug, (name_zh, name_en, year, desc_zh, desc_en, admin) in FOUNDATIONS.items():
        foundations[slug] = await _organization(
            kind="foundation",
            code=codes.next("5", "3"),
            name_zh=name_zh,
            name_en=name_en,
            description_zh=desc_zh,
            description_en=desc_en,
            year=year,
            submitted_at=since,
            decided_by=users["operator"],
            admin=users[admin] if admin else None,
        )
    return companies, foundations


async def create_pending(users: dict[str, int], codes: _Codes) -> dict[str, int]:
    """Registrations waiting in the operator's queue: one overdue, one fresh."""
    now = clock.now()
    ids = {}
    for slug, row in PENDING.items():
        name_zh, name_en, category, area, year, days_ago, desc_zh, desc_en = row
        ids[slug] = await _organization(
            kind="social_org",
            code=codes.next("5", "2"),
            name_zh=name_zh,
            name_en=name_en,
            description_zh=desc_zh,
            description_en=desc_en,
            category=category,
            area=area,
            year=year,
            status="pending",
            submitted_at=now - timedelta(days=days_ago),
            decided_by=None,
            admin=users["applicant"],
        )
    return ids


DemoSection = Callable[["DemoDistrict"], Awaitable[object]]


async def load_demo(sections: Sequence[DemoSection] = ()) -> DemoDistrict:
    """Everything in one transaction: the district appears whole or not at all.
    `sections` are the parts that need the other apps (the district's history),
    passed in by the composition root (composition/demo.py) and run in order."""
    codes = _Codes()
    since = clock.now() - timedelta(days=800)  # before the history begins
    demo = DemoDistrict()
    async with atomic():
        demo.users = await create_users()
        demo.operator_org = await create_operator(demo.users, codes, since)
        demo.departments = await create_departments(demo.users, codes, since)
        demo.social_orgs = await create_social_orgs(demo.users, codes, since)
        demo.companies, demo.foundations = await create_sponsors(demo.users, codes, since)
        demo.pending = await create_pending(demo.users, codes)
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
