"""Small factories with explicit values, and the web helpers tests share.

Factories write straight to the tables (fast, any status) except users, which go
through `accounts.sign_up` so their passwords are real. Every factory returns an id.
"""

from __future__ import annotations

import itertools
from datetime import datetime

import httpx

from market import accounts, audit, clock, uscc
from market.organization_rules import decision_deadline
from market.tables import Membership, Organization
from tests.web.forms import csrf_token, log_in, post_form

__all__ = [
    "PASSWORD",
    "chained_and_verified",
    "csrf_token",
    "htmx",
    "login",
    "make_member",
    "make_operator",
    "make_org",
    "make_user",
    "next_uscc",
    "post_form",
]

PASSWORD = "correct horse battery"
HTMX = {"HX-Request": "true"}
_serial = itertools.count(1)


async def chained_and_verified() -> audit.ChainStatus:
    """`market audit verify` once the worker's sequencer has chained every queued row."""
    await audit.sequence_queued()
    return await audit.verify_chain()


def htmx(**extra: str) -> dict[str, str]:
    """Headers of a (non-boosted) htmx request."""
    return {**HTMX, **extra}


def next_uscc(authority: str = "5", kind: str = "2", division: str = "330106") -> str:
    """A fresh valid Unified Social Credit Code (unique within the test run)."""
    return uscc.make(authority, kind, division, f"TB{next(_serial):06d}")


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> None:
    await log_in(client, email, password)


async def make_user(
    email: str | None = None,
    *,
    display_name: str = "Test User",
    password: str = PASSWORD,
    platform_role: str = "",
    locale: str = "",
) -> int:
    email = email or f"user{next(_serial)}@example.org"
    return await accounts.sign_up(
        email=email,
        display_name=display_name,
        password=password,
        platform_role=platform_role,
        locale=locale,
    )


async def make_org(
    *,
    kind: str = "social_org",
    name_zh: str = "测试社会组织",
    name_en: str = "Test Social Organization",
    status: str = "verified",
    category: str | None = None,
    rating: str = "",
    area: str = "",
    registered_year: int | None = None,
    code: str | None = None,
    submitted_at: datetime | None = None,
    admin: int | None = None,
    description_zh: str = "",
    description_en: str = "",
) -> int:
    """An organization in any status; `admin` (a user id) becomes its admin member."""
    now = clock.now()
    submitted = submitted_at or now
    if category is None:
        category = "community_services" if kind == "social_org" else ""
    rows = await Organization.insert(
        Organization(
            kind=kind,
            name_zh=name_zh,
            name_en=name_en,
            uscc=code or next_uscc(),
            category=category,
            rating=rating,
            status=status,
            area=area,
            description_zh=description_zh,
            description_en=description_en,
            registered_year=registered_year,
            created_at=submitted,
            submitted_at=submitted,
            decision_due_at=decision_deadline(submitted),
            decided_at=None if status == "pending" else now,
        )
    ).returning(Organization.id)
    organization_id = int(rows[0]["id"])
    if admin is not None:
        await make_member(admin, organization_id, role="admin")
    return organization_id


async def make_member(user_id: int, organization_id: int, *, role: str = "member") -> int:
    rows = await Membership.insert(
        Membership(user=user_id, organization=organization_id, role=role, created_at=clock.now())
    ).returning(Membership.id)
    return int(rows[0]["id"])


async def make_operator(email: str | None = None) -> int:
    """A user who is a member of a verified operator organization (the cultivation centre)."""
    user_id = await make_user(email, display_name="Operator")
    await make_org(
        kind="operator",
        name_zh="社会组织培育中心",
        name_en="Cultivation Centre",
        admin=user_id,
        code=next_uscc("1", "2"),
    )
    return user_id
