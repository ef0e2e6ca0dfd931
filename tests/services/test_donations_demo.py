"""The demo district's funding: pledges (one expired), donations (some declined, some
refunded) and sponsorships."""

from __future__ import annotations

from market.ledger.check import run_checks
from market.sql import execute


async def test_demo_spreads_pledges_donations_and_sponsorships_over_open_tenders(
    demo_district: object,
) -> None:
    pledges = await execute("SELECT status FROM donors_pledge")
    assert sorted(p["status"] for p in pledges) == ["active", "active", "expired"]
    paid = await execute(
        "SELECT COUNT(DISTINCT tender) AS tenders, COUNT(*) AS n FROM donors_donation"
        " WHERE status = 'paid'"
    )
    assert int(paid[0]["n"]) >= 20 and int(paid[0]["tenders"]) >= 5
    matched = await execute(
        "SELECT COUNT(*) AS n FROM donors_donation WHERE match_status = 'posted'"
    )
    assert int(matched[0]["n"]) > 0
    waiting = await execute(
        "SELECT COUNT(*) AS n FROM donors_payment WHERE provider = 'bank_transfer'"
        " AND status = 'awaiting'"
    )
    assert int(waiting[0]["n"]) > 0  # something for the operator's bank-transfer queue
    sponsorships = await execute("SELECT COUNT(*) AS n FROM donors_contribution")
    assert int(sponsorships[0]["n"]) > 0
    declined = await execute("SELECT COUNT(*) AS n FROM donors_donation WHERE status = 'failed'")
    assert int(declined[0]["n"]) > 0
    refunds = await execute("SELECT status, provider FROM donors_refund ORDER BY id")
    # cancelled or unsuccessful: card refunds paid out at once, the bank transfer's
    # refund waits in the operator's queue for the outgoing transfer
    assert {(r["provider"], r["status"]) for r in refunds} == {
        ("sandbox", "paid"),
        ("bank_transfer", "queued"),
    }
    assert (await run_checks()).ok
