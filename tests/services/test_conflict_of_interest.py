"""Conflict of interest over the whole lifecycle: a member of a bidding organization
never holds a seat on that tender's panel once bids can be seen, whatever order
appointment, membership, bid and declaration come in. Refused at declaration, at
appointment after the opening and at bid submission by a seated evaluator; re-checked
at opening, scoring and award, where a conflict voids the seat (audited, shown to the
department) and its marks stop counting. Before the opening nothing is refused to the
department and nothing is voided, so nothing tells anyone that a bid exists."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest

from bids import evaluation, submission
from bids.panel_pages import panel_page
from market.errors import NotFound, PermissionDenied, ValidationFailed
from market.sql import execute
from tests.bid_builders import Bidder, Scenario, make_bidder, opened, tender_with_bids
from tests.builders import make_member, make_user

FORM = {"mark_c1": "80", "comment_c1": "Clear plan", "mark_c2": "70", "comment_c2": "Team"}
STEPS = ("appoint", "join", "bid", "declare")
# Every order of the four steps in which the declaration comes after the appointment.
ORDERS = [o for o in itertools.permutations(STEPS) if o.index("appoint") < o.index("declare")]


@dataclass
class Run:
    scenario: Scenario
    insider: int
    insider_email: str
    bidder: Bidder
    outcome: dict[str, str] = field(default_factory=dict)


async def seat_status(tender_id: int, user_id: int) -> str | None:
    rows = await execute(
        'SELECT status FROM bids_evaluator WHERE tender = {} AND "user" = {}', tender_id, user_id
    )
    return str(rows[0]["status"]) if rows else None


async def voids(tender_id: int) -> list[str]:
    rows = await execute(
        "SELECT change FROM audit_event WHERE action = 'evaluator.void' AND object_id = {}",
        str(tender_id),
    )
    return [str(r["change"]) for r in rows]


async def step(run: Run, name: str) -> None:
    s = run.scenario
    try:
        if name == "appoint":
            await evaluation.appoint_evaluator(
                user_id=s.department.user_id, tender_id=s.tender_id, email=run.insider_email
            )
        elif name == "join":
            await make_member(run.insider, run.bidder.org_id)
        elif name == "bid":
            receipt = await submission.submit_bid(
                user_id=run.bidder.user_id,
                organization_id=run.bidder.org_id,
                tender_id=s.tender_id,
                price="160000.00",
                proposal="上门服务方案",
            )
            s.refs.append(receipt.ref)
        elif name == "declare":
            await evaluation.declare_interests(
                user_id=run.insider, tender_id=s.tender_id, conflict=False
            )
        run.outcome[name] = "ok"
    except ValidationFailed:
        run.outcome[name] = "refused"
    except NotFound:
        run.outcome[name] = "no seat"


async def clean_evaluator_scores(scenario: Scenario) -> int:
    email = "clean-expert@example.org"
    expert = await make_user(email, display_name="Clean expert")
    await evaluation.appoint_evaluator(
        user_id=scenario.department.user_id, tender_id=scenario.tender_id, email=email
    )
    await evaluation.declare_interests(user_id=expert, tender_id=scenario.tender_id, conflict=False)
    for ref in scenario.refs:
        await evaluation.score_bid(
            user_id=expert, tender_id=scenario.tender_id, bid_ref=ref, form=FORM
        )
    return expert


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o) for o in ORDERS])
async def test_no_order_of_events_leaves_a_bidders_member_on_the_panel(frozen_clock, order):
    scenario = await tender_with_bids(frozen_clock, ("150000.00",))
    email = "insider@example.org"
    run = Run(scenario, await make_user(email, display_name="Insider"), email, await make_bidder())
    for name in order:
        await step(run, name)
    before = order.index
    # The evaluator's declaration refuses a conflict it sees (the evaluator is a member
    # of the bidder); the department's appointment is never refused before the opening.
    conflicted_at_declaration = before("join") < before("declare") and before("bid") < before(
        "declare"
    )
    assert run.outcome["bid"] == "ok" and run.outcome["join"] == "ok"
    assert run.outcome["appoint"] == "ok"
    assert run.outcome["declare"] == ("refused" if conflicted_at_declaration else "ok")
    # Before the opening no seat is voided: that would tell someone a bid exists.
    assert await voids(scenario.tender_id) == []
    seat_before = await seat_status(scenario.tender_id, run.insider)
    assert seat_before in (None, "appointed", "declared")

    await opened(frozen_clock, scenario)
    assert await seat_status(scenario.tender_id, run.insider) == "voided"
    assert len(await voids(scenario.tender_id)) == 1
    with pytest.raises(PermissionDenied):
        await evaluation.check_may_see_bids(scenario.tender_id, run.insider)
    with pytest.raises(PermissionDenied):
        await evaluation.score_bid(
            user_id=run.insider, tender_id=scenario.tender_id, bid_ref=scenario.refs[0], form=FORM
        )
    await clean_evaluator_scores(scenario)
    await evaluation.award_tender(user_id=scenario.department.user_id, tender_id=scenario.tender_id)
    assert len(await voids(scenario.tender_id)) == 1


async def test_a_seated_evaluator_cannot_bid_and_nothing_is_stored(frozen_clock):
    scenario = await tender_with_bids(frozen_clock, ("150000.00",))
    expert = await make_user("expert-bidder@example.org")
    await evaluation.appoint_evaluator(
        user_id=scenario.department.user_id,
        tender_id=scenario.tender_id,
        email="expert-bidder@example.org",
    )
    organization = await make_bidder()
    await make_member(expert, organization.org_id)
    with pytest.raises(evaluation.InterestConflict) as refused:
        await submission.submit_bid(
            user_id=expert,
            organization_id=organization.org_id,
            tender_id=scenario.tender_id,
            price="160000.00",
            proposal="方案",
        )
    assert refused.value.status_code == 409
    rows = await execute(
        "SELECT COUNT(*) AS n FROM bids_bid WHERE organization = {}", organization.org_id
    )
    assert int(rows[0]["n"]) == 0


async def test_a_conflict_after_scoring_voids_the_seat_and_its_marks_stop_counting(
    frozen_clock,
):
    scenario = await tender_with_bids(frozen_clock)
    await opened(frozen_clock, scenario)
    insider = await make_user("late-joiner@example.org")
    await evaluation.appoint_evaluator(
        user_id=scenario.department.user_id,
        tender_id=scenario.tender_id,
        email="late-joiner@example.org",
    )
    await evaluation.declare_interests(
        user_id=insider, tender_id=scenario.tender_id, conflict=False
    )
    low = {**FORM, "mark_c1": "0", "mark_c2": "0"}
    high = {**FORM, "mark_c1": "100", "mark_c2": "100"}
    for ref, marks in zip(scenario.refs, (low, high), strict=True):
        await evaluation.score_bid(
            user_id=insider, tender_id=scenario.tender_id, bid_ref=ref, form=marks
        )
    await clean_evaluator_scores(scenario)
    with_insider = await evaluation.ranking(await _tender(scenario))
    # Joins the second bidder after scoring: the next score re-checks and voids the seat.
    await make_member(insider, scenario.bidders[1].org_id)
    with pytest.raises(PermissionDenied):
        await evaluation.score_bid(
            user_id=insider, tender_id=scenario.tender_id, bid_ref=scenario.refs[0], form=FORM
        )
    assert await seat_status(scenario.tender_id, insider) == "voided"
    assert len(await voids(scenario.tender_id)) == 1
    without = await evaluation.ranking(await _tender(scenario))
    assert with_insider != without  # the insider's 100s no longer count
    page = await panel_page(scenario.tender_id, insider)
    assert page["bids"] == [] and page["seat"]["status"] == "voided"


async def test_the_award_re_checks_the_panel(frozen_clock):
    scenario = await tender_with_bids(frozen_clock)
    await opened(frozen_clock, scenario)
    insider = await make_user("award-joiner@example.org")
    await evaluation.appoint_evaluator(
        user_id=scenario.department.user_id,
        tender_id=scenario.tender_id,
        email="award-joiner@example.org",
    )
    await evaluation.declare_interests(
        user_id=insider, tender_id=scenario.tender_id, conflict=False
    )
    for ref in scenario.refs:
        await evaluation.score_bid(
            user_id=insider, tender_id=scenario.tender_id, bid_ref=ref, form=FORM
        )
    await clean_evaluator_scores(scenario)
    await make_member(insider, scenario.bidders[0].org_id)
    await evaluation.award_tender(user_id=scenario.department.user_id, tender_id=scenario.tender_id)
    assert await seat_status(scenario.tender_id, insider) == "voided"
    rows = await execute(
        "SELECT results FROM bids_award WHERE tender = {} AND status = 'active'",
        scenario.tender_id,
    )
    assert rows


async def test_the_department_sees_a_notice_for_a_voided_seat(client, frozen_clock):
    from tests.builders import login

    scenario = await tender_with_bids(frozen_clock)
    insider = await make_user("noticed@example.org", display_name="Noticed Expert")
    await evaluation.appoint_evaluator(
        user_id=scenario.department.user_id,
        tender_id=scenario.tender_id,
        email="noticed@example.org",
    )
    await make_member(insider, scenario.bidders[0].org_id)
    await opened(frozen_clock, scenario)
    await login(client, scenario.department.email)
    page = await client.get(
        f"/workspace/tenders/{scenario.tender_id}/evaluation", headers={"Accept-Language": "en"}
    )
    assert page.status_code == 200
    assert "The seat of Noticed Expert was voided" in page.text


async def _tender(scenario: Scenario) -> dict[str, object]:
    from bids.access import load_tender

    return dict(await load_tender(scenario.tender_id))


async def test_after_the_opening_a_member_of_a_bidder_cannot_be_appointed(frozen_clock):
    scenario = await tender_with_bids(frozen_clock)
    insider = await make_user("too-late@example.org")
    await make_member(insider, scenario.bidders[0].org_id)
    # Before the opening the department learns nothing: the appointment stands ...
    other = await make_user("plain-expert@example.org")
    for email in ("too-late@example.org", "plain-expert@example.org"):
        await evaluation.appoint_evaluator(
            user_id=scenario.department.user_id, tender_id=scenario.tender_id, email=email
        )
    assert await voids(scenario.tender_id) == []
    # ... and the opening voids it, before anyone sees a bid.
    await opened(frozen_clock, scenario)
    assert await seat_status(scenario.tender_id, insider) == "voided"
    assert await seat_status(scenario.tender_id, other) == "appointed"
    late = await make_user("later-insider@example.org")
    await make_member(late, scenario.bidders[1].org_id)
    with pytest.raises(ValidationFailed) as refused:
        await evaluation.appoint_evaluator(
            user_id=scenario.department.user_id,
            tender_id=scenario.tender_id,
            email="later-insider@example.org",
        )
    assert "email" in refused.value.errors
    assert await seat_status(scenario.tender_id, late) is None
