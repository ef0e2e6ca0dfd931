"""A sandbox tender from draft to a paid final tranche in the browser, in minutes.

A department drafts a tender through the form with an acceleration factor of 28,800 (a
day in three seconds), publishes it, a social organization submits a sealed bid, the
deadline passes, the department opens the bids, an appointed expert scores the one
bid, the department awards, the standstill passes, the contract is drawn up and signed
by both sides, the organization submits evidence for both milestones and a second
member of the department approves them (four eyes), releasing the final tranche. Every
step is a page and a click; the chronograph (`tenders.tick`, every 30 s in `market
worker`) is run from here between steps, as the worker would, without waiting for it.
The whole walk must take less than three minutes of wall time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from market import clock
from market.sql import execute
from market.tenders.tick import tick
from market.timestamps import timestamp
from tests.bid_builders import make_bidder
from tests.builders import make_member, make_user
from tests.conftest import ENGINE
from tests.e2e.journeys import fill_tender_form, sign_in
from tests.tender_builders import local, make_department, tender_form

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(ENGINE != "sqlite", reason="browser journeys run in the SQLite pass"),
]

FACTOR = "28800"  # a day in three seconds
WALL_LIMIT = 180.0


async def column(sql: str, *args: object) -> object:
    rows = await execute(sql, *args)
    return rows[0][next(iter(rows[0].keys()))] if rows else None


async def until(moment_sql: str, tender_id: int) -> None:
    """Sleep (real time) until the tender's accelerated moment has passed."""
    moment = timestamp(await column(moment_sql, tender_id))
    await asyncio.sleep(max(0.0, (moment - clock.now()).total_seconds()) + 0.3)


