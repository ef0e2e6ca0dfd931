"""A sandbox (training) tender neither ties up nor moves real money, yet lives the same
ledger lifecycle as a real one: its budget is held from the department's sandbox
budget (topped up from the sandbox treasury), its tranches go to the organization's
sandbox payable account, what is left goes back to the sandbox budget and the donors;
no pledge matches its donations, no bank transfer funds it, none of its money reaches
the community fund. `market ledger check` and the donors' invariants prove it, and
each catches a transfer that mixes the two."""

from __future__ import annotations

import pytest

from bids import contracts, milestones
from donors import contributions, donations, settlement
from market.errors import DomainError, ValidationFailed
from market.ledger.accounts import get_account
from market.ledger.check import run_checks
from market.ledger.codes import SANDBOX_TREASURY, budget_code, payable_code
from market.ledger.rules import escrow_code
from market.ledger.services import ensure_accounts, transfer
from market.money import Money
from market.sql import execute
from market.tenders import services
from opendata import giving
from tests.bid_builders import add_approver, contracted, tender_with_bids
from tests.donation_builders import make_pledge, make_sponsor
from tests.tender_builders import make_department, make_tender, tender_form

FACTOR = "1440"  # a day in a minute


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


async def balance(code: str) -> tuple[int, int]:
    """(available, held by open pending transfers) of an account; (0, 0) if none."""
    rows = await execute("SELECT id FROM ledger_account WHERE code = {}", code)
    if not rows:
        return (0, 0)
    account = await get_account(code)
    return account.available.amount, account.debits_pending


async def test_a_sandbox_tender_moves_only_sandbox_money_through_its_whole_lifecycle(
    frozen_clock,
):
    pledge = await make_pledge()  # would match any donation, as it does a real tender's
    scenario = await tender_with_bids(frozen_clock, ("150000.00",), min_bids="1",
                                      acceleration=FACTOR)  # fmt: skip
    tender_id, department = scenario.tender_id, scenario.department.id
    real_budget = budget_code(department)
    sandbox_budget = budget_code(department, sandbox=True)
    untouched = await balance(real_budget)
    assert untouched == (10_000_000_00, 0)
    assert await balance(sandbox_budget) == (0, 200_000_00)  # topped up, then held

    donation = await donations.start_donation(
        tender_id=tender_id, amount=cny(500_00), provider="sandbox"
    )
    assert donation.status == "paid" and donation.match.amount == 0
    with pytest.raises(ValidationFailed) as refused:
        await donations.start_donation(
            tender_id=tender_id,
            amount=cny(100_00),
            provider="sandbox",
            on_failure="community_fund",
        )
    assert set(refused.value.errors) == {"on_failure"}
    user, company = await make_sponsor()
    sponsorship = {
        "kind": "sponsorship",
        "tender_id": tender_id,
        "organization_id": company,
        "organization_kind": "company",
        "user_id": user,
        "amount": cny(1_000_00),
    }
    with pytest.raises(ValidationFailed) as refused:
        await contributions.contribute(**sponsorship, provider="bank_transfer")
    assert set(refused.value.errors) == {"provider"}
    await contributions.contribute(**sponsorship, provider="sandbox")

    contract_id = await contracted(frozen_clock, scenario, parts=2)
    (first, _second) = await execute(
        "SELECT id, amount FROM bids_milestone WHERE contract = {} ORDER BY position",
        contract_id,
    )
    approver = await add_approver(scenario)
    await milestones.submit_evidence(
        user_id=scenario.bidders[0].user_id, milestone_id=int(first["id"]), note="Visits done"
    )
    await milestones.approve_milestone(user_id=approver, milestone_id=int(first["id"]))
    org = scenario.bidders[0].org_id
    assert (await balance(payable_code(org, sandbox=True)))[0] == int(first["amount"])
    assert await balance(payable_code(org)) == (0, 0)

    await contracts.terminate_contract(
        user_id=scenario.department.user_id, contract_id=contract_id, reason="Training ends"
    )
    await settlement.settle_all()
    left = await execute(
        "SELECT SUM(credits_posted - debits_posted) AS n FROM ledger_account WHERE code LIKE {}",
        f"tender:{tender_id}:escrow:%",
    )
    assert int(left[0]["n"]) == 0  # everything paid out or given back
    assert await balance(real_budget) == untouched  # never tied up, never moved
    assert (await balance(sandbox_budget))[1] == 0  # the remainder came back there
    assert (await balance(f"pledge:{pledge}"))[1] == 0  # never reserved for it
    assert not await execute(
        "SELECT t.key FROM ledger_transfer t JOIN ledger_account a"
        " ON a.id IN (t.debit_account, t.credit_account)"
        " WHERE t.tender_id = {} AND (a.code LIKE 'pledge:%' OR a.code = 'community_fund'"
        " OR a.code = 'external:bank' OR a.code = {})",
        tender_id,
        real_budget,
    )
    report = await run_checks()
    assert report.ok, report.problems
    grants = (await giving.grants_package())["grants"]  # never open data
    assert not [g for g in grants if g["relatedActivity"] == [f"ocds-pgm001-{tender_id}"]]


