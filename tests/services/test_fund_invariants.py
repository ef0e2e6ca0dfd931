"""Every community-fund invariant of `market ledger check` holds after a real round,
and each one sees its own violation when it is seeded."""

from __future__ import annotations

from funds import decisions, invariants
from market.ledger.accounts import ensure_accounts
from market.ledger.check import run_checks
from market.ledger.codes import community_fund_code, payable_code
from market.ledger.rules import TransferRequest, escrow_code
from market.ledger.services import create_transfers, transfer
from market.money import Money
from market.sql import execute
from tests.builders import make_org
from tests.donation_builders import make_tender
from tests.fund_builders import (
    FundWorld,
    declare_and_score,
    give,
    make_fund,
    open_call,
    open_proposals,
    propose,
    vote_all,
)


async def decided_round(fc) -> FundWorld:  # type: ignore[no-untyped-def]
    world = await make_fund()
    await give(world, 30_000_00)
    await open_call(fc, world, pot="20000.00", cap="12000.00")
    await propose(world, "9000.00", "8000.00")
    await open_proposals(fc, world)
    await declare_and_score(world, world.members)
    chair, member, neighbour = world.members
    await vote_all(world, {chair: ["yes", "yes"], member: ["yes", "yes"], neighbour: ["no", "no"]})
    await decisions.decide(user_id=chair, tender_id=world.tender_id)
    return world


async def test_a_real_round_keeps_every_fund_invariant(frozen_clock):
    await decided_round(frozen_clock)
    report = await run_checks()
    assert report.ok, report.problems
    for check in invariants.CHECKS.values():
        assert await check() == []


async def test_an_overdrawn_fund_is_caught(frozen_clock):
    world = await make_fund()
    await give(world, 100_00)
    fund = community_fund_code(world.place_id)
    # the ledger would refuse it: the account's no-overdraft flag is taken away first
    await execute("UPDATE ledger_account SET flags = 0 WHERE code = {}", fund)
    org = await make_org()
    await ensure_accounts([payable_code(org)], "CNY")
    await transfer(
        "seeded:overdraw", debit=fund, credit=payable_code(org), amount=Money(300_00, "CNY"),
        reason="seeded", actor="test",
    )  # fmt: skip
    [problem] = await invariants.check_not_negative()
    assert "overdrawn" in problem and fund in problem
    assert any("overdrawn" in p for p in (await run_checks()).problems)


async def test_money_leaving_a_fund_other_than_for_its_calls_is_caught(frozen_clock):
    world = await decided_round(frozen_clock)
    fund = community_fund_code(world.place_id)
    assert await invariants.check_balance() == []
    org = await make_org()
    await ensure_accounts([payable_code(org)], "CNY")
    await transfer(
        "seeded:straight-out", debit=fund, credit=payable_code(org),
        amount=Money(1_00, "CNY"), reason="release", actor="test",
    )  # fmt: skip
    [problem] = await invariants.check_balance()
    assert "seeded:straight-out" in problem and "neither income" in problem


async def test_a_balance_the_transfers_do_not_explain_is_caught(frozen_clock):
    world = await make_fund()
    await give(world, 100_00)
    fund = community_fund_code(world.place_id)
    await execute(
        "UPDATE ledger_account SET credits_posted = credits_posted + 1 WHERE code = {}", fund
    )
    problems = await invariants.check_balance()
    assert problems and "the ledger says 10001" in problems[0]


async def test_a_call_held_from_another_communitys_fund_is_caught(frozen_clock):
    world = await decided_round(frozen_clock)
    other = community_fund_code(world.other_place)
    assert await invariants.check_holds() == []
    await ensure_accounts([other, "external:sandbox"], "CNY")
    await transfer(
        "seeded:gift-other", debit="external:sandbox", credit=other,
        amount=Money(500_00, "CNY"), reason="fund_gift", source="public", actor="test",
    )  # fmt: skip
    await create_transfers(
        [
            TransferRequest(
                key="seeded:foreign-hold",
                kind="pending",
                amount=100_00,
                debit=other,
                credit=escrow_code(world.tender_id, "government"),
                currency="CNY",
                reason="budget_hold",
                tender_id=world.tender_id,
                source="government",
            )
        ],
        actor="test",
    )
    [problem] = await invariants.check_holds()
    assert "seeded:foreign-hold" in problem and other in problem


async def test_a_fund_holding_money_for_a_department_tender_is_caught(frozen_clock):
    world = await make_fund()
    await give(world, 500_00)
    tender = await make_tender()
    await ensure_accounts([escrow_code(tender, "government")], "CNY")
    await create_transfers(
        [
            TransferRequest(
                key="seeded:department-hold",
                kind="pending",
                amount=100_00,
                debit=community_fund_code(world.place_id),
                credit=escrow_code(tender, "government"),
                currency="CNY",
                reason="budget_hold",
                tender_id=tender,
                source="government",
            )
        ],
        actor="test",
    )
    [problem] = await invariants.check_holds()
    assert f"tender {tender}" in problem


async def test_grants_the_ledger_does_not_match_are_caught(frozen_clock):
    world = await decided_round(frozen_clock)
    assert await invariants.check_grants() == []
    await execute(
        "UPDATE funds_grant SET amount = amount + 100 WHERE id = (SELECT MIN(id) FROM funds_grant)"
    )
    problems = await invariants.check_grants()
    assert any(f"call {world.tender_id} took 1700000" in p for p in problems)
    assert any("has tranches adding up to" in p for p in problems)


async def test_a_release_for_a_tranche_not_approved_is_caught(frozen_clock):
    world = await decided_round(frozen_clock)
    [tranche] = await execute("SELECT id, grant_id FROM funds_tranche ORDER BY id LIMIT 1")
    org = int((await execute("SELECT organization FROM funds_grant WHERE id = {}",
                             tranche["grant_id"]))[0]["organization"])  # fmt: skip
    from market.ledger import escrow

    await escrow.release(
        "seeded:early-release", tender_id=world.tender_id, org_id=org,
        amount=Money(1_00, "CNY"), actor="test", reference=f"fund_tranche:{tranche['id']}",
    )  # fmt: skip
    [problem] = await invariants.check_grants()
    assert f"tranche {tranche['id']} (scheduled" in problem


async def test_sandbox_money_in_a_communitys_fund_is_caught(frozen_clock):
    from donors.sandbox_check import check_sandbox

    world = await make_fund()
    await give(world, 500_00)
    tender = await make_tender()
    await execute("UPDATE market_tender SET acceleration = 100 WHERE id = {}", tender)
    await ensure_accounts([escrow_code(tender, "public")], "CNY")
    await create_transfers(
        [
            TransferRequest(
                key="seeded:sandbox-from-fund",
                kind="single",
                amount=1_00,
                debit=community_fund_code(world.place_id),
                credit=escrow_code(tender, "public"),
                currency="CNY",
                reason="funding",
                tender_id=tender,
                source="public",
            )
        ],
        actor="test",
    )
    [problem] = await check_sandbox()
    assert "seeded:sandbox-from-fund" in problem and f"community:{world.place_id}:fund" in problem