async def test_a_sandbox_tender_runs_from_draft_to_a_paid_final_tranche(server, browser):
    department = await make_department()
    bidder = await make_bidder()
    approver_email = "approver.sandbox@example.org"
    await make_member(await make_user(approver_email, display_name="Approver"), department.id)
    expert_email = "expert.sandbox@example.org"
    await make_user(expert_email, display_name="Expert")
    started = time.monotonic()

    staff = await sign_in(browser, server, department.email)
    await staff.goto(f"{server}/workspace/tenders/new")
    now = clock.now()
    form = tender_form(
        title_en="Sandbox training: home visits",
        min_bids="1",
        enquiry_end=local(now + timedelta(days=1)),
        bid_deadline=local(now + timedelta(days=3, minutes=5)),
        opening_at="",
        acceleration=FACTOR,
    )
    await fill_tender_form(staff, form)
    await staff.click("#tender-form button[type=submit]")
    await staff.wait_for_url(f"{server}/workspace/tenders/*")
    assert "Sandbox — training tender, not real money." in await staff.inner_text(".sandbox-banner")
    tender_id = int(staff.url.rstrip("/").rsplit("/", 1)[1])
    org = await sign_in(browser, server, bidder.email)  # ready before the clock runs
    await staff.click(".actions button:has-text('Publish')")
    await staff.wait_for_selector("text=Published. The budget is held for this tender.")

    # The bidder seals a bid while the (accelerated) tender is open.
    await org.goto(f"{server}/tenders/{tender_id}")
    assert await org.is_visible(".sandbox-banner")
    assert "Sandbox ×28800" in await org.inner_text(".badge.sandbox")
    await org.goto(f"{server}/tenders/{tender_id}/bid")
    await org.fill("input[name=price]", "150000.00")
    await org.fill("textarea[name=proposal]", "每周两次上门探访，培训用。")
    await org.click("#bid-form button[type=submit]")
    await org.wait_for_selector("text=Your bid is sealed. Keep the receipt.")

    # The department appoints an expert while bids are sealed.
    evaluation = f"{server}/workspace/tenders/{tender_id}/evaluation"
    await staff.goto(evaluation)
    await staff.fill("input[name=email]", expert_email)
    await staff.click("button:has-text('Appoint')")
    await staff.wait_for_selector("text=Expert")

    # The deadline passes in seconds; the chronograph moves the tender; bids are opened.
    await until("SELECT bid_deadline FROM market_tender WHERE id = {}", tender_id)
    assert (await tick()).get("evaluation") == 1
    await staff.goto(evaluation)
    await staff.click("button:has-text('Open the bids')")
    await staff.wait_for_selector("text=Bids opened and checked against their receipts.")

    expert = await sign_in(browser, server, expert_email)
    await expert.goto(f"{server}/panels/{tender_id}")
    await expert.click("button:has-text('Record my declaration')")
    await expert.wait_for_selector("button:has-text('Save scores')")
    for key in ("c1", "c2"):
        await expert.fill(f"input[name=mark_{key}]", "80")
        await expert.fill(f"textarea[name=comment_{key}]", "Clear plan for training")
    await expert.click("button:has-text('Save scores')")
    await expert.wait_for_selector("text=Scores saved")

    await staff.goto(evaluation)
    await staff.click("button:has-text('Award to the highest total')")
    await staff.wait_for_selector("text=Awarded. The standstill period has started.")

    # The five-day standstill passes in 15 seconds; the contract is drawn up and signed.
    await until("SELECT standstill_ends FROM bids_award WHERE tender = {}", tender_id)
    await staff.goto(evaluation)
    today = clock.now().date()
    await staff.fill("input[name=starts]", today.isoformat())
    for i, days in enumerate((30, 60)):
        await staff.fill(f"input[name=deliverable_{i}]", f"Visits, month {i + 1}")
        await staff.fill(f"input[name=due_{i}]", (today + timedelta(days=days)).isoformat())
        await staff.fill(f"input[name=amount_{i}]", "75000.00")
    await staff.click("button:has-text('Draw up contract')")
    await staff.click("a:has-text('Contract and milestones')")
    await staff.wait_for_url(f"{server}/contracts/*")
    contract_url = staff.url
    assert await staff.is_visible(".sandbox-banner")
    await staff.click("button:has-text('Sign for the department')")
    await staff.wait_for_selector("text=Your signature is recorded.")
    await org.goto(contract_url)
    await org.click("button:has-text('Sign for the organization')")
    await org.wait_for_selector("text=The contract is signed and active.")

    # Evidence for each milestone; a second member approves it (four eyes).
    approver = await sign_in(browser, server, approver_email)
    for n in (1, 2):
        await org.goto(contract_url)
        await org.fill("textarea[name=note] >> nth=0", f"Month {n}: 16 visits, logs attached")
        await org.click("button:has-text('Submit evidence') >> nth=0")
        await org.wait_for_selector("text=Evidence submitted for approval.")
        await approver.goto(contract_url)
        await approver.click("button:has-text('Approve and release the tranche')")
        await approver.wait_for_selector(f"text=Month {n}: 16 visits")
        await approver.wait_for_selector(
            f"#milestones article:nth-of-type({n}) .status-approved", timeout=10_000
        )

    elapsed = time.monotonic() - started
    assert await column("SELECT status FROM market_tender WHERE id = {}", tender_id) == "completed"
    paid = "SELECT SUM(t.amount) AS paid FROM ledger_transfer t JOIN ledger_account a"
    paid += " ON a.id = t.credit_account WHERE a.code = {}"
    # both tranches, the final one included, in sandbox money: the organization's
    # sandbox payable account, never its real one; the department's budget never moved
    assert int(await column(paid, f"org:{bidder.org_id}:sandbox_payable") or 0) == 15_000_000
    assert await column(paid, f"org:{bidder.org_id}:payable") is None
    moved = "SELECT COUNT(*) AS n FROM ledger_transfer t JOIN ledger_account a"
    moved += " ON a.id IN (t.debit_account, t.credit_account) WHERE a.code = {}"
    assert await column(moved, f"department:{department.id}:budget") == 1  # its appropriation
    assert elapsed < WALL_LIMIT, f"the sandbox lifecycle took {elapsed:.0f} s"
    print(f"sandbox lifecycle: {elapsed:.1f} s of wall time")
