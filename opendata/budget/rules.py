"""Budget execution from the ledger (pure: no I/O, no framework).

Every figure is computed from the ledger's transfers (`Move`), never from a stored
number, exactly as docs/#18 defines it (the shared design of the budget):

- a line's **allocated** = allocations in + re-allocations in − re-allocations out;
- **committed** (held) = its open pending holds for tenders + the holds posted at
  contract signing that the tenders' government escrow has not yet paid out or given
  back (posted − released − returned from that escrow);
- **released** = tranches paid from the government escrow of the tenders held against
  the line (a tender belongs to the line of its latest hold);
- **returned** = what the line gave back to its appropriation at year end
  (reason `year_end_return`);
- **remaining** = the line account's available balance: credits posted − debits
  posted − open pending debits. Money a tender gives back to its line (a voided hold,
  the unposted part of a hold, an escrow return) counts back into it.

So for every line: allocated = committed + released + returned + remaining, and for an
appropriation: appropriated = Σ committed + Σ released + Σ remaining(lines) +
unallocated, where unallocated is the appropriation account's balance (what was never
allocated, plus the year-end returns).

Sandbox money never reaches here: its holds come from a department's sandbox budget,
and the open-data ledger view leaves sandbox tenders' transfers out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

from market import cursor, inputs
from market.errors import NotFound
from market.places import rules as places
from market.tenders.inputs import CATEGORIES

LINE_PREFIX = "budget:line:"
PHASES = ("appropriated", "allocated", "committed", "released", "returned", "remaining")
LINE_PHASES = PHASES[1:]
PAGE_SIZE = 20
MAX_YEAR_SPAN = (2000, 2100)
POSTED = ("single", "post")

BudgetQueryInvalid = inputs.InputInvalid  # a filter this page does not offer (400)
PLACE_CODE = re.compile(r"[0-9]{12}")


@dataclass(frozen=True, slots=True)
class Move:
    """One ledger transfer as the budget reads it (account codes, not ids)."""

    id: int
    kind: str  # single | pending | post | void
    reason: str
    amount: int
    debit: str
    credit: str
    tender_id: int | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Figures:
    """The phases of one line, or of a group of lines added together (minor units)."""

    allocated: int = 0
    committed: int = 0
    released: int = 0
    returned: int = 0
    remaining: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def balanced(self) -> bool:
        """allocated = committed + released + returned + remaining."""
        return self.allocated == self.committed + self.released + self.returned + self.remaining

    def get(self, phase: str) -> int:
        return int(getattr(self, phase))


@dataclass(frozen=True, slots=True)
class TenderFigures:
    """What one tender took from its line and where it went."""

    tender_id: int
    line: str  # the line's account code
    held: int  # its latest hold, as placed at publication
    committed: int
    released: int
    back_to_line: int  # voided holds, the unposted part of a hold, escrow returns


@dataclass
class _Line:
    allocated: int = 0
    credits: int = 0
    debits: int = 0
    pending: int = 0
    posted: int = 0
    returned: int = 0
    paid_out: int = 0  # released + escrow returns of its tenders
    released: int = 0


@dataclass
class _Tender:
    line: str
    held: int = 0
    pending: int = 0  # open
    resolved: int = 0  # pending amounts posted or voided
    posted: int = 0
    released: int = 0
    returned: int = 0  # from its government escrow, to anywhere
    to_line: int = 0  # of which to a budget line


@dataclass(frozen=True)
class Execution:
    lines: dict[str, Figures]  # line code → figures
    tenders: dict[int, TenderFigures]
    appropriated: dict[str, int] = field(default_factory=dict)  # appropriation code → amount
    unallocated: dict[str, int] = field(default_factory=dict)  # its balance


def is_line(code: str) -> bool:
    return code.startswith(LINE_PREFIX)


def tender_lines(moves: Iterable[Move]) -> dict[int, str]:
    """tender id → the line of its latest budget hold."""
    owner: dict[int, str] = {}
    for move in sorted(moves, key=lambda m: m.id):
        hold = move.kind == "pending" and move.reason == "budget_hold"
        if hold and is_line(move.debit) and move.tender_id is not None:
            owner[move.tender_id] = move.debit
    return owner


def _escrow_out(move: Move, owner: Mapping[int, str]) -> bool:
    """A tranche or a return out of the government escrow of a tender held on a line."""
    return (
        move.tender_id in owner
        and move.source == "government"
        and move.kind in POSTED
        and move.reason in ("release", "return")
        and move.debit == f"tender:{move.tender_id}:escrow:government"
    )


def _into_line(line: _Line, move: Move, tender: _Tender | None) -> None:
    line.credits += move.amount
    if move.reason in ("allocation", "reallocation"):
        line.allocated += move.amount
    elif move.reason == "return" and tender is not None:
        tender.to_line += move.amount


def _out_of_line(line: _Line, move: Move, tender: _Tender | None, open_hold: bool) -> None:
    if move.kind == "pending":
        if tender is not None and move.reason == "budget_hold" and move.debit == tender.line:
            tender.held = move.amount
            tender.pending += move.amount if open_hold else 0
            tender.resolved += 0 if open_hold else move.amount
        line.pending += move.amount if open_hold else 0
        return
    if move.kind not in POSTED:
        return  # a void moves nothing
    line.debits += move.amount
    if move.reason == "reallocation":
        line.allocated -= move.amount
    elif move.reason == "year_end_return":
        line.returned += move.amount
    elif move.reason == "budget_hold" and move.kind == "post":
        line.posted += move.amount
        if tender is not None and move.debit == tender.line:
            tender.posted += move.amount


def execution(moves: Sequence[Move], resolved: set[int]) -> Execution:
    """Every line's and every held tender's figures from the ledger; `resolved` is the
    set of pending transfer ids that have been posted or voided."""
    owner = tender_lines(moves)
    lines: dict[str, _Line] = {}
    tenders = {t: _Tender(code) for t, code in owner.items()}
    appropriated: dict[str, int] = {}
    unallocated: dict[str, int] = {}
    for move in sorted(moves, key=lambda m: m.id):
        tender = tenders.get(move.tender_id) if move.tender_id is not None else None
        if is_line(move.credit) and move.kind in POSTED:
            _into_line(lines.setdefault(move.credit, _Line()), move, tender)
        if is_line(move.debit):
            line = lines.setdefault(move.debit, _Line())
            _out_of_line(line, move, tender, open_hold=move.id not in resolved)
        if _escrow_out(move, owner) and tender is not None:
            if move.reason == "release":
                tender.released += move.amount
            else:
                tender.returned += move.amount
        _appropriation(move, appropriated, unallocated)
    return _finish(lines, tenders, appropriated, unallocated)


def _appropriation(move: Move, appropriated: dict[str, int], balance: dict[str, int]) -> None:
    if move.kind not in POSTED:
        return
    if move.credit.endswith(":appropriation") and move.credit.startswith("budget:"):
        balance[move.credit] = balance.get(move.credit, 0) + move.amount
        if move.reason == "appropriation":
            appropriated[move.credit] = appropriated.get(move.credit, 0) + move.amount
    if move.debit.endswith(":appropriation") and move.debit.startswith("budget:"):
        balance[move.debit] = balance.get(move.debit, 0) - move.amount


def _finish(
    lines: dict[str, _Line],
    tenders: dict[int, _Tender],
    appropriated: dict[str, int],
    unallocated: dict[str, int],
) -> Execution:
    out_tenders: dict[int, TenderFigures] = {}
    for tender_id, t in tenders.items():
        line = lines.setdefault(t.line, _Line())
        line.released += t.released
        line.paid_out += t.released + t.returned
        out_tenders[tender_id] = TenderFigures(
            tender_id=tender_id,
            line=t.line,
            held=t.held,
            committed=t.pending + t.posted - t.released - t.returned,
            released=t.released,
            back_to_line=t.resolved - t.posted + t.to_line,
        )
    figures = {
        code: Figures(
            allocated=line.allocated,
            committed=line.pending + line.posted - line.paid_out,
            released=line.released,
            returned=line.returned,
            remaining=line.credits - line.debits - line.pending,
        )
        for code, line in lines.items()
    }
    return Execution(figures, out_tenders, appropriated, unallocated)


# --- lines, filters and groups ------------------------------------------------------------


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


def total(figures: Iterable[Figures]) -> Figures:
    out = Figures()
    for item in figures:
        out = out + item
    return out


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


def project_name(year: int, district_zh: str, district_en: str) -> str:
    """An appropriation as budget documents name it, in both languages."""
    return (
        f"{year}年{district_zh}社区建设专项资金"
        f" {year} {district_en} community-building appropriation"
    )
