"""Unified Social Credit Code (统一社会信用代码), GB 32100-2015.

Pure: no framework imports. Layout of the 18 characters:

    1      registration authority (登记管理部门代码), e.g. 5 = civil affairs
    2      organization kind within that authority (机构类别代码), e.g. 1 = social association
    3–8    administrative division code (登记管理机关行政区划码, GB/T 2260), six digits
    9–17   organization code (主体标识码, GB 11714): eight body characters and
           their own check character
    18     check character over the first 17

Every character comes from a 31-character alphabet: the digits and the capital
letters without I, O, Z, S and V. The check character is
`ALPHABET[(31 - Σ value(cᵢ)·wᵢ mod 31) mod 31]` with the weights 3ⁱ mod 31.

The embedded organization code carries GB 11714's own check (its ninth character,
position 17 of the USCC): with the body's values (digits as themselves, letters
A = 10 … Z = 35) and the weights 3, 7, 9, 10, 5, 8, 4, 2, the check is
`11 − (Σ value·weight mod 11)`, written `X` for 10 and `0` for 11. A code must pass
both checks. GB 11714's alone misses a change between two characters whose values
differ by a multiple of 11 (0 and B, 1 and C …); GB 32100's catches those.

What the checksum catches: every single-character change, and every transposition
of two different characters except one between positions 1 and 18 (both carry
weight 1). That one is caught only when the swapped-in first character is not a
registration authority or does not fit the kind code.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from market.errors import DomainError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18
ORGANIZATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_VALUE = {char: value for value, char in enumerate(ALPHABET)}

# Registration authorities and the kind codes each one issues (GB 32100-2015, annex A,
# with the codes later assigned by the standard's maintenance body).
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": (
        "机构编制",
        {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},
    ),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地代表机构", "9": "其他"},
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业",
        {
            "1": "组级集体经济组织",
            "2": "村级集体经济组织",
            "3": "乡镇级集体经济组织",
            "9": "其他",
        },
    ),
    "Y": ("其他", {"1": "其他"}),
}

MISSING = "Enter the 18-character Unified Social Credit Code."
WRONG_LENGTH = "A Unified Social Credit Code has 18 characters; this one has %(length)s."
BAD_CHARACTER = (
    "Character %(position)s (%(char)s) is not allowed: the code uses digits and capital "
    "letters except I, O, S, V and Z."
)
BAD_AUTHORITY = "The first character (%(char)s) is not a registration-authority code."
BAD_KIND = (
    "The second character (%(char)s) is not an organization kind issued by registration "
    "authority %(authority)s."
)
BAD_DIVISION = "Characters 3 to 8 must be the six-digit administrative division code."
BAD_CHECK = "The last character does not match the rest of the code. Check it for typing errors."
BAD_ORGANIZATION_CHECK = (
    "Characters 9 to 17 are the organization code (GB 11714): its check character "
    "(%(char)s, character 17) should be %(expected)s. Check the code for typing errors."
)


class InvalidUSCC(DomainError):
    """The code is malformed or fails its checksum; the message says which rule."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message, field="uscc", **params)


@dataclass(frozen=True, slots=True)
class USCC:
    """A validated code split into its parts."""

    code: str

    @property
    def authority(self) -> str:
        return self.code[0]

    @property
    def kind(self) -> str:
        return self.code[1]

    @property
    def division(self) -> str:
        return self.code[2:8]

    @property
    def organization_code(self) -> str:
        return self.code[8:17]

    @property
    def check(self) -> str:
        return self.code[17]

    @property
    def authority_name(self) -> str:
        return AUTHORITIES[self.authority][0]

    @property
    def kind_name(self) -> str:
        return AUTHORITIES[self.authority][1][self.kind]


def normalise(raw: str) -> str:
    """Full-width characters to ASCII (NFKC), whitespace removed, upper case."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(text.split()).upper()


def check_char(first17: str) -> str:
    """The check character for the first 17 characters (already normalised)."""
    if len(first17) != LENGTH - 1:
        raise ValueError(f"need 17 characters, got {len(first17)}")
    try:
        total = sum(_VALUE[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the USCC alphabet") from None
    return ALPHABET[(31 - total % 31) % 31]


def organization_check_char(body: str) -> str:
    """GB 11714's check character for the eight body characters of an organization code."""
    if len(body) != len(ORGANIZATION_WEIGHTS):
        raise ValueError(f"need 8 characters, got {len(body)}")
    if not all(char.isascii() and (char.isdigit() or char.isupper()) for char in body):
        raise ValueError(f"{body!r} is not digits and capital letters")
    total = sum(int(char, 36) * w for char, w in zip(body, ORGANIZATION_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def parse(raw: str) -> USCC:
    """Validate a code (after `normalise`) and return it; raises InvalidUSCC."""
    code = normalise(raw)
    if not code:
        raise InvalidUSCC(MISSING)
    if len(code) != LENGTH:
        raise InvalidUSCC(WRONG_LENGTH, length=len(code))
    for position, char in enumerate(code, start=1):
        if char not in _VALUE:
            raise InvalidUSCC(BAD_CHARACTER, position=position, char=char)
    authority = AUTHORITIES.get(code[0])
    if authority is None:
        raise InvalidUSCC(BAD_AUTHORITY, char=code[0])
    if code[1] not in authority[1]:
        raise InvalidUSCC(BAD_KIND, char=code[1], authority=code[0])
    if not code[2:8].isdigit():
        raise InvalidUSCC(BAD_DIVISION)
    if check_char(code[:17]) != code[17]:
        raise InvalidUSCC(BAD_CHECK)
    expected = organization_check_char(code[8:16])
    if code[16] != expected:
        raise InvalidUSCC(BAD_ORGANIZATION_CHECK, char=code[16], expected=expected)
    return USCC(code)


def validate(raw: str) -> str:
    """The normalised code, or InvalidUSCC."""
    return parse(raw).code


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except InvalidUSCC:
        return False
    return True


def make(authority: str, kind: str, division: str, organization_body: str) -> str:
    """Build a valid code from its parts (for the demo district and tests).

    `organization_body` is the organization code's eight body characters; both check
    characters (GB 11714's, then GB 32100's) are computed here.
    """
    first17 = f"{authority}{kind}{division}{organization_body}"
    first17 += organization_check_char(organization_body)
    return first17 + check_char(first17)
