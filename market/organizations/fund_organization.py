"""The organization a community fund acts as (funds/): set up by an operator for one
community, registered and verified in one transaction as any operator's set-up."""

from __future__ import annotations

from market import organization_rules as rules
from market.audit import actor_of
from market.db import atomic
from market.errors import PermissionDenied
from market.organizations.services import (
    _register,
    _unique_code,
    decide_organization,
    is_operator,
)
from market.tables import Organization


async def set_up_fund_organization(
    *,
    operator_id: int,
    place_id: int,
    place_code: str,
    name_zh: str,
    name_en: str,
    admin_user_id: int | None,
) -> int:
    """The organization a community fund acts as (kind community_fund, verified), set
    up by an operator for the community `place_id`: its members are the fund's
    committee, `admin_user_id` (its chair) first, who adds the others. Its `uscc`
    column holds `rules.fund_identifier`. One transaction, audited as any operator's
    set-up: `organization.register`, then `organization.verify`."""
    if not await is_operator(operator_id):
        raise PermissionDenied("Only platform operators may set up organizations.")
    registration = rules.Registration(
        kind=rules.FUND_KIND,
        name_zh=name_zh.strip(),
        name_en=name_en.strip(),
        uscc=rules.fund_identifier(place_code),
        category="",
        area="",
        description_zh="",
        description_en="",
        contact_email="",
        registered_year=None,
    )
    async with _unique_code(), atomic():
        organization_id = await _register(
            registration, actor=actor_of(operator_id), admin=admin_user_id
        )
        await Organization.update({Organization.place: place_id}).where(
            Organization.id == organization_id
        )
        await decide_organization(
            operator_id=operator_id, organization_id=organization_id, action="verify"
        )
    return organization_id
