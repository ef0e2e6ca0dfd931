"""A sandbox tender through the real services: its periods compressed at publication,
its standstill and milestones accelerated, refused in production, never open data."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bids import contracts, evaluation, milestones, opening, submission
from bids.rules import MilestonePlan
from donors import donations
from market.errors import DomainError, ValidationFailed
from market.money import Money
from market.settings import get_settings, reset_settings
from market.sql import execute
from market.tenders import services
from market.tenders.tick import tick
from market.timestamps import timestamp
from tests.bid_builders import Scenario, add_approver, appoint_and_score, make_bidder
from tests.tender_builders import make_department, tender_form

FACTOR = 86_400  # a day in a second


async def tender_row(tender_id: int) -> dict[str, object]:
    rows = await execute("SELECT * FROM market_tender WHERE id = {}", tender_id)
    return dict(rows[0])


async def test_production_settings_refuse_a_sandbox_draft():
    department = await make_department()
    reset_settings(replace(get_settings(), sandbox=False))
    try:
        with pytest.raises(ValidationFailed) as failure:
            await services.create_tender(
                user_id=department.user_id,
                department_id=department.id,
                form=tender_form(acceleration="1440"),
            )
    finally:
        reset_settings(None)
    assert "production" in failure.value.errors["acceleration"]
    assert not await execute("SELECT id FROM market_tender")


async def test_a_sandbox_tender_runs_its_lifecycle_in_seconds(frozen_clock):
    published = frozen_clock.at
    department = await make_department()
    tender_id = await services.create_tender(
        user_id=department.user_id,
        department_id=department.id,
        form=tender_form(acceleration=str(FACTOR), min_bids="1"),
    )
    assert (await tender_row(tender_id))["acceleration"] == FACTOR
    await services.publish_tender(user_id=department.user_id, tender_id=tender_id)
    row = await tender_row(tender_id)
    # the form's 5 / 10 days (+1 hour) became 5 / 10 seconds (+1/24 s) after publication
    assert timestamp(row["enquiry_end"]) == published + timedelta(seconds=5)
    assert timestamp(row["bid_deadline"]) == published + timedelta(seconds=10)
    assert timestamp(row["opening_at"]) - published < timedelta(seconds=10.05)
    # never open data: not in the reporting view, no OCDS release
    assert not await execute("SELECT id FROM market_v_tender WHERE id = {}", tender_id)
    assert not await execute("SELECT id FROM ocds_release WHERE tender_id = {}", tender_id)
    # not real money: a donation to it is taken by the sandbox provider only
    with pytest.raises(ValidationFailed) as refused:
        await donations.start_donation(
            tender_id=tender_id, amount=Money(500_00, "CNY"), provider="bank_transfer"
        )
    assert "sandbox" in refused.value.errors["provider"]
    started = await donations.start_donation(
        tender_id=tender_id, amount=Money(500_00, "CNY"), provider="sandbox"
    )
    assert started.status == "paid"

    bidder = await make_bidder()
    frozen_clock.advance(seconds=6)
    assert await tick() == {"tendering": 1}
    receipt = await submission.submit_bid(
        user_id=bidder.user_id,
        organization_id=bidder.org_id,
        tender_id=tender_id,
        price="150000.00",
        proposal="上门服务方案",
    )
    frozen_clock.advance(seconds=5)
    assert await tick() == {"evaluation": 1}
    await opening.open_bids(tender_id, actor="system:test")
    scenario = Scenario(department, tender_id, frozen_clock.at, [bidder], [receipt.ref])
    await appoint_and_score(scenario, marks=(80,))
    awarded_at = frozen_clock.at
    await evaluation.award_tender(user_id=department.user_id, tender_id=tender_id)
    award = await evaluation.active_award(tender_id)
    assert award is not None
    assert timestamp(award["standstill_ends"]) == awarded_at + timedelta(seconds=5)

    starts = frozen_clock.at.date()
    plan = [MilestonePlan("Visits", starts + timedelta(days=10), 15_000_000)]
    with pytest.raises(DomainError, match="standstill"):
        await contracts.create_contract(
            user_id=department.user_id, tender_id=tender_id, starts=starts, plan=plan
        )
    frozen_clock.advance(seconds=5)
    contract_id = await contracts.create_contract(
        user_id=department.user_id, tender_id=tender_id, starts=starts, plan=plan
    )
    for user_id, side in ((department.user_id, "department"), (bidder.user_id, "organization")):
        await contracts.sign_contract(user_id=user_id, contract_id=contract_id, side=side)
    (milestone,) = await execute("SELECT id FROM bids_milestone WHERE contract = {}", contract_id)
    approver = await add_approver(scenario)
    # ten days and a bit to the end of the due day: not late yet, late in 11 seconds
    with pytest.raises(DomainError, match="not met"):
        await milestones.mark_not_met(
            user_id=approver, milestone_id=int(milestone["id"]), reason="No visits"
        )
    frozen_clock.advance(seconds=11)
    await milestones.mark_not_met(
        user_id=approver, milestone_id=int(milestone["id"]), reason="No visits"
    )
    status = await execute("SELECT status FROM bids_milestone WHERE id = {}", milestone["id"])
    assert status[0]["status"] == "not_met"
    # its money moved in the ledger, but none of it reaches the reporting views
    moved = "SELECT COUNT(*) AS n FROM {} WHERE tender_id = {{}}"
    assert (await execute(moved.format("ledger_transfer"), tender_id))[0]["n"] > 0
    assert (await execute(moved.format("market_v_ledger_transfer"), tender_id))[0]["n"] == 0
