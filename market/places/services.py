"""Adding places to the district (the operator, or the demo): one transaction each,
with an audit event."""

from __future__ import annotations

from market import clock
from market.audit import append_audit
from market.db import atomic
from market.errors import Conflict, ValidationFailed
from market.places import rules
from market.places.queries import Place, get_place
from market.sql import execute


async def add_place(
    *, code: str, name_zh: str, name_en: str, parent_id: int | None, actor: str
) -> Place:
    """Enter a district, a street or a community (its tier follows from its code)."""
    try:
        tier = rules.tier_of(code)
        rules.validate_names(name_zh, name_en)
    except rules.InvalidPlace as exc:
        raise ValidationFailed.single("code", str(exc)) from None
    async with atomic():
        parent_code = None
        if parent_id is not None:
            parent_code = (await get_place(parent_id)).code
        try:
            rules.validate(code, tier, parent_code)
        except rules.InvalidPlace as exc:
            raise ValidationFailed.single("code", str(exc)) from None
        if await execute("SELECT id FROM market_place WHERE code = {}", code):
            raise Conflict(f"A place with the code {code} exists already.")
        rows = await execute(
            "INSERT INTO market_place (code, tier, parent, name_zh, name_en, created_at)"
            " VALUES ({}, {}, {}, {}, {}, {}) RETURNING id",
            code,
            tier,
            parent_id,
            name_zh.strip(),
            name_en.strip(),
            clock.now(),
        )
        place_id = int(rows[0]["id"])
        await append_audit(
            actor,
            "place.add",
            "place",
            place_id,
            {
                "code": code,
                "tier": tier,
                "parent": parent_id,
                "name_zh": name_zh,
                "name_en": name_en,
            },
        )
    return Place(place_id, code, tier, parent_id, name_zh.strip(), name_en.strip())
