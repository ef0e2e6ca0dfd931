"""Read models for the home page and dashboards: who is on the platform."""

from __future__ import annotations

from typing import Any

from market.accounts import Principal
from market.tables import Organization

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
