"""Projects for the transparency tests, built through the real services: a funded,
contracted project with one tranche released, and a cancelled one whose money went
back; plus the figures recomputed straight from ledger_transfer to compare with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bids import milestones
from bids.milestones import Upload
from donors import contributions, donations, settlement
from market import clock
from market.ledger import escrow
from market.ledger.rules import SOURCES
from market.money import Money
from market.sql import execute
from tests.bid_builders import Scenario, add_approver, contracted, tender_with_bids
from tests.builders import make_operator, make_org
from tests.donation_builders import make_pledge, make_sponsor, make_tender

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


@dataclass
class Project:
    tender_id: int
    contract_id: int = 0
    milestone_ids: tuple[int, ...] = ()
    sponsor_org: int = 0


async def funded_project(fc: clock.FrozenClock) -> Project:
    """Budget held at publication; a matched donation, an unmatched one and a
    sponsorship before the deadline; contract signed (budget posted); the first
    milestone's evidence (with a PDF) approved, releasing its tranche pro-rata."""
    scenario: Scenario = await tender_with_bids(fc)
    tid = scenario.tender_id
    fc.set(scenario.deadline - timedelta(days=3))
    await make_pledge(tender_ids=frozenset({tid}), per_donation_cap=300_00, total_cap=1_000_00)
    await donations.start_donation(tender_id=tid, amount=cny(500_00), provider="sandbox")
    await donations.start_donation(
        tender_id=tid, amount=cny(1_234_56), provider="sandbox", on_failure="community_fund"
    )
    user, company = await make_sponsor()
    await contributions.contribute(
        kind="sponsorship", tender_id=tid, organization_id=company, organization_kind="company",
        user_id=user, amount=cny(20_000_00), provider="sandbox",
    )  # fmt: skip
    contract_id = await contracted(fc, scenario)
    approver = await add_approver(scenario)
    rows = await execute(
        "SELECT id FROM bids_milestone WHERE contract = {} ORDER BY position", contract_id
    )
    org = (await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id))[0]
    winner = next(b for b in scenario.bidders if b.org_id == org["organization"])
    first = int(rows[0]["id"])
    await milestones.submit_evidence(
        user_id=winner.user_id,
        milestone_id=first,
        note="Visited 120 residents",
        uploads=[Upload("attendance.pdf", PDF, "Attendance sheet")],
    )
    await milestones.approve_milestone(user_id=approver, milestone_id=first)
    return Project(tid, contract_id, tuple(int(r["id"]) for r in rows), company)


async def cancelled_project() -> Project:
    """Donations (one matched), a sponsorship and a ¥800 release, then the tender is
    cancelled and settled: every source's remainder returns (refunds, pledge, fund)."""
    await make_operator()
    tid = await make_tender(status="contracted")
    await make_pledge(per_donation_cap=100_00)
    await donations.start_donation(
        tender_id=tid, amount=cny(300_00), provider="sandbox", on_failure="refund"
    )
    await donations.start_donation(
        tender_id=tid, amount=cny(100_00), provider="sandbox", on_failure="community_fund"
    )
    user, company = await make_sponsor()
    await contributions.contribute(
        kind="sponsorship", tender_id=tid, organization_id=company, organization_kind="company",
        user_id=user, amount=cny(1_000_00), provider="sandbox",
    )  # fmt: skip
    org = await make_org()
    await escrow.release(
        f"test:{tid}:m1", tender_id=tid, org_id=org, amount=cny(800_00), actor="system:test"
    )
    await execute("UPDATE market_tender SET status = 'cancelled' WHERE id = {}", tid)
    await settlement.settle_all()
    return Project(tid, sponsor_org=company)


async def ledger_figures(tender_id: int) -> dict[str, dict[str, int]]:
    """Per source, straight from the transfers (not the cached balances): received,
    released, refunded, held and promised (open holds into escrow)."""
    rows = await execute(
        "SELECT t.kind, t.reason, t.amount, t.pending, d.code AS debit, c.code AS credit"
        " FROM ledger_transfer t JOIN ledger_account d ON d.id = t.debit_account"
        " JOIN ledger_account c ON c.id = t.credit_account WHERE t.tender_id = {}",
        tender_id,
    )
    resolved = {int(r["pending"]) for r in rows if r["pending"] is not None}
    ids = await execute(
        "SELECT id, kind, amount FROM ledger_transfer WHERE tender_id = {}", tender_id
    )
    open_pending = {int(r["id"]) for r in ids if r["kind"] == "pending"} - resolved
    amounts = {int(r["id"]): int(r["amount"]) for r in ids}
    out = {
        s: {"received": 0, "released": 0, "refunded": 0, "held": 0, "pending_in": 0}
        for s in SOURCES
    }
    for s in SOURCES:
        escrow_code = f"tender:{tender_id}:escrow:{s}"
        for r in rows:
            posted = r["kind"] in ("single", "post")
            if posted and r["credit"] == escrow_code:
                out[s]["received"] += int(r["amount"])
            if posted and r["debit"] == escrow_code and r["reason"] == "release":
                out[s]["released"] += int(r["amount"])
            if posted and r["debit"] == escrow_code and r["reason"] == "return":
                out[s]["refunded"] += int(r["amount"])
        out[s]["held"] = out[s]["received"] - out[s]["released"] - out[s]["refunded"]
    pendings = await execute(
        "SELECT t.id, t.source, c.code AS credit FROM ledger_transfer t"
        " JOIN ledger_account c ON c.id = t.credit_account"
        " WHERE t.tender_id = {} AND t.kind = 'pending'",
        tender_id,
    )
    for p in pendings:
        if (
            int(p["id"]) in open_pending
            and p["credit"] == f"tender:{tender_id}:escrow:{p['source']}"
        ):
            out[p["source"]]["pending_in"] += amounts[int(p["id"])]
    return out


async def transfer_count(tender_id: int) -> tuple[int, int]:
    rows = await execute(
        "SELECT COUNT(*) AS n, SUM(amount) AS total FROM ledger_transfer WHERE tender_id = {}",
        tender_id,
    )
    return int(rows[0]["n"]), int(rows[0]["total"] or 0)
