"""The demo district's tenders: every status, real holds, a consistent ledger."""

from __future__ import annotations

from bids import demo as bids_demo
from composition.demo import load_demo
from market.audit import verify_chain
from market.ledger.check import run_checks
from market.tables import Tender, TenderQuestion
from market.tenders import queries, rules


async def test_the_demo_has_tenders_in_every_status() -> None:
    await load_demo()
    rows = await Tender.select(Tender.status)
    statuses = {row["status"] for row in rows}
    assert len(rows) == 40 + len(bids_demo.TENDERS)  # the bids app adds its own
    assert statuses == set(rules.STATUSES)
    assert await TenderQuestion.count() > 0
    page = await queries.list_tenders(queries.TenderFilters(), limit=100)
    assert len(page.rows) == 36 + len(bids_demo.TENDERS)  # drafts stay private
    assert (await verify_chain()).ok
    report = await run_checks()
    assert report.ok, report
