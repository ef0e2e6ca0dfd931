"""Demo bids for `market demo`: five Minghu tenders carried through the bids app.

Like the tenders demo, each step runs through the real services with the clock moved
to when it would have happened, so bids are really sealed, opened against their
receipts, scored, awarded, contracted and paid in tranches from escrow:

- open for bids, with sealed bids (nobody can see them yet);
- under evaluation: opened, the expert has scored some bids;
- awarded, in the standstill period, with a complaint for the operator;
- contracted: first milestone approved (money released), second awaiting approval;
- completed: every milestone approved, the unspent budget returned;
- terminated: first milestone approved, then the contract ended early by the bureau
  (the tender becomes terminated, the unspent budget returned).

Roles: Wang Qiang (civil affairs) runs the tenders and draws up contracts; Li Na also
sits in the bureau and approves milestones (four eyes); Zhang Xiaoming (donor) is the
citizen expert on the panels; Liu Fang (elder care) and Huang Lei (mediation) bid.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bids import complaints, contracts, evaluation, milestones, opening, submission
from bids.rules import MilestonePlan
from market import clock
from market.demo_data import DOMAIN, USERS
from market.tables import Membership
from market.tenders import lifecycle, services

DAY = timedelta(days=1)
LOCAL = ZoneInfo("Asia/Shanghai")
# (title_zh, title_en, budget yuan, deadline days from now, stage)
TENDERS = (
    (
        "湖滨街道独居老人智能探访服务",
        "Smart home visits for seniors living alone",
        260_000,
        6,
        "tendering",
    ),
    ("北山社区儿童课后托管项目", "After-school care in Beishan", 180_000, -3, "evaluation"),
    ("明湖区社区心理疏导热线", "Community counselling hotline", 150_000, -8, "awarded"),
    ("新桥街道助餐服务点运营", "Meal service point in Xinqiao", 320_000, -70, "contracted"),
    ("明湖区社区志愿者能力培训", "Volunteer skills training", 120_000, -300, "completed"),
    ("北山社区老年大学课程", "Senior college courses in Beishan", 90_000, -200, "terminated"),
)
# bidder slug → (price share of budget in %, proposal)
BIDS = (
    ("elder_care", 92, "由持证护理员每周上门两次，配备智能手环与紧急呼叫。"),
    ("mediation_assoc", 85, "依托邻里互助网络，志愿者与社工结对探访，月度报告。"),
)


def _at(moment: datetime) -> None:
    clock.set_clock(lambda: moment)


def _local(value: datetime) -> str:
    return value.astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M")


def _form(
    title_zh: str, title_en: str, budget: int, enquiry_end: datetime, deadline: datetime
) -> dict[str, str]:
    return {
        "title_zh": title_zh,
        "title_en": title_en,
        "description_zh": f"{title_zh}：面向明湖区居民的公益服务项目，按里程碑拨付。",
        "description_en": f"{title_en}: a public-interest service for Minghu residents,"
        " paid by milestones.",
        "category": "community_services",
        "area_level": "district",
        "area": "明湖区",
        "budget": str(budget),
        "min_bids": "2",
        "enquiry_end": _local(enquiry_end),
        "bid_deadline": _local(deadline),
        "opening_at": _local(deadline + timedelta(hours=1)),
        "criterion_name_0": "服务方案 Service plan",
        "criterion_weight_0": "40",
        "criterion_name_1": "团队与经验 Team and experience",
        "criterion_weight_1": "30",
        "criterion_name_2": "报价 Price",
        "criterion_weight_2": "30",
        "price_criterion": "2",
    }


async def _people(demo: Any) -> dict[str, int]:
    """Demo users in their bids roles: Li Na (Hubin street) also sits in the bureau and
    approves its milestones; Zhang Xiaoming serves as the citizen expert on panels."""
    await Membership.insert(
        Membership(
            user=demo.users["street"],
            organization=demo.departments["civil_affairs"],
            role="member",
            created_at=clock.now(),
        )
    )
    return {"finance": demo.users["street"], "expert": demo.users["donor"]}


async def create_bids(demo: Any) -> dict[str, int]:
    """Add the six tenders with bids; returns tender ids by stage."""
    real: Callable[[], datetime] = clock._now  # restored at the end
    now = clock.now()
    created: dict[str, int] = {}
    try:
        users = await _people(demo)
        bidders = {"elder_care": demo.users["org"], "mediation_assoc": demo.users["mediator"]}
        for index, (tzh, ten, budget, deadline_days, stage) in enumerate(TENDERS):
            created[stage] = await _tender(
                demo, users, bidders, now, index, tzh, ten, budget, deadline_days, stage
            )
    finally:
        clock.set_clock(real)
    return created


async def _tender(
    demo: Any,
    users: dict[str, int],
    bidders: dict[str, int],
    now: datetime,
    index: int,
    title_zh: str,
    title_en: str,
    budget: int,
    deadline_days: int,
    stage: str,
) -> int:
    staff = demo.users["civil_affairs"]
    deadline = now + deadline_days * DAY + timedelta(minutes=13 * index)
    published = deadline - 20 * DAY
    _at(published - DAY)
    tender_id = await services.create_tender(
        user_id=staff,
        department_id=demo.departments["civil_affairs"],
        form=_form(title_zh, title_en, budget, published + 8 * DAY, deadline),
    )
    _at(published)
    await services.publish_tender(user_id=staff, tender_id=tender_id)
    refs = []
    for offset, (slug, share, proposal) in enumerate(BIDS):
        _at(deadline - (5 - offset) * DAY)
        receipt = await submission.submit_bid(
            user_id=bidders[slug],
            organization_id=demo.social_orgs[slug],
            tender_id=tender_id,
            price=str(budget * share // 100),
            proposal=proposal,
        )
        refs.append(receipt.ref)
    _at(deadline - 4 * DAY)
    await evaluation.appoint_evaluator(
        user_id=staff, tender_id=tender_id, email=f"{USERS['donor'][0]}@{DOMAIN}"
    )
    await evaluation.declare_interests(user_id=users["expert"], tender_id=tender_id, conflict=False)
    if stage == "tendering":
        _at(now)
        await lifecycle.advance(tender_id)  # enquiries have closed
        return tender_id
    _at(deadline + timedelta(minutes=5))
    await opening.open_bids(tender_id, actor=f"user:{staff}")
    marks = ((88, 84), (80, 76))
    scored = refs[:1] if stage == "evaluation" else refs
    for ref, (plan, team) in zip(scored, marks, strict=False):
        await evaluation.score_bid(
            user_id=users["expert"],
            tender_id=tender_id,
            bid_ref=ref,
            form={
                "mark_c1": str(plan),
                "comment_c1": "方案完整，可操作性强。" if plan > 80 else "方案可行，细节待补充。",
                "mark_c2": str(team),
                "comment_c2": "团队经验与项目匹配。",
            },
        )
    if stage == "evaluation":
        _at(now)
        return tender_id
    awarded_at = now - 2 * DAY if stage == "awarded" else deadline + 3 * DAY
    _at(awarded_at)
    await evaluation.award_tender(user_id=staff, tender_id=tender_id)
    if stage == "awarded":
        _at(awarded_at + DAY)
        award = await evaluation.active_award(tender_id)
        assert award is not None  # noqa: S101 - just awarded
        loser = award["results"][-1]
        slug = next(s for s, _, _ in BIDS if demo.social_orgs[s] == loser["organization"])
        await complaints.file_complaint(
            user_id=bidders[slug],
            organization_id=loser["organization"],
            tender_id=tender_id,
            text="我方团队经验评分偏低，请复核评分依据。 Please review the team-experience marks.",
        )
        _at(now)
        return tender_id
    return await _contract(demo, users, bidders, tender_id, awarded_at, stage, now)


async def _contract(
    demo: Any,
    users: dict[str, int],
    bidders: dict[str, int],
    tender_id: int,
    awarded_at: datetime,
    stage: str,
    now: datetime,
) -> int:
    staff = demo.users["civil_affairs"]
    signed = awarded_at + 6 * DAY
    _at(signed)
    award = await evaluation.active_award(tender_id)
    assert award is not None  # noqa: S101 - awarded above
    winner = award["results"][0]
    price, org_id = int(winner["price"]), int(winner["organization"])
    parts = 3 if stage == "contracted" else 2
    share = price // parts
    amounts = [share] * (parts - 1) + [price - share * (parts - 1)]
    starts = signed.astimezone(LOCAL).date()
    plan = [
        MilestonePlan(text, starts + (i + 1) * 30 * DAY, amount)
        for i, (text, amount) in enumerate(
            zip(
                (
                    "启动与需求摸底 Kick-off and needs survey",
                    "中期服务与评估 Mid-term service and review",
                    "结项报告 Final report",
                ),
                amounts,
                strict=False,
            )
        )
    ]
    contract_id = await contracts.create_contract(
        user_id=staff, tender_id=tender_id, starts=starts, plan=plan
    )
    await contracts.sign_contract(user_id=staff, contract_id=contract_id, side="department")
    org_user = next(u for s, u in bidders.items() if demo.social_orgs[s] == org_id)
    await contracts.sign_contract(user_id=org_user, contract_id=contract_id, side="organization")
    await _deliver(await _milestone_ids(contract_id), stage, signed, org_user, users["finance"])
    if stage == "terminated":
        _at(signed + 45 * DAY)
        await contracts.terminate_contract(
            user_id=staff,
            contract_id=contract_id,
            reason="服务机构无法继续提供课程，双方协商提前终止。"
            " The provider could no longer run the courses; ended early by agreement.",
        )
    _at(now)
    return tender_id


async def _deliver(
    ids: list[int], stage: str, signed: datetime, org_user: int, approver: int
) -> None:
    """Evidence for the milestones and approvals, as far as the stage goes: all of them
    (completed), two submitted and one approved (contracted), one of each (terminated)."""
    submitted = {"contracted": 2, "terminated": 1}.get(stage, len(ids))
    to_approve = ids if stage == "completed" else ids[:1]
    for i, milestone_id in enumerate(ids[:submitted]):
        _at(signed + (i + 1) * 28 * DAY)
        await milestones.submit_evidence(
            user_id=org_user,
            milestone_id=milestone_id,
            note="服务记录、签到表与照片已上传。 Service log, sign-in sheets and photos.",
        )
        if milestone_id in to_approve:
            _at(signed + (i + 1) * 29 * DAY)
            await milestones.approve_milestone(user_id=approver, milestone_id=milestone_id)


async def _milestone_ids(contract_id: int) -> list[int]:
    from bids.tables import Milestone

    rows = (
        await Milestone.select(Milestone.id)
        .where(Milestone.contract == contract_id)
        .order_by(Milestone.position)
    )
    return [int(r["id"]) for r in rows]
