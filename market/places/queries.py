# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Reads of the district's places, offered to pages and to other apps."""

from __future__ import annotations

from dataclasses import dataclass

from market.errors import NotFound
from market.places.rules import Tier
from market.sql import Row, execute

_COLUMNS = "id, code, tier, parent, name_zh, name_en"


@dataclass(frozen=True, slots=True)
class Place:
    id: int
    code: str
    tier: Tier
    parent: int | None
    name_zh: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_zh if lang.startswith("zh") else self.name_en


def _place(row: Row) -> Place:
    parent = row["parent"]
    return Place(
        id=int(row["id"]),
        code=str(row["code"]),
        tier=row["tier"],
        parent=int(parent) if parent is not None else None,
        name_zh=str(row["name_zh"]),
        name_en=str(row["name_en"]),
    )


async def all_places() -> list[Place]:
    """Every place, in code order (a district, then each street followed by its
    communities)."""
    rows = await execute(f"SELECT {_COLUMNS} FROM market_place ORDER BY code")
    return [_place(row) for row in rows]


async def get_place(place_id: int) -> Place:
    rows = await execute(f"SELECT {_COLUMNS} FROM market_place WHERE id = {{}}", place_id)
    if not rows:
        raise NotFound("No such place.")
    return _place(rows[0])


async def place_by_code(code: str) -> Place:
    rows = await execute(f"SELECT {_COLUMNS} FROM market_place WHERE code = {{}}", code)
    if not rows:
        raise NotFound("No such place.")
    return _place(rows[0])


async def children(place_id: int) -> list[Place]:
    rows = await execute(
        f"SELECT {_COLUMNS} FROM market_place WHERE parent = {{}} ORDER BY code", place_id
    )
    return [_place(row) for row in rows]


async def places_of_tier(tier: Tier) -> list[Place]:
    rows = await execute(
        f"SELECT {_COLUMNS} FROM market_place WHERE tier = {{}} ORDER BY code", tier
    )
    return [_place(row) for row in rows]


async def lineage(place_id: int) -> list[Place]:
    """The place and the places it lies in, district first (at most three)."""
    out: list[Place] = []
    current: int | None = place_id
    while current is not None:
        place = await get_place(current)
        out.append(place)
        current = place.parent
    return list(reversed(out))


@dataclass(frozen=True, slots=True)
class PlaceGroup:
    """The places of one street (the street first, then its communities), or the
    district alone (`street` None): the form's optgroups."""

    street: Place | None
    places: list[Place]


def group_places(places: list[Place]) -> list[PlaceGroup]:
    """Places in code order → the district(s) on their own, then one group per street."""
    groups: list[PlaceGroup] = []
    for place in places:
        if place.tier == "district":
            groups.append(PlaceGroup(None, [place]))
        elif place.tier == "street" or not groups or groups[-1].street is None:
            groups.append(PlaceGroup(place if place.tier == "street" else None, [place]))
        else:
            groups[-1].places.append(place)
    return groups


AREA_JOIN = "·"


def area_name(places: list[Place]) -> str:
    """The old free-text `area` of the last place of a lineage (district first): a
    district's or a street's name, or "street·community" for a community (湖滨街道·柳岸社区),
    as tenders and organizations have always written it (filters, feeds, OCDS,
    360Giving locations read it)."""
    place = places[-1]
    if place.tier == "community" and len(places) > 1:
        return f"{places[-2].name_zh}{AREA_JOIN}{place.name_zh}"
    return place.name_zh
