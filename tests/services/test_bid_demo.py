"""The demo district's bids: sealed, opened, scored, awarded, contracted and paid."""

from __future__ import annotations

from market.audit import verify_chain
from market.ledger.check import run_checks
from market.sql import execute


async def test_the_demo_carries_tenders_through_the_bids_app(demo_district: object) -> None:
    rows = await execute(
        "SELECT t.status, t.min_bids, COUNT(b.id) AS bids,"
        " SUM(CASE WHEN b.price IS NULL THEN 1 ELSE 0 END) AS sealed"
        " FROM market_tender t LEFT JOIN bids_bid b ON b.tender = t.id"
        " GROUP BY t.id, t.status, t.min_bids"
    )
    past_deadline = ("evaluation", "awarded", "contracted", "completed", "terminated")
    for row in rows:
        if row["status"] in past_deadline:  # enough bids, all opened at the deadline
            assert int(row["bids"]) >= int(row["min_bids"]) and not row["sealed"], row
        elif row["status"] == "unsuccessful":  # too few bids: never opened
            assert 0 < int(row["bids"]) < int(row["min_bids"]), row
        elif row["status"] != "tendering":
            assert int(row["bids"]) == 0, row
    open_bids = [r for r in rows if r["status"] == "tendering" and r["bids"]]
    assert open_bids and all(r["sealed"] == r["bids"] for r in open_bids)  # still sealed
    milestones = await execute("SELECT status FROM bids_milestone ORDER BY id")
    statuses = [m["status"] for m in milestones]
    assert statuses.count("approved") >= 3 and "submitted" in statuses and "not_met" in statuses
    released = await execute(
        "SELECT SUM(amount) AS total FROM ledger_transfer WHERE reason = 'release'"
    )
    assert released[0]["total"] > 0
    complaints = await execute("SELECT status FROM bids_complaint")
    assert sorted(c["status"] for c in complaints) == ["dismissed", "filed", "upheld"]
    contracts = await execute("SELECT status FROM bids_contract")
    assert "terminated" in {c["status"] for c in contracts}
    assert (await run_checks()).ok
    assert (await verify_chain()).ok
