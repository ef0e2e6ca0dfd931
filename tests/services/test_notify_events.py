"""Who is told what when something happens (notify/events.py, the audit hook): each
event through the real services, then the outbox read back — who got which kind, and
nobody else. Sealed bids: a non-bidder and the other bidders learn nothing of a bid."""

from __future__ import annotations

import pytest

from bids import complaints, evaluation, milestones
from market import audit
from market.organizations import services as organizations
from market.sql import execute
from market.tables import Outbox
from market.tenders import qa, services
from notify import events, subscriptions
from tests.bid_builders import (
    DAY,
    add_approver,
    appoint_and_score,
    contracted,
    opened,
    tender_with_bids,
)
from tests.builders import make_member, make_operator, make_org, make_user
from tests.donation_builders import make_pledge
from tests.donation_builders import make_tender as make_funded_tender
from tests.money_builders import donate
from tests.notify_helpers import told
from tests.tender_builders import make_department, make_tender, tender_form

pytestmark = pytest.mark.usefixtures("rollback")


async def emails(kind: str) -> list[tuple[str, str]]:
    rows = await Outbox.select(Outbox.recipient, Outbox.lang).where(
        (Outbox.kind == kind) & (Outbox.channel == "email")
    )
    return sorted((r["recipient"], r["lang"]) for r in rows)


async def test_a_published_tender_reaches_the_subscriptions_it_matches_only() -> None:
    department = await make_department()
    fits, other_area, too_cheap, anything = [await make_user() for _ in range(4)]
    await subscriptions.subscribe(fits, {"category": "community_services", "area": " 湖滨街道 "})
    await subscriptions.subscribe(other_area, {"area": "西湖街道"})
    await subscriptions.subscribe(too_cheap, {"budget_max": "1000"})
    await subscriptions.subscribe(anything, {"budget_min": "100000", "budget_max": "300000"})
    await subscriptions.subscribe(anything, {"category": "community_services"})
    tender_id = await make_tender(department, status="published")
    matched = await told("tender.matching")
    assert set(matched) == {fits, anything}
    assert [p["tender"] for p in matched[anything]] == [tender_id]  # once, two matches
    assert matched[fits][0]["budget"] == 200_000_00


async def test_a_sandbox_tender_reaches_no_subscriber() -> None:
    department = await make_department()
    user = await make_user()
    await subscriptions.subscribe(user, {"category": "community_services"})
    await make_tender(department, status="published", acceleration="1440")
    assert await told("tender.matching") == {}


async def test_an_answer_reaches_only_whoever_asked(frozen_clock) -> None:
    department = await make_department()
    tender_id = await make_tender(department, status="published")
    asker, bystander = await make_user(), await make_user()
    org = await make_org(admin=asker)
    await make_member(bystander, org)
    question = await qa.ask_question(user_id=asker, org_id=org, tender_id=tender_id, text="何时?")
    await qa.answer_question(
        user_id=department.user_id, tender_id=tender_id, question_id=question, text="周一"
    )
    await qa.answer_question(  # a corrected answer tells nobody again
        user_id=department.user_id, tender_id=tender_id, question_id=question, text="周二"
    )
    assert list(await told("question.answered")) == [asker]


async def test_an_amendment_tells_each_bidder_and_nobody_else(frozen_clock) -> None:
    scenario = await tender_with_bids(frozen_clock)
    colleague = await make_user()
    await make_member(colleague, scenario.bidders[0].org_id)
    outsider = await make_user()
    await make_org(admin=outsider)
    frozen_clock.set(scenario.deadline - 2 * DAY)
    await services.amend_tender(
        user_id=scenario.department.user_id,
        tender_id=scenario.tender_id,
        form=tender_form(scenario.deadline - 10 * DAY, description_en="Weekend visits."),
        note="Weekend visits added.",
    )
    reconfirm = await told("bid.reconfirm")
    bidders = {b.user_id for b in scenario.bidders}
    assert set(reconfirm) == bidders | {colleague}
    for messages in reconfirm.values():
        [params] = messages
        assert set(params) == {"tender", "title_zh", "title_en", "bid_deadline"}  # no bids


