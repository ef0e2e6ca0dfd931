# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""The rows a settlement locks and changes, in the lock order (ARCHITECTURE.md):
payment rows (id order) → donation and contribution rows (id order) → pledge rows
(id order) → ledger accounts (`create_transfers`) → refund rows (`queue_refund`
inserts them; the payment rows are already held). The caller holds the tender's
funding gate exclusively (`lock_tender_funding(exclusive=True)`) throughout.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from donors import pledges, refunds
from donors.settlement_rules import COMPLETED, PaidDonation, pledge_id_of
from market import clock
from market.ledger import escrow
from market.ledger.codes import refund_code
from market.ledger.inflows import unresolved_pendings
from market.ledger.rules import TransferRequest
from market.ledger.services import create_transfers
from market.sql import Row, execute, for_update, marks
from market.timestamps import timestamp

_PAYMENTS_OF_TENDER = (
    "SELECT id, kind, object_id, provider, status FROM donors_payment WHERE status IN ({}, {})"
    " AND (object_key IN (SELECT 'donation:' || CAST(d.id AS VARCHAR) FROM donors_donation d"
    " WHERE d.tender = {})"
    " OR object_key IN (SELECT c.kind || ':' || CAST(c.id AS VARCHAR) FROM donors_contribution c"
    " WHERE c.tender = {})) ORDER BY id"
)


@dataclass
class TenderMoney:
    """What a settlement holds locked: the tender's live payments, its donations
    (pending or paid) and contributions (awaiting or received), the pledges their
    matches came from, and each pledge's sponsor account."""

    payments: dict[int, Row] = field(default_factory=dict)
    donations: list[Row] = field(default_factory=list)
    contributions: list[Row] = field(default_factory=list)
    pledges: dict[int, Row] = field(default_factory=dict)
    pledge_providers: dict[int, str | None] = field(default_factory=dict)

    def paid_donations(self) -> dict[str, PaidDonation]:
        """Public inflow key (`payment:{id}`) → the donation it paid."""
        by_key = {f"{p['kind']}:{p['object_id']}": pid for pid, p in self.payments.items()}
        found: dict[str, PaidDonation] = {}
        for d in self.donations:
            payment = by_key.get(f"donation:{d['id']}")
            if payment is not None and d["status"] == "paid":
                found[f"payment:{payment}"] = PaidDonation(int(d["id"]), d["on_failure"])
        return found

    def payment_of_donation(self, donation_id: int) -> int | None:
        for pid, p in self.payments.items():
            if p["kind"] == "donation" and int(p["object_id"]) == donation_id:
                return pid
        return None

    def reserved(self) -> list[Row]:
        return [d for d in self.donations if d["match_status"] == "reserved"]


async def lock_tender_money(tender_id: int) -> TenderMoney:
    """Payments, then donations and contributions, then their pledges, each in id order."""
    held = TenderMoney()
    for row in await execute(
        _PAYMENTS_OF_TENDER + for_update(), "awaiting", "succeeded", tender_id, tender_id
    ):
        held.payments[int(row["id"])] = row
    held.donations = list(
        await execute(
            "SELECT * FROM donors_donation WHERE tender = {} AND status IN ('pending', 'paid')"
            " ORDER BY id" + for_update(),
            tender_id,
        )
    )
    held.contributions = list(
        await execute(
            "SELECT * FROM donors_contribution WHERE tender = {}"
            " AND status IN ('awaiting', 'received') ORDER BY id" + for_update(),
            tender_id,
        )
    )
    await lock_pledges(
        held,
        (
            int(d["match_pledge"])
            for d in held.donations
            if d["match_status"] in ("reserved", "posted")
        ),
    )
    return held


