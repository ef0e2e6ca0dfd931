# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Failure policy: a cancelled or unsuccessful tender, or a terminated contract, returns
every source's remainder (DESIGN §4, mission anchors C9).

The kernel records the obligation — the tender's status (or the contract's) and the
balances left in its escrow — and this module acts on it (`market donations settle`,
safe to run again and concurrently: one `donors_settlement` row per tender, written
in the transaction of the ledger's `return_all`):

- government → `department:{id}:budget`;
- corporate / foundation → matches back to their pledge (which may match again),
  direct sponsorships back to the sponsor, pro-rata to what each put in;
- public → per donation, pro-rata: to `donor:d{donation}:refund` and refunded
  (sandbox at once, Stripe through the refunds API, bank transfers queued for the
  operator), or to `community_fund` where the donor chose so when donating;
- own → back to the organization.
"""

from __future__ import annotations

from collections import defaultdict

from bids.queries import terminated_contract_tenders
from donors import refunds
from donors import rules as donation_rules
from donors.tender_facts import tender_info
from market import clock
from market.audit import append_audit
from market.db import atomic
from market.ledger import escrow
from market.ledger.accounts import ensure_accounts
from market.ledger.codes import COMMUNITY_FUND, budget_code, pledge_code, refund_code
from market.ledger.rules import SOURCES
from market.sql import execute, for_update, marks
from market.tenders.readmodels import tenders_in_status

FAILED_STATUSES = ("cancelled", "unsuccessful")


async def failed_tenders() -> list[tuple[int, str]]:
    """Tenders whose money must go back and has not yet: (id, reason)."""
    failed = await tenders_in_status(FAILED_STATUSES)  # the kernel's read contract
    settled = await _settled([tender for tender, _ in failed])
    found = [(tender, status) for tender, status in failed if tender not in settled]
    terminated = await terminated_contract_tenders()  # the bids app's read contract
    done = await _settled(terminated)
    found += [(tender, "terminated") for tender in terminated if tender not in done]
    return found


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


async def _destinations(tender_id: int, department_id: int) -> dict[str, list[tuple[str, int]]]:
    weights: dict[str, dict[str, int]] = {s: defaultdict(int) for s in SOURCES}
    weights["government"][budget_code(department_id)] = 1
    for row in await execute(
        "SELECT id, amount, on_failure FROM donors_donation WHERE tender = {}"
        " AND status = 'paid' ORDER BY id",
        tender_id,
    ):
        code = (
            COMMUNITY_FUND if row["on_failure"] == "community_fund" else refund_code(int(row["id"]))
        )
        weights["public"][code] += int(row["amount"])
    for row in await execute(
        "SELECT match_pledge, match_amount FROM donors_donation d JOIN donors_pledge p"
        " ON p.id = d.match_pledge WHERE d.tender = {} AND d.match_status = 'posted'",
        tender_id,
    ):
        pledge = await execute(
            "SELECT source FROM donors_pledge WHERE id = {}", row["match_pledge"]
        )
        weights[pledge[0]["source"]][pledge_code(int(row["match_pledge"]))] += int(
            row["match_amount"]
        )
    for row in await execute(
        "SELECT c.source, c.amount, p.provider FROM donors_contribution c JOIN donors_payment p"
        " ON p.object_key = c.kind || ':' || CAST(c.id AS VARCHAR)"
        " WHERE c.tender = {} AND c.status = 'received'",
        tender_id,
    ):
        weights[row["source"]][donation_rules.EXTERNAL_ACCOUNT[row["provider"]]] += int(
            row["amount"]
        )
    return {s: sorted(w.items()) for s, w in weights.items() if w}


async def settle_tender(tender_id: int, reason: str) -> bool:
    """Return the tender's remainders once. False when it was settled before."""
    info = await tender_info(tender_id)
    key = f"settle:tender:{tender_id}"
    async with atomic():
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
        destinations = await _destinations(tender_id, info.department_id)
        codes = [c for parts in destinations.values() for c, _ in parts]
        await ensure_accounts(codes, info.currency)
        result = await escrow.return_all(
            key,
            tender_id=tender_id,
            destinations=destinations,
            actor="system",
            currency=info.currency,
            reference=f"tender:{tender_id}:{reason}",
        )
        await _unmatch_pledges(result)
        await _close_donations(tender_id, result)
        await execute(
            "UPDATE donors_contribution SET status = 'returned' WHERE tender = {}"
            " AND status = 'received'",
            tender_id,
        )
        await append_audit(
            "system",
            "tender.settle",
            "tender",
            tender_id,
            {"reason": reason, "returned": {r.key: r.transfer.amount for r in result.returned}},
        )
    return True


async def _unmatch_pledges(result: escrow.ReturnResult) -> None:
    """What went back to a pledge's account is no longer matched by it."""
    returned_to_pledges: dict[int, int] = defaultdict(int)
    for r in result.returned:
        if r.transfer.credit.startswith("pledge:"):
            returned_to_pledges[int(r.transfer.credit.split(":")[1])] += r.transfer.amount
    for pledge_id, amount in sorted(returned_to_pledges.items()):
        await execute("SELECT id FROM donors_pledge WHERE id = {}" + for_update(), pledge_id)
        await execute(
            "UPDATE donors_pledge SET matched = matched - {} WHERE id = {}", amount, pledge_id
        )


async def _close_donations(tender_id: int, result: escrow.ReturnResult) -> None:
    """Each paid donation of the tender: its share queued as a refund tied to its
    payment (`donors.refunds`), or given to the community fund as the donor chose."""
    shares = {r.transfer.credit: r.transfer.amount for r in result.returned}
    for row in await execute(
        "SELECT d.id, d.on_failure, p.id AS payment FROM donors_donation d"
        " JOIN donors_payment p ON p.object_key = 'donation:' || CAST(d.id AS VARCHAR)"
        " WHERE d.tender = {} AND d.status = 'paid' ORDER BY d.id",
        tender_id,
    ):
        donation_id = int(row["id"])
        if row["on_failure"] == "community_fund":
            status, share = "community_fund", 0
        else:
            status, share = "refund_queued", shares.get(refund_code(donation_id), 0)
        if share > 0:
            await refunds.queue_refund(
                payment_id=int(row["payment"]),
                amount=share,
                key=f"settle:tender:{tender_id}:donation:{donation_id}",
                reason="settlement",
                hold_code=refund_code(donation_id),
            )
        elif status == "refund_queued":
            status = "refunded"  # nothing was left to give back
        await execute(
            "UPDATE donors_donation SET status = {}, refund_amount = {}, closed_at = {}"
            " WHERE id = {}",
            status,
            share,
            clock.now(),
            donation_id,
        )


async def settle_all() -> tuple[int, int]:
    settled = 0
    for tender_id, reason in await failed_tenders():
        if await settle_tender(tender_id, reason):
            settled += 1
    return settled, await refunds.process_refunds()


async def command(args: object) -> int:
    """`market donations settle`."""
    from market.db import close_pool, start_pool

    await start_pool()
    try:
        settled, refunds = await settle_all()
    finally:
        await close_pool()
    print(f"{settled} failed tender(s) settled, {refunds} refund(s) paid out")
    return 0
