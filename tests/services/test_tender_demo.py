"""The demo district's tenders: every status, real holds, a consistent ledger."""

from __future__ import annotations

from market.audit import verify_chain
from market.ledger.check import run_checks
from market.tables import Tender, TenderQuestion
from market.tenders import demo_data, queries, rules


async def test_the_demo_has_tenders_in_every_status(demo_district: object) -> None:
    rows = await Tender.select(Tender.status).where(Tender.community_fund == False)  # noqa: E712
    calls = await Tender.count().where(Tender.community_fund == True)  # noqa: E712
    statuses = {row["status"] for row in rows}
    assert len(rows) == len(demo_data.TENDERS)
    assert calls == 2  # the Lakeside community fund's calls for proposals
    assert statuses == set(rules.STATUSES)
    assert await TenderQuestion.count() > 0
    page = await queries.list_tenders(queries.TenderFilters(), limit=100)
    drafts = sum(row[1] == "draft" for row in demo_data.TENDERS)
    assert drafts and len(page.rows) == len(rows) + calls - drafts  # drafts stay private
    assert (await verify_chain()).ok
    report = await run_checks()
    assert report.ok, report
