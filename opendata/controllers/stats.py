"""District statistics and organization track records: pages and the JSON API.

`/statistics` and `/organizations/{id}/record` are full pages; the record's
`record` block is also the fragment the organization profile loads with htmx (the
profile links to the page without JavaScript). `/api/v1/statistics` and
`/api/v1/organizations/{id}/record` return the same figures as typed JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get

from market.controllers.tenders_api import MoneyOut
from market.ledger.rules import SOURCES
from market.money import Money
from market.web.auth import public
from market.web.errors import error_responses
from market.web.page_cache import CACHED
from market.web.params import PathId, cursor_parameter, limit_parameter
from market.web.reads import REPLICA_READS
from market.web.render import render
from opendata.statistics import rules, views
from opendata.statistics.queries import DistrictStatistics, district_statistics
from opendata.statistics.track_record import (
    ComplaintTally,
    TrackRecord,
    organization_contracts,
    organization_record,
)

CONTRACTS_PAGE = 20


class StatisticsPages(Controller):
    opt = REPLICA_READS  # anonymous reads may come from a replica (market.web.reads)
    include_in_schema = False

    @get("/statistics", guards=[public], opt=CACHED)
    async def statistics(self, request: Request[Any, Any, Any]) -> Response[str]:
        stats = await district_statistics()
        context = {
            "stats": stats,
            "charts": views.statistics_charts(stats),
            "sources": SOURCES,
            "zone": rules.DISTRICT_ZONE.key,
            "money_of": lambda amount: Money(int(amount), stats.currency),
        }
        return render(request, "opendata/statistics.html", context)

    @get("/organizations/{organization_id:int}/record", guards=[public])
    async def record(
        self, request: Request[Any, Any, Any], organization_id: PathId
    ) -> Response[str]:
        before = rules.parse_before(request.query_params.get("before"))
        record = await organization_record(organization_id)
        page = await organization_contracts(organization_id, before=before, limit=CONTRACTS_PAGE)
        context = {
            "r": record,
            "org": record.org,
            "page": page,
            "before": before,
            "chart": views.record_chart(record),
        }
        return render(request, "opendata/track_record.html", context, block="record")


# --- JSON ---------------------------------------------------------------------------


@dataclass
class CountOut:
    code: str
    count: int


@dataclass
class GrowthOut:
    year: int
    new: int
    total: int


@dataclass
class SourceAmountOut:
    source: str
    amount: MoneyOut


@dataclass
class YearFundsOut:
    year: int
    received: list[SourceAmountOut]
    released: list[SourceAmountOut]
    returned: list[SourceAmountOut]


@dataclass
class StatisticsOut:
    """District figures. Years are calendar years in `time_zone`; amounts are minor
    units (fen) straight from the ledger's transfers."""

    population: int
    organizations: int
    organizations_per_10k: str | None  # a decimal string, e.g. "12.35"
    organizations_by_category: list[CountOut]
    organizations_by_year: list[GrowthOut]
    currency: str
    funds_by_year: list[YearFundsOut]
    funds_total: YearFundsOut  # `year` is 0: all years together
    tenders_by_status: list[CountOut]
    tenders: int
    time_zone: str


def _amounts(values: dict[str, int], currency: str) -> list[SourceAmountOut]:
    return [SourceAmountOut(s, MoneyOut(values.get(s, 0), currency)) for s in SOURCES]


def statistics_out(stats: DistrictStatistics) -> StatisticsOut:
    c = stats.currency
    return StatisticsOut(
        population=stats.population,
        organizations=stats.organizations,
        organizations_per_10k=None if stats.per_10k is None else str(stats.per_10k),
        organizations_by_category=[CountOut(code, n) for code, n in stats.by_category],
        organizations_by_year=[GrowthOut(g.year, g.new, g.total) for g in stats.growth],
        currency=c,
        funds_by_year=[
            YearFundsOut(
                y.year, _amounts(y.received, c), _amounts(y.released, c), _amounts(y.returned, c)
            )
            for y in stats.funds
        ],
        funds_total=YearFundsOut(
            0,
            _amounts(stats.funds_total["received"], c),
            _amounts(stats.funds_total["released"], c),
            _amounts(stats.funds_total["returned"], c),
        ),
        tenders_by_status=[CountOut(code, n) for code, n in stats.tenders_by_status],
        tenders=stats.tenders,
        time_zone=rules.DISTRICT_ZONE.key,
    )


@dataclass
class OrganizationOut:
    id: int
    name_zh: str
    name_en: str
    uscc: str
    category: str
    rating: str
    status: str
    area: str
    registered_year: int | None
    verified_at: datetime | None
    url: str


@dataclass
class MilestonesOut:
    total: int
    approved: int
    approved_on_time: int
    approved_late: int
    not_met: int
    open: int
    overdue: int
    on_time_percent: int | None


