"""Organization services: registration, the operator's decisions, members.

Services take primitives, own their transaction (`atomic()`), call the pure rules in
`organization_rules`, and record every change in the audit chain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from market import clock
from market import organization_rules as rules
from market.accounts import normalise_email
from market.audit import actor_of, append_audit
from market.db import atomic
from market.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from market.organizations.queries import NOT_FOUND
from market.sql import is_unique_violation
from market.tables import Membership, Organization, User

DUPLICATE_USCC = "An organization with this Unified Social Credit Code is already registered."


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


def _decision_changes(
    decision: rules.Decision, operator_id: int, now: datetime, version: int
) -> dict[Any, Any]:
    """The columns an operator's decision sets (the rating only when it gives one)."""
    changes: dict[Any, Any] = {
        Organization.status: decision.status,
        Organization.decided_at: now,
        Organization.decided_by: operator_id,
        Organization.decision_reason: decision.reason,
        Organization.version: version + 1,
    }
    if decision.rating is not None:
        changes[Organization.rating] = decision.rating
    return changes


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
        updated = (
            await Organization.update(
                _decision_changes(decision, operator_id, now, current["version"])
            )
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