async def test_opening_award_and_a_complaint_reach_bidders_department_and_operators(
    frozen_clock,
) -> None:
    scenario = await tender_with_bids(frozen_clock)
    winner, loser = scenario.bidders
    await opened(frozen_clock, scenario)
    assert set(await told("bids.opened")) == {winner.user_id, loser.user_id}
    await appoint_and_score(scenario, marks=(80, 70))
    await evaluation.award_tender(user_id=scenario.department.user_id, tender_id=scenario.tender_id)
    award = await told("award.decided")
    assert set(award) == {winner.user_id, loser.user_id}
    assert award[winner.user_id][0]["won"] is True and award[loser.user_id][0]["won"] is False
    assert award[loser.user_id][0]["price"] == 150_000_00
    operator = await make_operator()
    complaint = await complaints.file_complaint(
        user_id=loser.user_id,
        organization_id=loser.org_id,
        tender_id=scenario.tender_id,
        text="Under-marked.",
    )
    assert set(await told("complaint.filed")) == {
        operator,
        winner.user_id,
        scenario.department.user_id,
    }
    await complaints.resolve_complaint(
        user_id=operator, complaint_id=complaint, upheld=False, resolution="The marks stand."
    )
    decided = await told("complaint.decided")
    assert set(decided) == {loser.user_id, winner.user_id, scenario.department.user_id}
    assert decided[loser.user_id][0]["outcome"] == "dismissed"


async def test_contract_and_milestones_reach_the_party_that_acts_next(frozen_clock) -> None:
    scenario = await tender_with_bids(frozen_clock)
    contract_id = await contracted(frozen_clock, scenario, parts=2)
    approver = await add_approver(scenario)
    winner = scenario.bidders[0]
    to_sign = await told("contract.to_sign")
    assert set(to_sign) == {winner.user_id}  # the department's drafter is not told
    first, second = (
        int(r["id"])
        for r in await execute(
            "SELECT id FROM bids_milestone WHERE contract = {} ORDER BY position", contract_id
        )
    )
    await milestones.submit_evidence(user_id=winner.user_id, milestone_id=first, note="Done")
    assert set(await told("milestone.submitted")) == {scenario.department.user_id, approver}
    await milestones.reject_milestone(user_id=approver, milestone_id=first, reason="缺签名")
    [rejected] = (await told("milestone.rejected"))[winner.user_id]
    assert rejected["reason"] == "缺签名" and rejected["position"] == 1
    frozen_clock.advance(hours=2)  # an occurrence that repeats is named by its time
    await milestones.submit_evidence(user_id=winner.user_id, milestone_id=first, note="Again")
    assert len((await told("milestone.submitted"))[scenario.department.user_id]) == 2
    await milestones.approve_milestone(user_id=approver, milestone_id=first)
    assert set(await told("milestone.approved")) == {winner.user_id}
    assert second  # the second is untouched: nobody is told about it
    assert scenario.bidders[1].user_id not in {
        uid for kind in ("contract.to_sign", "milestone.approved") for uid in await told(kind)
    }


async def test_a_receipt_reaches_the_donor_or_the_guests_address_and_the_match_its_sponsor(
    frozen_clock,
) -> None:
    pledge = await make_pledge(total_cap=200_00, per_donation_cap=100_00)
    sponsor = int(
        (await execute("SELECT created_by FROM donors_pledge WHERE id = {}", pledge))[0][
            "created_by"
        ]
    )
    tender_id = await make_funded_tender()
    donor = await make_user(locale="en")
    await donate(tender_id, 100_00, "sandbox", donor_id=donor)  # type: ignore[arg-type]
    await donate(tender_id, 90_00, "sandbox", email="guest@example.org", lang="en")
    await donate(tender_id, 5_00, "sandbox")  # no address: nobody to tell
    receipts = await told("donation.receipt")
    assert list(receipts) == [donor] and receipts[donor][0]["amount"] == 100_00
    assert ("guest@example.org", "en") in await emails("donation.receipt")
    assert len(await emails("donation.receipt")) == 2
    matched = await told("pledge.matched")
    assert [p["match"] for p in matched[sponsor]] == [100_00, 90_00, 5_00]
    nearly = await told("pledge.nearly_exhausted")
    assert [p["left"] for p in nearly[sponsor]] == [10_00]  # once, below a tenth


async def test_a_verification_decision_reaches_the_organizations_members() -> None:
    operator = await make_operator()
    admin, member, other = await make_user(), await make_user(), await make_user()
    org = await make_org(status="pending", admin=admin)
    await make_member(member, org)
    await make_org(status="pending", admin=other)
    await organizations.decide_organization(
        operator_id=operator, organization_id=org, action="reject", reason="USCC unreadable"
    )
    decided = await told("organization.verification")
    assert set(decided) == {admin, member}
    assert decided[admin][0]["decision"] == "reject"


async def test_the_same_event_twice_writes_nothing_more(frozen_clock) -> None:
    scenario = await tender_with_bids(frozen_clock)
    await opened(frozen_clock, scenario)
    before = await Outbox.count()
    rows = await execute(
        "SELECT id, at, actor, action, object_type, object_id, change"
        " FROM audit_event WHERE action = 'bids.opened' ORDER BY id DESC LIMIT 1"
    )
    row = rows[0]
    record = audit.AuditRecord(**dict(row))
    await events.on_appended(record)
    assert await Outbox.count() == before > 0
