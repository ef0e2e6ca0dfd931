"""District statistics: organizations by category and year, organizations per 10,000
residents, funds by source and year, tenders by status.

Every figure is one aggregate query (GROUP BY); nothing loops over rows in Python.
Years are district years: timestamps are bucketed in SQL by a CASE over the instants
where each local year starts (`rules.year_starts`), exact on both engines.
Funds come from `market_v_ledger_transfer` through an incremental rollup (`rollup`:
folded totals plus a live GROUP BY over the transfers not folded yet), so they add up
to the ledger's balances:
"received" is every posted transfer into a tender's escrow, "released" every release
out of it to an organization, "returned" every return to the source on failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from market import clock
from market.ledger.rules import SOURCES
from market.organization_rules import CATEGORIES
from market.settings import get_settings
from market.sql import execute
from market.tenders.rules import PUBLIC_STATUSES
from market.timestamps import timestamp
from opendata.statistics import rollup, rules
from opendata.statistics.rollup import year_case

TENDER_STATUSES = PUBLIC_STATUSES  # drafts are not public
REGISTERED = ("verified", "suspended")  # on the register (a suspension is temporary)
FLOWS = ("received", "released", "returned")


@dataclass(frozen=True, slots=True)
class YearFunds:
    year: int
    received: dict[str, int]  # per source, minor units
    released: dict[str, int]
    returned: dict[str, int]


@dataclass(frozen=True, slots=True)
class DistrictStatistics:
    population: int
    organizations: int
    per_10k: Decimal | None
    by_category: list[tuple[str, int]]
    growth: list[rules.YearGrowth]
    currency: str
    funds: list[YearFunds]
    funds_total: dict[str, dict[str, int]]  # flow → source → minor units, all years
    tenders_by_status: list[tuple[str, int]]
    tenders: int


async def _span(sql: str, *args: Any) -> list[tuple[int, datetime]]:
    rows = await execute(sql, *args)
    if not rows or rows[0]["first"] is None:
        return []
    return rules.year_starts(timestamp(rows[0]["first"]), timestamp(rows[0]["last"]))


async def organizations_by_category() -> list[tuple[str, int]]:
    rows = await execute(
        "SELECT category, COUNT(*) AS n FROM market_v_organization"
        " WHERE kind = 'social_org' AND status IN ({}, {}) GROUP BY category",
        *REGISTERED,
    )
    return rules.ordered_counts({r["category"]: int(r["n"]) for r in rows}, CATEGORIES)


async def organization_growth() -> list[rules.YearGrowth]:
    """Registered social organizations by the district year they were verified."""
    where = (
        " FROM market_v_organization WHERE kind = 'social_org' AND status IN ({}, {})"
        " AND decided_at IS NOT NULL"
    )
    starts = await _span(
        "SELECT MIN(decided_at) AS first, MAX(decided_at) AS last" + where, *REGISTERED
    )
    if not starts:
        return []
    case, args = year_case("decided_at", starts)
    rows = await execute(
        f"SELECT {case} AS year, COUNT(*) AS n" + where + " GROUP BY 1", *args, *REGISTERED
    )
    return rules.growth((int(r["year"]), int(r["n"])) for r in rows)


def _year_funds(rows: list[rollup.FundsRow]) -> list[YearFunds]:
    """(year, flow, source, amount) rows, a key possibly repeated → a dense year series."""
    grids = {
        flow: rules.year_grid(
            ((year, source, amount) for year, f, source, amount in rows if f == flow), SOURCES
        )
        for flow in FLOWS
    }
    years = sorted({year for grid in grids.values() for year in grid})
    if not years:
        return []
    empty = dict.fromkeys(SOURCES, 0)
    return [
        YearFunds(
            year,
            *(dict(grids[flow].get(year, empty)) for flow in FLOWS),
        )
        for year in range(years[0], years[-1] + 1)
    ]


async def funds_by_year(currency: str) -> list[YearFunds]:
    """From the rollup plus the live tail after folding what has settled (a bounded
    amount of work per call; see opendata/statistics/rollup.py)."""
    await rollup.advance()
    return _year_funds(await rollup.funds_rows(currency))


async def funds_by_year_scan(currency: str) -> list[YearFunds]:
    """The same figures from a full scan of market_v_ledger_transfer: the reference."""
    return _year_funds(await rollup.scan_rows(currency))


async def tenders_by_status() -> list[tuple[str, int]]:
    """Public tenders (not drafts) by the status their dates say they are in now."""
    now = clock.now()
    rows = await execute(
        "SELECT CASE"
        " WHEN status IN ('published', 'tendering') AND bid_deadline <= {} THEN 'evaluation'"
        " WHEN status = 'published' AND enquiry_end <= {} THEN 'tendering'"
        " ELSE status END AS effective, COUNT(*) AS n"
        " FROM market_v_tender WHERE status <> 'draft' GROUP BY 1",
        now,
        now,
    )
    return rules.ordered_counts({r["effective"]: int(r["n"]) for r in rows}, TENDER_STATUSES)


async def district_statistics() -> DistrictStatistics:
    settings = get_settings()
    by_category = await organizations_by_category()
    organizations = sum(n for _, n in by_category)
    funds = await funds_by_year(settings.default_currency)
    totals = {flow: {s: sum(getattr(y, flow)[s] for y in funds) for s in SOURCES} for flow in FLOWS}
    statuses = await tenders_by_status()
    return DistrictStatistics(
        population=settings.district_population,
        organizations=organizations,
        per_10k=rules.per_10k(organizations, settings.district_population),
        by_category=by_category,
        growth=await organization_growth(),
        currency=settings.default_currency,
        funds=funds,
        funds_total=totals,
        tenders_by_status=statuses,
        tenders=sum(n for _, n in statuses),
    )
