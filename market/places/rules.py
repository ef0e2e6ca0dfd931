"""Places: tiers and administrative-division codes (pure, no I/O).

A place's code follows the 12-digit statistical division code (统计用区划代码):
six digits for the county-level district, three for the street (乡级: 街道/镇),
three for the community (村级: 社区/村委会). A district's code ends in six zeros, a
street's in three, and a place's code starts with its parent's significant digits:

    310115000000  the district
    310115001000  a street of it
    310115001002  a community of that street
"""

from __future__ import annotations

import re
from typing import Final, Literal

Tier = Literal["district", "street", "community"]
TIERS: Final[tuple[Tier, ...]] = ("district", "street", "community")
PARENT_TIER: Final[dict[Tier, Tier | None]] = {
    "district": None,
    "street": "district",
    "community": "street",
}
NAME_MAX: Final = 100
_CODE = re.compile(r"[1-9]\d{11}")


class InvalidPlace(ValueError):
    """A place that cannot exist: malformed code, wrong tier or wrong parent."""


def tier_of(code: str) -> Tier:
    """The tier a well-formed code names (raises InvalidPlace otherwise)."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise InvalidPlace(f"a place code is 12 digits, got {code!r}")
    if code.endswith("000000"):
        return "district"
    if code[6:9] == "000":
        raise InvalidPlace(f"{code}: a street's digits (7–9) cannot be 000 under a community")
    if code.endswith("000"):
        return "street"
    return "community"


def parent_prefix(code: str) -> str | None:
    """The code of the place `code` belongs to (None for a district)."""
    tier = tier_of(code)
    if tier == "district":
        return None
    if tier == "street":
        return code[:6] + "000000"
    return code[:9] + "000"


def validate(code: str, tier: str, parent_code: str | None) -> None:
    """A new place's code must be well formed, of its tier, under its parent."""
    actual = tier_of(code)
    if tier != actual:
        raise InvalidPlace(f"{code} is a {actual} code, not a {tier} code")
    if parent_prefix(code) != parent_code:
        raise InvalidPlace(f"{code} does not belong to {parent_code or 'no parent'}")


def validate_names(name_zh: str, name_en: str) -> None:
    if not name_zh.strip() or not name_en.strip():
        raise InvalidPlace("a place needs a name in Chinese and in English")
    if len(name_zh) > NAME_MAX or len(name_en) > NAME_MAX:
        raise InvalidPlace(f"a place name can be at most {NAME_MAX} characters")


def contains(ancestor: str, code: str) -> bool:
    """Whether the place `code` is `ancestor` or lies inside it."""
    tier = tier_of(ancestor)
    significant = {"district": 6, "street": 9, "community": 12}[tier]
    return code[:significant] == ancestor[:significant]
