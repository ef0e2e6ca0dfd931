# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""The public home page's read model: projects seeking funds now with their progress by
source, this year's money raised and released, the latest awards and completed
milestones, and the district's organizations.

Every money figure comes from the ledger's read models: progress per project from the
cached escrow balances (`tender_funding`), the year's totals from the statistics
rollup (`funds_by_year`), so the home page always agrees with the project pages and
/statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from donors.rules import OPEN_STATUSES
from market import clock, directory
from market.ledger.readmodels import TenderFunding, tender_funding
from market.ledger.rules import SOURCES
from market.money import Money
from market.settings import get_settings
from market.sql import execute, marks
from market.tenders import rules as tender_rules
from market.timestamps import timestamp
from opendata.statistics.queries import funds_by_year
from opendata.statistics.rules import local_year

SEEKING_LIMIT = 12
LATEST_LIMIT = 5


@dataclass(frozen=True, slots=True)
class SourceProgress:
    source: str
    goal: Money
    raised: Money  # received into escrow (the government budget: held at publication)

    @property
    def percent(self) -> int:
        return progress_percent(self.raised.amount, self.goal.amount)


@dataclass(frozen=True, slots=True)
class SeekingProject:
    id: int
    title_zh: str
    title_en: str
    department_zh: str
    department_en: str
    status: str
    area: str
    goal: Money
    raised: Money
    sources: list[SourceProgress]

    @property
    def percent(self) -> int:
        return progress_percent(self.raised.amount, self.goal.amount)

    @property
    def public_goal(self) -> SourceProgress | None:
        return next((s for s in self.sources if s.source == "public"), None)


@dataclass(frozen=True, slots=True)
class YearTotals:
    year: int
    raised: Money
    released: Money
    raised_by_source: dict[str, Money]


@dataclass(frozen=True, slots=True)
class HomePage:
    seeking: list[SeekingProject]
    seeking_total: int  # every project taking money now (the page shows the newest)
    year: YearTotals
    awards: list[dict[str, Any]]
    milestones: list[dict[str, Any]]
    by_kind: dict[str, list[dict[str, Any]]]
    organization_count: int


def progress_percent(raised: int, goal: int) -> int:
    """Whole percent of a goal reached, capped at 100 (a goal of zero is met)."""
    if goal <= 0:
        return 100 if raised > 0 else 0
    return min(100, raised * 100 // goal)


def source_progress(tender: dict[str, Any], funding: TenderFunding) -> list[SourceProgress]:
    """Goal and raised per source, the sources with neither left out."""
    currency = funding.currency
    lines = []
    for source in SOURCES:
        goal = int(tender["budget"] if source == "government" else tender[f"goal_{source}"])
        line = funding.sources[source]
        raised = line.received.amount + (line.pending_in.amount if source == "government" else 0)
        if goal == 0 and raised == 0:
            continue
        lines.append(SourceProgress(source, Money(goal, currency), Money(raised, currency)))
    return lines


async def seeking_funds(limit: int = SEEKING_LIMIT) -> list[SeekingProject]:
    """Projects that take money now (the donors' open statuses), newest first."""
    statuses = sorted(OPEN_STATUSES)
    rows = await execute(
        "SELECT t.id, t.title_zh, t.title_en, t.status, t.area, t.currency, t.budget,"
        " t.goal_corporate, t.goal_foundation, t.goal_public, t.goal_own, t.enquiry_end,"
        " t.bid_deadline, o.name_zh AS department_zh, o.name_en AS department_en"
        " FROM market_v_tender t JOIN market_v_organization o ON o.id = t.department"
        f" WHERE t.status IN ({marks(len(statuses))})"
        " ORDER BY t.published_at DESC, t.id DESC LIMIT {}",
        *statuses,
        limit,
    )
    now = clock.now()
    projects = []
    for row in rows:
        tender = dict(row)
        funding = await tender_funding(int(tender["id"]), tender["currency"])
        sources = source_progress(tender, funding)
        zero = Money.zero(tender["currency"])
        projects.append(
            SeekingProject(
                id=int(tender["id"]),
                title_zh=tender["title_zh"] or "",
                title_en=tender["title_en"] or "",
                department_zh=tender["department_zh"] or "",
                department_en=tender["department_en"] or "",
                status=tender_rules.effective_status(
                    tender["status"],
                    timestamp(tender["enquiry_end"]),
                    timestamp(tender["bid_deadline"]),
                    now,
                ),
                area=tender["area"] or "",
                goal=sum((s.goal for s in sources), zero),
                raised=sum((s.raised for s in sources), zero),
                sources=sources,
            )
        )
    return projects


async def seeking_count() -> int:
    statuses = sorted(OPEN_STATUSES)
    rows = await execute(
        f"SELECT COUNT(*) AS n FROM market_v_tender WHERE status IN ({marks(len(statuses))})",
        *statuses,
    )
    return int(rows[0]["n"])


async def year_totals() -> YearTotals:
    """Money received into and released from project escrow this district year."""
    currency = get_settings().default_currency
    year = local_year(clock.now())
    funds = {y.year: y for y in await funds_by_year(currency)}
    this = funds.get(year)
    received = {s: (this.received[s] if this else 0) for s in SOURCES}
    released = sum(this.released.values()) if this else 0
    return YearTotals(
        year=year,
        raised=Money(sum(received.values()), currency),
        released=Money(released, currency),
        raised_by_source={s: Money(v, currency) for s, v in received.items()},
    )


async def latest_awards(limit: int = LATEST_LIMIT) -> list[dict[str, Any]]:
    rows = await execute(
        "SELECT a.awarded_at, t.id AS tender_id, t.title_zh, t.title_en, t.currency,"
        " b.price, o.id AS organization_id, o.name_zh, o.name_en"
        " FROM bids_v_award a JOIN bids_v_bid b ON b.id = a.bid"
        " JOIN market_v_tender t ON t.id = a.tender"
        " JOIN market_v_organization o ON o.id = b.organization"
        " WHERE a.status = 'active' ORDER BY a.awarded_at DESC, a.id DESC LIMIT {}",
        limit,
    )
    return [
        {
            **dict(r),
            "awarded_at": timestamp(r["awarded_at"]),
            "price": Money(int(r["price"]), r["currency"]) if r["price"] is not None else None,
        }
        for r in rows
    ]


async def completed_milestones(limit: int = LATEST_LIMIT) -> list[dict[str, Any]]:
    rows = await execute(
        "SELECT m.position, m.deliverable, m.amount, m.decided_at, c.currency,"
        " t.id AS tender_id, t.title_zh, t.title_en,"
        " o.id AS organization_id, o.name_zh, o.name_en"
        " FROM bids_v_milestone m JOIN bids_v_contract c ON c.id = m.contract"
        " JOIN market_v_tender t ON t.id = c.tender"
        " JOIN market_v_organization o ON o.id = c.organization"
        " WHERE m.status = 'approved' ORDER BY m.decided_at DESC, m.id DESC LIMIT {}",
        limit,
    )
    return [
        {
            **dict(r),
            "decided_at": timestamp(r["decided_at"]),
            "amount": Money(int(r["amount"]), r["currency"]),
        }
        for r in rows
    ]


async def home_page() -> HomePage:
    organizations = await directory.home_summary()
    return HomePage(
        seeking=await seeking_funds(),
        seeking_total=await seeking_count(),
        year=await year_totals(),
        awards=await latest_awards(),
        milestones=await completed_milestones(),
        by_kind=organizations["by_kind"],
        organization_count=organizations["organization_count"],
    )
