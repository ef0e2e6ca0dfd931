"""Organization services: registration, the operator's decisions, members.

Services take primitives, own their transaction (`atomic()`), call the pure rules in
`organization_rules`, and record every change in the audit chain. An organization's
status is only ever written by a decision (`decide_organization`, or the system's one
verification of the platform's first operator, `found_operator`), each with its
`organization.<action>` event after the `organization.register` event that created it
pending: replaying an organization's events gives its status.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any, Required, TypedDict, Unpack

from market import clock
from market import organization_rules as rules
from market.accounts import normalise_email
from market.audit import actor_of, append_audit
from market.db import atomic
from market.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from market.organizations.queries import NOT_FOUND
from market.places.queries import area_name, lineage
from market.sql import is_unique_violation
from market.tables import Membership, Organization, User

DUPLICATE_USCC = "An organization with this Unified Social Credit Code is already registered."
SYSTEM = "system"  # the audit actor of what the platform does itself


class Fields(TypedDict, total=False):
    """A registration's fields, as the form names them (name_zh and uscc required)."""

    kind: str
    name_zh: Required[str]
    uscc: Required[str]
    name_en: str
    category: str
    area: str
    description_zh: str
    description_en: str
    contact_email: str
    registered_year: int | str | None
    place: int | str | None  # a market_place id (the area then follows from it)


# --- writes -----------------------------------------------------------------


async def register_organization(*, user_id: int, **fields: Unpack[Fields]) -> int:
    """A pending organization with the registering user as its admin; returns its id.
    `fields`: kind, name_zh, uscc (required); name_en, category, area,
    description_zh, description_en, contact_email, registered_year.

    Every field error is reported at once (ValidationFailed); nothing is saved then.
    """
    registration = _validated(fields, by_operator=False)
    async with _unique_code():
        return await _register(
            registration,
            actor=actor_of(user_id),
            admin=user_id,
            on_behalf=False,
            place=_place_choice(fields),
        )


def _validated(fields: Fields, *, by_operator: bool) -> rules.Registration:
    return rules.validate_registration(
        kind=fields.get("kind", ""),
        name_zh=fields["name_zh"],
        name_en=fields.get("name_en", ""),
        uscc_code=fields["uscc"],
        category=fields.get("category", ""),
        area=fields.get("area", ""),
        description_zh=fields.get("description_zh", ""),
        description_en=fields.get("description_en", ""),
        contact_email=fields.get("contact_email", ""),
        registered_year=fields.get("registered_year"),
        this_year=clock.now().astimezone(rules.LOCAL_ZONE).year,
        by_operator=by_operator,
    )


