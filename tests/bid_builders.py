"""Bid factories: bidders, a tender with sealed bids, opened and scored, awarded and
contracted — each step through the real services, with a frozen clock moved along."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bids import contracts, evaluation, opening, submission
from bids.rules import MilestonePlan
from market import clock
from market.sql import execute
from tests.builders import make_member, make_org, make_user
from tests.tender_builders import Department, make_department, make_tender

_serial = itertools.count(1)
DAY = timedelta(days=1)
CANARY = "CANARY-PROPOSAL-7f3a"


@dataclass(frozen=True)
class Bidder:
    user_id: int
    org_id: int
    email: str


@dataclass
class Scenario:
    department: Department
    tender_id: int
    deadline: datetime
    bidders: list[Bidder]
    refs: list[str] = field(default_factory=list)
    evaluator_id: int = 0
    evaluator_email: str = ""
    approver_id: int = 0
    approver_email: str = ""


async def make_bidder(name: str = "社区服务中心") -> Bidder:
    n = next(_serial)
    email = f"bidder{n}@example.org"
    user_id = await make_user(email, display_name=f"Bidder {n}")
    org_id = await make_org(name_zh=f"{name}{n}", name_en=f"Service Centre {n}", admin=user_id)
    return Bidder(user_id, org_id, email)


async def deadline_of(tender_id: int) -> datetime:
    rows = await execute("SELECT bid_deadline FROM market_tender WHERE id = {}", tender_id)
    value = rows[0]["bid_deadline"]
    return datetime.fromisoformat(value) if isinstance(value, str) else value


async def tender_with_bids(
    fc: clock.FrozenClock,
    prices: tuple[str, ...] = ("150000.00", "180000.00"),
    *,
    min_bids: str = "2",
    acceleration: str = "",
    department: Department | None = None,
    **form: str,
) -> Scenario:
    """A published tender (budget 200,000; a sandbox one with an `acceleration`; other
    fields of its form in `form`, e.g. its place and budget line) with one sealed bid
    per price; the clock is left one second before the deadline."""
    department = department or await make_department()
    tender_id = await make_tender(
        department, status="published", min_bids=min_bids, acceleration=acceleration, **form
    )
    deadline = await deadline_of(tender_id)
    fc.set(max(deadline - 2 * DAY, fc.at))  # bids come in before the deadline
    scenario = Scenario(department, tender_id, deadline, [])
    for i, price in enumerate(prices):
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
    return scenario


async def opened(fc: clock.FrozenClock, scenario: Scenario) -> opening.OpeningResult:
    fc.set(scenario.deadline + timedelta(seconds=1))
    return await opening.open_bids(scenario.tender_id, actor="system:test")


async def appoint_and_score(scenario: Scenario, marks: tuple[int, ...] = (80, 70)) -> None:
    """One evaluator declares no conflict and scores every bid (mark i for bid i)."""
    email = f"expert{next(_serial)}@example.org"
    scenario.evaluator_id = await make_user(email, display_name="Expert")
    scenario.evaluator_email = email
    await evaluation.appoint_evaluator(
        user_id=scenario.department.user_id, tender_id=scenario.tender_id, email=email
    )
    await evaluation.declare_interests(
        user_id=scenario.evaluator_id, tender_id=scenario.tender_id, conflict=False
    )
    for ref, mark in zip(scenario.refs, marks, strict=False):
        await evaluation.score_bid(
            user_id=scenario.evaluator_id,
            tender_id=scenario.tender_id,
            bid_ref=ref,
            form={
                "mark_c1": str(mark),
                "comment_c1": "Clear plan",
                "mark_c2": str(mark),
                "comment_c2": "Experienced team",
            },
        )


async def add_approver(scenario: Scenario) -> int:
    """A second department member (the contract creator may not approve)."""
    email = f"approver{next(_serial)}@example.org"
    scenario.approver_id = await make_user(email, display_name="Approver")
    scenario.approver_email = email
    await make_member(scenario.approver_id, scenario.department.id)
    return scenario.approver_id


def plan_for(amount: int, starts: date, parts: int = 2) -> list[MilestonePlan]:
    share = amount // parts
    amounts = [share] * (parts - 1) + [amount - share * (parts - 1)]
    return [
        MilestonePlan(f"Deliverable {i + 1}", starts + (i + 1) * 30 * DAY, a)
        for i, a in enumerate(amounts)
    ]


async def contracted(fc: clock.FrozenClock, scenario: Scenario, parts: int = 2) -> int:
    """Open, score, award, wait out the standstill, draw up and sign the contract."""
    await opened(fc, scenario)
    await appoint_and_score(scenario)
    await evaluation.award_tender(user_id=scenario.department.user_id, tender_id=scenario.tender_id)
    fc.advance(days=6)
    award = await evaluation.active_award(scenario.tender_id)
    assert award is not None
    price = (await execute("SELECT price FROM bids_bid WHERE id = {}", award["bid"]))[0]["price"]
    starts = clock.now().date()
    contract_id = await contracts.create_contract(
        user_id=scenario.department.user_id,
        tender_id=scenario.tender_id,
        starts=starts,
        plan=plan_for(int(price), starts, parts),
    )
    await contracts.sign_contract(
        user_id=scenario.department.user_id, contract_id=contract_id, side="department"
    )
    winner = next(b for b in scenario.bidders if b.org_id == award_org(award, scenario))
    await contracts.sign_contract(
        user_id=winner.user_id, contract_id=contract_id, side="organization"
    )
    return contract_id


def award_org(award: dict[str, object], scenario: Scenario) -> int:
    results = award["results"]
    assert isinstance(results, list)
    return int(results[0]["organization"])
