"""Tenders against budget lines: the form's place and line, the hold at publication
from the line (never beyond what it has free), and every way money comes back — a
cancellation's or an unsuccessful tender's void, a terminated contract's and a
completed one's remainder — to the line, never to the department's budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bids import contracts, milestones
from donors import settlement
from market.budget.year_end import run_year_end
from market.errors import ValidationFailed
from market.ledger.check import run_checks
from market.ledger.codes import budget_code, budget_line_code
from market.ledger.services import get_account
from market.sql import execute
from market.tenders import lifecycle, services
from tests.bid_builders import add_approver, contracted, tender_with_bids
from tests.budget_builders import (
    appropriation,
    cny,
    department_without_budget,
    funded_line,
    line_tender,
    make_district,
    make_finance,
)
from tests.tender_builders import bids_app, make_department, tender_form

DAY = timedelta(days=1)


@pytest.fixture
async def world(frozen_clock):  # type: ignore[no-untyped-def]
    district = await make_district()
    finance = await make_finance(district)
    appropriation_id = await appropriation(finance, district, 1_000_000)
    street_line = await funded_line(finance, appropriation_id, district.streets[0], 300_000)
    department = await department_without_budget()
    return district, finance, appropriation_id, street_line, department


async def free(line: int) -> int:
    return (await get_account(budget_line_code(line))).available.amount // 100


async def department_budget(department_id: int) -> int:
    """What ever reached the department's own budget account (none: no account)."""
    rows = await execute(
        "SELECT credits_posted FROM ledger_account WHERE code = {}", budget_code(department_id)
    )
    return int(rows[0]["credits_posted"]) if rows else 0


async def tender_row(tender_id: int) -> dict[str, object]:
    rows = await execute(
        "SELECT status, area, area_level, place, budget_line FROM market_tender WHERE id = {}",
        tender_id,
    )
    return dict(rows[0])


async def test_publication_holds_the_budget_from_the_line_and_a_cancellation_gives_it_back(
    world,  # type: ignore[no-untyped-def]
) -> None:
    district, _, _, line, department = world
    community = district.communities[0]
    tender = await line_tender(department, community, line, 120_000)
    assert await tender_row(tender) == {
        "status": "draft",
        "area": "湖滨街道·湖畔社区",
        "area_level": "community",
        "place": community,
        "budget_line": line,
    }
    await services.publish_tender(user_id=department.user_id, tender_id=tender)
    assert await free(line) == 180_000
    hold = await execute(
        "SELECT d.code FROM ledger_transfer t JOIN ledger_account d ON d.id = t.debit_account"
        " WHERE t.tender_id = {} AND t.reason = 'budget_hold'",
        tender,
    )
    assert [r["code"] for r in hold] == [budget_line_code(line)]
    assert (await run_checks()).ok
    await services.cancel_tender(user_id=department.user_id, tender_id=tender, reason="Merged")
    assert await free(line) == 300_000
    assert await department_budget(department.id) == 0
    assert (await run_checks()).ok


async def test_a_hold_never_exceeds_what_the_line_has_free(world) -> None:  # type: ignore[no-untyped-def]
    district, _, _, line, department = world
    first = await line_tender(department, district.streets[0], line, 200_000)
    await services.publish_tender(user_id=department.user_id, tender_id=first)
    second = await line_tender(department, district.streets[0], line, 100_001)
    with pytest.raises(ValidationFailed) as refused:
        await services.publish_tender(user_id=department.user_id, tender_id=second)
    assert refused.value.errors == {
        "budget_line": "The budget line does not have %(amount)s free (it has %(free)s)."
    }
    assert refused.value.field_params == {
        "budget_line": {"amount": cny(100_001), "free": cny(100_000)}
    }
    assert (await tender_row(second))["status"] == "draft"
    assert await free(line) == 100_000
    assert (await run_checks()).ok


