"""Community fund factories: a community with its fund and committee of three, gifts
into it, a call with proposals, opened, scored and voted — each step through the real
services, with a frozen clock moved along."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bids import evaluation, opening, submission
from funds import calls, decisions, gifts, setup
from market import clock
from market.money import Money
from market.places.services import add_place
from market.sql import execute
from market.tenders import lifecycle
from market.tenders.inputs import to_local_input
from tests.bid_builders import Bidder, make_bidder
from tests.builders import make_member, make_operator, make_user

_serial = itertools.count(1)
DAY = timedelta(days=1)
MARKS = {
    **{"mark_c1": "80", "comment_c1": "Real need", "mark_c2": "70", "comment_c2": "Feasible"},
    **{"mark_c3": "75", "comment_c3": "Residents take part"},
}


@dataclass
class FundWorld:
    operator: int
    place_id: int
    fund_id: int
    organization: int
    chair: int
    members: list[int]  # chair first
    emails: list[str]
    other_place: int = 0  # a second community of the street, without a fund
    tender_id: int = 0
    deadline: datetime | None = None
    bidders: list[Bidder] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)


async def make_places(n: int) -> tuple[int, list[int]]:
    """A district, a street and two communities (codes unique per test run)."""
    district_code = f"33{n % 10000:04d}000000"
    actor = "system:test"
    district = await add_place(
        code=district_code, name_zh="明湖区", name_en="Minghu District", parent_id=None, actor=actor
    )
    street = await add_place(
        code=district_code[:6] + "001000", name_zh="湖滨街道", name_en="Hubin Subdistrict",
        parent_id=district.id, actor=actor,
    )  # fmt: skip
    communities = []
    for i, (zh, en) in enumerate((("湖畔社区", "Lakeside Community"), ("柳岸社区", "Willow Bank"))):
        place = await add_place(
            code=district_code[:6] + f"00100{i + 1}", name_zh=zh, name_en=en,
            parent_id=street.id, actor=actor,
        )  # fmt: skip
        communities.append(place.id)
    return street.id, communities


async def make_fund() -> FundWorld:
    """A community with its fund opened by the operator, a chair and two members."""
    n = next(_serial)
    operator = await make_operator(f"fund-operator{n}@example.org")
    _, (place_id, other) = await make_places(n)
    emails = [f"{role}{n}@example.org" for role in ("chair", "member", "neighbour")]
    users = [await make_user(e, display_name=e.split("@")[0].title()) for e in emails]
    fund_id = await setup.open_fund(operator_id=operator, place_id=place_id, chair_email=emails[0])
    organization = int(
        (await execute("SELECT organization FROM funds_fund WHERE id = {}", fund_id))[0][
            "organization"
        ]
    )
    for user in users[1:]:
        await make_member(user, organization)
    return FundWorld(operator, place_id, fund_id, organization, users[0], users, emails, other)


async def give(world: FundWorld, amount: int, **kw: object) -> gifts.GiftStarted:
    return await gifts.start_gift(
        fund_id=world.fund_id, amount=Money(amount, "CNY"), provider="sandbox", **kw
    )  # type: ignore[arg-type]


def call_form(now: datetime, *, pot: str = "20000.00", cap: str = "12000.00") -> dict[str, str]:
    deadline = now + 5 * DAY
    return {
        "title_zh": "湖畔微心愿",
        "title_en": "Lakeside small wishes",
        "description_zh": "为社区居民的小项目提供资助。",
        "description_en": "Small grants for residents' projects.",
        "pot": pot,
        "cap": cap,
        "deadline": to_local_input(deadline),
        "ends": (deadline + 60 * DAY).date().isoformat(),
    }


async def open_call(fc: clock.FrozenClock, world: FundWorld, **form: str) -> int:
    world.tender_id = await calls.open_call(
        user_id=world.chair, fund_id=world.fund_id, form=call_form(fc.at, **form)
    )
    rows = await execute("SELECT bid_deadline FROM market_tender WHERE id = {}", world.tender_id)
    value = rows[0]["bid_deadline"]
    world.deadline = datetime.fromisoformat(value) if isinstance(value, str) else value
    return world.tender_id


async def propose(world: FundWorld, *prices: str, bidder: Bidder | None = None) -> None:
    for i, price in enumerate(prices):
        who = bidder if bidder is not None and i == 0 else await make_bidder("邻里互助社")
        world.bidders.append(who)
        receipt = await submission.submit_bid(
            user_id=who.user_id,
            organization_id=who.org_id,
            tender_id=world.tender_id,
            price=price,
            proposal=f"社区小项目 {i}",
        )
        world.refs.append(receipt.ref)


async def open_proposals(fc: clock.FrozenClock, world: FundWorld) -> None:
    """The deadline passes: the chronograph closes the call, the bids app opens it."""
    assert world.deadline is not None
    fc.set(world.deadline + timedelta(seconds=1))
    await lifecycle.advance(world.tender_id)
    await opening.open_bids(world.tender_id, actor="system:test")


async def declare_and_score(world: FundWorld, members: list[int], *, recused: int = 0) -> None:
    for member in members:
        conflict = member == recused
        await evaluation.declare_interests(
            user_id=member,
            tender_id=world.tender_id,
            conflict=conflict,
            statement="My sister runs one of the proposing groups." if conflict else "",
        )
        if conflict:
            continue
        for ref in world.refs:
            await evaluation.score_bid(
                user_id=member, tender_id=world.tender_id, bid_ref=ref, form=MARKS
            )


async def vote_all(world: FundWorld, ballots: dict[int, list[str]]) -> None:
    """ballots: member → one vote per proposal, in the order of world.refs."""
    for member, votes in ballots.items():
        for ref, choice in zip(world.refs, votes, strict=True):
            await decisions.vote(
                user_id=member, tender_id=world.tender_id, bid_ref=ref, choice=choice
            )


async def balance(code: str) -> tuple[int, int]:
    """(posted, pending debits) of an account (0s when it never moved)."""
    rows = await execute(
        "SELECT credits_posted - debits_posted AS posted, debits_pending AS held"
        " FROM ledger_account WHERE code = {}",
        code,
    )
    return (int(rows[0]["posted"]), int(rows[0]["held"])) if rows else (0, 0)


__all__ = ["DAY", "FundWorld", "make_user"]
