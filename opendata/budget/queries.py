"""Reads of the district's budget: its appropriations and lines (the kernel's views
`market_v_budget_appropriation` and `market_v_budget_line`), their places
(`market.places.queries`) and their money, straight from the ledger's open-data views
(`market_v_ledger_transfer`, which leaves sandbox tenders out, and
`market_v_ledger_resolution`).

One read serves the page, the API and the Fiscal Data Package: a handful of queries
whatever the number of lines (the lines' and appropriations' accounts by code, their
transfers through the (account, id) indexes, the government escrow outflows of the
tenders held on them by (tender_id, reason)), then `rules.execution` adds them up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from market.labels import LABELS
from market.ledger.codes import appropriation_code, budget_line_code
from market.places.queries import Place, all_places, get_place, lineage
from market.settings import get_settings
from market.sql import Row, execute, marks
from market.web import i18n
from opendata.budget.lines import LineInfo, line_order
from opendata.budget.rules import Execution, Figures, Move, execution, project_name

CHUNK = 500  # ids per IN (…) list


@dataclass(frozen=True, slots=True)
class Appropriation:
    id: int
    year: int
    district: Place
    currency: str
    amount: int  # as recorded (the ledger's `appropriated` must equal it)
    reference: str

    @property
    def code(self) -> str:
        return appropriation_code(self.year, self.district.id)


@dataclass(frozen=True)
class Budget:
    """Everything the budget pages show, in the district's currency."""

    currency: str
    places: dict[int, Place]
    appropriations: list[Appropriation]  # newest year first
    lines: list[LineInfo]  # lines.line_order
    execution: Execution

    @property
    def years(self) -> list[int]:
        return sorted({a.year for a in self.appropriations} | {ln.year for ln in self.lines})[::-1]

    @property
    def latest_year(self) -> int | None:
        return self.years[0] if self.years else None

    def figures(self, line: LineInfo) -> Figures:
        return self.execution.lines.get(line.code, Figures())

    def place_code(self, code: str) -> Place | None:
        return next((p for p in self.places.values() if p.code == code), None)

    def line_place(self, line: LineInfo) -> Place:
        return next(p for p in self.places.values() if p.code == line.place)

    def lineage(self, place: Place) -> list[Place]:
        """The place and the places it lies in, district first."""
        out = [place]
        while out[0].parent is not None:
            out.insert(0, self.places[out[0].parent])
        return out

    def appropriated(self, appropriation: Appropriation) -> int:
        return self.execution.appropriated.get(appropriation.code, 0)

    def unallocated(self, appropriation: Appropriation) -> int:
        return self.execution.unallocated.get(appropriation.code, 0)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


async def _rows(sql: str, values: Sequence[Any], *before: Any) -> list[Row]:
    """`sql` with `{in}` standing for an IN list of `values`, run chunk by chunk."""
    out: list[Row] = []
    for chunk in _chunks(sorted(set(values))):
        out += await execute(sql.replace("{in}", marks(len(chunk))), *before, *chunk)
    return out


_MOVE = (
    "SELECT t.id, t.kind, t.reason, t.amount, t.tender_id, t.source,"
    " d.code AS debit, c.code AS credit FROM market_v_ledger_transfer t"
    " JOIN market_v_ledger_account d ON d.id = t.debit_account"
    " JOIN market_v_ledger_account c ON c.id = t.credit_account"
)


def _move(row: Row) -> Move:
    tender = row["tender_id"]
    return Move(
        id=int(row["id"]),
        kind=str(row["kind"]),
        reason=str(row["reason"]),
        amount=int(row["amount"]),
        debit=str(row["debit"]),
        credit=str(row["credit"]),
        tender_id=int(tender) if tender is not None else None,
        source=row["source"],
    )


async def ledger_moves(codes: Sequence[str]) -> tuple[list[Move], set[int]]:
    """Every transfer into or out of the accounts `codes`, the government escrow
    outflows of the tenders held on them, and which of the holds are resolved."""
    accounts = await _rows("SELECT id FROM market_v_ledger_account WHERE code IN ({in})", codes)
    ids = [int(r["id"]) for r in accounts]
    moves: dict[int, Move] = {}
    for chunk in _chunks(ids):
        rows = await execute(
            _MOVE + f" WHERE t.debit_account IN ({marks(len(chunk))})"
            f" OR t.credit_account IN ({marks(len(chunk))})",
            *chunk,
            *chunk,
        )
        moves.update((m.id, m) for m in map(_move, rows))
    held = [m.tender_id for m in moves.values() if m.reason == "budget_hold" and m.tender_id]
    escrow = await _rows(
        _MOVE + " WHERE t.source = 'government' AND t.reason IN ('release', 'return')"
        " AND t.kind IN ('single', 'post') AND t.tender_id IN ({in})",
        held,
    )
    moves.update((m.id, m) for m in map(_move, escrow))
    pendings = [m.id for m in moves.values() if m.kind == "pending"]
    resolved = await _rows(
        "SELECT pending FROM market_v_ledger_resolution WHERE pending IN ({in})", pendings
    )
    return sorted(moves.values(), key=lambda m: m.id), {int(r["pending"]) for r in resolved}


