"""Surplus at completion: what is left in a completed project's escrow goes back per
source by the donors' chosen policy — one row per (source, policy) with the ledger
movement expected — and a real project completed through its milestones is settled
by the job and shown on its page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from donors import contributions, settlement
from market import clock
from market.ledger import escrow
from market.ledger.check import run_checks
from market.ledger.codes import COMMUNITY_FUND, budget_code, pledge_code, refund_code
from market.sql import execute
from market.tenders.lifecycle import appropriate_budget
from opendata import transparency
from tests.builders import make_operator, make_org, make_user
from tests.donation_builders import make_pledge, make_sponsor, make_tender
from tests.settlement_builders import (
    cny,
    completed_project,
    donate,
    escrow_left,
    moved,
    pledge_counters,
    refunds_of,
)


@dataclass
class Case:
    tender: int
    where: dict[str, str]  # source → the account its surplus must reach
    pledge: int | None = None
    payment: int | None = None  # a refunded donation's payment
    extra: dict[str, str] = field(default_factory=dict)


async def _public(on_failure: str) -> Case:
    tender = await make_tender(status="contracted")
    d = await donate(tender, 1_000_01, on_failure)
    dest = refund_code(d.donation_id) if on_failure == "refund" else COMMUNITY_FUND
    return Case(tender, {"public": dest}, payment=d.payment_id)


async def _match(expired: bool) -> Case:
    tender = await make_tender(status="contracted")
    until = clock.now() + timedelta(days=1)
    pledge = await make_pledge(per_donation_cap=300_00, valid_until=until)
    d = await donate(tender, 700_00)
    dest = "external:sandbox" if expired else pledge_code(pledge)
    return Case(tender, {"corporate": dest, "public": refund_code(d.donation_id)}, pledge=pledge)


async def _contribution(kind: str, org_kind: str, source: str) -> Case:
    tender = await make_tender(status="contracted")
    user, org = await make_sponsor(org_kind)
    await contributions.contribute(
        kind=kind, tender_id=tender, organization_id=org, organization_kind=org_kind,
        user_id=user, amount=cny(2_000_03), provider="sandbox",
    )  # fmt: skip
    return Case(tender, {source: "external:sandbox"})


async def _government() -> Case:
    department = await make_org(kind="department", admin=await make_user())
    tender = await make_tender(status="contracted", department=department)
    await appropriate_budget(department, cny(5_000_00), key=f"b{tender}", actor="system:test")
    await escrow.fund(
        f"g{tender}", tender_id=tender, source="government", from_code=budget_code(department),
        amount=cny(3_000_01), actor="system:test",
    )  # fmt: skip
    return Case(tender, {"government": budget_code(department)})


CASES: dict[str, Callable[[], Awaitable[Case]]] = {
    "public, refund": lambda: _public("refund"),
    "public, community fund": lambda: _public("community_fund"),
    "match, pledge active → pledge": lambda: _match(expired=False),
    "match, pledge expired → sponsor": lambda: _match(expired=True),
    "corporate sponsorship → sponsor": lambda: _contribution("sponsorship", "company", "corporate"),
    "foundation sponsorship → sponsor": lambda: _contribution(
        "sponsorship", "foundation", "foundation"
    ),
    "own income → organization": lambda: _contribution("own_income", "social_org", "own"),
    "government → department budget": _government,
}


@pytest.mark.parametrize("case", list(CASES))
async def test_surplus_goes_back_per_source_and_policy(case: str, frozen_clock) -> None:
    await make_operator()
    c = await CASES[case]()
    org = await make_org()
    total = sum((await escrow_left(c.tender)).values())
    await escrow.release(
        "m", tender_id=c.tender, org_id=org, amount=cny(total // 3 + 1), actor="system:test"
    )
    left = {s: n for s, n in (await escrow_left(c.tender)).items() if n}
    assert set(left) == set(c.where)
    if "expired" in case:
        frozen_clock.advance(days=2)
    await execute("UPDATE market_tender SET status = 'completed' WHERE id = {}", c.tender)

    assert (await settlement.settle_all())[0] == 1
    reference = f"tender:{c.tender}:completed"
    for source, dest in c.where.items():
        if dest == "external:sandbox" and c.pledge is not None:  # via the pledge, onward
            assert await moved(credit=pledge_code(c.pledge), reference=reference) == left[source]
            assert await moved(credit=dest, reference=f"pledge:{c.pledge}") == left[source]
        else:
            assert await moved(credit=dest, reference=reference) == left[source], source
    assert set((await escrow_left(c.tender)).values()) == {0}
    if c.pledge is not None:
        matched, expected = await pledge_counters(c.pledge)
        assert matched == expected == 300_00 - left["corporate"]
    if c.payment is not None and "refund" in case:
        assert await refunds_of(c.payment) == left["public"]
        row = await execute("SELECT * FROM donors_refund WHERE payment = {}", c.payment)
        assert (row[0]["reason"], row[0]["status"]) == ("surplus", "paid")
    for d in await execute("SELECT * FROM donors_donation WHERE tender = {}", c.tender):
        assert d["status"] == "paid"  # a surplus leaves the donation paid (it was spent)
        assert int(d["refund_amount"]) <= int(d["amount"])
    assert await settlement.settle_all() == (0, 0)
    assert (await run_checks()).ok


async def test_a_project_completed_through_its_milestones_settles_its_surplus(
    frozen_clock,
) -> None:
    tender = await completed_project(frozen_clock)
    left = await escrow_left(tender)
    assert left["government"] == 0
    # The releases took the late money pro-rata with the government's (whose share
    # went back to the budget at completion): the rest is the donors' surplus.
    assert left["public"] > 0 and left["corporate"] > 0
    assert tender in await settlement.completed_tenders()

    assert (await settlement.settle_all())[0] == 1
    assert set((await escrow_left(tender)).values()) == {0}
    row = await settlement.settlement_of(tender)
    assert row is not None and row["reason"] == "completed"
    page = await transparency.project(tender, None)
    assert page.surplus is not None
    figures = page.surplus
    assert figures.sponsors.amount + figures.donors.amount + figures.community_fund.amount == sum(
        left.values()
    )
    assert await settlement.completed_tenders() == []
    assert (await run_checks()).ok


async def test_no_donor_gets_back_more_than_they_gave_and_the_shares_add_up() -> None:
    """Many donors, odd amounts, most of the money spent: every share ≤ what was given,
    the shares add up to what was left."""
    await make_operator()
    tender = await make_tender(status="contracted")
    amounts = [1_01, 33_33, 999_99, 10_07, 12_345_67, 5_00]
    started = [await donate(tender, a, "refund") for a in amounts]
    await escrow.release(
        "m", tender_id=tender, org_id=await make_org(), amount=cny(sum(amounts) - 1_000_03),
        actor="system:test",
    )  # fmt: skip
    await execute("UPDATE market_tender SET status = 'completed' WHERE id = {}", tender)
    await settlement.settle_all()
    shares = [await refunds_of(s.payment_id) for s in started]
    assert sum(shares) == 1_000_03
    assert all(share <= amount for share, amount in zip(shares, amounts, strict=True))
    assert (await run_checks()).ok
