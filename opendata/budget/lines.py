"""Budget lines, the filters that choose them and the pages they are listed in (pure:
no I/O, no framework). A line is listed newest year first, then by place code (a
district, each street, its communities), then in the categories' own order; that
order is the keyset a page cursor names (`year.place.category rank.id`), so any
well-formed cursor is a place in the list whether or not its line is still there."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from market import cursor, inputs
from market.errors import NotFound
from market.places import rules as places
from market.tenders.inputs import CATEGORIES
from opendata.budget.rules import LINE_PREFIX, Figures

PAGE_SIZE = 20
MAX_YEAR_SPAN = (2000, 2100)
BudgetQueryInvalid = inputs.InputInvalid  # a filter this page does not offer (400)
PLACE_CODE = re.compile(r"[0-9]{12}")


@dataclass(frozen=True, slots=True)
class LineInfo:
    """A budget line and where it sits: its place's code and tier, its category."""

    id: int
    appropriation: int
    year: int
    place: str  # the place's 12-digit code
    tier: str
    category: str

    @property
    def code(self) -> str:
        return f"{LINE_PREFIX}{self.id}"


def category_rank(category: str) -> int:
    return CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES)


def line_order(line: LineInfo) -> tuple[int, int, int, int]:
    """Newest year first, then by place code (a district, each street, its
    communities), then in the categories' own order: the lines' keyset."""
    return (-line.year, int(line.place), category_rank(line.category), line.id)


# A page cursor is the last line's key: year.place code.category rank.id
CURSOR_KEYS = (
    cursor.Key(*MAX_YEAR_SPAN),
    cursor.Key(100_000_000_000, 999_999_999_999),
    cursor.Key(0, 99),
    cursor.Key(1, 999_999_999),
)
CURSOR_PATTERN = r"^(20[0-9]{2}|2100)\.[1-9][0-9]{11}\.[0-9]{1,2}\.[1-9][0-9]{0,8}$"


def line_cursor(line: LineInfo) -> str:
    return cursor.encode(line.year, int(line.place), category_rank(line.category), line.id)


@dataclass(frozen=True, slots=True)
class BudgetFilter:
    year: int | None = None  # None: every year
    tier: str = ""
    place: str = ""  # a place code: lines at it or inside it
    category: str = ""
    line: int | None = None

    def matches(self, line: LineInfo) -> bool:
        return (
            (self.year is None or line.year == self.year)
            and (not self.tier or line.tier == self.tier)
            and (not self.place or places.contains(self.place, line.place))
            and (not self.category or line.category == self.category)
            and (self.line is None or line.id == self.line)
        )

    def query(self, *, every_year: bool = False) -> dict[str, str]:
        """The filter as URL parameters (`year=all` when every year is asked for)."""
        params = {
            "year": str(self.year) if self.year is not None else ("all" if every_year else ""),
            "tier": self.tier,
            "place": self.place,
            "category": self.category,
            "line": str(self.line) if self.line is not None else "",
        }
        return {k: v for k, v in params.items() if v}


def _year(text: str, default: int | None) -> int | None:
    if text == "":
        return default
    if text == "all":
        return None
    low, high = MAX_YEAR_SPAN
    return inputs.parse_int(text, field="year", minimum=low, maximum=high)


def _tier(text: str) -> str:
    if text and text not in places.TIERS:
        raise BudgetQueryInvalid("Choose a tier from the list.", field="tier")
    return text


def _category(text: str) -> str:
    if text and text not in CATEGORIES:
        raise BudgetQueryInvalid("Choose a category from the list.", field="category")
    return text


def _place(text: str, known: Callable[[str], bool]) -> str:
    """A 12-digit code of a place of the district; another well-formed code is no place
    of ours (404), anything else is not a code (400)."""
    if not text:
        return ""
    if not PLACE_CODE.fullmatch(text):
        raise BudgetQueryInvalid("Choose a place from the list.", field="place")
    if not known(text):
        raise NotFound("No such place.")
    return text


def parse_filter(
    params: Mapping[str, str], *, default_year: int | None, known_place: Callable[[str], bool]
) -> BudgetFilter:
    """The page's and the API's filters. A blank value is no filter (a blank year is
    `default_year`; `year=all` is every year); anything the form does not offer is
    refused (400, naming the field)."""

    def value(name: str) -> str:
        return (params.get(name) or "").strip()

    return BudgetFilter(
        year=_year(value("year"), default_year),
        tier=_tier(value("tier")),
        place=_place(value("place"), known_place),
        category=_category(value("category")),
        line=inputs.parse_optional_id(value("line") or None, field="line"),
    )


def grouped(
    lines: Iterable[LineInfo], figures: Mapping[str, Figures], key: Callable[[LineInfo], str]
) -> dict[str, Figures]:
    """Lines added up by `key` (their tier, category, place…)."""
    out: dict[str, Figures] = {}
    for line in lines:
        out[key(line)] = out.get(key(line), Figures()) + figures.get(line.code, Figures())
    return out


@dataclass(frozen=True, slots=True)
class LinePage:
    lines: list[LineInfo]
    next_after: str | None  # the cursor to pass as `after` for the next page


def page_of(lines: Sequence[LineInfo], after: str | None, limit: int = PAGE_SIZE) -> LinePage:
    """One page of the lines (in `line_order`) that come after the cursor `after` (a
    keyset: any well-formed cursor is a place in the order, whether or not a line is
    there now); a malformed one is refused (400)."""
    key = cursor.decode(after, CURSOR_KEYS, field="after")
    rest = list(lines)
    if key is not None:
        year, place, rank, last = key
        rest = [ln for ln in lines if line_order(ln) > (-year, place, rank, last)]
    chunk = rest[:limit]
    return LinePage(chunk, line_cursor(chunk[-1]) if len(rest) > limit else None)
