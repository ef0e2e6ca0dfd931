"""Open-data factories: a funded tender process with sealed bids (through the real
services), its first tranche paid, and small readers of what was published."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bids import milestones, submission
from donors import contributions, donations
from market import clock
from market.money import Money
from market.sql import execute
from market.tenders import services
from tests.bid_builders import CANARY, Scenario, add_approver, deadline_of, make_bidder
from tests.donation_builders import make_pledge, make_sponsor
from tests.tender_builders import make_department, make_tender, tender_form

DAY = timedelta(days=1)
PRICES = ("150000.00", "180000.00")


async def sponsor(tender_id: int, amount: int, kind: str = "company") -> int:
    """A new company or foundation sponsors the project (paid in the sandbox); returns
    the sponsor's organization id."""
    user, org = await make_sponsor(kind)
    await contributions.contribute(
        kind="sponsorship",
        tender_id=tender_id,
        organization_id=org,
        organization_kind=kind,
        user_id=user,
        amount=Money(amount, "CNY"),
        provider="sandbox",
    )
    return org


def fen(amount: int | float) -> int:
    """A published yuan amount back to integer fen (exactly)."""
    return int(Decimal(repr(amount)) * 100)


async def releases_of(tender_id: int) -> list[dict[str, Any]]:
    rows = await execute(
        "SELECT tag, release_id, body FROM ocds_release WHERE tender_id = {} ORDER BY id",
        tender_id,
    )
    out = []
    for row in rows:
        body = json.loads(row["body"])
        assert body["tag"] == [row["tag"]] and body["id"] == row["release_id"]
        out.append(body)
    return out


async def uscc_of(org_id: int) -> str:
    rows = await execute("SELECT uscc FROM market_organization WHERE id = {}", org_id)
    return str(rows[0]["uscc"])


async def funded_process(fc: Any) -> tuple[Scenario, int, int]:
    """Publish, amend, fund (a sponsorship and a matched donation), receive two sealed
    bids; returns the scenario, the sponsor's and the matching sponsor's org ids."""
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    await services.amend_tender(
        user_id=department.user_id,
        tender_id=tender_id,
        form=tender_form(clock.now(), description_en="Weekend visits added."),
        note="Weekend visits added.",
    )
    sponsor_org = await sponsor(tender_id, 30_000_00, "foundation")
    pledge = await make_pledge(tender_ids=frozenset({tender_id}))
    await donations.start_donation(
        tender_id=tender_id, amount=Money(400_00, "CNY"), provider="sandbox", display_name="王女士"
    )
    matcher = (await execute("SELECT sponsor FROM donors_pledge WHERE id = {}", pledge))[0][
        "sponsor"
    ]
    deadline = await deadline_of(tender_id)
    fc.set(deadline - 2 * DAY)
    scenario = Scenario(department, tender_id, deadline, [])
    for i, price in enumerate(PRICES):
        bidder = await make_bidder()
        scenario.bidders.append(bidder)
        receipt = await submission.submit_bid(
            user_id=bidder.user_id,
            organization_id=bidder.org_id,
            tender_id=tender_id,
            price=price,
            proposal=f"{CANARY}-{i} 上门服务方案",
        )
        scenario.refs.append(receipt.ref)
    fc.set(deadline - timedelta(seconds=1))
    return scenario, sponsor_org, int(matcher)


async def pay_first_tranche(scenario: Scenario, contract_id: int) -> dict[str, Any]:
    approver = await add_approver(scenario)
    first = dict(
        (
            await execute(
                "SELECT id, amount FROM bids_milestone WHERE contract = {} ORDER BY position",
                contract_id,
            )
        )[0]
    )
    org = (await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id))[0]
    winner = next(b for b in scenario.bidders if b.org_id == org["organization"])
    await milestones.submit_evidence(user_id=winner.user_id, milestone_id=first["id"], note="Done")
    await milestones.approve_milestone(user_id=approver, milestone_id=first["id"])
    return first


def granted_to(grants: list[dict[str, Any]]) -> dict[str, int]:
    """Per recipient id, what the 360Giving grants to it add up to (fen): what each
    disbursed where it says (a tranche, a community fund's grant paid in tranches),
    else what it awarded."""
    total: dict[str, int] = {}
    for grant in grants:
        (recipient,) = grant["recipientOrganization"]
        reached = fen(grant.get("amountDisbursed", grant["amountAwarded"]))
        total[recipient["id"]] = total.get(recipient["id"], 0) + reached
    return total


async def ledger_gave(prefix: str = "pgm001") -> dict[str, int]:
    """Per recipient id, what the ledger (the real tenders' transfers) says reached it:
    an organization, the tranches released to its payable account; a project's escrow
    fund, what sponsors and pledges put into its corporate and foundation escrows; a
    community fund, what companies and foundations gave it."""
    released = await execute(
        "SELECT o.uscc, SUM(t.amount) AS total FROM market_v_ledger_transfer t"
        " JOIN market_v_ledger_account a ON a.id = t.credit_account"
        " JOIN market_v_organization o ON a.code = 'org:' || CAST(o.id AS VARCHAR) || ':payable'"
        " WHERE t.reason = 'release' AND t.kind IN ('single', 'post') GROUP BY o.uscc"
    )
    given = await execute(
        "SELECT t.tender_id, SUM(t.amount) AS total FROM market_v_ledger_transfer t"
        " JOIN market_v_ledger_account a ON a.id = t.credit_account"
        " WHERE t.kind IN ('single', 'post') AND t.source IN ('corporate', 'foundation')"
        " AND a.code = 'tender:' || CAST(t.tender_id AS VARCHAR) || ':escrow:' || t.source"
        " GROUP BY t.tender_id"
    )
    sponsored = await execute(  # a community fund, what companies and foundations gave it
        "SELECT p.code, SUM(t.amount) AS total FROM market_v_ledger_transfer t"
        " JOIN market_v_ledger_account a ON a.id = t.credit_account"
        " JOIN market_place p ON a.code = 'community:' || CAST(p.id AS VARCHAR) || ':fund'"
        " WHERE t.reason = 'fund_gift' AND t.source IN ('corporate', 'foundation')"
        " GROUP BY p.code"
    )
    return (
        {f"CN-USCI-{r['uscc']}": int(r["total"]) for r in released}
        | {f"360G-{prefix}-escrow-{r['tender_id']}": int(r["total"]) for r in given}
        | {f"360G-{prefix}-fund-{r['code']}": int(r["total"]) for r in sponsored}
    )
