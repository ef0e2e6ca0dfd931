# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Settlement: a failed tender's remainder, or a completed one's surplus, goes back to
whoever put it in — once per tender (DESIGN §4, mission anchors C9).

The kernel records the obligation — the tender's status (or, through `bids.queries`,
its terminated contract) and the balances left in its escrow — and this module acts
on it: `settle_all` (the job `donations.settle`, `market donations settle`) settles
every cancelled, unsuccessful or terminated tender (reason = that word) and every
completed one (reason "completed": the surplus left after the last tranche). Who gets
what is `donors.settlement_rules` (per source; pro-rata to what each put in, largest
remainder); safe to run again and concurrently: one `donors_settlement` row per tender,
written in the transaction that moves the money.

One transaction per tender, in the lock order (ARCHITECTURE.md):
tender row exclusively (`lock_tender_funding(exclusive=True)`: no confirmation is in
flight, none starts until this commits) → the settlement row (ON CONFLICT: settled
before) → the tender's payment rows, its donation and contribution rows, the pledges
its matches came from (`donors.settlement_rows`, each in id order) → every ledger
account it will touch, at once and in id order → read what went into the escrow
(`market.ledger.inflows`, under those locks: exactly the money behind the balances)
→ void still-reserved matches (the pledge gets its room back) → `escrow.return_all`
→ matched money back to pledges (`matched` −=, expired pledges on to the sponsor) →
refunds queued through each donation's payment → audit.
"""

from __future__ import annotations

import logging

from donors import late, refunds, settlement_rows
from donors import rules as donation_rules
from donors.pledges import sponsor_account
from donors.settlement_rows import TenderMoney
from donors.settlement_rules import (
    COMPLETED,
    FAILURE_REASONS,
    REASONS,
    check_covered,
    destinations,
    donation_destination,
)
from market import clock
from market.audit import append_audit
from market.db import atomic
from market.errors import Conflict, DomainError
from market.ledger import escrow
from market.ledger.accounts import ensure_accounts, lock_accounts
from market.ledger.codes import pledge_code
from market.ledger.inflows import escrow_inflows
from market.ledger.rules import SOURCES, escrow_code
from market.sql import Row, execute, marks
from market.tenders.acceleration import is_sandbox
from market.tenders.lifecycle import budget_account
from market.tenders.readmodels import lock_tender_funding, tenders_in_status

log = logging.getLogger(__name__)


async def failed_tenders() -> list[tuple[int, str]]:
    """Tenders whose money must go back and has not yet: (id, reason). A tender is
    failed by its status: cancelled, unsuccessful, or terminated (its contract ended
    early; the bids app moves the tender there through the kernel)."""
    failed = dict(await tenders_in_status(FAILURE_REASONS))  # the kernel's read contract
    settled = await _settled(list(failed))
    return sorted((t, reason) for t, reason in failed.items() if t not in settled)


async def completed_tenders() -> list[int]:
    """Completed tenders whose surplus has not been settled yet."""
    completed = [t for t, _ in await tenders_in_status((COMPLETED,))]
    settled = await _settled(completed)
    return [t for t in completed if t not in settled]


async def _settled(tender_ids: list[int], chunk: int = 1000) -> set[int]:
    """Those of `tender_ids` already settled."""
    settled: set[int] = set()
    for start in range(0, len(tender_ids), chunk):
        part = tender_ids[start : start + chunk]
        rows = await execute(
            f"SELECT tender FROM donors_settlement WHERE tender IN ({marks(len(part))})", *part
        )
        settled.update(int(r["tender"]) for r in rows)
    return settled


async def settlement_of(tender_id: int) -> Row | None:
    rows = await execute("SELECT * FROM donors_settlement WHERE tender = {}", tender_id)
    return rows[0] if rows else None


def _sandbox(tender: Row) -> bool:
    return is_sandbox(int(tender["acceleration"]))


def _budget(tender: Row) -> str:
    """Where the government's remainder goes back to: the tender's budget line (a
    tender from before budget lines: its department's budget; a sandbox tender: the
    sandbox budget) — the kernel's `budget_account`, the one answer for every return."""
    return budget_account(tender)


def _accounts_to_lock(tender: Row, held: TenderMoney, fund: str) -> list[str]:
    """Every account the settlement may touch, known from the locked rows alone."""
    codes = {escrow_code(int(tender["id"]), s) for s in SOURCES}
    codes.add(_budget(tender))
    codes.update(pledge_code(p) for p in held.pledges)
    codes.update(
        sponsor_account(held.pledge_providers.get(p))
        for p, row in held.pledges.items()
        if settlement_rows.pledge_expired(row)
    )
    for donation in held.paid_donations().values():
        codes.add(donation_destination(donation, sandbox=_sandbox(tender), fund=fund))
    codes.update(
        donation_rules.EXTERNAL_ACCOUNT[p["provider"]]
        for p in held.payments.values()
        if p["kind"] != "donation" and p["status"] == "succeeded"
    )
    return sorted(codes)