@dataclass
class ComplaintsOut:
    upheld: int
    dismissed: int


@dataclass
class ContractOut:
    id: int
    tender_id: int
    title_zh: str
    title_en: str
    department_zh: str
    department_en: str
    amount: MoneyOut
    status: str
    signed_at: datetime | None
    ended_at: datetime | None
    milestones: int
    milestones_approved: int
    released: MoneyOut
    url: str


@dataclass
class TrackRecordOut:
    """Public facts only: signed contracts, opened bids, milestone decisions (on time =
    approved on or before the due date, district calendar), releases from escrow to
    the organization by funding source, resolved complaints."""

    organization: OrganizationOut
    contracts_won: int
    contracts_active: int
    contracts_completed: int
    contracts_terminated: int
    contracted_value: list[MoneyOut]
    bids_opened: int
    milestones: MilestonesOut
    funds_received: list[SourceAmountOut]
    funds_received_total: list[MoneyOut]
    complaints_upheld_against: int
    complaints_against: ComplaintsOut
    complaints_filed: ComplaintsOut
    contracts: list[ContractOut]
    next_before: int | None
    next: str | None


def _complaints(tally: ComplaintTally) -> ComplaintsOut:
    return ComplaintsOut(tally.upheld, tally.dismissed)


def record_out(record: TrackRecord, contracts: Any, limit: int) -> TrackRecordOut:
    org, m = record.org, record.milestones
    next_url = (
        f"/api/v1/organizations/{org['id']}/record?before={contracts.next_before}&limit={limit}"
        if contracts.next_before
        else None
    )
    return TrackRecordOut(
        organization=OrganizationOut(
            id=org["id"],
            name_zh=org["name_zh"],
            name_en=org["name_en"],
            uscc=org["uscc"],
            category=org["category"],
            rating=org["rating"],
            status=org["status"],
            area=org["area"],
            registered_year=org["registered_year"],
            verified_at=org["decided_at"],
            url=f"/organizations/{org['id']}",
        ),
        contracts_won=record.contracts_won,
        contracts_active=record.contracts_active,
        contracts_completed=record.contracts_completed,
        contracts_terminated=record.contracts_terminated,
        contracted_value=[MoneyOut.of(v) for v in record.contracted],
        bids_opened=record.bids_opened,
        milestones=MilestonesOut(
            m.total, m.approved, m.on_time, m.late, m.not_met, m.open, m.overdue, m.on_time_percent
        ),
        funds_received=[SourceAmountOut(f.source, MoneyOut.of(f.amount)) for f in record.funds],
        funds_received_total=[MoneyOut.of(v) for v in record.funds_total],
        complaints_upheld_against=record.complaints_against.upheld,
        complaints_against=_complaints(record.complaints_against),
        complaints_filed=_complaints(record.complaints_filed),
        contracts=[
            ContractOut(
                id=c.id,
                tender_id=c.tender_id,
                title_zh=c.title_zh,
                title_en=c.title_en,
                department_zh=c.department_zh,
                department_en=c.department_en,
                amount=MoneyOut.of(c.amount),
                status=c.status,
                signed_at=c.signed_at,
                ended_at=c.ended_at,
                milestones=c.milestones,
                milestones_approved=c.approved,
                released=MoneyOut.of(c.released),
                url=f"/contracts/{c.id}",
            )
            for c in contracts.lines
        ],
        next_before=contracts.next_before,
        next=next_url,
    )


class StatisticsApi(Controller):
    opt = REPLICA_READS  # anonymous reads may come from a replica (market.web.reads)
    path = "/api/v1"
    tags = ["open data"]  # noqa: RUF012 - Litestar reads a class attribute

    @get("/statistics", guards=[public], summary="District statistics (aggregates of public data)")
    async def statistics(self) -> StatisticsOut:
        return statistics_out(await district_statistics())

    @get(
        "/organizations/{organization_id:int}/record",
        guards=[public],
        summary="A social organization's public track record",
        responses=error_responses(400, 404),
    )
    async def record(
        self,
        organization_id: PathId,
        before: Annotated[str | None, cursor_parameter("next_before of the previous page")] = None,
        limit: Annotated[int | None, limit_parameter(rules.MAX_PAGE, CONTRACTS_PAGE)] = None,
    ) -> TrackRecordOut:
        """Unknown, pending or rejected organizations, and organizations that are not
        social organizations, are 404. A bad cursor or page size is 400."""
        cursor = rules.parse_before(before)
        size = limit or CONTRACTS_PAGE
        record = await organization_record(organization_id)
        contracts = await organization_contracts(organization_id, before=cursor, limit=size)
        return record_out(record, contracts, size)
