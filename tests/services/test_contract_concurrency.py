"""PostgreSQL, real separate connections: two (and then twenty) approvals of the same
milestone at once release the tranche exactly once."""

from __future__ import annotations

import asyncio

import pytest

from bids import milestones
from market.errors import DomainError
from market.ledger.check import run_checks
from market.ledger.readmodels import tender_funding
from market.sql import execute
from tests.bid_builders import add_approver, contracted, tender_with_bids
from tests.builders import chained_and_verified

pytestmark = pytest.mark.postgres_only


async def _submitted_milestones(scenario, contract_id: int) -> list[dict]:
    rows = await execute(
        "SELECT id, amount FROM bids_milestone WHERE contract = {} ORDER BY position",
        contract_id,
    )
    org = (await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id))[0]
    winner = next(b for b in scenario.bidders if b.org_id == org["organization"])
    for row in rows:
        await milestones.submit_evidence(
            user_id=winner.user_id, milestone_id=row["id"], note="Delivered"
        )
    return [dict(r) for r in rows]


async def test_concurrent_approvals_release_money_once(fresh_db, frozen_clock) -> None:
    scenario = await tender_with_bids(frozen_clock)
    contract_id = await contracted(frozen_clock, scenario, parts=2)
    approver = await add_approver(scenario)
    second = await add_approver(scenario)
    first, last = await _submitted_milestones(scenario, contract_id)

    async def approve(user_id: int, milestone_id: int) -> str:
        try:
            await milestones.approve_milestone(user_id=user_id, milestone_id=milestone_id)
        except DomainError as exc:
            return type(exc).__name__
        return "ok"

    two = await asyncio.gather(approve(approver, first["id"]), approve(second, first["id"]))
    assert sorted(two) == ["Conflict", "ok"]
    burst = await asyncio.gather(
        *(approve(approver if i % 2 else second, last["id"]) for i in range(20))
    )
    assert burst.count("ok") == 1 and burst.count("Conflict") == 19
    releases = await execute(
        "SELECT reference, SUM(amount) AS total FROM ledger_transfer WHERE reason = 'release'"
        " AND tender_id = {} GROUP BY reference",
        scenario.tender_id,
    )
    assert {r["reference"]: int(r["total"]) for r in releases} == {
        f"milestone:{first['id']}": first["amount"],
        f"milestone:{last['id']}": last["amount"],
    }
    funding = await tender_funding(scenario.tender_id)
    assert funding.total("released").amount == first["amount"] + last["amount"]
    assert (await run_checks()).ok
    assert (await chained_and_verified()).ok
    status = await execute("SELECT status FROM bids_contract WHERE id = {}", contract_id)
    assert status[0]["status"] == "completed"
