"""Escrow flows: funding by source, pro-rata release, budget hold, return-all, read models."""

from __future__ import annotations

import pytest

from market.ledger import escrow, rules
from market.ledger.check import run_checks
from market.ledger.readmodels import account_statement, tender_funding
from market.ledger.services import ensure_accounts, get_account, transfer
from market.money import Money
from market.sql import execute

ACTOR = "user:1"


def cny(fen: int) -> Money:
    return Money(fen, "CNY")


@pytest.fixture
async def tender() -> int:
    """Tender 7: budget 10,000 held from department 3; donations and sponsorships."""
    await ensure_accounts(["external:treasury", "department:3:budget"], "CNY")
    await transfer(
        "budget",
        debit="external:treasury",
        credit="department:3:budget",
        amount=cny(50_000),
        reason="budget",
    )
    await escrow.hold(
        "t7:budget",
        debit="department:3:budget",
        credit=rules.escrow_code(7, "government"),
        amount=cny(10_000),
        reason="budget_hold",
        tender_id=7,
        source="government",
        actor=ACTOR,
    )
    await escrow.fund(
        "don:1",
        tender_id=7,
        source="public",
        from_code="external:stripe",
        amount=cny(3_001),
        reason="donation",
        actor=ACTOR,
    )
    await escrow.fund(
        "spon:1",
        tender_id=7,
        source="corporate",
        from_code="external:bank",
        amount=cny(1_999),
        reason="sponsorship",
        actor=ACTOR,
    )
    return 7


async def test_budget_hold_posts_at_signing_with_the_remainder_returned(tender: int) -> None:
    await escrow.post("t7:sign", pending_key="t7:budget", amount=cny(8_000), actor=ACTOR)
    funding = await tender_funding(tender)
    gov = funding.sources["government"]
    assert gov.received == cny(8_000) and gov.pending_in == cny(0)
    budget = await get_account("department:3:budget")
    assert budget.available == cny(42_000)


async def test_release_splits_pro_rata_and_adds_up_exactly(tender: int) -> None:
    await escrow.post("t7:sign", pending_key="t7:budget", actor=ACTOR)
    results = await escrow.release(
        "t7:m1", tender_id=tender, org_id=9, amount=cny(7_001), actor=ACTOR
    )
    parts = {r.transfer.source: r.transfer.amount for r in results}
    assert sum(parts.values()) == 7_001
    # available 10,000 / 1,999 / 3,001 of 15,000 → 4,667.33 / 932.69 / 1,400.6
    assert parts == {"government": 4_667, "corporate": 933, "public": 1_401}
    assert (await get_account("org:9:payable")).posted == cny(7_001)
    funding = await tender_funding(tender)
    assert funding.total("released") == cny(7_001)
    assert funding.total("held") == cny(15_000 - 7_001)
    assert (await run_checks()).ok


async def test_release_is_idempotent_as_a_whole(tender: int) -> None:
    await escrow.post("t7:sign", pending_key="t7:budget", actor=ACTOR)
    first = await escrow.release("r", tender_id=tender, org_id=9, amount=cny(500), actor=ACTOR)
    await escrow.fund(
        "don:2",
        tender_id=7,
        source="public",
        from_code="external:stripe",
        amount=cny(9_999),
        reason="donation",
        actor=ACTOR,
    )
    again = await escrow.release("r", tender_id=tender, org_id=9, amount=cny(500), actor=ACTOR)
    assert [r.id for r in again] == [r.id for r in first]
    with pytest.raises(rules.IdempotencyConflict):
        await escrow.release("r", tender_id=tender, org_id=9, amount=cny(501), actor=ACTOR)


async def test_release_more_than_escrow_holds_is_refused(tender: int) -> None:
    before = await execute("SELECT COUNT(*) AS n FROM ledger_transfer")
    with pytest.raises(rules.ExceedsCredits):
        await escrow.release("r", tender_id=tender, org_id=9, amount=cny(5_001), actor=ACTOR)
    assert await execute("SELECT COUNT(*) AS n FROM ledger_transfer") == before


async def test_return_all_voids_holds_and_returns_every_source(tender: int) -> None:
    await escrow.release("r", tender_id=tender, org_id=9, amount=cny(1_000), actor=ACTOR)
    result = await escrow.return_all(
        "t7:cancel",
        tender_id=tender,
        destinations={
            "corporate": "external:bank",
            "public": [("donor:1:refund", 2), ("community_fund", 1)],
        },
        actor=ACTOR,
    )
    assert [r.transfer.pending_key for r in result.voided] == ["t7:budget"]
    funding = await tender_funding(tender)
    assert funding.total("held") == cny(0)
    assert funding.total("pending_in") == cny(0)
    assert funding.total("released") == cny(1_000)
    assert funding.total("refunded") == cny(4_000)
    refund, fund = await get_account("donor:1:refund"), await get_account("community_fund")
    assert refund.posted.amount + fund.posted.amount == funding.sources["public"].refunded.amount
    assert (await get_account("department:3:budget")).available == cny(50_000)
    again = await escrow.return_all(
        "t7:cancel",
        tender_id=tender,
        destinations={
            "corporate": "external:bank",
            "public": [("donor:1:refund", 2), ("community_fund", 1)],
        },
        actor=ACTOR,
    )
    assert [r.id for r in again.returned] == [r.id for r in result.returned]
    report = await run_checks()
    assert report.ok, report.summary()


async def test_return_all_needs_a_destination_for_every_source_with_money(tender: int) -> None:
    with pytest.raises(rules.InvalidTransfer, match="public"):
        await escrow.return_all(
            "c", tender_id=tender, destinations={"corporate": "external:bank"}, actor=ACTOR
        )


async def test_statement_pages_backwards_without_gaps(tender: int) -> None:
    for i in range(7):
        await escrow.fund(
            f"d{i}",
            tender_id=7,
            source="public",
            from_code="external:stripe",
            amount=cny(100 + i),
            reason="donation",
            actor=ACTOR,
        )
    seen: list[str] = []
    cursor = None
    while True:
        page = await account_statement("tender:7:escrow:public", limit=3, before=cursor)
        seen += [line.key for line in page.lines]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [f"d{i}" for i in reversed(range(7))] + ["don:1"]
    line = (await account_statement("tender:7:escrow:public", limit=1)).lines[0]
    assert line.direction == "credit" and line.counterparty == "external:stripe"


async def test_escrow_operations_are_audited(tender: int) -> None:
    actions = [r["action"] for r in await execute("SELECT action FROM audit_event ORDER BY seq")]
    assert actions[-3:] == ["escrow.hold", "escrow.fund", "escrow.fund"]


async def test_ledger_check_names_a_tampered_balance(tender: int) -> None:
    assert (await run_checks()).ok
    await execute(
        "UPDATE ledger_account SET credits_posted = credits_posted + 1"
        " WHERE code = 'tender:7:escrow:public'"
    )
    report = await run_checks()
    assert not report.ok
    assert "tender:7:escrow:public" in report.summary()
