"""A whole tender's life through the real services — published to a subscriber, a
question answered, an amendment, the bid deadline near, bids opened, the award, a
complaint and its decision, the standstill's end, the contract, a milestone, donations —
then the outbox delivered to a real SMTP server (aiosmtpd, tests/smtp.py): the expected
mails arrive, each recipient's in their language, each exactly once."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import timedelta

import pytest

from bids import complaints, contracts, evaluation, milestones, opening, submission
from market import clock, outbox
from market.sql import execute
from market.tables import Outbox
from market.tenders import qa, services
from notify import reminders, render, subscriptions
from tests.bid_builders import (
    DAY,
    Scenario,
    add_approver,
    appoint_and_score,
    deadline_of,
    plan_for,
)
from tests.builders import make_operator, make_org, make_user
from tests.donation_builders import make_pledge
from tests.money_builders import donate
from tests.smtp import Mailbox
from tests.tender_builders import make_department, make_tender, tender_form

pytestmark = pytest.mark.usefixtures("rollback")
CJK = re.compile(r"[\u4e00-\u9fff]")
HOUR = timedelta(hours=1)


async def _bidder(email: str, locale: str) -> tuple[int, int]:
    user = await make_user(email, locale=locale)
    return user, await make_org(name_en=f"Org of {email}", admin=user)


async def test_a_tenders_whole_life_reaches_everyone_once_in_their_language(
    frozen_clock: clock.FrozenClock, mailbox: Mailbox
) -> None:
    fc = frozen_clock
    department = await make_department()  # its staff: no language chosen → Chinese
    watcher = await make_user("watcher@example.org", locale="en")
    await subscriptions.subscribe(watcher, {"category": "community_services"})
    ann, ann_org = await _bidder("ann@example.org", "en")
    bo, bo_org = await _bidder("bo@example.org", "zh_Hans")
    operator = await make_operator("operator@example.org")
    await reminders.run(fc.at)  # the reminder job's first run

    tender_id = await make_tender(department, status="published")
    question = await qa.ask_question(user_id=ann, org_id=ann_org, tender_id=tender_id, text="?")
    await qa.answer_question(
        user_id=department.user_id, tender_id=tender_id, question_id=question, text="Yes."
    )
    deadline = await deadline_of(tender_id)
    fc.set(deadline - 3 * DAY)
    receipts = {}
    for user, org, price in ((ann, ann_org, "150000.00"), (bo, bo_org, "180000.00")):
        receipt = await submission.submit_bid(
            user_id=user, organization_id=org, tender_id=tender_id, price=price, proposal="Plan"
        )
        receipts[user] = receipt.ref
    await services.amend_tender(
        user_id=department.user_id,
        tender_id=tender_id,
        form=tender_form(deadline - 10 * DAY, description_en="Weekend visits too."),
        note="Weekend visits added.",
    )
    await submission.reconfirm_bid(user_id=ann, ref=receipts[ann])
    deadline = await deadline_of(tender_id)
    fc.set(deadline - 23 * HOUR)
    await reminders.run(fc.at)  # 24 hours before the bid deadline: Bo has not reconfirmed
    await submission.reconfirm_bid(user_id=bo, ref=receipts[bo])

    fc.set(deadline + timedelta(seconds=1))
    await opening.open_bids(tender_id, actor="system:test")
    scenario = Scenario(department, tender_id, deadline, [], [receipts[ann], receipts[bo]])
    await appoint_and_score(scenario, marks=(80, 70))
    await evaluation.award_tender(user_id=department.user_id, tender_id=tender_id)
    complaint = await complaints.file_complaint(
        user_id=bo, organization_id=bo_org, tender_id=tender_id, text="Under-marked."
    )
    await complaints.resolve_complaint(
        user_id=operator, complaint_id=complaint, upheld=False, resolution="The marks stand."
    )
    fc.advance(days=6)
    await reminders.run(fc.at)  # the standstill has ended
    approver = await add_approver(scenario)
    award = await evaluation.active_award(tender_id)
    assert award is not None
    starts = fc.at.date()
    contract_id = await contracts.create_contract(
        user_id=department.user_id,
        tender_id=tender_id,
        starts=starts,
        plan=plan_for(150_000_00, starts, 2),
    )
    for user, side in ((department.user_id, "department"), (ann, "organization")):
        await contracts.sign_contract(user_id=user, contract_id=contract_id, side=side)
    first = (
        await execute(
            "SELECT id FROM bids_milestone WHERE contract = {} ORDER BY position", contract_id
        )
    )[0]["id"]
    await milestones.submit_evidence(user_id=ann, milestone_id=int(first), note="Visits done")
    await milestones.approve_milestone(user_id=approver, milestone_id=int(first))

    pledge = await make_pledge(total_cap=10_000_00)
    sponsor = (
        await execute(
            "SELECT u.email FROM donors_pledge p JOIN market_user u ON u.id = p.created_by"
            " WHERE p.id = {}",
            pledge,
        )
    )[0]["email"]
    donor = await make_user("donor@example.org", locale="zh_Hans")
    await donate(tender_id, 100_00, "sandbox", donor_id=donor)  # type: ignore[arg-type]
    await donate(tender_id, 50_00, "sandbox", email="guest@example.org", lang="en")

    rows = await Outbox.select(Outbox.recipient, Outbox.kind, Outbox.lang, Outbox.params).where(
        Outbox.channel == "email"
    )
    sent = 0
    while delivered := await outbox.deliver_pending(limit=1000):
        sent += delivered
    assert sent == len(rows) and await outbox.deliver_pending() == 0

    got = Counter((str(m["To"]), str(m["Subject"])) for m in mailbox.messages)
    expected = Counter(
        (r["recipient"], render.compose(r["kind"], json.loads(r["params"]), r["lang"]).subject)
        for r in rows
    )
    assert got == expected and set(got.values()) == {1}  # every mail, each exactly once
    kinds: dict[str, set[str]] = {}
    for r in rows:
        kinds.setdefault(r["recipient"], set()).add(r["kind"])
    assert kinds == {
        "watcher@example.org": {"tender.matching"},
        "ann@example.org": {
            "question.answered",
            "bid.reconfirm",
            "deadline.soon",
            "bids.opened",
            "award.decided",
            "complaint.filed",
            "complaint.decided",
            "standstill.ended",
            "contract.to_sign",
            "milestone.approved",
        },
        "bo@example.org": {
            "bid.reconfirm",
            "deadline.soon",
            "bids.opened",
            "award.decided",
            "complaint.decided",
        },
        department.email: {
            "complaint.filed",
            "complaint.decided",
            "standstill.ended",
            "milestone.submitted",
        },
        scenario.approver_email: {"contract.to_sign", "milestone.submitted"},
        "operator@example.org": {"complaint.filed"},
        "donor@example.org": {"donation.receipt"},
        "guest@example.org": {"donation.receipt"},
    }
    matched = await Outbox.select(Outbox.channel).where(Outbox.kind == "pledge.matched")
    assert {r["channel"] for r in matched} == {"inbox"}  # two matches, the inbox: no e-mail
    assert sponsor not in kinds
    for message in mailbox.messages:
        to, subject = str(message["To"]), str(message["Subject"])
        english = to in ("watcher@example.org", "ann@example.org", "guest@example.org")
        assert bool(CJK.search(subject)) is not english, (to, subject)
    bo_deadline = [m for m in mailbox.to("bo@example.org") if "24" in str(m["Subject"])]
    assert len(bo_deadline) == 1 and "重新确认" in bo_deadline[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
