"""What the /budget page shows (presentation only): the figures of the chosen lines
per tier, per category and line by line, each chart with its table, and the tenders
held against one line. Labels go through gettext (the templates use the same msgids);
charts are `market.charts` SVG, as on the statistics and project pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from markupsafe import Markup

from market.charts import Bar, Segment, stacked_bars, text_width
from market.controllers.tenders import money_filter
from market.labels import LABELS
from market.money import Money
from market.places import rules as place_rules
from market.places.queries import Place
from market.tenders.inputs import CATEGORIES
from market.web import i18n
from opendata.budget import fiscal, lines, rules
from opendata.budget.lines import BudgetFilter, LineInfo
from opendata.budget.names import HeldTender, held_tenders, in_both_languages
from opendata.budget.queries import Appropriation, Budget
from opendata.budget.rules import Figures, TenderFigures
from opendata.statistics.views import category_label

_ = i18n.gettext
CHART_PHASES = ("committed", "released", "returned", "remaining")


def tier_label(tier: str) -> str:
    return {
        "district": _("District"),
        "street": _("Streets"),
        "community": _("Communities"),
    }.get(tier, tier)


def tier_name(tier: str) -> str:
    """One place's tier (tier_label names a group of them)."""
    return {
        "district": _("District"),
        "street": _("Street"),
        "community": _("Community"),
    }.get(tier, tier)


def phase_label(phase: str) -> str:
    return {
        "appropriated": _("Appropriated"),
        "allocated": _("Allocated"),
        "committed": _("Committed (held)"),
        "released": _("Released"),
        "returned": _("Returned at year end"),
        "remaining": _("Remaining"),
    }.get(phase, phase)


def place_name(place: Place) -> str:
    return place.name(i18n.current())


@dataclass(frozen=True)
class Row:
    """One row of a table of figures: a label, the figures, and a link if any."""

    key: str
    label: str
    figures: Figures
    href: str = ""


@dataclass(frozen=True)
class AppropriationRow:
    appropriation: Appropriation
    appropriated: int  # from the ledger
    lines: Figures  # every line of it added up
    unallocated: int


@dataclass(frozen=True)
class LineRow:
    line: LineInfo
    place: Place
    lineage: list[Place]
    figures: Figures
    tenders: int


@dataclass(frozen=True)
class TenderRow:
    tender: HeldTender | None
    figures: TenderFigures


@dataclass
class BudgetPage:
    budget: Budget
    chosen: BudgetFilter
    appropriations: list[AppropriationRow]
    total: Figures
    by_tier: list[Row]
    by_category: list[Row]
    lines: list[LineRow]
    next_after: int | None
    matching: int  # lines matching the filters, every page
    line: LineRow | None = None  # the line asked for with `line=`
    tenders: list[TenderRow] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return self.budget.currency

    def money(self, amount: int) -> Money:
        return Money(int(amount), self.budget.currency)


def _appropriations(budget: Budget) -> list[AppropriationRow]:
    """The appropriations the filter chose (of its year, holding its place), each with
    all its lines added up, whatever the filter chose of them."""
    return [
        AppropriationRow(
            a,
            budget.appropriated(a),
            budget.appropriation_lines.get(a.id, Figures()),
            budget.unallocated(a),
        )
        for a in budget.appropriations
    ]


def _rows(
    chosen: list[LineInfo],
    budget: Budget,
    key: Callable[[LineInfo], str],
    order: tuple[str, ...],
    label: Callable[[str], str],
    href: Callable[[str], str],
) -> list[Row]:
    sums = lines.grouped(chosen, budget.execution.lines, key)
    return [Row(k, label(k), sums[k], href(k)) for k in order if k in sums]


def _line_row(budget: Budget, line: LineInfo) -> LineRow:
    place = budget.line_place(line)
    tenders = sum(1 for t in budget.execution.tenders.values() if t.line == line.code)
    return LineRow(line, place, budget.lineage(place), budget.figures(line), tenders)


