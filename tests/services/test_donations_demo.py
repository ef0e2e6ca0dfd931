"""The demo district's funding: pledges, donations and sponsorships on open tenders."""

from __future__ import annotations

from composition import demo
from market.ledger.check import run_checks
from market.sql import execute


async def test_demo_spreads_pledges_donations_and_sponsorships_over_open_tenders() -> None:
    await demo.load_demo()
    pledges = await execute("SELECT status FROM donors_pledge ORDER BY id")
    # the third one's prepayment came after its window: refunded, not activated
    assert [p["status"] for p in pledges] == ["active", "active", "cancelled"]
    [refund] = await execute("SELECT reason, provider, status, amount FROM donors_refund")
    assert dict(refund) == {
        "reason": "late_arrival",
        "provider": "bank_transfer",
        "status": "queued",
        "amount": 1_000_00,
    }
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
    assert (await run_checks()).ok
