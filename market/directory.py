"""Read models for the home page and dashboards: who is on the platform; and the
organizations' read contract for other apps (names, memberships), so that no other
app names the kernel's tables in its SQL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from market.accounts import Principal
from market.sql import execute, ids_in
from market.tables import Membership, Organization, User

CATEGORIES = (
    "software_services",
    "science_technology",
    "dispute_mediation",
    "coordination_management",
    "charity",
    "community_services",
)
KINDS = ("department", "social_org", "company", "foundation", "operator")


async def home_summary() -> dict[str, Any]:
    organizations = (
        await Organization.select(
            Organization.id,
            Organization.kind,
            Organization.name_zh,
            Organization.name_en,
            Organization.category,
            Organization.rating,
            Organization.area,
        )
        .where(Organization.status == "verified")
        .where(Organization.kind.is_in(["department", "social_org", "company", "foundation"]))
        .order_by(Organization.kind)
        .order_by(Organization.rating, ascending=False)
        .order_by(Organization.id)
    )
    by_kind: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for row in organizations:
        by_kind[row["kind"]].append(row)
    return {"by_kind": by_kind, "organization_count": len(organizations)}


async def dashboard(principal: Principal) -> dict[str, Any]:
    pending = 0
    if principal.is_operator:
        pending = await Organization.count().where(Organization.status == "pending")
    return {
        "memberships": principal.memberships,
        "roles": principal.roles,
        "pending_organizations": pending,
    }


async def organization_names(organization_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Organization id → (name_zh, name_en), for those of the ids that exist."""
    ids = sorted(set(organization_ids))
    if not ids:
        return {}
    rows = await Organization.select(
        Organization.id, Organization.name_zh, Organization.name_en
    ).where(Organization.id.is_in(ids))
    return {int(r["id"]): (r["name_zh"], r["name_en"]) for r in rows}


async def organizations_of(user_ids: Iterable[int]) -> dict[int, set[int]]:
    """User id → the organizations the user is a member of (any status), for those of
    the users with a membership."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = await Membership.select(Membership.user, Membership.organization).where(
        Membership.user.is_in(ids)
    )
    found: dict[int, set[int]] = {}
    for r in rows:
        found.setdefault(int(r["user"]), set()).add(int(r["organization"]))
    return found


async def user_names(user_ids: Iterable[int]) -> dict[int, str]:
    """User id → display name, for those of the ids that exist."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = await User.select(User.id, User.display_name).where(User.id.is_in(ids))
    return {int(r["id"]): str(r["display_name"]) for r in rows}


async def member_names(organization_id: int, *, excluding: int) -> list[str]:
    """Display names of the organization's members (any status) but `excluding`, sorted."""
    rows = (
        await Membership.select(Membership.user.display_name.as_alias("name"))
        .where((Membership.organization == organization_id) & (Membership.user != excluding))
        .order_by(Membership.user.display_name)
    )
    return [str(r["name"]) for r in rows]


async def contacts(user_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """User id → (e-mail address, preferred language code or ""), for the active users
    among the ids: whom a notification can reach (10,000 at once for a project update:
    one statement on PostgreSQL, `market.sql.ids_in`)."""
    found: dict[int, tuple[str, str]] = {}
    for test, args in ids_in(sorted(set(user_ids))):
        rows = await execute(
            f"SELECT id, email, locale FROM market_user WHERE active = {{}} AND id {test}",  # noqa: S608
            True,
            *args,
        )
        found.update({int(r["id"]): (str(r["email"]), str(r["locale"])) for r in rows})
    return found


async def members_of(organization_ids: Iterable[int]) -> dict[int, set[int]]:
    """Organization id → the user ids of its members (any role), for those of the
    organizations with a member: whom a notification to an organization reaches."""
    found: dict[int, set[int]] = {}
    # Named SQL, not Piccolo's select: every matched donation asks (its sponsor is told),
    # and building the ORM query cost more CPU than the statement.
    for test, args in ids_in(sorted(set(organization_ids))):
        rows = await execute(
            f'SELECT "user", organization FROM market_membership WHERE organization {test}',  # noqa: S608
            *args,
        )
        for r in rows:
            found.setdefault(int(r["organization"]), set()).add(int(r["user"]))
    return found


async def operator_ids() -> list[int]:
    """The platform operators (members of a verified operator organization: they decide
    complaints), active users only, by id."""
    rows = await Membership.select(Membership.user).where(
        (Membership.organization.kind == "operator")
        & (Membership.organization.status == "verified")
        & (Membership.user.active == True)  # noqa: E712
    )
    return sorted({int(r["user"]) for r in rows})


async def member_ids(organization_ids: Iterable[int]) -> set[int]:
    """The users who are members of any of these organizations (any role), for telling
    an organization's people something (e.g. a sponsor of a project about its update)."""
    return {uid for members in (await members_of(organization_ids)).values() for uid in members}
