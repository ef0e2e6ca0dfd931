"""A community fund's round through the real services: gifts in, a call holding its
pot from the fund, two proposals, one committee member recused, recorded votes, two
grants decided, tranches released through the call's escrow, the call completed — and
every figure the ledger's."""

from __future__ import annotations

from datetime import timedelta

import pytest

from funds import decisions, gifts, grants, ledger
from market.errors import DomainError, PermissionDenied, ValidationFailed
from market.ledger.check import run_checks
from market.ledger.codes import community_fund_code, payable_code
from market.ledger.rules import escrow_code
from market.sql import execute
from tests.fund_builders import (
    balance,
    declare_and_score,
    give,
    make_fund,
    open_call,
    open_proposals,
    propose,
    vote_all,
)


async def status_of(tender_id: int) -> str:
    rows = await execute("SELECT status FROM market_tender WHERE id = {}", tender_id)
    return str(rows[0]["status"])


async def test_a_round_from_gifts_to_a_released_tranche(frozen_clock):
    world = await make_fund()
    fund = community_fund_code(world.place_id)
    resident = await give(world, 15_000_00, display_name="王阿姨")
    assert resident.status == "paid"
    await give(world, 10_000_00, anonymous=True)
    assert await balance(fund) == (25_000_00, 0)

    await open_call(frozen_clock, world, pot="20000.00", cap="12000.00")
    assert await balance(fund) == (25_000_00, 20_000_00)  # the pot is held for the call
    assert await status_of(world.tender_id) == "published"
    await propose(world, "9000.00", "8000.00")
    await open_proposals(frozen_clock, world)
    assert await status_of(world.tender_id) == "evaluation"

    chair, member, neighbour = world.members
    await declare_and_score(world, world.members, recused=neighbour)
    with pytest.raises(PermissionDenied):  # a recused member has no vote
        await vote_all(world, {neighbour: ["yes", "yes"]})
    await vote_all(world, {chair: ["yes", "yes"], member: ["yes", "no"]})
    with pytest.raises(PermissionDenied):  # only the chair records the decision
        await decisions.decide(user_id=member, tender_id=world.tender_id)
    granted = await decisions.decide(user_id=chair, tender_id=world.tender_id)

    assert len(granted) == 1  # 2 of 2 for the first; 1 of 2 is no majority
    assert await status_of(world.tender_id) == "contracted"
    # 9,000 taken for the grant, the other 11,000 of the pot back in the fund at once
    assert await balance(fund) == (16_000_00, 0)
    assert await balance(escrow_code(world.tender_id, "government")) == (9_000_00, 0)
    [first, final] = await execute(
        "SELECT id, amount, deliverable FROM funds_tranche WHERE grant_id = {} ORDER BY position",
        granted[0],
    )
    assert (first["amount"], final["amount"]) == (4_500_00, 4_500_00)

    grantee = world.bidders[0]
    await grants.submit_report(user_id=grantee.user_id, tranche_id=first["id"], report="已启动")
    with pytest.raises(DomainError):  # four eyes: not whoever recorded the decision
        await grants.approve_tranche(user_id=chair, tranche_id=first["id"])
    with pytest.raises(PermissionDenied):  # nor the member who declared a conflict
        await grants.approve_tranche(user_id=neighbour, tranche_id=first["id"])
    await grants.approve_tranche(user_id=member, tranche_id=first["id"])
    assert await balance(payable_code(grantee.org_id)) == (4_500_00, 0)

    figures = await ledger.figures(world.place_id)
    assert figures.income["public"] == 25_000_00
    assert (figures.granted, figures.returned, figures.held) == (9_000_00, 0, 0)
    assert figures.balance == 16_000_00 and not figures.unplaced
    report = await run_checks()
    assert report.ok, report.problems
    assert {"fund_balance", "fund_holds", "fund_grants"} <= set(report.app_checks)

    await grants.submit_report(user_id=grantee.user_id, tranche_id=final["id"], report="完成")
    await grants.approve_tranche(user_id=member, tranche_id=final["id"])
    assert await status_of(world.tender_id) == "completed"
    assert await balance(payable_code(grantee.org_id)) == (9_000_00, 0)
    assert (await run_checks()).ok


async def test_a_call_cannot_hold_more_than_the_fund_has(frozen_clock):
    world = await make_fund()
    await give(world, 5_000_00)
    with pytest.raises(ValidationFailed) as refused:
        await open_call(frozen_clock, world, pot="20000.00", cap="10000.00")
    assert set(refused.value.errors) == {"pot"}
    assert not await execute("SELECT id FROM funds_call")
    assert await balance(community_fund_code(world.place_id)) == (5_000_00, 0)


async def test_nothing_granted_returns_the_whole_pot(frozen_clock):
    world = await make_fund()
    await give(world, 30_000_00)
    await open_call(frozen_clock, world)
    await propose(world, "5000.00")
    await open_proposals(frozen_clock, world)
    chair, member, neighbour = world.members
    await declare_and_score(world, world.members)
    await vote_all(world, {chair: ["no"], member: ["no"], neighbour: ["yes"]})
    assert await decisions.decide(user_id=chair, tender_id=world.tender_id) == []
    assert await status_of(world.tender_id) == "unsuccessful"
    assert await balance(community_fund_code(world.place_id)) == (30_000_00, 0)
    assert (await run_checks()).ok


async def test_a_vote_for_a_proposal_above_the_cap_is_refused(frozen_clock):
    world = await make_fund()
    await give(world, 30_000_00)
    await open_call(frozen_clock, world, pot="20000.00", cap="5000.00")
    await propose(world, "6000.00")
    await open_proposals(frozen_clock, world)
    await declare_and_score(world, world.members)
    with pytest.raises(ValidationFailed) as refused:
        await vote_all(world, {world.chair: ["yes"]})
    assert set(refused.value.errors) == {"vote"}


async def test_the_decision_waits_for_every_vote(frozen_clock):
    world = await make_fund()
    await give(world, 30_000_00)
    await open_call(frozen_clock, world)
    await propose(world, "5000.00", "6000.00")
    await open_proposals(frozen_clock, world)
    await declare_and_score(world, world.members)
    await vote_all(world, {world.chair: ["yes", "yes"], world.members[1]: ["yes", "yes"]})
    with pytest.raises(DomainError, match="Every member free of conflict"):
        await decisions.decide(user_id=world.chair, tender_id=world.tender_id)
    frozen_clock.advance(seconds=1)
    assert await status_of(world.tender_id) == "evaluation"


async def test_a_gift_whose_card_is_declined_moves_nothing(frozen_clock):
    world = await make_fund()
    started = await give(world, 100_00, sandbox_outcome="decline")
    assert started.status == "failed"
    assert await balance(community_fund_code(world.place_id)) == (0, 0)
    assert (await gifts.gift_row(started.gift_id))["status"] == "failed"
    assert timedelta(0) == timedelta(0)
