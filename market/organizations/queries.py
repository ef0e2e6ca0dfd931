"""Organization read models: the public directory, profiles, members and the
operator's queue."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from market import clock
from market import organization_rules as rules
from market.accounts import Principal
from market.db import is_postgres
from market.errors import NotFound, PermissionDenied
from market.tables import Membership, Organization

PAGE_SIZE = 20
PUBLIC_STATUSES = ("verified", "suspended")
NOT_FOUND = "No such organization."


_LIST_COLUMNS = (
    Organization.id,
    Organization.kind,
    Organization.name_zh,
    Organization.name_en,
    Organization.category,
    Organization.rating,
    Organization.area,
    Organization.registered_year,
    Organization.status,
)


@dataclass(frozen=True, slots=True)
class Filters:
    kind: str = ""
    category: str = ""
    area: str = ""
    q: str = ""

    @classmethod
    def parse(cls, params: dict[str, str]) -> Filters:
        """Unknown codes are ignored rather than refused: a filter is a request to narrow."""
        kind = params.get("kind", "").strip()
        category = params.get("category", "").strip()
        return cls(
            kind=kind if kind in rules.KINDS else "",
            category=category if category in rules.CATEGORIES else "",
            area=params.get("area", "").strip()[: rules.AREA_MAX],
            q=params.get("q", "").strip()[:100],
        )

    def as_params(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (
                ("kind", self.kind),
                ("category", self.category),
                ("area", self.area),
                ("q", self.q),
            )
            if v
        }


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[dict[str, Any]]
    page: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _where(filters: Filters) -> Any:
    condition = Organization.status == "verified"
    if filters.kind:
        condition &= Organization.kind == filters.kind
    if filters.category:
        condition &= Organization.category == filters.category
    if filters.area:
        condition &= Organization.area == filters.area
    if filters.q:
        # LIKE wildcards in the search text are dropped rather than escaped (portable).
        text = filters.q.replace("%", "").replace("_", "").replace("\\", "")
        if text:
            pattern = f"%{text}%"
            # SQLite's LIKE already ignores ASCII case; PostgreSQL needs ILIKE.
            like = "ilike" if is_postgres() else "like"
            condition &= (
                getattr(Organization.name_zh, like)(pattern)
                | getattr(Organization.name_en, like)(pattern)
                | (Organization.uscc == text.upper())
            )
    return condition


async def list_organizations(
    filters: Filters, *, page: int = 1, page_size: int = PAGE_SIZE
) -> Page:
    """Verified organizations, best rated first, then oldest on the platform first."""
    where = _where(filters)
    total = await Organization.count().where(where)
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    rows = (
        await Organization.select(*_LIST_COLUMNS)
        .where(where)
        .order_by(Organization.rating, ascending=False)
        .order_by(Organization.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return Page(rows=rows, page=page, pages=pages, total=total)


async def public_areas() -> list[str]:
    """Areas (street offices) that verified organizations are based in, for the filter."""
    rows = (
        await Organization.select(Organization.area)
        .where((Organization.status == "verified") & (Organization.area != ""))
        .distinct()
        .order_by(Organization.area)
    )
    return [row["area"] for row in rows]


def _can_see_everything(viewer: Principal | None, organization_id: int) -> bool:
    return viewer is not None and (
        viewer.is_operator or viewer.is_auditor or viewer.member_of(organization_id)
    )


async def organization_profile(organization_id: int, viewer: Principal | None) -> dict[str, Any]:
    """The public profile; pending and rejected organizations exist only for their
    members, operators and auditors (everyone else gets NotFound, as for a missing id)."""
    row = (
        await Organization.select(
            *_LIST_COLUMNS,
            Organization.description_zh,
            Organization.description_en,
            Organization.place,
            Organization.uscc,
            Organization.contact_email,
            Organization.submitted_at,
            Organization.decision_due_at,
            Organization.decided_at,
            Organization.decision_reason,
        )
        .where(Organization.id == organization_id)
        .first()
    )
    insider = _can_see_everything(viewer, organization_id)
    if row is None or (row["status"] not in PUBLIC_STATUSES and not insider):
        raise NotFound(NOT_FOUND)
    if not insider:
        row["decision_reason"] = ""
        row["submitted_at"] = row["decision_due_at"] = None
    return {
        "org": row,
        "insider": insider,
        "is_admin": viewer is not None and viewer.member_of(organization_id, admin=True),
        "overdue": rules.is_overdue(row["status"], row["decision_due_at"], clock.now())
        if row["decision_due_at"]
        else False,
    }


async def organization_members(organization_id: int, viewer: Principal) -> dict[str, Any]:
    """Members of an organization: for its members, operators and auditors."""
    profile = await organization_profile(organization_id, viewer)
    if not profile["insider"]:
        raise PermissionDenied("Only the organization's members can see its members.")
    members = (
        await Membership.select(
            Membership.id,
            Membership.role,
            Membership.created_at,
            Membership.user.display_name.as_alias("display_name"),
            Membership.user.email.as_alias("email"),
        )
        .where(Membership.organization == organization_id)
        .order_by(Membership.id)
    )
    return {**profile, "members": members}


async def operator_queue(*, decided_status: str = "") -> dict[str, Any]:
    """Pending organizations by decision deadline (overdue flagged), then decided ones
    the operator may still act on (suspend a verified one, reinstate a suspended one)."""
    now = clock.now()
    columns = (
        *_LIST_COLUMNS,
        Organization.uscc,
        Organization.submitted_at,
        Organization.decision_due_at,
        Organization.decided_at,
        Organization.decision_reason,
    )
    pending = (
        await Organization.select(*columns)
        .where(Organization.status == "pending")
        .order_by(Organization.decision_due_at)
        .order_by(Organization.id)
    )
    for row in pending:
        row["overdue"] = rules.is_overdue("pending", row["decision_due_at"], now)
    statuses = [decided_status] if decided_status in rules.STATUSES[1:] else rules.STATUSES[1:]
    decided = (
        await Organization.select(*columns)
        .where(Organization.status.is_in(list(statuses)))
        .where(Organization.kind.is_in(list(rules.PUBLIC_KINDS)))
        .order_by(Organization.decided_at, ascending=False)
        .order_by(Organization.id, ascending=False)
        .limit(100)
    )
    return {
        "pending": pending,
        "overdue_count": sum(1 for row in pending if row["overdue"]),
        "decided": decided,
        "decided_status": decided_status if decided_status in rules.STATUSES[1:] else "",
    }
