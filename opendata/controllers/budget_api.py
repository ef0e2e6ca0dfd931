"""`/api/v1/budget`: the budget execution as JSON, with the /budget page's filters
(year, tier, place, category, line) and its cursor over the lines. Typed dataclasses
make the OpenAPI schema real."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from market.controllers.tenders_api import MoneyOut
from market.places.queries import Place
from market.tenders.inputs import CATEGORIES
from market.web.auth import public
from market.web.errors import error_responses
from market.web.params import cursor_parameter
from opendata.budget import lines, rules, views
from opendata.budget.rules import Figures
from opendata.budget.views import BudgetPage, LineRow, Row, TenderRow
from opendata.controllers.budget import read_chosen


@dataclass
class FiguresOut:
    """allocated = committed + released + returned + remaining (budget/rules.py)."""

    allocated: MoneyOut
    committed: MoneyOut
    released: MoneyOut
    returned: MoneyOut
    remaining: MoneyOut


@dataclass
class PlaceOut:
    code: str  # 12-digit administrative division code
    tier: str  # district | street | community
    name_zh: str
    name_en: str


@dataclass
class AppropriationOut:
    id: int
    code: str  # its ledger account: what it still holds unallocated
    year: int
    name: str
    reference: str  # the budget document
    district: PlaceOut
    appropriated: MoneyOut  # from the ledger (equals the amount recorded)
    unallocated: MoneyOut  # the account's balance, year-end returns included
    lines: FiguresOut  # every line of the appropriation added up


@dataclass
class GroupOut:
    key: str  # a tier or a category code
    figures: FiguresOut


@dataclass
class LineOut:
    id: int
    code: str  # its ledger account, OCDS planning.budget.id
    year: int
    appropriation: str
    tier: str
    category: str
    place: PlaceOut
    places: list[PlaceOut]  # the place and the places it lies in, district first
    figures: FiguresOut
    tenders: int
    url: str


@dataclass
class TenderOut:
    id: int
    title_zh: str
    title_en: str
    status: str
    held: MoneyOut  # its latest hold, as placed at publication
    committed: MoneyOut
    released: MoneyOut
    back_to_line: MoneyOut  # voided holds, the unposted part of a hold, escrow returns
    project_url: str


@dataclass
class FiltersOut:
    year: int | None  # None: every year
    tier: str
    place: str
    category: str
    line: int | None


@dataclass
class BudgetOut:
    """Amounts in minor units (fen), straight from the ledger's transfers."""

    currency: str
    years: list[int]
    filters: FiltersOut
    appropriations: list[AppropriationOut]
    total: FiguresOut  # the lines matching the filters
    by_tier: list[GroupOut]
    by_category: list[GroupOut]
    lines_matching: int
    lines: list[LineOut]  # one page
    next_after: str | None  # the cursor of the next page of lines
    next: str | None
    tenders: list[TenderOut]  # held against `line`, when one is asked for


def _money(page: BudgetPage, amount: int) -> MoneyOut:
    return MoneyOut(int(amount), page.currency)


def _figures(page: BudgetPage, f: Figures) -> FiguresOut:
    return FiguresOut(*(_money(page, f.get(p)) for p in rules.LINE_PHASES))


def _place(p: Place) -> PlaceOut:
    return PlaceOut(p.code, p.tier, p.name_zh, p.name_en)


def _group(page: BudgetPage, row: Row) -> GroupOut:
    return GroupOut(row.key, _figures(page, row.figures))


def _line(page: BudgetPage, row: LineRow) -> LineOut:
    line = row.line
    appropriation = next(a for a in page.budget.appropriations if a.id == line.appropriation)
    return LineOut(
        id=line.id,
        code=line.code,
        year=line.year,
        appropriation=appropriation.code,
        tier=line.tier,
        category=line.category,
        place=_place(row.place),
        places=[_place(p) for p in row.lineage],
        figures=_figures(page, row.figures),
        tenders=row.tenders,
        url=views.url({"line": str(line.id), "year": str(line.year)}),
    )


