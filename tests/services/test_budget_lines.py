"""The district's budget in the ledger: an appropriation, lines allocated from it,
re-allocation between lines (market/budget/services.py), who may do it, and which
years take changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from market import clock
from market.budget import services as budget
from market.errors import PermissionDenied, ValidationFailed
from market.ledger.check import run_checks
from market.ledger.codes import appropriation_code, budget_line_code
from market.ledger.services import get_account
from market.sql import execute
from tests.budget_builders import (
    appropriation,
    cny,
    funded_line,
    make_district,
    make_finance,
)
from tests.builders import make_org, make_user


@pytest.fixture
async def world(frozen_clock):  # type: ignore[no-untyped-def]
    district = await make_district()
    finance = await make_finance(district)
    return district, finance


async def test_allocation_and_reallocation_move_money_line_to_line(world) -> None:  # type: ignore[no-untyped-def]
    district, finance = world
    user = finance.user_id
    appropriation_id = await appropriation(finance, district, 20_000_000)
    street_line = await funded_line(finance, appropriation_id, district.streets[0], 1_000_000)
    community_line = await funded_line(finance, appropriation_id, district.communities[0], 0)
    await budget.reallocate(
        from_line=street_line,
        to_line=community_line,
        amount=cny(250_000),
        why="two new day centres",
        key="r1",
        user_id=user,
    )
    assert (await get_account(appropriation_code(2026, district.id))).posted == cny(19_000_000)
    assert (await get_account(budget_line_code(street_line))).posted == cny(750_000)
    assert (await get_account(budget_line_code(community_line))).posted == cny(250_000)
    events = await execute(
        "SELECT action, change FROM audit_event WHERE action LIKE 'budget.%' ORDER BY id"
    )
    assert [e["action"] for e in events] == [
        "budget.line_open",
        "budget.line_open",
        "budget.reallocate",
    ]
    why = json.loads(events[-1]["change"])
    assert why == {
        "to_line": community_line,
        "amount": 250_000_00,
        "currency": "CNY",
        "why": "two new day centres",
    }
    assert (await run_checks()).ok


async def test_allocations_never_exceed_the_appropriation_nor_a_reallocation_the_line(
    world,
) -> None:  # type: ignore[no-untyped-def]
    district, finance = world
    user = finance.user_id
    appropriation_id = await appropriation(finance, district, 100)
    line = await funded_line(finance, appropriation_id, district.streets[0], 0)
    other = await funded_line(finance, appropriation_id, district.streets[0], 0, "charity")
    with pytest.raises(ValidationFailed) as too_much:
        await budget.allocate(line_id=line, amount=cny(101), key="too-much", user_id=user)
    assert too_much.value.errors == {"amount": "Only %(left)s of the appropriation is unallocated."}
    assert too_much.value.field_params == {"amount": {"left": cny(100)}}
    await budget.allocate(line_id=line, amount=cny(60), key="ok", user_id=user)
    await budget.allocate(line_id=other, amount=cny(40), key="ok2", user_id=user)
    with pytest.raises(ValidationFailed):
        await budget.allocate(line_id=other, amount=cny(1), key="none-left", user_id=user)
    with pytest.raises(ValidationFailed) as overdrawn:
        await budget.reallocate(
            from_line=line, to_line=other, amount=cny(61), why="x", key="r", user_id=user
        )
    assert overdrawn.value.field_params == {"amount": {"free": cny(60)}}
    with pytest.raises(ValidationFailed):  # a second line for the same place and category
        await budget.open_line(
            appropriation_id=appropriation_id,
            place_id=district.streets[0],
            category="charity",
            user_id=user,
        )
    with pytest.raises(ValidationFailed):  # one appropriation per district and year
        await appropriation(finance, district, 1)
    assert (await get_account(budget_line_code(line))).posted == cny(60)
    assert (await get_account(appropriation_code(2026, district.id))).posted == cny(0)
    assert (await run_checks()).ok


async def test_a_double_submitted_allocation_moves_the_money_once(world) -> None:  # type: ignore[no-untyped-def]
    district, finance = world
    appropriation_id = await appropriation(finance, district, 1_000)
    line = await funded_line(finance, appropriation_id, district.streets[0], 0)
    for _ in range(2):
        await budget.allocate(line_id=line, amount=cny(300), key="form-1", user_id=finance.user_id)
    assert (await get_account(budget_line_code(line))).posted == cny(300)


async def test_only_the_district_finance_bureau_keeps_its_budget(world) -> None:  # type: ignore[no-untyped-def]
    district, finance = world
    appropriation_id = await appropriation(finance, district, 1_000)
    line = await funded_line(finance, appropriation_id, district.streets[0], 500)
    other = await funded_line(finance, appropriation_id, district.streets[1], 0)
    outsider = await make_user("not-finance@example.org")
    await make_org(kind="department", name_zh="民政局", category="", admin=outsider)
    elsewhere = await make_district("330110000000")
    other_bureau = await make_finance(elsewhere)
    for user in (outsider, other_bureau.user_id):
        attempts = (
            budget.record_appropriation(
                year=2027, district_id=district.id, amount=cny(1), reference="", user_id=user
            ),
            budget.open_line(
                appropriation_id=appropriation_id,
                place_id=district.communities[0],
                category="charity",
                user_id=user,
            ),
            budget.allocate(line_id=line, amount=cny(1), key=f"a{user}", user_id=user),
            budget.reallocate(
                from_line=line, to_line=other, amount=cny(1), why="x", key=f"r{user}", user_id=user
            ),
        )
        for attempt in attempts:
            with pytest.raises(PermissionDenied):
                await attempt
    assert (await get_account(budget_line_code(line))).posted == cny(500)


async def test_the_appropriation_year_is_this_year_or_the_next(world) -> None:  # type: ignore[no-untyped-def]
    district, finance = world
    for year in (2025, 2028):
        with pytest.raises(ValidationFailed) as refused:
            await appropriation(finance, district, 1, year=year)
        assert refused.value.field_params == {"year": {"current": 2026, "next": 2027}}
    assert await appropriation(finance, district, 1, year=2027)


async def test_a_closed_year_takes_no_line_allocation_or_reallocation(world, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    district, finance = world
    appropriation_id = await appropriation(finance, district, 1_000)
    line = await funded_line(finance, appropriation_id, district.streets[0], 300)
    other = await funded_line(finance, appropriation_id, district.streets[1], 0)
    frozen_clock.set(datetime(2026, 12, 31, 16, 0, tzinfo=UTC))  # 2027-01-01 00:00 Beijing
    user = finance.user_id
    for attempt in (
        budget.open_line(
            appropriation_id=appropriation_id,
            place_id=district.communities[0],
            category="charity",
            user_id=user,
        ),
        budget.allocate(line_id=line, amount=cny(1), key="late", user_id=user),
        budget.reallocate(
            from_line=line, to_line=other, amount=cny(1), why="x", key="late-r", user_id=user
        ),
    ):
        with pytest.raises(ValidationFailed) as closed:
            await attempt
        assert list(closed.value.field_params.values()) == [{"year": 2026}]
    assert clock.now().year == 2026  # UTC still 2026: the budget year is Beijing's
