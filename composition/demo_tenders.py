"""The demo tenders' stories, from the draft to the award: publication, questions,
sealed bids, the panel, the opening at the deadline (by the jobs), scoring and the
award. What happens after the award is in composition/demo_contracts.py.

Each row of `market.tenders.demo_data.TENDERS` names the state its tender is in
today; `schedule()` places its periods in the past (or the future) so that living
through them from the start ends exactly there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bids import evaluation, submission
from composition import demo_contracts, demo_funding
from composition.demo_cast import DAY, HOUR, Cast
from composition.demo_timeline import Story
from market.budget.rules import budget_year
from market.demo import email
from market.demo_data import place_slug
from market.tenders import demo_data, qa, services
from market.tenders.demo import minimal_pdf, tender_form

MINUTE = timedelta(minutes=1)
OPEN_TODAY = frozenset({"published", "tendering", "evaluation", "awarded", "contracted"})
# A resident paid this cancelled tender by bank transfer: its refund waits for the
# operator's outgoing transfer (the refund queue).
BANK_REFUNDED = next(i for i, row in enumerate(demo_data.TENDERS) if row[1] == "cancelled")
PROPOSALS = (
    "由持证专业人员按计划上门服务，配备智能终端与紧急呼叫，按月报告。",
    "依托邻里互助网络，志愿者与社工结对服务，季度第三方评估。",
)
PRICE_SHARES = (92, 85)  # each bidder's price, in % of the budget


@dataclass(frozen=True)
class Plan:
    created: datetime
    published: datetime
    enquiry_end: datetime
    deadline: datetime


def _from_deadline(deadline: datetime) -> Plan:
    published = deadline - 30 * DAY
    return Plan(published - DAY, published, deadline - 15 * DAY, deadline)


def schedule(now: datetime, status: str, nth: int) -> Plan:
    """The periods of the `nth` tender that is in `status` today."""
    if status == "draft":
        created = now - 3 * DAY + nth * HOUR
        return Plan(created, created, now + 10 * DAY, now + 20 * DAY)
    if status in ("published", "tendering"):
        ago = 2 * DAY if status == "published" else 12 * DAY
        published = now - ago + nth * 2 * HOUR
        enquiry_end = now + 4 * DAY if status == "published" else now - 2 * DAY + nth * HOUR
        deadline = now + (12 if status == "published" else 5) * DAY + nth * 13 * HOUR
        return Plan(published - DAY, published, enquiry_end, deadline)
    if status == "cancelled":
        published = now - (20 + 70 * nth) * DAY
        return Plan(published - DAY, published, published + 10 * DAY, published + 25 * DAY)
    days = {
        "evaluation": 2 + nth,
        "awarded": 12 + nth,
        "contracted": 142,  # the third milestone falls due in the coming days
        "completed": 700 - 130 * nth,
        "unsuccessful": 30 + 110 * nth,
    }[status]
    return _from_deadline(now - days * DAY - nth * 7 * HOUR)


def _bid_count(status: str, nth: int, min_bids: int) -> int:
    if status in ("published", "draft", "cancelled"):
        return 0
    if status == "tendering":
        return (2, 0, 1, 0, 1, 0, 0)[nth % 7]
    if status == "unsuccessful":
        return min_bids - 1
    return 2


def _form(cast: Cast, row: demo_data.Row, plan: Plan) -> dict[str, str]:
    """The tender form with its place and the budget line of its place and category in
    the budget year it is published in (composition/demo_budget.py opened it)."""
    place = place_slug(row[4])
    form = tender_form(row, plan.enquiry_end, plan.deadline)
    form["place"] = str(cast.demo.places[place])
    line = cast.lines.get((budget_year(plan.published), place, row[2]))
    form["budget_line"] = str(line) if line else ""
    return form


async def tender_story(cast: Cast, index: int, nth: int) -> Story:
    row = demo_data.TENDERS[index]
    staff, status = row[0], row[1]
    plan = schedule(cast.now, status, nth)
    yield plan.created
    user_id = cast.user(staff)
    tender_id = await services.create_tender(
        user_id=user_id, department_id=cast.department(staff), form=_form(cast, row, plan)
    )
    cast.tenders[index] = tender_id
    if status == "draft":
        return
    await services.add_document(
        user_id=user_id,
        tender_id=tender_id,
        filename="tender-notice.pdf",
        data=minimal_pdf(f"Tender notice: {row[6]}"),
        title="招标公告 Tender notice",
    )
    yield plan.published
    await services.publish_tender(user_id=user_id, tender_id=tender_id)
    await _side_stories(cast, index, tender_id, plan)
    if status == "cancelled":
        yield plan.published + 9 * DAY
        await services.cancel_tender(
            user_id=user_id, tender_id=tender_id, reason=dict(demo_data.CANCEL_REASONS)[row[6]]
        )
        cast.timeline.due(plan.published + 9 * DAY + MINUTE)  # settled: donations refunded
        return
    cast.timeline.due(plan.enquiry_end)
    cast.timeline.due(plan.deadline + MINUTE)  # the bids are opened just after it
    async for moment in _bidding(cast, index, tender_id, plan, nth):
        yield moment


async def _side_stories(cast: Cast, index: int, tender_id: int, plan: Plan) -> None:
    """What others do while the tender is open: questions, donations, sponsorships."""
    status = demo_data.TENDERS[index][1]
    if status in ("published", "tendering") and index % 2 == 0:
        await cast.timeline.add(questions(cast, tender_id, index, plan.published))
    end = {
        "cancelled": plan.published + 8 * DAY,
        "unsuccessful": plan.deadline - DAY,
        "completed": plan.deadline,
    }.get(status, cast.now - HOUR)
    await cast.timeline.add(
        demo_funding.donations_story(
            cast, tender_id, plan.published + HOUR, end, status in OPEN_TODAY
        )
    )
    if index % 4 == 0:
        await cast.timeline.add(demo_funding.sponsorship(cast, tender_id, plan.published + 2 * DAY))
    if index == BANK_REFUNDED:
        await cast.timeline.add(demo_funding.bank_donation(cast, tender_id, plan.published + DAY))


async def questions(cast: Cast, tender_id: int, index: int, published: datetime) -> Story:
    """The bidders ask in the enquiry period; the department answers each the next day."""
    staff = demo_data.TENDERS[index][0]
    askers = cast.bidders()
    asked: list[tuple[datetime, int, str]] = []
    for n, (question, answer) in enumerate(demo_data.QUESTIONS):
        user_id, org_id = askers[n % len(askers)]
        moment = published + (n + 1) * 5 * HOUR
        yield moment
        question_id = await qa.ask_question(
            user_id=user_id, org_id=org_id, tender_id=tender_id, text=question
        )
        if answer:
            asked.append((moment, question_id, answer))
    for moment, question_id, answer in asked:
        yield moment + 20 * HOUR
        await qa.answer_question(
            user_id=cast.user(staff), tender_id=tender_id, question_id=question_id, text=answer
        )


async def _bidding(cast: Cast, index: int, tender_id: int, plan: Plan, nth: int) -> Story:
    """Sealed bids before the deadline, the citizen expert on the panel; after the
    deadline the jobs close tendering and open the bids; then scoring and the award."""
    row = demo_data.TENDERS[index]
    staff, status, budget = row[0], row[1], row[9]
    refs: list[str] = []
    for k, (user_id, org_id) in enumerate(cast.bidders()[: _bid_count(status, nth, row[11])]):
        yield plan.published + (4 + 3 * k) * DAY
        receipt = await submission.submit_bid(
            user_id=user_id,
            organization_id=org_id,
            tender_id=tender_id,
            price=str(budget * PRICE_SHARES[k] // 100),
            proposal=PROPOSALS[k],
        )
        refs.append(receipt.ref)
    if status in ("published", "tendering", "unsuccessful"):
        return  # still open, or too few bids: the chronograph ends it at the deadline
    yield plan.published + 11 * DAY
    await evaluation.appoint_evaluator(
        user_id=cast.user(staff), tender_id=tender_id, email=email("donor")
    )
    await evaluation.declare_interests(user_id=cast.expert, tender_id=tender_id, conflict=False)
    yield plan.deadline + DAY  # the jobs have moved it to evaluation and opened the bids
    scored = {"evaluation": (0, 1, 2, 2, 2)[nth % 5]}.get(status, len(refs))
    await demo_contracts.score(cast, tender_id, refs[:scored], winner=index % 2)
    if status == "evaluation":
        return
    awarded_at = cast.now - 2 * DAY + nth * HOUR if status == "awarded" else plan.deadline + 3 * DAY
    yield awarded_at
    await evaluation.award_tender(user_id=cast.user(staff), tender_id=tender_id)
    async for moment in demo_contracts.after_award(cast, index, tender_id, nth, awarded_at, refs):
        yield moment
