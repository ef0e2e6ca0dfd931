"""Opening a community's fund: the operator sets up the organization the fund acts as
(kind community_fund, the kernel's `set_up_fund_organization`) with its committee's
chair as admin, and the fund row naming the community. The chair adds the other two
members like any organization's admin (`market.organizations.services.add_member`).
"""

from __future__ import annotations

from funds.tables import Fund
from market import clock
from market.audit import actor_of, append_audit
from market.db import atomic
from market.errors import Conflict, PermissionDenied, ValidationFailed
from market.organizations.fund_organization import set_up_fund_organization
from market.organizations.services import is_operator
from market.places.queries import get_place
from market.tables import User


async def open_fund(*, operator_id: int, place_id: int, chair_email: str = "") -> int:
    """The fund of community `place_id`, with its committee chair when one is named
    (a fund takes gifts from the start; it opens calls once its committee of three is
    complete); returns the fund id."""
    if not await is_operator(operator_id):
        raise PermissionDenied("Only platform operators may open a community fund.")
    place = await get_place(place_id)
    if place.tier != "community":
        raise ValidationFailed.single("place", "Only a community has a community fund.")
    chair = None
    if chair_email.strip():
        chair = await User.select(User.id).where(User.email == chair_email.strip().lower()).first()
        if chair is None:
            raise ValidationFailed.single("chair", "No account uses this e-mail.")
    async with atomic():
        if await Fund.exists().where(Fund.place == place_id):
            raise Conflict("This community already has its fund.")
        organization_id = await set_up_fund_organization(
            operator_id=operator_id,
            place_id=place_id,
            place_code=place.code,
            name_zh=f"{place.name_zh}社区基金".replace("社区社区", "社区"),
            name_en=f"{place.name_en} Fund",
            admin_user_id=int(chair["id"]) if chair else None,
        )
        rows = await Fund.insert(
            Fund(
                place=place_id,
                organization=organization_id,
                opened_at=clock.now(),
                opened_by=operator_id,
            )
        ).returning(Fund.id)
        fund_id = int(rows[0]["id"])
        await append_audit(
            actor_of(operator_id),
            "fund.open",
            "fund",
            fund_id,
            {"place": place_id, "code": place.code, "organization": organization_id},
        )
    return fund_id
