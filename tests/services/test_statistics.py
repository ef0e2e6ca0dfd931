"""District statistics: district years, organizations per 10,000 residents, tenders by
status, and funds by source and year that add up to the ledger."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from donors import donations, settlement
from market import clock
from market.ledger.readmodels import tender_funding
from market.ledger.rules import SOURCES
from market.money import Money
from market.settings import get_settings, reset_settings
from market.sql import execute
from opendata.statistics import queries as statistics
from opendata.statistics.rules import YearGrowth
from tests.builders import make_org
from tests.donation_builders import make_pledge, make_tender
from tests.services.test_track_record import completed_with_one_late_milestone


async def test_empty_district_has_zeroes_and_no_years():
    stats = await statistics.district_statistics()
    assert stats.organizations == 0 and stats.per_10k == Decimal("0.00")
    assert stats.growth == [] and stats.funds == [] and stats.tenders == 0
    assert all(n == 0 for _, n in stats.by_category)


async def test_organizations_are_counted_by_category_and_district_year(frozen_clock):
    # 2025-12-31 17:00 UTC is already 2026-01-01 01:00 in the district.
    frozen_clock.set(datetime(2025, 12, 31, 15, 0, tzinfo=UTC))
    await make_org(category="charity")
    frozen_clock.set(datetime(2025, 12, 31, 17, 0, tzinfo=UTC))
    await make_org(category="charity")
    await make_org(category="dispute_mediation", status="suspended")
    await make_org(category="charity", status="pending")  # not on the register
    await make_org(category="charity", status="rejected")
    await make_org(kind="company", category="")  # not a social organization
    frozen_clock.set(datetime(2027, 6, 1, tzinfo=UTC))
    await make_org(category="community_services")
    stats = await statistics.district_statistics()
    counts = dict(stats.by_category)
    assert counts["charity"] == 2 and counts["dispute_mediation"] == 1
    assert counts["community_services"] == 1 and counts["software_services"] == 0
    assert stats.organizations == 4
    assert stats.growth == [YearGrowth(2025, 1, 1), YearGrowth(2026, 2, 3), YearGrowth(2027, 1, 4)]
    assert stats.per_10k == (Decimal(4) * 10_000 / get_settings().district_population).quantize(
        Decimal("0.01")
    )


async def test_population_comes_from_the_settings():
    saved = get_settings()
    reset_settings(dataclasses.replace(saved, district_population=20_000))
    try:
        for _ in range(3):
            await make_org()
        stats = await statistics.district_statistics()
        assert stats.population == 20_000
        assert stats.per_10k == Decimal("1.50")
    finally:
        reset_settings(saved)


async def test_tenders_by_status_follow_their_dates(frozen_clock):
    await make_tender(status="draft")
    await make_tender(status="tendering")
    await make_tender(status="cancelled")
    published = await make_tender(status="published")  # enquiries end in 5 days
    stats = dict(await statistics.tenders_by_status())
    assert (stats["published"], stats["tendering"], stats["cancelled"]) == (1, 1, 1)
    assert sum(stats.values()) == 3 + 0  # drafts are never counted
    frozen_clock.advance(days=6)
    stats = dict(await statistics.tenders_by_status())
    assert (stats["published"], stats["tendering"]) == (0, 2), published
    frozen_clock.advance(days=5)
    assert dict(await statistics.tenders_by_status())["evaluation"] == 2


async def test_funds_by_source_and_year_equal_the_ledger(frozen_clock):
    # A completed project (government, public and corporate money released) …
    scenario, _, _ = await completed_with_one_late_milestone(frozen_clock)
    # … and a cancelled one whose donation and match go back to their sources,
    # in the next district year.
    frozen_clock.set(datetime(2027, 12, 31, 17, 0, tzinfo=UTC))  # 2028-01-01 in the district
    failed = await make_tender(status="tendering")
    await make_pledge(ratio=(1, 1), per_donation_cap=200_00)
    await donations.start_donation(
        tender_id=failed, amount=Money(500_00, "CNY"), provider="sandbox"
    )
    frozen_clock.advance(hours=1)
    await execute("UPDATE market_tender SET status = 'cancelled' WHERE id = {}", failed)
    assert await settlement.settle_tender(failed, "cancelled")

    stats = await statistics.district_statistics()
    expected = {flow: dict.fromkeys(SOURCES, 0) for flow in statistics.FLOWS}
    for tender_id in (scenario.tender_id, failed):
        funding = await tender_funding(tender_id)
        for s in SOURCES:
            expected["received"][s] += funding.sources[s].received.amount
            expected["released"][s] += funding.sources[s].released.amount
            expected["returned"][s] += funding.sources[s].refunded.amount
    assert stats.funds_total == expected
    assert expected["returned"]["public"] == 500_00 and expected["returned"]["corporate"] == 200_00
    assert sum(expected["released"].values()) == 15_000_000
    # District years: the cancelled project's money is all in 2028.
    years = {y.year: y for y in stats.funds}
    assert max(years) == 2028
    assert years[2028].received == {
        **dict.fromkeys(SOURCES, 0),
        "public": 500_00,
        "corporate": 200_00,
    }
    assert years[2028].returned == years[2028].received
    assert all(set(y.received) == set(SOURCES) for y in stats.funds)
    assert list(years) == list(range(min(years), 2029))
    # Received also equals the escrow accounts' posted credits, straight from the ledger.
    rows = await execute(
        "SELECT SUM(credits_posted) AS total FROM ledger_account"
        " WHERE code LIKE 'tender:%:escrow:%'"
    )
    assert sum(expected["received"].values()) == int(rows[0]["total"])
    assert clock.now() - datetime(2027, 12, 31, 17, 0, tzinfo=UTC) == timedelta(hours=1)
