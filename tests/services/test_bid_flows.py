"""Amendments, withdrawals, too few bids, conflicts of interest, complaints, milestone
rejection and not-met: the paths beside the happy one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bids import complaints, contracts, evaluation, milestones, opening, submission
from market.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from market.ledger.check import run_checks
from market.sql import execute
from market.tenders import services
from tests.bid_builders import (
    DAY,
    add_approver,
    appoint_and_score,
    contracted,
    opened,
    tender_with_bids,
)
from tests.builders import make_member, make_operator, make_user
from tests.tender_builders import tender_form


async def bid_status(ref: str) -> str:
    return str((await execute("SELECT status FROM bids_bid WHERE ref = {}", ref))[0]["status"])


async def tender_status(tender_id: int) -> str:
    rows = await execute("SELECT status FROM market_tender WHERE id = {}", tender_id)
    return str(rows[0]["status"])


async def test_an_amendment_requires_reconfirmation_and_unconfirmed_bids_are_disqualified(
    frozen_clock,
):
    scenario = await tender_with_bids(frozen_clock, ("150000.00", "180000.00", "170000.00"))
    frozen_clock.set(scenario.deadline - 2 * DAY)
    result = await services.amend_tender(
        user_id=scenario.department.user_id,
        tender_id=scenario.tender_id,
        form=tender_form(scenario.deadline - 10 * DAY, description_en="Add weekend visits."),
        note="Weekend visits added.",
    )
    assert result.bids_marked == 3
    assert {await bid_status(r) for r in scenario.refs} == {"needs_reconfirm"}
    first = scenario.bidders[0]
    receipt = await submission.reconfirm_bid(user_id=first.user_id, ref=scenario.refs[0])
    assert receipt.revision == 2
    second = scenario.bidders[1]
    await submission.submit_bid(
        user_id=second.user_id,
        organization_id=second.org_id,
        tender_id=scenario.tender_id,
        price="160000.00",
        proposal="Revised plan with weekend visits",
    )
    scenario.deadline = result.bid_deadline
    outcome = await opened(frozen_clock, scenario)
    assert (outcome.qualified, outcome.disqualified) == (2, 1)
    reason = await execute(
        "SELECT disqualify_reason FROM bids_bid WHERE ref = {}", scenario.refs[2]
    )
    assert reason[0]["disqualify_reason"] == opening.NOT_RECONFIRMED
    price = await execute("SELECT price FROM bids_bid WHERE ref = {}", scenario.refs[1])
    assert price[0]["price"] == 16_000_000


async def test_a_withdrawn_bid_is_not_counted_and_too_few_bids_make_the_tender_unsuccessful(
    frozen_clock,
):
    scenario = await tender_with_bids(frozen_clock, ("150000.00", "180000.00"))
    await submission.withdraw_bid(user_id=scenario.bidders[1].user_id, ref=scenario.refs[1])
    assert await submission.count_live_bids(scenario.tender_id) == 1
    frozen_clock.set(scenario.deadline + timedelta(seconds=1))
    result = await opening.open_bids(scenario.tender_id, actor="system:test")
    assert await tender_status(scenario.tender_id) == "unsuccessful"
    assert result.status == "unsuccessful"
    again = await opening.open_bids(scenario.tender_id, actor="system:test")
    assert again.qualified == result.qualified  # idempotent
    assert (await run_checks()).ok


async def test_only_members_of_a_verified_social_organization_may_bid(frozen_clock):
    scenario = await tender_with_bids(frozen_clock, ("150000.00",))
    stranger = await make_user()
    with pytest.raises(PermissionDenied):
        await submission.submit_bid(
            user_id=stranger,
            organization_id=scenario.bidders[0].org_id,
            tender_id=scenario.tender_id,
            price="1.00",
            proposal="x",
        )
    with pytest.raises(ValidationFailed) as failed:
        await submission.submit_bid(
            user_id=scenario.bidders[0].user_id,
            organization_id=scenario.bidders[0].org_id,
            tender_id=scenario.tender_id,
            price="250000.00",
            proposal="over budget",
        )
    assert "price" in failed.value.errors


async def test_a_member_of_a_bidder_cannot_declare_no_conflict(frozen_clock):
    scenario = await tender_with_bids(frozen_clock)
    await opened(frozen_clock, scenario)
    insider = await make_user("insider@example.org")
    # Appointed first (a member of a bidder can no longer be appointed), then joins.
    await evaluation.appoint_evaluator(
        user_id=scenario.department.user_id,
        tender_id=scenario.tender_id,
        email="insider@example.org",
    )
    await make_member(insider, scenario.bidders[0].org_id)
    with pytest.raises(ValidationFailed):
        await evaluation.declare_interests(
            user_id=insider, tender_id=scenario.tender_id, conflict=False
        )
    status = await evaluation.declare_interests(
        user_id=insider, tender_id=scenario.tender_id, conflict=True, statement="I work there."
    )
    assert status == "recused"
    with pytest.raises(PermissionDenied):
        await evaluation.check_may_see_bids(scenario.tender_id, insider)


async def test_award_waits_for_every_declared_evaluator(frozen_clock):
    scenario = await tender_with_bids(frozen_clock)
    await opened(frozen_clock, scenario)
    await appoint_and_score(scenario, marks=(80,))  # only the first bid scored
    with pytest.raises(DomainError):
        await evaluation.award_tender(
            user_id=scenario.department.user_id, tender_id=scenario.tender_id
        )


async def test_an_upheld_complaint_reopens_evaluation_and_a_new_award_follows(frozen_clock):
    scenario = await tender_with_bids(frozen_clock)
    await opened(frozen_clock, scenario)
    await appoint_and_score(scenario, marks=(80, 70))
    await evaluation.award_tender(user_id=scenario.department.user_id, tender_id=scenario.tender_id)
    loser = scenario.bidders[1]
    with pytest.raises(PermissionDenied):  # the winner cannot complain
        await complaints.file_complaint(
            user_id=scenario.bidders[0].user_id,
            organization_id=scenario.bidders[0].org_id,
            tender_id=scenario.tender_id,
            text="?",
        )
    complaint_id = await complaints.file_complaint(
        user_id=loser.user_id,
        organization_id=loser.org_id,
        tender_id=scenario.tender_id,
        text="Our team experience was under-marked.",
    )
    frozen_clock.advance(days=6)
    with pytest.raises(DomainError):  # an open complaint blocks the contract
        await contracts.create_contract(
            user_id=scenario.department.user_id,
            tender_id=scenario.tender_id,
            starts=frozen_clock.at.date(),
            plan=[],
        )
    operator = await make_operator()
    with pytest.raises(PermissionDenied):
        await complaints.resolve_complaint(
            user_id=loser.user_id, complaint_id=complaint_id, upheld=True, resolution="mine"
        )
    await complaints.resolve_complaint(
        user_id=operator, complaint_id=complaint_id, upheld=True, resolution="Re-mark team."
    )
    assert await tender_status(scenario.tender_id) == "evaluation"
    assert await evaluation.active_award(scenario.tender_id) is None
    await evaluation.score_bid(
        user_id=scenario.evaluator_id,
        tender_id=scenario.tender_id,
        bid_ref=scenario.refs[1],
        form={"mark_c1": "100", "comment_c1": "Re-marked", "mark_c2": "100", "comment_c2": "ok"},
    )
    await evaluation.award_tender(user_id=scenario.department.user_id, tender_id=scenario.tender_id)
    award = await evaluation.active_award(scenario.tender_id)
    assert award is not None and award["results"][0]["ref"] == scenario.refs[1]
    assert await bid_status(scenario.refs[1]) == "awarded"
    assert await bid_status(scenario.refs[0]) == "lost"
    with pytest.raises(DomainError):  # a decided complaint cannot be decided again
        await complaints.resolve_complaint(
            user_id=operator, complaint_id=complaint_id, upheld=False, resolution="again"
        )


async def test_rejected_evidence_can_be_resubmitted_and_a_late_milestone_marked_not_met(
    frozen_clock,
):
    scenario = await tender_with_bids(frozen_clock)
    contract_id = await contracted(frozen_clock, scenario, parts=2)
    approver = await add_approver(scenario)
    first, second = await execute(
        "SELECT id, due FROM bids_milestone WHERE contract = {} ORDER BY position", contract_id
    )
    org = (await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id))[0]
    winner = next(b for b in scenario.bidders if b.org_id == org["organization"])
    await milestones.submit_evidence(user_id=winner.user_id, milestone_id=first["id"], note="v1")
    with pytest.raises(ValidationFailed):
        await milestones.reject_milestone(user_id=approver, milestone_id=first["id"], reason="")
    await milestones.reject_milestone(
        user_id=approver, milestone_id=first["id"], reason="Attendance sheets missing"
    )
    await milestones.submit_evidence(user_id=winner.user_id, milestone_id=first["id"], note="v2")
    await milestones.approve_milestone(user_id=approver, milestone_id=first["id"])
    with pytest.raises(DomainError):  # not yet past due
        await milestones.mark_not_met(user_id=approver, milestone_id=second["id"], reason="late")
    frozen_clock.advance(days=90)
    await milestones.mark_not_met(user_id=approver, milestone_id=second["id"], reason="No report")
    with pytest.raises(DomainError):
        await milestones.submit_evidence(
            user_id=winner.user_id, milestone_id=second["id"], note="too late"
        )
    await contracts.terminate_contract(
        user_id=scenario.department.user_id, contract_id=contract_id, reason="Milestone not met"
    )
    with pytest.raises(Conflict):
        await contracts.sign_contract(
            user_id=scenario.department.user_id, contract_id=contract_id, side="department"
        )
    assert (await run_checks()).ok


async def test_refused_looks_at_sealed_bids_are_logged_with_actor_and_object(frozen_clock, caplog):
    from bids.access import check_bid_owner, check_opened
    from market.errors import NotFound

    scenario = await tender_with_bids(frozen_clock)
    stranger = await make_user()
    caplog.set_level("WARNING", logger="bids.access")
    with pytest.raises(PermissionDenied):
        await check_opened(scenario.tender_id, user_id=stranger, what="evaluation page")
    bid = (await execute("SELECT id, organization FROM bids_bid WHERE ref = {}", scenario.refs[0]))[
        0
    ]
    with pytest.raises(NotFound):
        await check_bid_owner(stranger, dict(bid))
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"tender {scenario.tender_id}" in m and f"user:{stranger}" in m for m in messages)
    assert any(f"bid {bid['id']}" in m and f"user:{stranger}" in m for m in messages)
