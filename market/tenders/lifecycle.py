"""Status transitions after publication, and the government budget in the ledger.

The chronograph (`market tick`) and the bids app call these; each is one
transaction that locks the tender, first applies any time transition that is due
(so a late scheduler never matters), then the requested one, with a revision and
an audit event. Money: the budget is held (pending) from its budget line
`budget:line:{id}` (market/budget/; a tender from before budget lines: from
`department:{id}:budget`; a sandbox tender: `department:{id}:sandbox_budget`, see
`hold_budget`) into `tender:{id}:escrow:government` at publication, posted at contract
signing, voided when the tender is cancelled or unsuccessful (back to the line). A
contract that ends early (terminated after signing) makes the tender `terminated`; what
its escrow still holds is returned by the bids app (government) and the donors app
(every other source) — each to `budget_account(row)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from market import clock
from market.db import atomic
from market.errors import ValidationFailed
from market.ledger import escrow
from market.ledger.accounts import lock_accounts
from market.ledger.codes import (
    SANDBOX_TREASURY,
    TREASURY,
    budget_code,
    budget_line_code,
    community_fund_code,
)
from market.ledger.rules import ExceedsCredits, escrow_code
from market.ledger.services import TransferResult, ensure_accounts, transfer
from market.money import Money
from market.tables import Tender
from market.tenders import hooks, place_and_line, records, rules
from market.tenders.acceleration import is_sandbox

__all__ = [
    "appropriate_budget",
    "budget_account",
    "catch_up",
    "mark_tender_awarded",
    "mark_tender_completed",
    "mark_tender_contracted",
    "mark_tender_terminated",
    "mark_tender_unsuccessful",
    "reopen_evaluation",
]

TOO_FEW_BIDS = "Fewer valid bids than the tender's minimum."


async def appropriate_budget(
    department_id: int, amount: Money, *, key: str, actor: str
) -> TransferResult:
    """Fund a department's budget account from the treasury (an annual appropriation)."""
    code = budget_code(department_id)
    await ensure_accounts([TREASURY, code], amount.currency)
    return await transfer(
        key,
        debit=TREASURY,
        credit=code,
        amount=amount,
        reason="appropriation",
        reference=f"department:{department_id}",
        actor=actor,
    )


def budget_account(row: Mapping[str, Any]) -> str:
    """Where a tender's government budget comes from and goes back to — every return
    (a void, a termination's or a surplus's remainder) names this account: its budget
    line; a tender from before budget lines, the department's budget; a sandbox tender,
    the department's sandbox budget; a community fund's call for proposals
    (`community_fund`), its community's fund."""
    if row.get("community_fund"):
        return community_fund_code(int(row["place"]))
    sandbox = is_sandbox(int(row["acceleration"]))
    if not sandbox and row.get("budget_line") is not None:
        return budget_line_code(int(row["budget_line"]))
    return budget_code(int(row["department"]), sandbox=sandbox)


