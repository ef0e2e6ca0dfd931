"""Charts and labels for the statistics and track-record pages (presentation only).

Labels go through gettext with the same msgids the templates use, so one catalog
entry serves both. Charts are `market.charts` SVG: patterns plus text labels, and
every chart has a table beside it in the template.
"""

from __future__ import annotations

from markupsafe import Markup

from market.charts import Bar, Segment, donut, stacked_bars
from market.controllers.tenders import money_filter
from market.ledger.rules import SOURCES
from market.money import Money
from market.web.i18n import gettext
from opendata.statistics.queries import DistrictStatistics
from opendata.statistics.track_record import TrackRecord


def category_label(code: str) -> str:
    return {
        "software_services": gettext("Software services"),
        "science_technology": gettext("Science & technology"),
        "dispute_mediation": gettext("Dispute mediation"),
        "coordination_management": gettext("Coordination & management"),
        "charity": gettext("Charity"),
        "community_services": gettext("Community services"),
        "": gettext("No category"),
    }.get(code, code)


def source_label(code: str | None) -> str:
    """A funding source as people say it (charts, tables, account names)."""
    return {
        "government": gettext("Government budget"),
        "corporate": gettext("Corporate sponsorship"),
        "foundation": gettext("Foundation grants"),
        "public": gettext("Public donations"),
        "own": gettext("Organization's own income"),
    }.get(code or "", code or "")


def status_label(code: str) -> str:
    return {
        "published": gettext("Open for enquiries"),
        "tendering": gettext("Open for bids"),
        "evaluation": gettext("Under evaluation"),
        "awarded": gettext("Awarded"),
        "contracted": gettext("Contracted"),
        "completed": gettext("Completed"),
        "cancelled": gettext("Cancelled"),
        "unsuccessful": gettext("Unsuccessful"),
        "terminated": gettext("Terminated"),
    }.get(code, code)


def _money(amount: int, currency: str) -> str:
    return money_filter(Money(amount, currency))


def _funds_chart(stats: DistrictStatistics, flow: str, title: str, uid: str) -> Markup:
    bars = [
        Bar(
            str(year.year),
            [
                Segment(
                    source_label(s),
                    getattr(year, flow)[s],
                    _money(getattr(year, flow)[s], stats.currency),
                )
                for s in SOURCES
            ],
        )
        for year in stats.funds
    ]
    return Markup(stacked_bars(bars, title=title, uid=uid, label_width=70))  # noqa: S704 - escaped SVG


def statistics_charts(stats: DistrictStatistics) -> dict[str, Markup]:
    """The page's four charts; an empty figure gets no chart (the template says so)."""
    charts: dict[str, Markup] = {}
    if stats.organizations:
        charts["categories"] = Markup(  # noqa: S704 - market.charts escapes every text
            donut(
                [Segment(category_label(c), n, str(n)) for c, n in stats.by_category],
                title=gettext("Registered social organizations by category"),
                centre=str(stats.organizations),
                uid="categories",
            )
        )
    if stats.growth:
        charts["growth"] = Markup(  # noqa: S704
            stacked_bars(
                [
                    Bar(
                        str(g.year),
                        [
                            Segment(
                                gettext("Registered before"), g.total - g.new, str(g.total - g.new)
                            ),
                            Segment(gettext("New this year"), g.new, str(g.new)),
                        ],
                    )
                    for g in stats.growth
                ],
                title=gettext("Registered social organizations by year"),
                uid="growth",
                label_width=70,
            )
        )
    if stats.funds:
        charts["received"] = _funds_chart(
            stats, "received", gettext("Funds received into escrow by source and year"), "received"
        )
        charts["released"] = _funds_chart(
            stats,
            "released",
            gettext("Funds released to organizations by source and year"),
            "released",
        )
    if stats.tenders:
        charts["tenders"] = Markup(  # noqa: S704
            stacked_bars(
                [
                    Bar(status_label(code), [Segment(gettext("Tenders"), n, str(n))])
                    for code, n in stats.tenders_by_status
                ],
                title=gettext("Tenders by status"),
                uid="tenders",
                label_width=150,
            )
        )
    return charts


def record_chart(record: TrackRecord) -> Markup | None:
    """Funds received by source (first currency only: the district's is CNY)."""
    if not record.funds_total:
        return None
    currency = record.funds_total[0].currency
    segments = [
        Segment(source_label(f.source), f.amount.amount, money_filter(f.amount))
        for f in record.funds
        if f.amount.currency == currency
    ]
    return Markup(  # noqa: S704 - market.charts escapes every text
        donut(
            segments,
            title=gettext("Funds received by source"),
            centre=money_filter(record.funds_total[0]),
            uid="record-funds",
        )
    )
