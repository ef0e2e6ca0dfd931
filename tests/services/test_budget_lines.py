"""The district's budget in the ledger: an appropriation, lines allocated from it,
re-allocation between lines (market/budget/services.py)."""

from __future__ import annotations

import pytest

from market.budget import services as budget
from market.errors import Conflict, ValidationFailed
from market.ledger.check import run_checks
from market.ledger.codes import appropriation_code, budget_line_code
from market.ledger.services import get_account
from market.money import Money
from market.places.services import add_place
from market.sql import execute
from tests.builders import make_user


def cny(yuan: int) -> Money:
    return Money(yuan * 100, "CNY")


@pytest.fixture
async def district() -> dict[str, int]:
    user = await make_user()
    actor = f"user:{user}"
    d = await add_place(
        code="330109000000", name_zh="明湖区", name_en="Minghu", parent_id=None, actor=actor
    )
    s = await add_place(
        code="330109001000", name_zh="湖滨街道", name_en="Hubin", parent_id=d.id, actor=actor
    )
    c = await add_place(
        code="330109001001", name_zh="湖畔社区", name_en="Lakeside", parent_id=s.id, actor=actor
    )
    return {"user": user, "district": d.id, "street": s.id, "community": c.id}


async def test_allocation_and_reallocation_move_money_line_to_line(
    district: dict[str, int],
) -> None:
    user = district["user"]
    appropriation = await budget.record_appropriation(
        year=2026,
        district_id=district["district"],
        amount=cny(20_000_000),
        reference="明财预〔2026〕1号",
        user_id=user,
    )
    street_line = await budget.open_line(
        appropriation_id=appropriation,
        place_id=district["street"],
        category="elderly",
        user_id=user,
    )
    community_line = await budget.open_line(
        appropriation_id=appropriation,
        place_id=district["community"],
        category="elderly",
        user_id=user,
    )
    await budget.allocate(line_id=street_line, amount=cny(1_000_000), key="a1", user_id=user)
    await budget.reallocate(
        from_line=street_line,
        to_line=community_line,
        amount=cny(250_000),
        why="two new day centres",
        key="r1",
        user_id=user,
    )
    assert (await get_account(appropriation_code(2026, district["district"]))).posted == cny(
        19_000_000
    )
    assert (await get_account(budget_line_code(street_line))).posted == cny(750_000)
    assert (await get_account(budget_line_code(community_line))).posted == cny(250_000)
    actions = [r["action"] for r in await execute("SELECT action FROM audit_event ORDER BY id")]
    assert "budget.reallocate" in actions and "budget.line_open" in actions
    assert (await run_checks()).ok


async def test_a_line_cannot_be_overdrawn_nor_the_appropriation_overallocated(
    district: dict[str, int],
) -> None:
    user = district["user"]
    appropriation = await budget.record_appropriation(
        year=2026, district_id=district["district"], amount=cny(100), reference="", user_id=user
    )
    line = await budget.open_line(
        appropriation_id=appropriation,
        place_id=district["street"],
        category="elderly",
        user_id=user,
    )
    other = await budget.open_line(
        appropriation_id=appropriation, place_id=district["street"], category="youth", user_id=user
    )
    with pytest.raises(ValidationFailed):
        await budget.allocate(line_id=line, amount=cny(101), key="too-much", user_id=user)
    await budget.allocate(line_id=line, amount=cny(60), key="ok", user_id=user)
    with pytest.raises(ValidationFailed):
        await budget.reallocate(
            from_line=line, to_line=other, amount=cny(61), why="x", key="r", user_id=user
        )
    with pytest.raises(Conflict):
        await budget.open_line(
            appropriation_id=appropriation,
            place_id=district["street"],
            category="youth",
            user_id=user,
        )
    with pytest.raises(Conflict):
        await budget.record_appropriation(
            year=2026, district_id=district["district"], amount=cny(1), reference="", user_id=user
        )
    assert (await get_account(budget_line_code(line))).posted == cny(60)
