"""Budget lines and the tenders held against them as pages and open data name them:
a line's place, category and year in both languages (the project page, OCDS
`planning.budget`), the line a tender is held against (the tender and project pages),
the tenders held against a line (/budget?line=)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from market.labels import LABELS
from market.ledger.codes import appropriation_code, budget_line_code
from market.places.queries import all_places, get_place, lineage
from market.sql import execute
from market.web import i18n
from opendata.budget.queries import rows_in
from opendata.budget.rules import project_name


@dataclass(frozen=True, slots=True)
class HeldTender:
    """A tender held against a line, as its project page names it."""

    id: int
    title_zh: str
    title_en: str
    status: str


async def held_tenders(ids: Iterable[int]) -> dict[int, HeldTender]:
    rows = await rows_in(
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
    rows = await rows_in(
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