async def _move_money(
    tender: Row, held: TenderMoney, *, key: str, reason: str
) -> tuple[escrow.ReturnResult, dict[int, int]]:
    """Under the tender's and its rows' locks: lock the accounts, read the inflows,
    void the reservations, return every source's remainder."""
    tender_id = int(tender["id"])
    fund = await late.consented_fund_of(tender)  # the project's community's fund
    locked = _accounts_to_lock(tender, held, fund)
    await ensure_accounts(locked, tender["currency"])
    await lock_accounts(locked)
    routes = destinations(
        await escrow_inflows(tender_id),
        held.paid_donations(),
        budget=_budget(tender),
        sandbox=_sandbox(tender),
        fund=fund,
    )
    check_covered(routes, locked)
    released = await settlement_rows.void_reservations(held.reserved())
    result = await escrow.return_all(
        key,
        tender_id=tender_id,
        destinations=routes,
        actor="system",
        currency=tender["currency"],
        reference=f"tender:{tender_id}:{reason}",
    )
    return result, released


def _check_reason(tender: Row, reason: str) -> None:
    """The tender, read under its lock, is in the state the reason names."""
    if tender["status"] != reason:
        raise Conflict(
            "Project %(id)s is %(status)s: it cannot be settled as %(reason)s.",
            id=tender["id"],
            status=tender["status"],
            reason=reason,
        )


async def settle_tender(tender_id: int, reason: str) -> bool:
    """Give back the tender's remainder (failure) or surplus (completed) once. False
    when it was settled before."""
    if reason not in REASONS:
        raise ValueError(f"unknown settlement reason {reason!r}")
    key = f"settle:tender:{tender_id}"
    async with atomic():
        tender = await lock_tender_funding(tender_id, exclusive=True)
        _check_reason(tender, reason)
        inserted = await execute(
            "INSERT INTO donors_settlement (tender, reason, operation_key, settled_at)"
            " VALUES ({}, {}, {}, {}) ON CONFLICT (tender) DO NOTHING RETURNING id",
            tender_id,
            reason,
            key,
            clock.now(),
        )
        if not inserted:
            return False
        held = await settlement_rows.lock_tender_money(tender_id)
        result, released = await _move_money(tender, held, key=key, reason=reason)
        pledges_back = await settlement_rows.back_to_pledges(held, result, key=key)
        refunded = await settlement_rows.close_donations(held, result, key=key, reason=reason)
        await settlement_rows.close_contributions(held, reason=reason)
        await append_audit(
            "system",
            "tender.settle",
            "tender",
            tender_id,
            {
                "reason": reason,
                "returned": {r.key: r.transfer.amount for r in result.returned},
                "released_matches": {str(d): n for d, n in released.items()},
                "pledges": {str(p): list(amounts) for p, amounts in pledges_back.items()},
                "refunds": {str(d): n for d, n in refunded.items()},
            },
        )
    await release_stray_reservations(tender_id)
    return True


async def release_stray_reservations(tender_id: int) -> int:
    """A settled tender's donations still marked `reserved`: a reservation made while
    the settlement ran (or after it) whose hold `return_all` voided or that is still
    open. Each is voided and released in its own transaction, in the lock order.
    Returns how many were released."""
    if not await execute(
        "SELECT id FROM donors_donation WHERE tender = {} AND match_status = 'reserved' LIMIT 1",
        tender_id,
    ):
        return 0
    async with atomic():
        await lock_tender_funding(tender_id, exclusive=True)
        if await settlement_of(tender_id) is None:
            return 0
        held = await settlement_rows.lock_tender_money(tender_id)
        stray = held.reserved()
        if stray:
            await settlement_rows.void_reservations(stray)
            await append_audit(
                "system",
                "tender.release_reservations",
                "tender",
                tender_id,
                {"donations": [int(d["id"]) for d in stray]},
            )
    return len(stray)


async def _stray_tenders() -> list[int]:
    rows = await execute(
        "SELECT DISTINCT d.tender FROM donors_donation d JOIN donors_settlement s"
        " ON s.tender = d.tender WHERE d.match_status = 'reserved' ORDER BY d.tender"
    )
    return [int(r["tender"]) for r in rows]


async def settle_logged(tender_id: int, reason: str) -> bool:
    """One tender; an expected refusal (a domain or ledger rule) is logged and left for
    the next run, so the other tenders still settle. Anything else propagates. Also
    the kernel's settler (`market.tenders.hooks.set_settler`): a terminated tender is
    settled in its termination's transaction (its savepoint undone on a refusal)."""
    try:
        return await settle_tender(tender_id, reason)
    except DomainError as exc:
        log.warning("settling tender %s (%s) refused, retried next run: %s", tender_id, reason, exc)
        return False


async def settle_all() -> tuple[int, int]:
    """Settle every failed and completed tender not settled yet, release reservations
    left on settled tenders, pay out queued refunds. Returns (settled, refunds paid)."""
    settled = 0
    todo = [*await failed_tenders(), *((t, COMPLETED) for t in await completed_tenders())]
    for tender_id, reason in sorted(todo):
        settled += await settle_logged(tender_id, reason)
    for tender_id in await _stray_tenders():
        try:
            await release_stray_reservations(tender_id)
        except DomainError as exc:
            log.warning("releasing reservations of tender %s refused: %s", tender_id, exc)
    return settled, await refunds.process_refunds()


async def command(args: object) -> int:
    """`market donations settle`."""
    from market.db import close_pool, start_pool

    await start_pool()
    try:
        settled, paid = await settle_all()
    finally:
        await close_pool()
    print(f"{settled} tender(s) settled, {paid} refund(s) paid out")
    return 0
