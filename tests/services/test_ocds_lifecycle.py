"""OCDS publication through a whole contracting process, and a cancelled one.

Releases are written by the audit hook in the transaction of each state change;
these tests drive the real services and read what was published.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bids import contracts
from market.audit import sequence_queued
from market.db import atomic, is_postgres
from market.ledger.readmodels import tender_funding
from market.sql import execute
from market.tenders import services
from opendata.ocds import funding, packages
from tests.bid_builders import CANARY, contracted
from tests.opendata_builders import (
    fen,
    funded_process,
    pay_first_tranche,
    releases_of,
    uscc_of,
)
from tests.opendata_schemas import ocds_errors
from tests.services.test_ocds_funding import ledger_budget, published_budget
from tests.tender_builders import make_department, make_tender


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
    winner_org = (
        await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id)
    )[0]["organization"]
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
    transfers = await execute(
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

    await sequence_queued()  # the worker's sequencer has chained the process's events
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
    head = await execute("SELECT seq, hash FROM audit_head WHERE id = 1")
    assert (chain["length"], chain["head"]) == (int(head[0]["seq"]), head[0]["hash"])


async def test_a_terminated_contract_terminates_the_tender_and_publishes_it(frozen_clock):
    scenario, _, _ = await funded_process(frozen_clock)
    tender_id = scenario.tender_id
    contract_id = await contracted(frozen_clock, scenario)
    first = await pay_first_tranche(scenario, contract_id)
    before = len(await releases_of(tender_id))
    await contracts.terminate_contract(
        user_id=scenario.department.user_id, contract_id=contract_id, reason="Provider withdrew"
    )
    tender = (await execute("SELECT * FROM market_tender WHERE id = {}", tender_id))[0]
    assert (tender["status"], tender["cancel_reason"]) == ("terminated", "Provider withdrew")
    revision = await execute(
        "SELECT from_status, to_status, note FROM market_tender_revision"
        " WHERE tender = {} AND action = 'terminate'",
        tender_id,
    )
    assert [dict(r) for r in revision] == [
        {"from_status": "contracted", "to_status": "terminated", "note": "Provider withdrew"}
    ]
    events = await execute(
        "SELECT action, change FROM audit_event WHERE object_type = 'tender' AND object_id = {}"
        " AND action = 'tender.terminate'",
        str(tender_id),
    )
    assert len(events) == 1
    assert json.loads(events[0]["change"])["to"] == "terminated"

    releases = await releases_of(tender_id)
    assert [r["tag"] for r in releases[before:]] == [["contractTermination"]]  # one, not two
    last = releases[-1]
    # Settled in the termination's transaction: every source's remainder went back
    # before the release was built, so it shows the ledger's final budget (the money
    # spent on the tranche) and the funding job has nothing to correct.
    settled = await execute("SELECT reason FROM donors_settlement WHERE tender = {}", tender_id)
    assert [r["reason"] for r in settled] == ["terminated"]
    assert published_budget(last) == await ledger_budget(tender_id)
    assert sum(published_budget(last).values()) == first["amount"]
    assert await funding.fold(tender_id, frozen_clock.at + timedelta(hours=1)) == "unchanged"
    assert last["tender"]["status"] == "complete"  # the closed 1.1 codelist has no "terminated"
    assert last["contracts"][0]["status"] == "terminated"
    assert "endDate" in last["contracts"][0]["period"]
    record = await packages.record_package(f"ocds-pgm001-{tender_id}")
    assert record is not None and ocds_errors(record, "record") == []
    compiled = record["records"][0]["compiledRelease"]
    assert compiled["contracts"][0]["status"] == "terminated"
    assert compiled["tender"]["status"] == "complete"


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
            await execute("UPDATE ocds_release SET body = {} WHERE tender_id = {}", "{}", tender_id)
    if is_postgres():
        with pytest.raises(Exception, match="append-only"):
            async with atomic():
                await execute("DELETE FROM ocds_release WHERE tender_id = {}", tender_id)
    assert len(await releases_of(tender_id)) == 1


async def test_a_rolled_back_change_publishes_no_release(frozen_clock):
    department = await make_department()
    tender_id = await make_tender(department, status="draft")
    with pytest.raises(RuntimeError):
        async with atomic():
            await services.publish_tender(user_id=department.user_id, tender_id=tender_id)
            raise RuntimeError("the change fails after publishing")
    assert await releases_of(tender_id) == []