async def test_a_tender_takes_a_line_of_its_category_and_its_place_or_one_it_lies_in(
    world,  # type: ignore[no-untyped-def]
) -> None:
    district, finance, appropriation_id, street_line, department = world
    other_street = await funded_line(finance, appropriation_id, district.streets[1], 10_000)
    charity = await funded_line(finance, appropriation_id, district.streets[0], 10_000, "charity")
    district_line = await funded_line(finance, appropriation_id, district.id, 10_000)
    community = district.communities[0]  # in the first street
    for line in (street_line, district_line):
        assert await line_tender(department, community, line, 1_000)
    for line in (other_street, charity):
        with pytest.raises(ValidationFailed) as refused:
            await line_tender(department, community, line, 1_000)
        assert list(refused.value.errors) == ["budget_line"]
    with pytest.raises(ValidationFailed) as street_level:  # a street tender, a community line
        community_line = await funded_line(finance, appropriation_id, community, 1_000)
        await line_tender(department, district.streets[0], community_line, 1_000)
    assert list(street_level.value.errors) == ["budget_line"]


async def test_once_places_exist_a_tender_names_its_place(world) -> None:  # type: ignore[no-untyped-def]
    department = world[4]
    form = tender_form()  # the old typed area only
    with pytest.raises(ValidationFailed) as refused:
        await services.create_tender(
            user_id=department.user_id, department_id=department.id, form=form
        )
    assert refused.value.errors == {"place": "Choose the place the service covers."}


async def test_a_real_tender_is_published_only_against_a_line_once_the_year_has_lines(
    world,  # type: ignore[no-untyped-def]
) -> None:
    district, *_ = world
    department = await make_department()  # with its own budget: not enough any more
    tender = await line_tender(department, district.streets[0], None, 1_000)
    with pytest.raises(ValidationFailed) as refused:
        await services.publish_tender(user_id=department.user_id, tender_id=tender)
    assert list(refused.value.errors) == ["budget_line"]
    sandbox = await line_tender(department, district.streets[0], None, 1_000, acceleration="1440")
    await services.publish_tender(user_id=department.user_id, tender_id=sandbox)  # no line
    with pytest.raises(ValidationFailed) as sandbox_line:
        await line_tender(department, district.streets[0], world[3], 1_000, acceleration="1440")
    assert list(sandbox_line.value.errors) == ["budget_line"]


