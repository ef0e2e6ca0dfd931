"""Who keeps the district's budget: the members of the department that is the
district's finance bureau (`market_organization.finance_of`). Every budget service
checks it in its own transaction (the web guard `requires_finance` only keeps others
off the pages); the operator designates the bureau (`designate_finance_bureau`)."""

from __future__ import annotations

from market.audit import actor_of, append_audit
from market.db import atomic
from market.errors import NotFound, PermissionDenied, ValidationFailed
from market.places.queries import get_place
from market.sql import execute
from market.tables import Membership

NOT_FINANCE = "Only the district's finance bureau may do this."


async def check_finance(user_id: int, district_id: int) -> None:
    """The user is a member of the verified finance bureau of `district_id`."""
    if not await Membership.exists().where(
        (Membership.user == user_id)
        & (Membership.organization.kind == "department")
        & (Membership.organization.status == "verified")
        & (Membership.organization.finance_of == district_id)
    ):
        raise PermissionDenied(NOT_FINANCE)


async def finance_district(user_id: int) -> int:
    """The district whose budget the user keeps (the first, should there be several)."""
    row = (
        await Membership.select(Membership.organization.finance_of.as_alias("district"))
        .where(
            (Membership.user == user_id)
            & (Membership.organization.kind == "department")
            & (Membership.organization.status == "verified")
            & (Membership.organization.finance_of.is_not_null())
        )
        .order_by(Membership.organization.finance_of)
        .first()
    )
    if row is None:
        raise PermissionDenied(NOT_FINANCE)
    return int(row["district"])


async def designate_finance_bureau(
    *, operator_id: int, organization_id: int, district_id: int
) -> None:
    """The operator marks a verified department as the district's finance bureau
    (audited `organization.finance_bureau`); a district has one bureau at a time."""
    async with atomic():
        if not await Membership.exists().where(
            (Membership.user == operator_id)
            & (Membership.organization.kind == "operator")
            & (Membership.organization.status == "verified")
        ):
            raise PermissionDenied("Only platform operators may do this.")
        if (await get_place(district_id)).tier != "district":
            raise ValidationFailed.single("place", "A finance bureau keeps a district's budget.")
        rows = await execute(
            "SELECT kind, status FROM market_organization WHERE id = {}", organization_id
        )
        if not rows:
            raise NotFound("No such organization.")
        if rows[0]["kind"] != "department" or rows[0]["status"] != "verified":
            raise ValidationFailed.single(
                "organization", "A finance bureau is a verified government department."
            )
        await execute(
            "UPDATE market_organization SET finance_of = NULL WHERE finance_of = {} AND id <> {}",
            district_id,
            organization_id,
        )
        await execute(
            "UPDATE market_organization SET finance_of = {} WHERE id = {}",
            district_id,
            organization_id,
        )
        await append_audit(
            actor_of(operator_id),
            "organization.finance_bureau",
            "organization",
            organization_id,
            {"district": district_id},
        )