async def hold_budget(row: dict[str, Any], *, actor: str, amended: bool = False) -> str:
    """Reserve the tender's budget (inside the caller's transaction); returns the key.

    A real tender's budget is held against its budget line (market/tenders/
    place_and_line.py: a line of this budget year at publication; an amendment that
    changes the budget holds the new amount against the same line, whatever the year
    now), refused with "the line does not have ¥X free" as the form's error.

    A sandbox (training) tender must neither tie up nor move real public money, yet
    should live the same ledger lifecycle as a real one (hold at publication, post at
    signing, void on failure, tranches released, the remainder returned), so that
    training shows what the real thing does and `market ledger check` covers it. So
    its budget is held from the department's *sandbox* budget account, first topped up
    from `SANDBOX_TREASURY` (simulated money, like the sandbox card) to what the hold
    needs, tagged with the tender so open data leaves it out; its tranches go to the
    organization's sandbox payable account (bids), and whatever is returned goes back
    to the sandbox budget (bids, donors). The department's real budget never moves."""
    key = f"tender:{row['id']}:budget:v{row['version']}"
    money = Money(int(row["budget"]), row["currency"])
    if is_sandbox(int(row["acceleration"])):
        await _sandbox_appropriation(row, budget_account(row), money, actor=actor)
    elif await place_and_line.line_to_hold(row, this_year=not amended) is not None:
        await _check_line_free(row, money)
    source = budget_account(row)
    try:
        await escrow.hold(
            key,
            debit=source,
            credit=escrow_code(row["id"], "government"),
            amount=money,
            actor=actor,
            reason="budget_hold",
            reference=f"tender:{row['id']}",
            tender_id=row["id"],
            source="government",
        )
    except ExceedsCredits:
        raise ValidationFailed.single(
            "budget",
            "The community fund does not have %(amount)s available."
            if row.get("community_fund")
            else "The department's budget account does not have %(amount)s available.",
            amount=money,
        ) from None
    await Tender.update({Tender.budget_hold_key: key}).where(Tender.id == row["id"])
    row["budget_hold_key"] = key
    return key


async def _check_line_free(row: dict[str, Any], money: Money) -> None:
    """The line and the escrow locked together (id order), then "the line does not have
    ¥X free" as the form's error when it does not."""
    line, held = budget_account(row), escrow_code(int(row["id"]), "government")
    await ensure_accounts([line, held], money.currency)
    free = (await lock_accounts([line, held]))[line].available
    if free < money.amount:
        raise ValidationFailed.single(
            "budget_line",
            "The budget line does not have %(amount)s free (it has %(free)s).",
            amount=money,
            free=Money(max(free, 0), money.currency),
        )


async def _sandbox_appropriation(
    row: dict[str, Any], code: str, money: Money, *, actor: str
) -> None:
    """Top the department's sandbox budget up from the sandbox treasury to `money`
    (locking the three accounts the top-up and the hold touch, together and first)."""
    held = escrow_code(int(row["id"]), "government")
    await ensure_accounts([SANDBOX_TREASURY, code, held], money.currency)
    balances = await lock_accounts([SANDBOX_TREASURY, code, held])
    missing = money.amount - max(balances[code].available, 0)
    if missing > 0:
        await transfer(
            f"tender:{row['id']}:sandbox_budget:v{row['version']}",
            debit=SANDBOX_TREASURY,
            credit=code,
            amount=Money(missing, money.currency),
            reason="sandbox_appropriation",
            reference=f"tender:{row['id']}",
            tender_id=int(row["id"]),
            source="government",
            actor=actor,
        )


async def void_budget(row: dict[str, Any], *, actor: str) -> None:
    if row["budget_hold_key"]:
        key = row["budget_hold_key"]
        await escrow.void(
            f"{key}:void", pending_key=key, actor=actor, reference=f"tender:{row['id']}"
        )


async def close_tendering_locked(row: dict[str, Any]) -> str:
    """At the bid deadline: evaluation, or unsuccessful when the bids app reports fewer
    live bids than the minimum (without a bids app the tender goes to evaluation)."""
    live = await hooks.count_live_bids(row["id"])
    if live is not None and live < row["min_bids"]:
        await records.set_status(row, "close_tendering", actor=records.CHRONOGRAPH)
        return await _fail(row, actor=records.CHRONOGRAPH, reason=TOO_FEW_BIDS)
    return await records.set_status(row, "close_tendering", actor=records.CHRONOGRAPH)


async def catch_up(row: dict[str, Any]) -> None:
    """Apply the time transitions that are due, in order, to a locked row."""
    while (
        action := rules.due_action(
            row["status"], row["enquiry_end"], row["bid_deadline"], clock.now()
        )
    ) is not None:
        if action == "close_tendering":
            await close_tendering_locked(row)
        else:
            await records.set_status(row, action, actor=records.CHRONOGRAPH)


async def advance(tender_id: int) -> str:
    """The chronograph's step for one tender (idempotent); returns its status after."""
    return (await advance_if_due(tender_id))[0]