async def test_a_line_of_last_year_is_refused_at_publication(world, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    district, finance, _, line, department = world
    frozen_clock.set(datetime(2026, 12, 30, 9, 0, tzinfo=UTC))
    tender = await line_tender(department, district.streets[0], line, 1_000)
    next_year = await appropriation(finance, district, 1_000, year=2027)
    frozen_clock.set(datetime(2027, 1, 2, 9, 0, tzinfo=UTC))
    await funded_line(finance, next_year, district.streets[0], 1_000)
    with pytest.raises(ValidationFailed) as refused:
        await services.publish_tender(user_id=department.user_id, tender_id=tender)
    assert refused.value.field_params == {"budget_line": {"year": 2026, "current": 2027}}


async def test_an_unsuccessful_tender_gives_its_hold_back_to_the_line(world, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    district, _, _, line, department = world
    tender = await line_tender(department, district.streets[0], line, 50_000)
    await services.publish_tender(user_id=department.user_id, tender_id=tender)
    frozen_clock.advance(days=11)
    with bids_app(live_bids=0):
        await lifecycle.advance(tender)
    assert (await tender_row(tender))["status"] == "unsuccessful"
    assert await free(line) == 300_000
    assert (await run_checks()).ok


async def test_year_end_returns_the_free_balance_once_and_sweeps_what_comes_back_later(
    world,  # type: ignore[no-untyped-def]
    frozen_clock,
) -> None:
    district, _, appropriation_id, line, department = world
    frozen_clock.set(datetime(2026, 12, 28, 9, 0, tzinfo=UTC))  # open into the new year
    tender = await line_tender(department, district.streets[0], line, 100_000)
    await services.publish_tender(user_id=department.user_id, tender_id=tender)
    assert (await run_year_end()).counts() == {"appropriations": 0, "lines": 0, "returned": 0}
    frozen_clock.set(datetime(2026, 12, 31, 16, 0, tzinfo=UTC))  # 2027 begins in Beijing
    first = await run_year_end()
    assert first.counts() == {"appropriations": 1, "lines": 1, "returned": 200_000_00}
    assert await free(line) == 0  # the hold stays with its tender
    assert (await run_year_end()).counts() == {"appropriations": 0, "lines": 0, "returned": 0}
    await services.cancel_tender(user_id=department.user_id, tender_id=tender, reason="Dropped")
    assert await free(line) == 100_000  # back to its (closed) line …
    assert (await run_year_end()).counts() == {
        "appropriations": 0,
        "lines": 1,
        "returned": 100_000_00,
    }
    returns = await execute(
        "SELECT key, amount FROM ledger_transfer WHERE reason = 'year_end_return' ORDER BY id"
    )
    assert [(r["key"], r["amount"]) for r in returns] == [
        (f"budget:line:{line}:year_end", 200_000_00),
        (f"budget:line:{line}:year_end:2", 100_000_00),
    ]
    events = await execute(
        "SELECT object_id, change FROM audit_event WHERE action = 'budget.year_end'"
    )
    assert [e["object_id"] for e in events] == [str(appropriation_id)]
    assert (await get_account(budget_line_code(line))).available.amount == 0
    assert (await run_checks()).ok


async def test_tranches_then_a_termination_give_the_rest_back_to_the_line(
    world, frozen_clock
) -> None:  # type: ignore[no-untyped-def]
    district, _, _, line, department = world
    scenario = await tender_with_bids(
        frozen_clock,
        department=department,
        place=str(district.streets[0]),
        budget_line=str(line),
    )
    contract_id = await contracted(frozen_clock, scenario, parts=2)
    approver = await add_approver(scenario)
    first = (
        await execute(
            "SELECT id, amount FROM bids_milestone WHERE contract = {} ORDER BY position",
            contract_id,
        )
    )[0]
    org = (await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id))[0]
    winner = next(b for b in scenario.bidders if b.org_id == org["organization"])
    await milestones.submit_evidence(user_id=winner.user_id, milestone_id=first["id"], note="ok")
    await milestones.approve_milestone(user_id=approver, milestone_id=first["id"])
    await contracts.terminate_contract(
        user_id=scenario.department.user_id, contract_id=contract_id, reason="Stopped"
    )
    assert await free(line) == 300_000 - int(first["amount"]) // 100
    assert await department_budget(department.id) == 0
    assert (await run_checks()).ok


async def test_a_completed_tenders_surplus_goes_back_to_its_line(world, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    district, _, _, line, department = world
    scenario = await tender_with_bids(
        frozen_clock,
        department=department,
        place=str(district.streets[0]),
        budget_line=str(line),
    )
    contract_id = await contracted(frozen_clock, scenario, parts=1)
    price = int(
        (await execute("SELECT amount FROM bids_contract WHERE id = {}", contract_id))[0]["amount"]
    )
    approver = await add_approver(scenario)
    (milestone,) = await execute("SELECT id FROM bids_milestone WHERE contract = {}", contract_id)
    org = (await execute("SELECT organization FROM bids_contract WHERE id = {}", contract_id))[0]
    winner = next(b for b in scenario.bidders if b.org_id == org["organization"])
    await milestones.submit_evidence(
        user_id=winner.user_id, milestone_id=milestone["id"], note="ok"
    )
    await milestones.approve_milestone(user_id=approver, milestone_id=milestone["id"])
    await settlement.settle_all()
    assert (await tender_row(scenario.tender_id))["status"] == "completed"
    assert await free(line) * 100 == 300_000_00 - price
    assert (await run_checks()).ok
