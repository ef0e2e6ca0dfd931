# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Late arrivals: money confirmed for something that no longer takes it.

`donors.payments.confirm_payment` asks `late_reason` under the locks (the tender's
funding gate, then the payment row, then the paid-for row) and, when there is one,
applies `on_late` instead of the kind's normal effect. Every case has one outcome:

- a donation whose tender is settled (`donors_settlement`) or no longer open:
  `external → donor:d{id}:refund` and a refund queued (reason `late_arrival`), or
  into the community fund where the donor chose it (the project's community's fund
  when its place is a community: `consented_fund_of`); a match still reserved is
  voided and its pledge gets the room back (never posted);
- a donation whose payment failed (expired, declined) while its tender is still open:
  accepted unmatched — the normal effect, which posts a match only from a reservation
  still `reserved` (a failed payment's was released);
- a sponsorship or own income whose tender is settled or no longer open:
  `external → payer:p{payment}:refund`, a refund queued, the contribution `returned`;
  whose payment failed while the tender is open: accepted (the normal effect);
- a pledge's prepayment after the pledge was cancelled (its payment failed) or its
  validity ended: `external → payer:p{payment}:refund`, a refund queued; the pledge
  stays closed.

The payment is recorded succeeded in every case (the money did arrive); refunds are
paid out by `donors.refunds` (sandbox at once, Stripe through its refunds API, bank
transfers by the operator from the refund queue).
"""

from __future__ import annotations

from typing import Any

from donors import refunds
from donors import rules as donation_rules
from donors.settlement_rules import consented_fund
from market import clock
from market.errors import NotFound
from market.ledger.accounts import ensure_accounts
from market.ledger.codes import COMMUNITY_FUND, payer_refund_code, refund_code
from market.ledger.readmodels import pending_is_open
from market.ledger.rules import Transfer, TransferRequest
from market.ledger.services import create_transfers
from market.places.queries import get_place
from market.sql import Row, execute, for_update
from market.tenders.readmodels import lock_tender_funding
from market.timestamps import timestamp

# Kinds whose money goes into a tender's escrow (they pass its funding gate).
TENDER_KINDS = {"donation": "donors_donation", "sponsorship": "donors_contribution",
                "own_income": "donors_contribution"}  # fmt: skip


async def funding_gate(payment_id: int) -> Row | None:
    """Step 1 of the lock order for a payment tied to a tender: read the payment
    unlocked to learn its tender (never changes), then take the tender's funding gate
    shared. Returns the tender's facts read under the gate (None: not tied to one)."""
    rows = await execute(
        "SELECT p.kind, COALESCE(d.tender, c.tender) AS tender FROM donors_payment p"
        " LEFT JOIN donors_donation d ON p.kind = 'donation' AND d.id = p.object_id"
        " LEFT JOIN donors_contribution c ON p.kind IN ('sponsorship', 'own_income')"
        " AND c.id = p.object_id WHERE p.id = {}",
        payment_id,
    )
    if not rows:
        raise NotFound("No such payment.")
    if rows[0]["kind"] not in TENDER_KINDS:
        return None
    if rows[0]["tender"] is None:
        raise NotFound("No such payment.")
    return await lock_tender_funding(int(rows[0]["tender"]), exclusive=False)


async def lock_payment(payment_id: int, tender: Row | None) -> tuple[Row, bool | None]:
    """The payment row locked and — in the same round trip, under the tender's funding
    gate — whether its tender has a settlement row (None: not tied to a tender)."""
    if tender is None:
        rows = await execute(
            "SELECT * FROM donors_payment WHERE id = {}" + for_update(), payment_id
        )
        if not rows:
            raise NotFound("No such payment.")
        return rows[0], None
    rows = await execute(
        "SELECT p.*, EXISTS (SELECT 1 FROM donors_settlement s WHERE s.tender = {})"
        " AS tender_settled FROM donors_payment p WHERE p.id = {}" + for_update(),
        int(tender["id"]),
        payment_id,
    )
    if not rows:
        raise NotFound("No such payment.")
    payment = {k: v for k, v in dict(rows[0]).items() if k != "tender_settled"}
    return payment, bool(rows[0]["tender_settled"])


async def late_reason(payment: Row, tender: Row | None, settled: bool | None = None) -> str | None:
    """Why this (locked) payment cannot take its normal effect: "settled" (its tender
    is settled or closed to money), "closed" (a pledge that was cancelled or ended),
    or None (the normal effect applies — also to a failed payment whose tender is
    still open: accepted unmatched). `settled`: whether the tender has a settlement
    row, when the caller read it under the gate already (None: read it here)."""
    if tender is not None:
        if settled is None:
            settled = bool(
                await execute(
                    "SELECT id FROM donors_settlement WHERE tender = {}", int(tender["id"])
                )
            )
        if settled or tender["status"] not in donation_rules.OPEN_STATUSES:
            return "settled"
        return None
    if payment["kind"] == "pledge":
        pledge = await _lock_row("donors_pledge", int(payment["object_id"]))
        if pledge["status"] != "awaiting_funds" or timestamp(pledge["valid_until"]) <= clock.now():
            return "closed"
    return None


async def _lock_row(table: str, row_id: int) -> Row:
    rows = await execute(f"SELECT * FROM {table} WHERE id = {{}}" + for_update(), row_id)
    if not rows:
        raise NotFound("No such payment.")
    return rows[0]


async def on_late(
    payment: Row, reason: str, tender: Row | None = None
) -> tuple[list[Transfer], dict[str, Any]]:
    """The late arrival's effect, inside the confirming transaction (locks taken in
    order: the paid-for row → refund row → pledge row → ledger accounts). `tender`: the
    paid-for project's facts, read under its funding gate."""
    if payment["kind"] == "donation":
        return await _late_donation(payment, tender)
    table = "donors_pledge" if payment["kind"] == "pledge" else "donors_contribution"
    row = await _lock_row(table, int(payment["object_id"]))
    refund = await _queue(payment, payer_refund_code(int(payment["id"])))
    transfers = await _arrive(payment, payer_refund_code(int(payment["id"])), [])
    if payment["kind"] == "pledge":
        await execute(
            "UPDATE donors_pledge SET status = 'expired', expired_at = {}"
            " WHERE id = {} AND status = 'awaiting_funds'",
            clock.now(),
            row["id"],
        )
    else:
        await execute("UPDATE donors_contribution SET status = 'returned' WHERE id = {}", row["id"])
    return transfers, {"late": reason, "refund": refund, "destination": "refund"}


async def _late_donation(payment: Row, tender: Row | None) -> tuple[list[Transfer], dict[str, Any]]:
    donation = await _lock_row("donors_donation", int(payment["object_id"]))
    donation_id = int(donation["id"])
    to_fund = donation["on_failure"] == "community_fund"
    fund = await consented_fund_of(tender) if to_fund else COMMUNITY_FUND
    hold = fund if to_fund else refund_code(donation_id)
    refund = None if to_fund else await _queue(payment, hold)
    voids = await release_match(donation)
    transfers = await _arrive(payment, hold, voids)
    await execute(
        "UPDATE donors_donation SET status = {}, refund_amount = {}, closed_at = {},"
        " match_status = CASE WHEN match_status = 'reserved' THEN 'released'"
        " ELSE match_status END WHERE id = {}",
        "community_fund" if to_fund else "refund_queued",
        0 if to_fund else int(payment["amount"]),
        clock.now(),
        donation_id,
    )
    return transfers, {
        "late": "settled",
        "refund": refund,
        "destination": "community_fund" if to_fund else "refund",
        "released_match": int(donation["match_amount"]) if voids is not None else 0,
    }


async def consented_fund_of(tender: Row | None) -> str:
    """The project's community fund (the district-wide one without a community place)."""
    place = tender["place"] if tender is not None else None
    tier = (await get_place(int(place))).tier if place is not None else None
    return consented_fund(place, tier)


async def _queue(payment: Row, hold: str) -> int:
    queued = await refunds.queue_refund(
        payment_id=int(payment["id"]),
        amount=int(payment["amount"]),
        key=f"late:payment:{payment['id']}",
        reason="late_arrival",
        hold_code=hold,
    )
    return queued.refund_id


async def release_match(donation: Row) -> list[TransferRequest] | None:
    """A match still reserved for this (locked) donation is given back to its pledge:
    the pledge row locked, its `matched` reduced by the reservation, and the void of the
    pending transfer returned for the caller's `create_transfers` — none when a
    settlement voided it already. None when nothing was reserved."""
    if donation["match_status"] != "reserved":
        return None
    donation_id = int(donation["id"])
    pledge_id = int(donation["match_pledge"])
    await _lock_row("donors_pledge", pledge_id)
    await execute(
        "UPDATE donors_pledge SET matched = matched - {} WHERE id = {}",
        int(donation["match_amount"]),
        pledge_id,
    )
    if not await pending_is_open(f"donation:{donation_id}:match"):
        return []
    return [donation_rules.match_resolved(donation_id, "void")]


async def _arrive(
    payment: Row, destination: str, before: list[TransferRequest] | None
) -> list[Transfer]:
    """The money in from the provider's external account to where it waits (or, for
    the community fund, stays), after any void of a reservation."""
    money_in = donation_rules.payment_in(
        payment,
        credit=destination,
        reason="late_arrival",
        reference=f"{payment['kind']}:{payment['object_id']}",
    )
    await ensure_accounts([money_in.debit, destination], payment["currency"])
    results = await create_transfers([*(before or []), money_in], actor="system", audit=False)
    return [r.transfer for r in results]
