"""From tender to completed (or terminated) contract through the bids services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bids import contracts, evaluation, milestones, opening, submission
from market.errors import Conflict, DomainError, PermissionDenied
from market.ledger.check import run_checks
from market.ledger.readmodels import tender_funding
from market.sql import execute
from tests.bid_builders import (
    CANARY,
    add_approver,
    contracted,
    opened,
    tender_with_bids,
)


async def tender_status(tender_id: int) -> str:
    return str(
        (await execute("SELECT status FROM market_tender WHERE id = {}", tender_id))[0]["status"]
    )


async def audit_actions() -> list[str]:
    """Actions recorded anywhere in the audit data: the public chain, and the sealed logs
    that hold bid events until the opening (anchored in the chain then)."""
    public = [r["action"] for r in await execute("SELECT action FROM audit_event ORDER BY seq")]
    sealed = await execute("SELECT action FROM audit_sealed_event ORDER BY scope, position")
    return public + [r["action"] for r in sealed]


async def test_full_lifecycle_releases_every_tranche_and_keeps_the_ledger_sound(frozen_clock):
    scenario = await tender_with_bids(frozen_clock)
    contract_id = await contracted(frozen_clock, scenario)
    assert await tender_status(scenario.tender_id) == "contracted"
    approver = await add_approver(scenario)
    rows = await execute(
        "SELECT id, amount FROM bids_milestone WHERE contract = {} ORDER BY position", contract_id
    )
    winner_org = (
        await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id)
    )[0]["organization"]
    winner = next(b for b in scenario.bidders if b.org_id == winner_org)
    for row in rows:
        await milestones.submit_evidence(
            user_id=winner.user_id, milestone_id=row["id"], note="Visited 120 residents"
        )
        await milestones.approve_milestone(user_id=approver, milestone_id=row["id"])
    contract = (
        await execute("SELECT status, amount FROM bids_contract WHERE id = {}", contract_id)
    )[0]
    assert contract["status"] == "completed"
    assert await tender_status(scenario.tender_id) == "completed"
    funding = await tender_funding(scenario.tender_id)
    assert funding.total("released").amount == contract["amount"] == 15_000_000
    assert funding.total("held").amount == 0
    payable = await execute(
        "SELECT credits_posted FROM ledger_account WHERE code = {}", f"org:{winner_org}:payable"
    )
    assert payable[0]["credits_posted"] == 15_000_000
    report = await run_checks()
    assert report.ok, report.problems
    actions = await audit_actions()
    for expected in (
        "bid.submit",
        "sealed_log.anchor",
        "bid.key_unwrap",
        "bid.open",
        "bids.opened",
        "evaluator.appoint",
        "evaluator.declared",
        "bid.score",
        "tender.award_decision",
        "contract.create",
        "contract.sign_department",
        "contract.sign_organization",
        "contract.activate",
        "milestone.submit",
        "milestone.approve",
        "escrow.release",
        "contract.complete",
        "tender.complete",
    ):
        assert expected in actions, expected


async def test_terminated_contract_returns_the_government_remainder(frozen_clock):
    scenario = await tender_with_bids(frozen_clock)
    contract_id = await contracted(frozen_clock, scenario)
    approver = await add_approver(scenario)
    first = (
        await execute(
            "SELECT id, amount FROM bids_milestone WHERE contract = {} ORDER BY position",
            contract_id,
        )
    )[0]
    winner_org = (
        await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id)
    )[0]["organization"]
    winner = next(b for b in scenario.bidders if b.org_id == winner_org)
    await milestones.submit_evidence(user_id=winner.user_id, milestone_id=first["id"], note="Done")
    await milestones.approve_milestone(user_id=approver, milestone_id=first["id"])
    await contracts.terminate_contract(
        user_id=scenario.department.user_id, contract_id=contract_id, reason="Provider withdrew"
    )
    funding = await tender_funding(scenario.tender_id)
    assert funding.total("released").amount == first["amount"]
    assert funding.sources["government"].refunded.amount == 15_000_000 - first["amount"]
    assert funding.total("held").amount == 0
    assert (await run_checks()).ok
    revisions = await execute(
        "SELECT action FROM market_tender_revision WHERE tender = {}", scenario.tender_id
    )
    assert "contract_terminate" in [r["action"] for r in revisions]
    assert "contract.terminate" in await audit_actions()
    assert await tender_status(scenario.tender_id) == "terminated"


async def test_approver_who_created_the_contract_is_refused(frozen_clock):
    scenario = await tender_with_bids(frozen_clock)
    contract_id = await contracted(frozen_clock, scenario)
    first = (await execute("SELECT id FROM bids_milestone WHERE contract = {}", contract_id))[0]
    org = (await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id))[0]
    winner = next(b for b in scenario.bidders if b.org_id == org["organization"])
    await milestones.submit_evidence(user_id=winner.user_id, milestone_id=first["id"], note="Done")
    with pytest.raises(PermissionDenied):
        await milestones.approve_milestone(
            user_id=scenario.department.user_id, milestone_id=first["id"]
        )
    approver = await add_approver(scenario)
    await milestones.approve_milestone(user_id=approver, milestone_id=first["id"])
    with pytest.raises(Conflict):
        await milestones.approve_milestone(user_id=approver, milestone_id=first["id"])
    released = await execute(
        "SELECT COUNT(*) AS n FROM ledger_transfer WHERE reason = 'release' AND reference = {}",
        f"milestone:{first['id']}",
    )
    assert released[0]["n"] >= 1
    assert (await tender_funding(scenario.tender_id)).total("released").amount == 7_500_000


async def test_late_bid_is_refused_even_before_the_chronograph_moves_the_status(frozen_clock):
    scenario = await tender_with_bids(frozen_clock, ("150000.00",))
    frozen_clock.set(scenario.deadline + timedelta(seconds=1))
    assert await tender_status(scenario.tender_id) in ("published", "tendering")
    late = scenario.bidders[0]
    with pytest.raises(DomainError):
        await submission.submit_bid(
            user_id=late.user_id,
            organization_id=late.org_id,
            tender_id=scenario.tender_id,
            price="100.00",
            proposal="late",
        )
    with pytest.raises(DomainError):
        await submission.withdraw_bid(user_id=late.user_id, ref=scenario.refs[0])


async def test_bid_one_second_before_the_deadline_is_accepted(frozen_clock):
    scenario = await tender_with_bids(frozen_clock, ("150000.00",))
    bidder = scenario.bidders[0]
    receipt = await submission.submit_bid(
        user_id=bidder.user_id,
        organization_id=bidder.org_id,
        tender_id=scenario.tender_id,
        price="140000.00",
        proposal="replacement",
    )
    assert receipt.ref == scenario.refs[0] and receipt.revision == 2


async def test_stored_bid_holds_no_plaintext(frozen_clock):
    scenario = await tender_with_bids(frozen_clock)
    rows = await execute("SELECT * FROM bids_bid WHERE tender = {}", scenario.tender_id)
    for row in rows:
        raw = repr(dict(row)).encode() + bytes(row["sealed"])
        assert CANARY.encode() not in raw
        assert b"15000000" not in raw and b"150000" not in raw
        assert row["price"] is None and row["proposal"] == ""


async def test_tampered_ciphertext_is_disqualified_at_opening(frozen_clock):
    scenario = await tender_with_bids(frozen_clock, ("150000.00", "180000.00", "190000.00"))
    sealed = bytes(
        (await execute("SELECT sealed FROM bids_bid WHERE ref = {}", scenario.refs[0]))[0]["sealed"]
    )
    flipped = sealed[:20] + bytes([sealed[20] ^ 1]) + sealed[21:]
    await execute("UPDATE bids_bid SET sealed = {} WHERE ref = {}", flipped, scenario.refs[1 - 1])
    await execute("UPDATE bids_bid SET receipt = {} WHERE ref = {}", "0" * 64, scenario.refs[1])
    result = await opened(frozen_clock, scenario)
    assert (result.qualified, result.disqualified) == (1, 2)
    rows = {
        r["ref"]: r
        for r in await execute(
            "SELECT ref, status, disqualify_reason FROM bids_bid WHERE tender = {}",
            scenario.tender_id,
        )
    }
    for ref in scenario.refs[:2]:
        assert rows[ref]["status"] == "disqualified"
        assert rows[ref]["disqualify_reason"] == opening.TAMPERED
    assert await tender_status(scenario.tender_id) == "unsuccessful"


async def test_opening_before_the_deadline_is_refused_and_audited(frozen_clock):
    scenario = await tender_with_bids(frozen_clock)
    with pytest.raises(opening.SealedUntilDeadline):
        await opening.open_bids(scenario.tender_id, actor="user:999")
    with pytest.raises(opening.SealedUntilDeadline):
        await opening.unwrap(scenario.tender_id, deadline=scenario.deadline, actor="user:999")
    assert "bid.open_refused" in await audit_actions()


async def test_evaluator_without_declaration_cannot_see_bids(frozen_clock):
    from tests.builders import make_user

    scenario = await tender_with_bids(frozen_clock)
    await opened(frozen_clock, scenario)
    expert = await make_user("expert-nocoi@example.org")
    await evaluation.appoint_evaluator(
        user_id=scenario.department.user_id,
        tender_id=scenario.tender_id,
        email="expert-nocoi@example.org",
    )
    with pytest.raises(PermissionDenied):
        await evaluation.check_may_see_bids(scenario.tender_id, expert)
    with pytest.raises(PermissionDenied):
        await evaluation.score_bid(
            user_id=expert, tender_id=scenario.tender_id, bid_ref=scenario.refs[0], form={}
        )