def _place_choice(fields: Fields) -> int | None:
    """The place chosen from the form's list (None: none chosen)."""
    raw = str(fields.get("place") or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise ValidationFailed.single("place", "Choose the place from the list.")
    return int(raw)


async def _placed(registration: rules.Registration, place: int | None) -> rules.Registration:
    """The registration with its area named after its place (when one is chosen)."""
    if place is None:
        return registration
    try:
        places = await lineage(place)
    except NotFound:
        raise ValidationFailed.single("place", "Choose the place from the list.") from None
    return replace(registration, area=area_name(places))


@asynccontextmanager
async def _unique_code() -> AsyncIterator[None]:
    """A registration that lost a race with the same code is a field error too."""
    try:
        yield
    except Exception as exc:
        if is_unique_violation(exc):
            raise ValidationFailed.single("uscc", DUPLICATE_USCC) from None
        raise


async def _register(
    registration: rules.Registration,
    *,
    actor: str,
    admin: int | None,
    on_behalf: bool = True,
    place: int | None = None,
) -> int:
    """The pending organization, its first admin (when there is one) and its
    `organization.register` event, in one transaction; returns its id."""
    now = clock.now()
    async with atomic():
        registration = await _placed(registration, place)
        if await Organization.exists().where(Organization.uscc == registration.uscc):
            raise ValidationFailed.single("uscc", DUPLICATE_USCC)
        if admin is not None and not await User.exists().where(User.id == admin):
            raise NotFound("No such user.")
        rows = await Organization.insert(
            Organization(
                kind=registration.kind,
                name_zh=registration.name_zh,
                name_en=registration.name_en,
                uscc=registration.uscc,
                category=registration.category,
                status="pending",
                area=registration.area,
                place=place,
                description_zh=registration.description_zh,
                description_en=registration.description_en,
                contact_email=registration.contact_email,
                registered_year=registration.registered_year,
                created_at=now,
                submitted_at=now,
                decision_due_at=rules.decision_deadline(now),
            )
        ).returning(Organization.id)
        organization_id = int(rows[0]["id"])
        if admin is not None:
            await Membership.insert(
                Membership(user=admin, organization=organization_id, role="admin", created_at=now)
            )
        change: dict[str, Any] = {
            "kind": registration.kind,
            "uscc": registration.uscc,
            "status": "pending",
        }
        if on_behalf:  # set up for its (future) admin rather than by them
            change["admin"] = admin
        if place is not None:
            change["place"] = place
        await append_audit(actor, "organization.register", "organization", organization_id, change)
    return organization_id


async def set_up_organization(
    *, operator_id: int, admin_user_id: int | None, rating: str = "", **fields: Unpack[Fields]
) -> int:
    """An operator enters an organization in the directory on behalf of its future
    admin, verified: a department (departments never register themselves), another
    operator organization, or a social organization, company or foundation the
    cultivation centre already registers and rates. `admin_user_id` becomes its
    admin; None leaves it without members for now. `fields` are the registration's
    (kind, name_zh, uscc, …). Both steps go through the audit chain as for any
    registration: `organization.register` by the operator (naming the admin), then
    the operator's `organization.verify` (`decide_organization`, so an operator
    never verifies an organization they belong to). One transaction."""
    if not await is_operator(operator_id):
        raise PermissionDenied("Only platform operators may set up organizations.")
    registration = _validated(fields, by_operator=True)
    async with _unique_code(), atomic():
        organization_id = await _register(
            registration,
            actor=actor_of(operator_id),
            admin=admin_user_id,
            place=_place_choice(fields),
        )
        await decide_organization(
            operator_id=operator_id,
            organization_id=organization_id,
            action="verify",
            rating=rating or None,
        )
    return organization_id


async def found_operator(*, admin_user_id: int, **fields: Unpack[Fields]) -> int:
    """The platform's own operator organization — the cultivation centre that runs
    it — set up when the platform is installed. No operator exists yet to verify it,
    so the system does: `organization.register` and `organization.verify` with the
    actor "system", `admin_user_id` its admin, in one transaction. Refused (Conflict)
    once any operator organization exists: later ones are set up by an operator."""
    registration = _validated({**fields, "kind": "operator"}, by_operator=True)
    async with _unique_code(), atomic():
        if await Organization.exists().where(Organization.kind == "operator"):
            raise Conflict("The platform already has its operator organization.")
        organization_id = await _register(registration, actor=SYSTEM, admin=admin_user_id)
        await _apply_decision(
            organization_id, "verify", actor=SYSTEM, decided_by=None, reason="", rating=None
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
    decision: rules.Decision, operator_id: int | None, now: datetime, version: int
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
    async with atomic():
        if await Membership.exists().where(
            (Membership.user == operator_id) & (Membership.organization == organization_id)
        ):
            raise PermissionDenied("You cannot decide on an organization you belong to.")
        return await _apply_decision(
            organization_id,
            action,
            actor=actor_of(operator_id),
            decided_by=operator_id,
            reason=reason,
            rating=rating,
        )


async def _apply_decision(
    organization_id: int,
    action: str,
    *,
    actor: str,
    decided_by: int | None,
    reason: str,
    rating: str | None,
) -> str:
    """The decision on the organization's row (checked against its current status,
    optimistically locked by its version) and its `organization.<action>` event."""
    now = clock.now()
    current = (
        await Organization.select(Organization.status, Organization.rating, Organization.version)
        .where(Organization.id == organization_id)
        .first()
    )
    if current is None:
        raise NotFound(NOT_FOUND)
    decision = rules.decide(current["status"], action, reason=reason, rating=rating)
    updated = (
        await Organization.update(_decision_changes(decision, decided_by, now, current["version"]))
        .where((Organization.id == organization_id) & (Organization.version == current["version"]))
        .returning(Organization.id)
    )
    if not updated:
        raise Conflict("Someone else changed this organization just now. Reload and try again.")
    await append_audit(
        actor,
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


async def set_place(*, admin_user_id: int, organization_id: int, place: str) -> None:
    """An organization's admin says where it is based (a place from the list): its
    `area` follows (audited `organization.place`)."""
    place_id = _place_choice({"name_zh": "", "uscc": "", "place": place})
    if place_id is None:
        raise ValidationFailed.single("place", "Choose the place from the list.")
    async with atomic():
        if not await Membership.exists().where(
            (Membership.user == admin_user_id)
            & (Membership.organization == organization_id)
            & (Membership.role == "admin")
        ):
            raise PermissionDenied("Only the organization's administrators can change this.")
        try:
            area = area_name(await lineage(place_id))
        except NotFound:
            raise ValidationFailed.single("place", "Choose the place from the list.") from None
        await Organization.update({Organization.place: place_id, Organization.area: area}).where(
            Organization.id == organization_id
        )
        await append_audit(
            actor_of(admin_user_id),
            "organization.place",
            "organization",
            organization_id,
            {"place": place_id, "area": area},
        )