async def budget_page(budget: Budget, chosen: BudgetFilter, after: str | None) -> BudgetPage:
    """The figures of the lines the filter chose (`read_budget(chosen)` read only
    those), one page of them line by line, and the tenders of the line asked for."""
    chosen_lines = budget.lines
    page = lines.page_of(chosen_lines, after)
    query = chosen.query(every_year=chosen.year is None)

    def link(name: str) -> Callable[[str], str]:
        return lambda value: url({**query, name: value})

    result = BudgetPage(
        budget=budget,
        chosen=chosen,
        appropriations=_appropriations(budget),
        total=rules.total(budget.figures(ln) for ln in chosen_lines),
        by_tier=_rows(
            chosen_lines, budget, lambda ln: ln.tier, place_rules.TIERS, tier_label, link("tier")
        ),
        by_category=_rows(
            chosen_lines,
            budget,
            lambda ln: ln.category,
            (*CATEGORIES, *sorted({ln.category for ln in chosen_lines} - set(CATEGORIES))),
            category_label,
            link("category"),
        ),
        lines=[_line_row(budget, ln) for ln in page.lines],
        next_after=page.next_after,
        matching=len(chosen_lines),
    )
    if chosen.line is not None and chosen_lines:
        result.line = _line_row(budget, chosen_lines[0])
        figures = [t for t in budget.execution.tenders.values() if t.line == chosen_lines[0].code]
        names = await held_tenders(t.tender_id for t in figures)
        result.tenders = [TenderRow(names.get(t.tender_id), t) for t in figures]
    return result


def url(params: dict[str, str], path: str = "/budget") -> str:
    clean = {k: v for k, v in params.items() if v}
    return f"{path}?{urlencode(clean)}" if clean else path


def _chart(rows: list[Row], page: BudgetPage, title: str, uid: str) -> Markup | None:
    if not rows or not any(r.figures.allocated for r in rows):
        return None
    bars = [
        Bar(
            r.label,
            [
                Segment(
                    phase_label(p), r.figures.get(p), money_filter(page.money(r.figures.get(p)))
                )
                for p in CHART_PHASES
            ],
        )
        for r in rows
    ]
    label_width = min(260, max(80, 12 + int(max(text_width(r.label) for r in rows))))
    return Markup(  # noqa: S704 - market.charts escapes every text
        stacked_bars(bars, title=title, uid=uid, width=720, label_width=label_width)
    )


def charts(page: BudgetPage) -> dict[str, Markup]:
    """Allocated money per tier and per category, split into its phases (a table of
    the same figures stands beside each chart in the page)."""
    out: dict[str, Markup] = {}
    title = _("Budget lines by tier: where the allocated money is")
    tier = _chart(page.by_tier, page, title, "tier")
    if tier is not None:
        out["tier"] = tier
    category = _chart(
        page.by_category, page, _("Budget lines by category: where the allocated money is"), "cat"
    )
    if category is not None:
        out["category"] = category
    return out


def page_context(page: BudgetPage) -> dict[str, object]:
    """What templates/opendata/budget.html needs besides the page."""
    return {
        "page": page,
        "charts": charts(page),
        "url": url,
        "phases": rules.LINE_PHASES,
        "phase_label": phase_label,
        "tier_label": tier_label,
        "tier_name": tier_name,
        "tiers": place_rules.TIERS,
        "places": sorted(page.budget.places.values(), key=lambda p: p.code),
        "loop_depth": {"district": 0, "street": 1, "community": 2},
        "categories": CATEGORIES,
    }


# --- the Fiscal Data Package -------------------------------------------------------------


def _category(code: str) -> fiscal.Named:
    zh, en = in_both_languages(LABELS["category"].get(code, code))
    return fiscal.Named(code, zh, en)


def _levels(budget: Budget, place: Place) -> dict[str, fiscal.Named]:
    return {p.tier: fiscal.Named(p.code, p.name_zh, p.name_en) for p in budget.lineage(place)}


def _decimal(amount: int, currency: str) -> Decimal:
    return Money(amount, currency).to_decimal()


def fiscal_rows(budget: Budget) -> list[fiscal.FiscalRow]:
    """Each appropriation's own account, then its lines (newest year first)."""
    out = []
    c = budget.currency
    for a in budget.appropriations:
        project = rules.project_name(a.year, a.district.name_zh, a.district.name_en)
        amounts = {"appropriated": budget.appropriated(a), "remaining": budget.unallocated(a)}
        out.append(
            fiscal.FiscalRow(
                year=a.year,
                budget_line_id=a.code,
                project_code=a.code,
                project_name=project,
                tier="district",
                places=_levels(budget, a.district),
                category=None,
                currency=c,
                amounts={k: _decimal(v, c) for k, v in amounts.items()},
            )
        )
        for line in (ln for ln in budget.lines if ln.appropriation == a.id):
            figures = budget.figures(line)
            out.append(
                fiscal.FiscalRow(
                    year=line.year,
                    budget_line_id=line.code,
                    project_code=a.code,
                    project_name=project,
                    tier=line.tier,
                    places=_levels(budget, budget.line_place(line)),
                    category=_category(line.category),
                    currency=c,
                    amounts={p: _decimal(figures.get(p), c) for p in rules.LINE_PHASES},
                )
            )
    return out