async def read_budget() -> Budget:
    """The appropriations and lines of the district's currency, with their money."""
    currency = get_settings().default_currency
    places = {p.id: p for p in await all_places()}
    rows = await execute(
        "SELECT id, year, place, currency, amount, reference FROM market_v_budget_appropriation"
        " WHERE currency = {} ORDER BY year DESC, place",
        currency,
    )
    appropriations = [
        Appropriation(
            int(r["id"]),
            int(r["year"]),
            places[int(r["place"])],
            str(r["currency"]),
            int(r["amount"]),
            str(r["reference"] or ""),
        )
        for r in rows
    ]
    wanted = {a.id for a in appropriations}
    lines = sorted(
        (
            LineInfo(
                id=int(r["id"]),
                appropriation=int(r["appropriation"]),
                year=int(r["year"]),
                place=places[int(r["place"])].code,
                tier=places[int(r["place"])].tier,
                category=str(r["category"]),
            )
            for r in await execute(
                "SELECT id, appropriation, year, place, category FROM market_v_budget_line"
            )
            if int(r["appropriation"]) in wanted
        ),
        key=line_order,
    )
    codes = [a.code for a in appropriations] + [line.code for line in lines]
    moves, resolved = await ledger_moves(codes)
    return Budget(currency, places, appropriations, lines, execution(moves, resolved))


@dataclass(frozen=True, slots=True)
class HeldTender:
    """A tender held against a line, as its project page names it."""

    id: int
    title_zh: str
    title_en: str
    status: str


async def held_tenders(ids: Iterable[int]) -> dict[int, HeldTender]:
    rows = await _rows(
        "SELECT id, title_zh, title_en, status FROM market_v_tender WHERE id IN ({in})",
        list(ids),
    )
    return {
        int(r["id"]): HeldTender(int(r["id"]), r["title_zh"], r["title_en"] or "", r["status"])
        for r in rows
    }


async def tender_line(tender_id: int) -> int | None:
    """The budget line a real tender's government budget is held against, if any."""
    rows = await execute(
        "SELECT budget_line FROM market_v_tender_budget_line WHERE id = {}", tender_id
    )
    return int(rows[0]["budget_line"]) if rows and rows[0]["budget_line"] is not None else None


@dataclass(frozen=True, slots=True)
class HeldLine:
    """The budget line a tender's government money is held against, as pages name
    it, with the link to its figures on /budget."""

    id: int
    year: int
    name_zh: str  # "湖畔社区 · 社区服务 · 2026"
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_zh if lang.startswith("zh") else self.name_en

    @property
    def url(self) -> str:
        return f"/budget?year={self.year}&line={self.id}"


async def held_line(tender_id: int) -> HeldLine | None:
    """The line of a real tender (None: a sandbox tender, or one from before lines)."""
    line = await tender_line(tender_id)
    if line is None:
        return None
    rows = await execute("SELECT year FROM market_v_budget_line WHERE id = {}", line)
    names = await line_names([line])
    if not rows or line not in names:
        return None
    return HeldLine(line, int(rows[0]["year"]), *names[line])


def in_both_languages(message: str) -> tuple[str, str]:
    """A msgid in Chinese and in English, whatever the request's language."""
    return (
        i18n.translations("zh_Hans").gettext(message),
        i18n.translations("en").gettext(message),
    )


async def line_facts(line_id: int) -> dict[str, Any] | None:
    """A budget line as open data names it: its ledger code, year, category and place
    (with the places it lies in) in both languages, and its appropriation."""
    rows = await execute(
        "SELECT l.id, l.year, l.place, l.category, a.place AS district, a.reference"
        " FROM market_v_budget_line l JOIN market_v_budget_appropriation a"
        " ON a.id = l.appropriation WHERE l.id = {}",
        line_id,
    )
    if not rows:
        return None
    row = rows[0]
    year, district = int(row["year"]), await get_place(int(row["district"]))
    places = await lineage(int(row["place"]))
    category_zh, category_en = in_both_languages(
        LABELS["category"].get(row["category"], row["category"])
    )
    return {
        "id": int(row["id"]),
        "code": budget_line_code(int(row["id"])),
        "year": year,
        "category": row["category"],
        "category_zh": category_zh,
        "category_en": category_en,
        "place_zh": "".join(p.name_zh for p in places),
        "place_en": ", ".join(p.name_en for p in reversed(places)),
        "appropriation": appropriation_code(year, district.id),
        "project": project_name(year, district.name_zh, district.name_en),
        "reference": str(row["reference"] or ""),
    }


async def line_names(ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Budget lines named as pages name them, in Chinese and English: the place, the
    category and the year ("湖畔社区 · 社区服务 · 2026")."""
    rows = await _rows(
        "SELECT id, year, place, category FROM market_v_budget_line WHERE id IN ({in})",
        list(ids),
    )
    if not rows:
        return {}
    places = {p.id: p for p in await all_places()}
    out = {}
    for row in rows:
        place = places[int(row["place"])]
        zh, en = in_both_languages(LABELS["category"].get(row["category"], row["category"]))
        year = int(row["year"])
        out[int(row["id"])] = (
            f"{place.name_zh} · {zh} · {year}",
            f"{place.name_en} · {en} · {year}",
        )
    return out
