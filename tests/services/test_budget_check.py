"""`market ledger check` holds the budget's invariants (market/budget/invariants.py):
each test seeds one violation straight into the rows and sees the check name it."""

from __future__ import annotations

import pytest

from market.ledger import escrow
from market.ledger.check import run_checks
from market.ledger.codes import appropriation_code, budget_code, budget_line_code
from market.ledger.rules import escrow_code
from market.ledger.services import ensure_accounts, transfer
from market.money import Money
from market.sql import execute
from market.tenders import services
from tests.budget_builders import (
    appropriation,
    department_without_budget,
    funded_line,
    line_tender,
    make_district,
    make_finance,
)


@pytest.fixture
async def budget(frozen_clock):  # type: ignore[no-untyped-def]
    """An appropriation of ¥1,000,000 with two lines, one holding a published tender."""
    district = await make_district()
    finance = await make_finance(district)
    appropriation_id = await appropriation(finance, district, 1_000_000)
    line = await funded_line(finance, appropriation_id, district.streets[0], 300_000)
    other = await funded_line(finance, appropriation_id, district.streets[1], 100_000)
    department = await department_without_budget()
    tender = await line_tender(department, district.streets[0], line, 50_000)
    await services.publish_tender(user_id=department.user_id, tender_id=tender)
    report = await run_checks()
    assert report.ok, report.summary()
    return {
        "district": district.id,
        "appropriation": appropriation_id,
        "line": line,
        "other": other,
        "tender": tender,
        "department": department.id,
    }


async def problems() -> list[str]:
    report = await run_checks()
    assert not report.ok
    return report.problems


async def test_an_appropriation_smaller_than_its_allocations_is_caught(budget) -> None:  # type: ignore[no-untyped-def]
    await execute(
        "UPDATE market_budget_appropriation SET amount = 30000000 WHERE id = {}",
        budget["appropriation"],
    )
    found = await problems()
    assert any("allocations 40000000 exceed the appropriation 30000000" in p for p in found)
    assert any("the treasury paid in 100000000" in p for p in found)


async def test_money_allocated_from_nowhere_breaks_amount_equals_allocated_plus_unallocated(
    budget,  # type: ignore[no-untyped-def]
) -> None:
    # an "allocation" into a line straight from the treasury, not from the appropriation
    await transfer(
        "forged-allocation",
        debit="external:treasury",
        credit=budget_line_code(budget["line"]),
        amount=Money(5_000_00, "CNY"),
        reason="allocation",
    )
    found = await problems()
    assert any(
        p.startswith("budget: appropriation 2026") and "≠ allocated 40500000 + unallocated" in p
        for p in found
    )


async def test_an_escrow_returning_to_the_department_instead_of_the_line_is_caught(
    budget,  # type: ignore[no-untyped-def]
) -> None:
    held = escrow_code(budget["tender"], "government")
    hold = await execute(
        "SELECT budget_hold_key FROM market_tender WHERE id = {}", budget["tender"]
    )
    key = hold[0]["budget_hold_key"]
    await escrow.post(f"{key}:post", pending_key=key, actor="test")  # as at a signing
    await ensure_accounts([budget_code(budget["department"])], "CNY")
    await transfer(
        "misrouted-return",
        debit=held,
        credit=budget_code(budget["department"]),
        amount=Money(5_000_000, "CNY"),
        reason="return",
        tender_id=budget["tender"],
        source="government",
    )
    found = await problems()
    assert any(
        f"budget line {budget['line']}: allocated 30000000 ≠ held 0 + released 0" in p
        for p in found
    )


async def test_a_line_gone_negative_is_caught(budget) -> None:  # type: ignore[no-untyped-def]
    line = budget_line_code(budget["line"])
    await execute("UPDATE ledger_account SET flags = 0 WHERE code = {}", line)
    await transfer(
        "overdraw",
        debit=line,
        credit=budget_line_code(budget["other"]),
        amount=Money(300_000_00, "CNY"),
        reason="reallocation",
    )
    found = await problems()
    assert any(
        f"budget line {budget['line']}: free balance -5000000 is negative" in p for p in found
    )
    assert any(f"account {line!r} may go negative" in p for p in found)


async def test_an_appropriation_gone_negative_is_caught(budget) -> None:  # type: ignore[no-untyped-def]
    code = appropriation_code(2026, budget["district"])
    await execute("UPDATE ledger_account SET flags = 0 WHERE code = {}", code)
    await transfer(
        "overallocate",
        debit=code,
        credit=budget_line_code(budget["other"]),
        amount=Money(700_000_00, "CNY"),
        reason="allocation",
    )
    found = await problems()
    assert any("balance -10000000 is negative" in p for p in found)
    assert any("allocations 110000000 exceed the appropriation 100000000" in p for p in found)


async def test_a_budget_hold_from_another_account_than_the_tenders_line_is_caught(
    budget,  # type: ignore[no-untyped-def]
) -> None:
    await execute(
        "UPDATE market_tender SET budget_line = {} WHERE id = {}", budget["other"], budget["tender"]
    )
    found = await problems()
    assert any(
        f"tender {budget['tender']}: budget hold" in p
        and f"debits {budget_line_code(budget['line'])}, not its line" in p
        for p in found
    )
