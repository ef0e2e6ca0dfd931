"""Organization services: registration, the operator's decisions, members, read models.

Services take primitives, own their transaction (`atomic()`), call the pure rules in
`organization_rules`, and record every change in the audit chain.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from market import clock
from market import organization_rules as rules
from market.accounts import Principal, normalise_email
from market.audit import actor_of, append_audit
from market.db import atomic, is_postgres
from market.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from market.sql import is_unique_violation
from market.tables import Membership, Organization, User

PAGE_SIZE = 20
PUBLIC_STATUSES = ("verified", "suspended")
DUPLICATE_USCC = "An organization with this Unified Social Credit Code is already registered."
NOT_FOUND = "No such organization."


# --- writes -----------------------------------------------------------------


async def register_organization(
    *,
    user_id: int,
    kind: str,
    name_zh: str,
    name_en: str = "",
    uscc: str,
    category: str = "",
    area: str = "",
    description_zh: str = "",
    description_en: str = "",
    contact_email: str = "",
    registered_year: int | str | None = None,
) -> int:
    """A pending organization with the registering user as its admin; returns its id.

    Every field error is reported at once (ValidationFailed); nothing is saved then.
    """
    now = clock.now()
    registration = rules.validate_registration(
        kind=kind,
        name_zh=name_zh,
        name_en=name_en,
        uscc_code=uscc,
        category=category,
        area=area,
        description_zh=description_zh,
        description_en=description_en,
        contact_email=contact_email,
        registered_year=registered_year,
        this_year=now.astimezone(rules.LOCAL_ZONE).year,
    )
    try:
        async with atomic():
            organization_id = await _insert_organization(registration, user_id=user_id, now=now)
            await append_audit(
                actor_of(user_id),
                "organization.register",
                "organization",
                organization_id,
                {"kind": registration.kind, "uscc": registration.uscc, "status": "pending"},
            )
    except Exception as exc:
        if is_unique_violation(exc):  # lost a race with the same code
            raise ValidationFailed.single("uscc", DUPLICATE_USCC) from None
        raise
    return organization_id


async def _insert_organization(
    registration: rules.Registration,
    *,
    user_id: int,
    now: datetime,
    status: str = "pending",
    rating: str = "",
    decided_by: int | None = None,
) -> int:
    """Insert the organization and its first admin (inside the caller's transaction)."""
    if await Organization.exists().where(Organization.uscc == registration.uscc):
        raise ValidationFailed.single("uscc", DUPLICATE_USCC)
    if not await User.exists().where(User.id == user_id):
        raise NotFound("No such user.")
    decided = status != "pending"
    rows = await Organization.insert(
        Organization(
            kind=registration.kind,
            name_zh=registration.name_zh,
            name_en=registration.name_en,
            uscc=registration.uscc,
            category=registration.category,
            rating=rating,
            status=status,
            area=registration.area,
            description_zh=registration.description_zh,
            description_en=registration.description_en,
            contact_email=registration.contact_email,
            registered_year=registration.registered_year,
            created_at=now,
            submitted_at=now,
            decision_due_at=rules.decision_deadline(now),
            decided_at=now if decided else None,
            decided_by=decided_by if decided else None,
        )
    ).returning(Organization.id)
    organization_id = int(rows[0]["id"])
    await Membership.insert(
        Membership(user=user_id, organization=organization_id, role="admin", created_at=now)
    )
    return organization_id


async def is_operator(user_id: int) -> bool:
    """A member of a verified operator organization (the cultivation centre)."""
    return bool(
        await Membership.exists().where(
            (Membership.user == user_id)
            & (Membership.organization.kind == "operator")
            & (Membership.organization.status == "verified")
        )
    )


async def decide_organization(
    *,
    operator_id: int,
    organization_id: int,
    action: str,
    reason: str = "",
    rating: str | None = None,
) -> str:
    """verify | reject | suspend | reinstate; returns the new status.

    Only operators may decide, and never on an organization they belong to.
    """
    if not await is_operator(operator_id):
        raise PermissionDenied("Only platform operators may decide on organizations.")
    now = clock.now()
    async with atomic():
        current = (
            await Organization.select(
                Organization.status, Organization.rating, Organization.version
            )
            .where(Organization.id == organization_id)
            .first()
        )
        if current is None:
            raise NotFound(NOT_FOUND)
        if await Membership.exists().where(
            (Membership.user == operator_id) & (Membership.organization == organization_id)
        ):
            raise PermissionDenied("You cannot decide on an organization you belong to.")
        decision = rules.decide(current["status"], action, reason=reason, rating=rating)
        changes: dict[Any, Any] = {
            Organization.status: decision.status,
            Organization.decided_at: now,
            Organization.decided_by: operator_id,
            Organization.decision_reason: decision.reason,
            Organization.version: current["version"] + 1,
        }
        if decision.rating is not None:
            changes[Organization.rating] = decision.rating
        updated = (
            await Organization.update(changes)
            .where(
                (Organization.id == organization_id) & (Organization.version == current["version"])
            )
            .returning(Organization.id)
        )
        if not updated:
            raise Conflict("Someone else changed this organization just now. Reload and try again.")
        await append_audit(
            actor_of(operator_id),
            f"organization.{action}",
            "organization",
            organization_id,
            {
                "from": current["status"],
                "to": decision.status,
                "reason": decision.reason,
                "rating": current["rating"] if decision.rating is None else decision.rating,
            },
        )
    return decision.status


async def add_member(*, admin_user_id: int, organization_id: int, email: str, role: str) -> int:
    """An organization's admin adds an existing account as admin or member."""
    role = rules.validate_role(role)
    email = normalise_email(email)
    async with atomic():
        if not await Organization.exists().where(Organization.id == organization_id):
            raise NotFound(NOT_FOUND)
        if not await Membership.exists().where(
            (Membership.user == admin_user_id)
            & (Membership.organization == organization_id)
            & (Membership.role == "admin")
        ):
            raise PermissionDenied("Only the organization's administrators can add members.")
        user = await User.select(User.id).where(User.email == email).first()
        if user is None:
            raise ValidationFailed.single(
                "email", "No account uses this e-mail. Ask them to sign up first."
            )
        if await Membership.exists().where(
            (Membership.user == user["id"]) & (Membership.organization == organization_id)
        ):
            raise ValidationFailed.single("email", "This person is already a member.")
        rows = await Membership.insert(
            Membership(
                user=user["id"], organization=organization_id, role=role, created_at=clock.now()
            )
        ).returning(Membership.id)
        await append_audit(
            actor_of(admin_user_id),
            "organization.member_add",
            "organization",
            organization_id,
            {"user_id": user["id"], "role": role},
        )
    return int(rows[0]["id"])


# --- read models ------------------------------------------------------------

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
