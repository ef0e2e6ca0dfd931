"""Helpers for the settlement tests: donations paid through the real services, and
what the ledger says each party put into and got back from a tender's escrow."""

from __future__ import annotations

import asyncio
import random

from bids import milestones
from donors import contributions, donations, settlement
from donors.donations import DonationStarted
from market import clock
from market.db import atomic
from market.ledger.accounts import get_account
from market.money import Money
from market.sql import execute
from market.tenders.readmodels import lock_tender_funding
from tests.donation_builders import make_sponsor
from tests.transparency_builders import PDF, funded_project


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


async def donate(
    tender: int, amount: int, on_failure: str = "refund", provider: str = "sandbox"
) -> donations.DonationStarted:
    return await donations.start_donation(
        tender_id=tender, amount=cny(amount), provider=provider, on_failure=on_failure
    )


async def available(code: str) -> int:
    return (await get_account(code)).available.amount


async def escrow_left(tender: int) -> dict[str, int]:
    rows = await execute(
        "SELECT code, credits_posted - debits_posted - debits_pending AS left FROM ledger_account"
        " WHERE code LIKE {}",
        f"tender:{tender}:escrow:%",
    )
    return {str(r["code"]).rsplit(":", 1)[1]: int(r["left"]) for r in rows}


async def moved(*, credit: str, reference: str) -> int:
    """Σ of the transfers into `credit` with this reference (a settlement's
    `tender:{id}:{reason}`)."""
    rows = await execute(
        "SELECT COALESCE(SUM(t.amount), 0) AS n FROM ledger_transfer t"
        " JOIN ledger_account c ON c.id = t.credit_account"
        " WHERE c.code = {} AND t.reference = {} AND t.kind = 'single'",
        credit,
        reference,
    )
    return int(rows[0]["n"])


async def pledge_counters(pledge: int) -> tuple[int, int]:
    """(the pledge's `matched` counter, what the ledger says it should be: posted
    matches + open reservations − matched money returned to the pledge)."""
    code = f"pledge:{pledge}"
    rows = await execute(
        "SELECT t.kind, t.reason, t.amount, d.code AS debit, c.code AS credit,"
        " EXISTS (SELECT 1 FROM ledger_transfer r WHERE r.pending = t.id) AS resolved"
        " FROM ledger_transfer t JOIN ledger_account d ON d.id = t.debit_account"
        " JOIN ledger_account c ON c.id = t.credit_account WHERE d.code = {} OR c.code = {}",
        code,
        code,
    )
    posted = sum(int(r["amount"]) for r in rows if r["kind"] == "post" and r["debit"] == code)
    pending = sum(
        int(r["amount"])
        for r in rows
        if r["kind"] == "pending" and r["debit"] == code and not r["resolved"]
    )
    returned = sum(
        int(r["amount"]) for r in rows if r["reason"] == "return" and r["credit"] == code
    )
    matched = (await execute("SELECT matched FROM donors_pledge WHERE id = {}", pledge))[0]
    return int(matched["matched"]), posted + pending - returned


async def refunds_of(payment: int) -> int:
    rows = await execute(
        "SELECT COALESCE(SUM(amount), 0) AS n FROM donors_refund WHERE payment = {}", payment
    )
    return int(rows[0]["n"])


async def completed_project(fc: clock.FrozenClock) -> int:
    """A funded project (`funded_project`) given more after its contract was signed
    than its tranches need, then completed by approving its last milestone: a surplus
    is left in the corporate and public escrow. Returns the tender id."""
    project = await funded_project(fc)
    tender = project.tender_id
    await donate(tender, 206_86)
    await donate(tender, 10_01, "community_fund")
    user, company = await make_sponsor()
    await contributions.contribute(
        kind="sponsorship", tender_id=tender, organization_id=company,
        organization_kind="company", user_id=user, amount=cny(100_01), provider="sandbox",
    )  # fmt: skip
    contract = (await execute("SELECT * FROM bids_contract WHERE id = {}", project.contract_id))[0]
    members = await execute(
        'SELECT "user" AS u FROM market_membership WHERE organization = {}',
        contract["organization"],
    )
    second = project.milestone_ids[1]
    await milestones.submit_evidence(
        user_id=int(members[0]["u"]), milestone_id=second, note="Final report",
        uploads=[milestones.Upload("report.pdf", PDF, "Report")],
    )  # fmt: skip
    first = project.milestone_ids[0]
    approver = await execute("SELECT decided_by FROM bids_milestone WHERE id = {}", first)
    await milestones.approve_milestone(user_id=int(approver[0]["decided_by"]), milestone_id=second)
    return tender


async def close_and_settle(tender: int, reason: str) -> bool:
    """The kernel closes the project (its status, under the gate), then the job settles."""
    await asyncio.sleep(random.random() / 200)
    async with atomic():
        await lock_tender_funding(tender, exclusive=True)
        await execute("UPDATE market_tender SET status = {} WHERE id = {}", reason, tender)
    return await settlement.settle_tender(tender, reason)


async def check_round(
    tender: int,
    reason: str,
    included: list[DonationStarted],
    late: list[DonationStarted],
    failed: list[DonationStarted],
    *,
    late_refund: str = "refund_queued",
) -> None:
    """After a settlement raced the confirmations: what was put in before it went back
    exactly (refund or community fund), late arrivals by themselves, failures got nothing,
    and the pledges got back exactly the matches posted. `late_refund`: a late arrival's
    status once its refund is asked for (a card refund is paid out at once: "refunded")."""
    assert set((await escrow_left(tender)).values()) == {0}
    fund = await moved(credit="community_fund", reference=f"tender:{tender}:{reason}")
    expected_fund = 0
    for started in included:  # put in before the settlement: all of it back, exactly
        row = (await execute("SELECT * FROM donors_donation WHERE id = {}", started.donation_id))[0]
        amount = int(row["amount"])
        if row["on_failure"] == "refund":
            assert await refunds_of(started.payment_id) == amount
            assert int(row["refund_amount"]) == amount
        else:
            assert await refunds_of(started.payment_id) == 0
            expected_fund += amount
        assert (row["status"] == "paid") == (reason == "completed")  # failure closes it
    assert fund == expected_fund
    for started in late:  # arrived after the closing: all of it back by itself, unmatched
        row = (await execute("SELECT * FROM donors_donation WHERE id = {}", started.donation_id))[0]
        assert row["match_status"] == "released", row
        if row["on_failure"] == "refund":
            assert row["status"] == late_refund, row
            assert await refunds_of(started.payment_id) == int(row["amount"])
        else:
            assert row["status"] == "community_fund", row
            assert await refunds_of(started.payment_id) == 0
    for started in failed:  # never paid: no share, its reservation released
        row = (await execute("SELECT * FROM donors_donation WHERE id = {}", started.donation_id))[0]
        assert row["status"] == "failed" and row["match_status"] == "released", row
        assert await refunds_of(started.payment_id) == 0
    posted_here = sum(
        int(r["match_amount"])
        for r in await execute(
            "SELECT match_amount FROM donors_donation WHERE tender = {}"
            " AND match_status = 'posted'",
            tender,
        )
    )
    pledges_back = sum(
        int(r["amount"])
        for r in await execute(
            "SELECT t.amount FROM ledger_transfer t JOIN ledger_account c"
            " ON c.id = t.credit_account WHERE c.code LIKE 'pledge:%' AND t.reference = {}",
            f"tender:{tender}:{reason}",
        )
    )
    assert pledges_back == posted_here
