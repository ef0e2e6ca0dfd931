"""OCDS publication through a whole contracting process, and a cancelled one.

Releases are written by the audit hook in the transaction of each state change;
these tests drive the real services and read what was published.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bids import milestones, submission
from donors import contributions, donations
from market import clock
from market.db import atomic, is_postgres
from market.ledger.readmodels import tender_funding
from market.money import Money
from market.sql import fetch
from market.tenders import services
from opendata.ocds import packages
from tests.bid_builders import (
    CANARY,
    Scenario,
    add_approver,
    contracted,
    deadline_of,
    make_bidder,
)
from tests.donation_builders import make_pledge, make_sponsor
from tests.opendata_schemas import ocds_errors
from tests.tender_builders import make_department, make_tender, tender_form

DAY = timedelta(days=1)
PRICES = ("150000.00", "180000.00")


def fen(amount: int | float) -> int:
    """A published yuan amount back to integer fen (exactly)."""
    return int(Decimal(repr(amount)) * 100)


async def releases_of(tender_id: int) -> list[dict[str, Any]]:
    rows = await fetch(
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
    rows = await fetch("SELECT uscc FROM market_organization WHERE id = {}", org_id)
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
    sponsor_user, sponsor_org = await make_sponsor("foundation")
    await contributions.contribute(
        kind="sponsorship",
        tender_id=tender_id,
        organization_id=sponsor_org,
        organization_kind="foundation",
        user_id=sponsor_user,
        amount=Money(30_000_00, "CNY"),
        provider="sandbox",
    )
    pledge = await make_pledge(tender_ids=frozenset({tender_id}))
    await donations.start_donation(
        tender_id=tender_id, amount=Money(400_00, "CNY"), provider="sandbox", display_name="王女士"
    )
    matcher = (await fetch("SELECT sponsor FROM donors_pledge WHERE id = {}", pledge))[0]["sponsor"]
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
            await fetch(
                "SELECT id, amount FROM bids_milestone WHERE contract = {} ORDER BY position",
                contract_id,
            )
        )[0]
    )
    org = (await fetch("SELECT organization FROM bids_contract WHERE id = {}", contract_id))[0]
    winner = next(b for b in scenario.bidders if b.org_id == org["organization"])
    await milestones.submit_evidence(user_id=winner.user_id, milestone_id=first["id"], note="Done")
    await milestones.approve_milestone(user_id=approver, milestone_id=first["id"])
    return first


async def test_a_whole_process_publishes_one_release_per_state_change(frozen_clock):
    scenario, sponsor_org, matcher_org = await funded_process(frozen_clock)
    tender_id = scenario.tender_id
    ocid = f"ocds-pgm001-{tender_id}"

    sealed = await releases_of(tender_id)
    assert [r["tag"] for r in sealed] == [["tender"], ["tenderAmendment"]]
    text = json.dumps(sealed, ensure_ascii=False)
    assert CANARY not in text
    assert "tenderers" not in text and "numberOfTenderers" not in text
    for bidder in scenario.bidders:  # nobody learns who bid before the opening
        assert await uscc_of(bidder.org_id) not in text
    assert "150000" not in text and "180000" not in text

    contract_id = await contracted(frozen_clock, scenario)
    first = await pay_first_tranche(scenario, contract_id)

    releases = await releases_of(tender_id)
    assert [r["tag"][0] for r in releases] == [
        "tender",
        "tenderAmendment",
        "tenderUpdate",
        "award",
        "contract",
        "implementation",
    ]
    assert all(r["ocid"] == ocid and r["id"].startswith(f"{ocid}-") for r in releases)
    assert len({r["id"] for r in releases}) == len(releases)
    assert releases[1]["tender"]["amendments"][0]["rationale"] == "Weekend visits added."
    opened = releases[2]["tender"]
    assert opened["numberOfTenderers"] == 2 and len(opened["tenderers"]) == 2

    last = releases[-1]
    parties = {p["id"]: p for p in last["parties"]}
    department = parties[f"CN-USCI-{await uscc_of(scenario.department.id)}"]
    assert department["identifier"]["scheme"] == "CN-USCI"
    assert {"buyer", "procuringEntity", "funder", "payer"} <= set(department["roles"])
    winner_org = (await fetch("SELECT organization FROM bids_contract WHERE id = {}", contract_id))[
        0
    ]["organization"]
    winner = parties[f"CN-USCI-{await uscc_of(winner_org)}"]
    assert {"tenderer", "supplier", "payee"} <= set(winner["roles"])
    assert "funder" in parties[f"CN-USCI-{await uscc_of(sponsor_org)}"]["roles"]
    assert "funder" in parties[f"CN-USCI-{await uscc_of(matcher_org)}"]["roles"]
    assert last["buyer"]["id"] == department["id"]
    assert last["tender"]["procuringEntity"]["id"] == department["id"]

    # The budget breakdown is the ledger: per source, received + held for the project.
    funding = await tender_funding(tender_id)
    breakdown = {
        b["id"]: fen(b["amount"]["amount"]) for b in last["planning"]["budget"]["budgetBreakdown"]
    }
    expected = {
        s: f.received.amount + f.pending_in.amount
        for s, f in funding.sources.items()
        if f.received.amount + f.pending_in.amount
    }
    assert breakdown == expected
    assert set(breakdown) >= {"government", "foundation", "corporate", "public"}
    assert fen(last["planning"]["budget"]["amount"]["amount"]) == sum(expected.values())

    # The tranche: one transaction per source, adding up to the milestone, as the ledger.
    transactions = last["contracts"][0]["implementation"]["transactions"]
    transfers = await fetch(
        "SELECT key, amount FROM ledger_transfer WHERE reason = 'release' AND reference = {}",
        f"milestone:{first['id']}",
    )
    assert {t["id"]: fen(t["value"]["amount"]) for t in transactions} == {
        r["key"]: int(r["amount"]) for r in transfers
    }
    assert sum(fen(t["value"]["amount"]) for t in transactions) == first["amount"]
    assert all(t["payee"]["id"] == winner["id"] for t in transactions)
    assert last["contracts"][0]["status"] == "active" and "dateSigned" in last["contracts"][0]
    assert last["awards"][0]["status"] == "active"
    assert releases[4]["contracts"][0]["status"] == "active"  # the contract release is signed

    package = await packages.releases_package(ocid=ocid)
    assert ocds_errors(package, "release") == []
    record = await packages.record_package(ocid)
    assert record is not None
    assert ocds_errors(record, "record") == []
    compiled = record["records"][0]["compiledRelease"]
    assert compiled["tag"] == ["compiled"] and compiled["ocid"] == ocid
    assert compiled["tender"]["status"] == "complete"
    assert len(compiled["contracts"][0]["implementation"]["transactions"]) == len(transfers)
    assert len(record["records"][0]["releases"]) == 6
    chain = package["publisher"]["auditChain"]
    head = await fetch("SELECT seq, hash FROM audit_head WHERE id = 1")
    assert (chain["length"], chain["head"]) == (int(head[0]["seq"]), head[0]["hash"])


async def test_a_cancelled_tender_publishes_its_cancellation(frozen_clock):
    department = await make_department()
    tender_id = await make_tender(department, status="cancelled")
    releases = await releases_of(tender_id)
    assert [r["tag"] for r in releases] == [["tender"], ["tenderCancellation"]]
    assert releases[0]["tender"]["status"] == "active"
    assert releases[1]["tender"]["status"] == "cancelled"
    assert releases[1]["tender"]["statusDetails"] == "No longer needed"
    record = await packages.record_package(f"ocds-pgm001-{tender_id}")
    assert record is not None and ocds_errors(record, "record") == []
    assert record["records"][0]["compiledRelease"]["tender"]["status"] == "cancelled"


async def test_a_draft_publishes_nothing(frozen_clock):
    department = await make_department()
    tender_id = await make_tender(department, status="draft")
    assert await releases_of(tender_id) == []
    assert await packages.record_package(f"ocds-pgm001-{tender_id}") is None


async def test_a_published_release_cannot_be_changed(frozen_clock):
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    with pytest.raises(Exception, match="append-only"):
        async with atomic():
            await fetch("UPDATE ocds_release SET body = {} WHERE tender_id = {}", "{}", tender_id)
    if is_postgres():
        with pytest.raises(Exception, match="append-only"):
            async with atomic():
                await fetch("DELETE FROM ocds_release WHERE tender_id = {}", tender_id)
    assert len(await releases_of(tender_id)) == 1


async def test_a_rolled_back_change_publishes_no_release(frozen_clock):
    department = await make_department()
    tender_id = await make_tender(department, status="draft")
    with pytest.raises(RuntimeError):
        async with atomic():
            await services.publish_tender(user_id=department.user_id, tender_id=tender_id)
            raise RuntimeError("the change fails after publishing")
    assert await releases_of(tender_id) == []