async def advance_if_due(tender_id: int) -> tuple[str, bool]:
    """(status after, whether this call moved it): under the row lock, so of two
    concurrent callers exactly one sees the move."""
    async with atomic():
        row = await records.load_locked(tender_id)
        before = row["status"]
        await catch_up(row)
        return str(row["status"]), row["status"] != before


async def _fail(row: dict[str, Any], *, actor: str, reason: str) -> str:
    # The ledger first (once the move is known to be allowed): the status change's
    # audit event, and the OCDS release it publishes, then see the budget voided.
    rules.transition("fail", row["status"])
    await void_budget(row, actor=actor)
    return await records.set_status(
        row, "fail", actor=actor, note=reason, extra={Tender.cancel_reason: reason}
    )


async def _apply(tender_id: int, action: str, *, actor: str, note: str = "") -> dict[str, Any]:
    async with atomic():
        row = await records.load_locked(tender_id)
        await catch_up(row)
        await records.set_status(row, action, actor=actor, note=note)
        return row


# --- called by the bids app ---------------------------------------------------------


async def mark_tender_awarded(tender_id: int, *, actor: str, note: str = "") -> None:
    """evaluation → awarded (the panel's award decision is recorded by the bids app)."""
    await _apply(tender_id, "award", actor=actor, note=note)


async def reopen_evaluation(tender_id: int, *, actor: str, note: str) -> None:
    """awarded → evaluation (e.g. a complaint was upheld during the standstill)."""
    await _apply(tender_id, "reopen", actor=actor, note=note)


async def mark_tender_contracted(
    tender_id: int, *, actor: str, government_amount: Money | None = None, note: str = ""
) -> None:
    """awarded → contracted, posting the held budget into escrow (in full, or
    `government_amount` of it; the remainder returns to the department)."""
    async with atomic():
        row = await records.load_locked(tender_id)
        await catch_up(row)
        await records.set_status(row, "contract", actor=actor, note=note)
        key = row["budget_hold_key"]
        if key:
            await escrow.post(
                f"{key}:post",
                pending_key=key,
                actor=actor,
                amount=government_amount,
                reference=f"tender:{tender_id}",
            )


async def mark_tender_completed(tender_id: int, *, actor: str, note: str = "") -> None:
    """contracted → completed (the contract's last milestone is settled)."""
    await _apply(tender_id, "complete", actor=actor, note=note)


async def mark_tender_terminated(tender_id: int, *, actor: str, reason: str) -> None:
    """contracted → terminated (the signed contract was ended early), in the caller's
    transaction when there is one: the bids app calls it from `terminate_contract`
    holding the tender row's lock (taken first, ARCHITECTURE.md "Lock order"). The
    reason is kept on the tender (like a cancellation's) and in its revision.

    Then, in the same transaction, the escrow is settled (`hooks.settle_now`: every
    source's remainder back to whoever put it in), before anything else of the
    termination touches the ledger — so the settlement takes its row and account
    locks in the lock order, and what the termination publishes (the caller's
    `contract.terminate` event, its OCDS release) shows the ledger after it. Should
    the settlement be refused now, the settlement job returns the money later."""
    reason = rules.check_reason(reason)
    async with atomic():
        row = await records.load_locked(tender_id)
        await catch_up(row)
        await records.set_status(
            row, "terminate", actor=actor, note=reason, extra={Tender.cancel_reason: reason}
        )
        await hooks.settle_now(tender_id, "terminated")


async def mark_tender_unsuccessful(tender_id: int, *, actor: str, reason: str) -> None:
    """tendering | evaluation | awarded → unsuccessful; the budget hold is voided.
    Other sources' escrow balances stay as the obligation the donors app refunds."""
    reason = rules.check_reason(reason)
    async with atomic():
        row = await records.load_locked(tender_id)
        await catch_up(row)
        if row["status"] != "unsuccessful":
            await _fail(row, actor=actor, reason=reason)