def _tender(page: BudgetPage, row: TenderRow) -> TenderOut:
    f, t = row.figures, row.tender
    return TenderOut(
        id=f.tender_id,
        title_zh=t.title_zh if t else "",
        title_en=t.title_en if t else "",
        status=t.status if t else "",
        held=_money(page, f.held),
        committed=_money(page, f.committed),
        released=_money(page, f.released),
        back_to_line=_money(page, f.back_to_line),
        project_url=f"/projects/{f.tender_id}",
    )


def budget_out(page: BudgetPage) -> BudgetOut:
    c = page.chosen
    query = c.query(every_year=True)
    nxt = page.next_after
    return BudgetOut(
        currency=page.currency,
        years=page.budget.years,
        filters=FiltersOut(c.year, c.tier, c.place, c.category, c.line),
        appropriations=[
            AppropriationOut(
                id=a.appropriation.id,
                code=a.appropriation.code,
                year=a.appropriation.year,
                name=rules.project_name(
                    a.appropriation.year,
                    a.appropriation.district.name_zh,
                    a.appropriation.district.name_en,
                ),
                reference=a.appropriation.reference,
                district=_place(a.appropriation.district),
                appropriated=_money(page, a.appropriated),
                unallocated=_money(page, a.unallocated),
                lines=_figures(page, a.lines),
            )
            for a in page.appropriations
        ],
        total=_figures(page, page.total),
        by_tier=[_group(page, r) for r in page.by_tier],
        by_category=[_group(page, r) for r in page.by_category],
        lines_matching=page.matching,
        lines=[_line(page, r) for r in page.lines],
        next_after=nxt,
        next=views.url({**query, "after": str(nxt)}, "/api/v1/budget") if nxt else None,
        tenders=[_tender(page, r) for r in page.tenders],
    )


Year = Annotated[
    str | None,
    Parameter(
        required=False,
        pattern=r"^(20[0-9]{2}|2100|all)$",
        max_length=4,
        description="a fiscal year (2000 to 2100), or `all` (the default: every year)",
    ),
]
Tier = Annotated[
    str | None,
    Parameter(required=False, pattern=r"^(district|street|community)$", max_length=9),
]
PlaceCode = Annotated[
    str | None,
    Parameter(
        required=False,
        pattern=r"^[0-9]{12}$",
        max_length=12,
        description="a place's 12-digit code: the lines at it and inside it (404 for a"
        " code that is no place of the district)",
    ),
]
Category = Annotated[
    str | None,
    Parameter(
        required=False,
        pattern="^(" + "|".join(CATEGORIES) + ")$",
        max_length=40,
        description="a priority category: " + " | ".join(CATEGORIES),
    ),
]


After = Annotated[
    str | None,
    Parameter(
        required=False,
        pattern=lines.CURSOR_PATTERN,
        max_length=40,
        description="next_after of the previous page",
    ),
]


class BudgetApiController(Controller):
    path = "/api/v1"
    tags = ["open data"]  # noqa: RUF012 - Litestar reads a class attribute

    @get(
        "/budget",
        guards=[public],
        summary="Budget execution: appropriated, allocated, committed, released, returned",
        responses=error_responses(400, 404),
    )
    async def budget(
        self,
        year: Year = None,
        tier: Tier = None,
        place: PlaceCode = None,
        category: Category = None,
        line: Annotated[str | None, cursor_parameter("a budget line's id")] = None,
        after: After = None,
    ) -> BudgetOut:
        """The lines matching the filters, added up per tier and per category, and one
        page of them; with `line`, the tenders held against it. A filter value the page
        does not offer is 400; a well-formed place code that is no place of the
        district is 404."""
        asked = {"year": year, "tier": tier, "place": place, "category": category, "line": line}
        budget, chosen = await read_chosen({k: v or "" for k, v in asked.items()}, page=False)
        return budget_out(await views.budget_page(budget, chosen, after))
