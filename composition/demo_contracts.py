"""The demo tenders' stories after the award: complaints in the standstill (one
upheld, which sends the tender back to evaluation and a new award; one dismissed;
one still waiting for the operator), contracts signed by both sides, milestones
delivered on time, late or first rejected, tranches released from escrow, and one
contract terminated after a milestone was not met.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bids import complaints, contracts, evaluation, milestones
from bids.rules import MilestonePlan
from bids.tables import Milestone
from composition import demo_updates
from composition.demo_cast import DAY, HOUR, Cast
from composition.demo_timeline import Story
from market.tenders import demo_data

LOCAL = ZoneInfo("Asia/Shanghai")
# (status today, nth tender in that status) → what happens to a complaint about its award
COMPLAINTS = {("awarded", 2): "filed", ("contracted", 1): "dismissed", ("completed", 2): "upheld"}
LATE = {("completed", 0, 1), ("contracted", 1, 1)}  # (status, nth, milestone) delivered late
REJECTED = {("completed", 1, 0), ("contracted", 0, 0)}  # first submission sent back
TERMINATED = ("contracted", 3)  # the second milestone is not met; the contract ends
SENT_BACK = "签到表缺少服务对象签名，请补充。 Sign-in sheets lack residents' signatures."
ENDED = (
    "第二阶段服务未按期交付，经协商解除合同。"
    " The second stage was not delivered; the contract ends by agreement."
)
DELIVERABLES = (
    "启动与需求摸底 Kick-off and needs survey",
    "中期服务与评估 Mid-term service and review",
    "服务深化与回访 Service and follow-up visits",
    "结项报告 Final report",
)


async def after_award(
    cast: Cast, index: int, tender_id: int, nth: int, awarded_at: datetime, refs: list[str]
) -> Story:
    status = demo_data.TENDERS[index][1]
    outcome = COMPLAINTS.get((status, nth))
    if outcome:
        yield awarded_at + DAY
        complaint_id = await _complain(cast, tender_id)
        if outcome == "filed":
            return
        yield awarded_at + 3 * DAY
        await complaints.resolve_complaint(
            user_id=cast.operator,
            complaint_id=complaint_id,
            upheld=outcome == "upheld",
            resolution=RESOLUTIONS[outcome],
        )
        if outcome == "upheld":  # back to evaluation: the panel re-scores, a new award
            yield awarded_at + 4 * DAY
            await score(cast, tender_id, refs, winner=1 - index % 2)
            awarded_at += 5 * DAY
            yield awarded_at
            staff = cast.user(demo_data.TENDERS[index][0])
            await evaluation.award_tender(user_id=staff, tender_id=tender_id)
    if status == "awarded":
        return
    async for moment in _contract(cast, index, tender_id, nth, awarded_at + 6 * DAY):
        yield moment


RESOLUTIONS = {  # in words the page walk does not take for raw status codes
    "upheld": "评分依据不充分，予以支持：撤销原授标，重新评审。"
    " After review the complaint is accepted: the marks were not explained,"
    " so the bids are scored again.",
    "dismissed": "经复核，评分依据充分，驳回投诉。"
    " After review the marks stand: they are explained and follow the criteria.",
}


async def _complain(cast: Cast, tender_id: int) -> int:
    award = await evaluation.active_award(tender_id)
    assert award is not None  # noqa: S101 - the story awarded it
    loser = int(award["results"][-1]["organization"])
    user_id = next(u for u, org in cast.bidders() if org == loser)
    return await complaints.file_complaint(
        user_id=user_id,
        organization_id=loser,
        tender_id=tender_id,
        text="我方团队经验评分偏低，请复核评分依据。 Please review the team-experience marks.",
    )


def _plan(price: int, starts: date, parts: int, spacing: int) -> list[MilestonePlan]:
    share = price // parts
    amounts = [share] * (parts - 1) + [price - share * (parts - 1)]
    texts = DELIVERABLES[-parts:]
    return [
        MilestonePlan(text, starts + (k + 1) * spacing * DAY, amount)
        for k, (text, amount) in enumerate(zip(texts, amounts, strict=True))
    ]


def _due(day: date) -> datetime:
    return datetime.combine(day, time(17, 0), LOCAL)


async def _contract(cast: Cast, index: int, tender_id: int, nth: int, at: datetime) -> Story:
    """Drawn up and signed by the department, then by the organization; then the work."""
    status = demo_data.TENDERS[index][1]
    staff = demo_data.TENDERS[index][0]
    yield at
    award = await evaluation.active_award(tender_id)
    assert award is not None  # noqa: S101 - the story awarded it
    winner = award["results"][0]
    price, org_id = int(winner["price"]), int(winner["organization"])
    parts, spacing = (3, 30) if status == "completed" else (4, 45)
    starts = at.astimezone(LOCAL).date()
    plan = _plan(price, starts, parts, spacing)
    contract_id = await contracts.create_contract(
        user_id=cast.user(staff), tender_id=tender_id, starts=starts, plan=plan
    )
    await contracts.sign_contract(
        user_id=cast.user(staff), contract_id=contract_id, side="department"
    )
    org_user = next(u for u, org in cast.bidders() if org == org_id)
    yield at + DAY
    await contracts.sign_contract(user_id=org_user, contract_id=contract_id, side="organization")
    rows = await Milestone.select(Milestone.id).where(Milestone.contract == contract_id)
    ids = sorted(int(r["id"]) for r in rows)
    work = _work(
        cast, staff, org_user, contract_id, (status, nth), list(zip(ids, plan, strict=True))
    )
    async for moment in work:
        yield moment


async def _work(
    cast: Cast,
    staff: str,
    org_user: int,
    contract_id: int,
    key: tuple[str, int],
    items: list[tuple[int, MilestonePlan]],
) -> Story:
    approver = cast.approver(staff)
    for k, (milestone_id, item) in enumerate(items):
        if key == TERMINATED and k == 1:
            yield _due(item.due) + 10 * DAY
            await _terminate(cast, staff, contract_id, milestone_id)
            cast.timeline.due(cast.timeline.at + HOUR)  # settled at once; refunds paid out then
            return
        submitted = _due(item.due) + (6 * DAY if (*key, k) in LATE else -3 * DAY)
        yield submitted
        await _deliver(org_user, milestone_id)
        if (*key, k) in REJECTED:
            yield submitted + 2 * DAY
            await milestones.reject_milestone(
                user_id=approver,
                milestone_id=milestone_id,
                reason=SENT_BACK,
            )
            submitted += 5 * DAY
            yield submitted
            await _deliver(org_user, milestone_id)
        yield submitted + 2 * DAY + HOUR
        await milestones.approve_milestone(user_id=approver, milestone_id=milestone_id)
        yield submitted + 3 * DAY
        await demo_updates.post(org_user, contract_id, k, len(items))
    cast.timeline.due(cast.timeline.at + HOUR)  # completed: the settlement returns the rest


async def _deliver(org_user: int, milestone_id: int) -> None:
    await milestones.submit_evidence(
        user_id=org_user,
        milestone_id=milestone_id,
        note="服务记录、签到表与照片已上传。 Service log, sign-in sheets and photos.",
    )


async def _terminate(cast: Cast, staff: str, contract_id: int, milestone_id: int) -> None:
    reason = ENDED
    await milestones.mark_not_met(
        user_id=cast.user(staff), milestone_id=milestone_id, reason=reason
    )
    await contracts.terminate_contract(
        user_id=cast.user(staff), contract_id=contract_id, reason=reason
    )


MARKS = ((88, 84), (80, 76))  # (plan, team) marks: the stronger and the weaker bid


async def score(cast: Cast, tender_id: int, refs: list[str], *, winner: int) -> None:
    """The citizen expert's marks: bid `winner` (by submission order) is the stronger."""
    for k, ref in enumerate(refs):
        plan, team = MARKS[0] if k == winner else MARKS[1]
        await evaluation.score_bid(
            user_id=cast.expert,
            tender_id=tender_id,
            bid_ref=ref,
            form={
                "mark_c1": str(plan),
                "comment_c1": "方案完整，可操作性强。" if plan > 80 else "方案可行，细节待补充。",
                "mark_c2": str(team),
                "comment_c2": "团队经验与项目匹配。",
            },
        )
