"""The demo district's bids: sealed, opened, scored, awarded, contracted and paid."""

from __future__ import annotations

from composition.demo import load_demo
from market.audit import verify_chain
from market.ledger.check import run_checks
from market.sql import execute


async def test_the_demo_carries_tenders_through_the_bids_app() -> None:
    await load_demo()
    rows = await execute(
        "SELECT t.status, COUNT(b.id) AS bids FROM market_tender t"
        " JOIN bids_bid b ON b.tender = t.id GROUP BY t.id, t.status"
    )
    assert sorted(r["status"] for r in rows) == sorted(
        ["tendering", "evaluation", "awarded", "contracted", "completed", "terminated"]
    )
    sealed = await execute("SELECT COUNT(*) AS n FROM bids_bid WHERE price IS NULL")
    assert sealed[0]["n"] == 2  # the open tender's bids stay sealed
    milestones = await execute("SELECT status FROM bids_milestone ORDER BY id")
    statuses = [m["status"] for m in milestones]
    assert statuses.count("approved") == 4 and "submitted" in statuses
    contracts = await execute("SELECT status FROM bids_contract ORDER BY id")
    assert [c["status"] for c in contracts] == ["active", "completed", "terminated"]
    released = await execute(
        "SELECT SUM(amount) AS total FROM ledger_transfer WHERE reason = 'release'"
    )
    assert released[0]["total"] > 0
    complaints = await execute("SELECT status FROM bids_complaint")
    assert [c["status"] for c in complaints] == ["filed"]
    assert (await run_checks()).ok
    assert (await verify_chain()).ok