async def lock_pledges(held: TenderMoney, ids: Iterable[int]) -> None:
    """The pledge rows, in id order, and the provider each was prepaid through."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    for row in await execute(
        f"SELECT * FROM donors_pledge WHERE id IN ({marks(len(wanted))}) ORDER BY id"
        + for_update(),
        *wanted,
    ):
        held.pledges[int(row["id"])] = row
    for row in await execute(
        "SELECT object_id, provider FROM donors_payment"
        f" WHERE object_key IN ({marks(len(wanted))})",
        *(f"pledge:{p}" for p in wanted),
    ):
        held.pledge_providers[int(row["object_id"])] = row["provider"]


def pledge_expired(pledge: Row) -> bool:
    """Matched money coming back to an expired pledge goes on to its sponsor."""
    until = timestamp(pledge["valid_until"])
    return pledge["status"] != "active" or (until is not None and until <= clock.now())


async def void_reservations(donations: list[Row]) -> dict[int, int]:
    """Each still-reserved match of these donations: its hold voided (if still open),
    the donation's match released, the pledge's `matched` reduced. Returns
    donation id → the match released."""
    keys = {int(d["id"]): f"donation:{d['id']}:match" for d in donations}
    still_open = await unresolved_pendings(keys.values())
    requests = [
        TransferRequest(
            key=f"{pending}:void",
            kind="void",
            amount=None,
            pending_key=pending,
            reference=f"donation:{donation_id}",
        )
        for donation_id, pending in sorted(keys.items())
        if pending in still_open
    ]
    if requests:
        await create_transfers(requests, actor="system", audit=False)
    released: dict[int, int] = {}
    for d in donations:
        amount = int(d["match_amount"])
        await pledges.reduce_matched(int(d["match_pledge"]), amount)
        await execute("UPDATE donors_donation SET match_status = 'released' WHERE id = {}", d["id"])
        released[int(d["id"])] = amount
    return released


async def back_to_pledges(
    held: TenderMoney, result: escrow.ReturnResult, *, key: str
) -> dict[int, tuple[int, int]]:
    """Matched money returned to a pledge is no longer matched by it (`matched` −=);
    an expired pledge's goes on to the sponsor. Returns pledge → (returned to the
    pledge, of which sent on to the sponsor)."""
    back: dict[int, int] = {}
    for r in result.returned:
        pledge_id = pledge_id_of(r.transfer.credit)
        if pledge_id is not None:
            back[pledge_id] = back.get(pledge_id, 0) + r.transfer.amount
    done: dict[int, tuple[int, int]] = {}
    for pledge_id, amount in sorted(back.items()):
        pledge = held.pledges[pledge_id]
        await pledges.reduce_matched(pledge_id, amount)
        onward = amount if pledge_expired(pledge) else 0
        await pledges.return_to_sponsor(
            pledge, onward, key=f"{key}:pledge:{pledge_id}:sponsor",
            provider=held.pledge_providers.get(pledge_id),
        )  # fmt: skip
        done[pledge_id] = (amount, onward)
    return done


async def close_donations(
    held: TenderMoney, result: escrow.ReturnResult, *, key: str, reason: str
) -> dict[int, int]:
    """Each paid donation's share: queued as a refund through its payment, or left in
    the community fund as the donor chose. At failure the donation is closed
    (refund_queued / refunded / community_fund); a surplus leaves it paid (the rest
    of it was spent on the project) with its refunded share recorded. Returns
    donation id → amount queued for refund."""
    shares = {r.transfer.credit: r.transfer.amount for r in result.returned}
    queued: dict[int, int] = {}
    for d in held.donations:
        payment = held.payment_of_donation(int(d["id"]))
        if d["status"] != "paid" or payment is None:
            continue
        donation_id = int(d["id"])
        share = shares.get(refund_code(donation_id), 0)
        if share > 0:
            await refunds.queue_refund(
                payment_id=payment,
                amount=share,
                key=f"{key}:donation:{donation_id}",
                reason="surplus" if reason == COMPLETED else "settlement",
                hold_code=refund_code(donation_id),
            )
            queued[donation_id] = share
        if reason == COMPLETED:
            status = "paid"
        elif d["on_failure"] == "community_fund":
            status = "community_fund"
        else:
            status = "refund_queued" if share > 0 else "refunded"
        await execute(
            "UPDATE donors_donation SET status = {}, refund_amount = refund_amount + {},"
            " closed_at = COALESCE(closed_at, {}) WHERE id = {}",
            status,
            share,
            None if reason == COMPLETED else clock.now(),
            donation_id,
        )
    return queued


async def close_contributions(held: TenderMoney, *, reason: str) -> None:
    """At failure a received sponsorship or own income has gone back: `returned`.
    A surplus leaves it received (part of it was spent)."""
    ids = [int(c["id"]) for c in held.contributions if c["status"] == "received"]
    if reason == COMPLETED or not ids:
        return
    await execute(
        f"UPDATE donors_contribution SET status = 'returned' WHERE id IN ({marks(len(ids))})",
        *ids,
    )