async def sandbox_problems() -> list[str]:
    return [p for p in (await run_checks()).problems if "sandbox" in p]


@pytest.mark.parametrize(
    "mixed",
    [
        "real budget for a sandbox tender",
        "sandbox budget for a real tender",
        "real payable for a sandbox tender",
        "pledge for a sandbox tender",
    ],
)
async def test_the_checks_catch_real_and_sandbox_money_mixed(frozen_clock, mixed):
    sandbox = await tender_with_bids(frozen_clock, ("150000.00",), min_bids="1",
                                     acceleration=FACTOR)  # fmt: skip
    real = await tender_with_bids(frozen_clock, ("150000.00",), min_bids="1")
    assert await sandbox_problems() == []
    department = sandbox.department.id
    debit, credit, tender_id = {
        "real budget for a sandbox tender": (
            budget_code(department),
            escrow_code(sandbox.tender_id, "government"),
            sandbox.tender_id,
        ),
        "sandbox budget for a real tender": (
            SANDBOX_TREASURY,
            budget_code(real.department.id, sandbox=True),
            real.tender_id,
        ),
        "real payable for a sandbox tender": (
            escrow_code(sandbox.tender_id, "public"),
            payable_code(sandbox.bidders[0].org_id),
            sandbox.tender_id,
        ),
        "pledge for a sandbox tender": (
            f"pledge:{await make_pledge()}",
            escrow_code(sandbox.tender_id, "corporate"),
            sandbox.tender_id,
        ),
    }[mixed]
    if mixed == "real payable for a sandbox tender":
        await donations.start_donation(
            tender_id=sandbox.tender_id, amount=cny(100_00), provider="sandbox"
        )
    await ensure_accounts([debit, credit], "CNY")
    await transfer(
        "seeded:mix",
        debit=debit,
        credit=credit,
        amount=cny(1_00),
        reason="seeded",
        tender_id=tender_id,
        source="government",
        actor="test",
    )
    (problem,) = await sandbox_problems()
    assert "'seeded:mix'" in problem and f"tender {tender_id}" in problem


async def test_a_bank_transfer_cannot_fund_a_sandbox_tender_as_own_income(frozen_clock):
    scenario = await tender_with_bids(frozen_clock, ("150000.00",), min_bids="1",
                                      acceleration=FACTOR)  # fmt: skip
    bidder = scenario.bidders[0]
    with pytest.raises(DomainError):
        await contributions.contribute(
            kind="own_income",
            tender_id=scenario.tender_id,
            organization_id=bidder.org_id,
            organization_kind="social_org",
            user_id=bidder.user_id,
            amount=cny(1_000_00),
            provider="bank_transfer",
        )


async def test_an_amended_sandbox_budget_is_topped_up_by_what_is_missing(frozen_clock):
    department = await make_department()
    form = tender_form(frozen_clock.at, acceleration=FACTOR)
    tender_id = await make_tender(department, status="published", acceleration=FACTOR)
    await services.amend_tender(
        user_id=department.user_id,
        tender_id=tender_id,
        form={**form, "budget": "250000.00"},
        note="Two more streets.",
    )
    sandbox_budget = budget_code(department.id, sandbox=True)
    assert await balance(sandbox_budget) == (0, 250_000_00)  # the new hold, nothing idle
    appropriated = await execute(
        "SELECT t.amount FROM ledger_transfer t JOIN ledger_account a ON a.id = t.credit_account"
        " WHERE a.code = {} AND t.reason = 'sandbox_appropriation' ORDER BY t.id",
        sandbox_budget,
    )
    assert [int(r["amount"]) for r in appropriated] == [200_000_00, 50_000_00]
    assert await balance(budget_code(department.id)) == (10_000_000_00, 0)
    assert (await run_checks()).ok
