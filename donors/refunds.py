# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Refunds: money going back to whoever paid one payment, tied to that payment.

A refund is decided inside the transaction that makes it necessary (a failed tender's
settlement, a payment arriving after its project was settled, a completed project's
surplus): `queue_refund` writes the `donors_refund` row and raises the payment's
`refunded` total, refusing more than was paid. The money then sits in the refund's
`hold_code` account until it is paid out:

- sandbox and Stripe: `process_refunds` (a worker job) asks the provider (Stripe's
  refunds API with the refund id as idempotency key) and posts `hold_code → external`
  with the transfer key `refund:{id}`;
- bank transfers: the operator sends the money and records the outgoing transfer
  (`record_bank_refund`), which posts the same transfer.

Lock order: payment row → refund row → ledger accounts → audit head.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from donors import rules as donation_rules
from donors.providers import ProviderUnavailable, provider
from market import clock
from market.audit import actor_of, append_audit
from market.db import atomic
from market.errors import Conflict, DomainError, NotFound
from market.ledger.accounts import ensure_accounts
from market.ledger.rules import TransferRequest
from market.ledger.services import create_transfers
from market.sql import Row, execute, for_update

REASONS = ("settlement", "late_arrival", "surplus")
log = logging.getLogger("donors.refunds")


class RefundExceedsPayment(DomainError):
    """More would go back than the payment brought in."""


@dataclass(frozen=True, slots=True)
class QueuedRefund:
    refund_id: int
    created: bool  # False: the same key was queued before (nothing written now)


async def queue_refund(
    *, payment_id: int, amount: int, key: str, reason: str, hold_code: str
) -> QueuedRefund:
    """Inside the caller's transaction (the money already sits in `hold_code`): the
    refund row, once per `key`; the payment's `refunded` total may never exceed it."""
    if reason not in REASONS:
        raise ValueError(f"unknown refund reason {reason!r}")
    if amount <= 0:
        raise ValueError("a refund moves a positive amount")
    existing = await execute("SELECT id FROM donors_refund WHERE key = {}", key)
    if existing:
        return QueuedRefund(int(existing[0]["id"]), created=False)
    payment = await _lock_payment(payment_id)
    if int(payment["refunded"]) + amount > int(payment["amount"]):
        raise RefundExceedsPayment(
            f"payment {payment_id}: refunds {int(payment['refunded']) + amount}"
            f" would exceed the {int(payment['amount'])} paid"
        )
    rows = await execute(
        "INSERT INTO donors_refund (payment, key, reason, amount, currency, hold_code,"
        " provider, status, provider_ref, bank_reference, paid_by, created_at, paid_at)"
        " VALUES ({}, {}, {}, {}, {}, {}, {}, 'queued', '', '', NULL, {}, NULL) RETURNING id",
        payment_id,
        key,
        reason,
        amount,
        payment["currency"],
        hold_code,
        payment["provider"],
        clock.now(),
    )
    await execute(
        "UPDATE donors_payment SET refunded = refunded + {} WHERE id = {}", amount, payment_id
    )
    return QueuedRefund(int(rows[0]["id"]), created=True)


async def _lock_payment(payment_id: int) -> Row:
    rows = await execute("SELECT * FROM donors_payment WHERE id = {}" + for_update(), payment_id)
    if not rows:
        raise NotFound("No such payment.")
    return rows[0]


async def get_refund(refund_id: int) -> Row:
    rows = await execute("SELECT * FROM donors_refund WHERE id = {}", refund_id)
    if not rows:
        raise NotFound("No such refund.")
    return rows[0]


async def refunds_of_payment(payment_id: int) -> list[Row]:
    return await execute("SELECT * FROM donors_refund WHERE payment = {} ORDER BY id", payment_id)


async def _pay_out(refund_id: int, *, provider_ref: str, actor: str, **bank: object) -> bool:
    """Post `hold_code → external` once and mark the refund paid. False when another
    run paid it first."""
    async with atomic():
        rows = await execute("SELECT * FROM donors_refund WHERE id = {}" + for_update(), refund_id)
        refund = rows[0]
        if refund["status"] != "queued":
            return False
        external = donation_rules.EXTERNAL_ACCOUNT[refund["provider"]]
        await ensure_accounts([external], refund["currency"])
        await create_transfers(
            [
                TransferRequest(
                    key=f"refund:{refund_id}",
                    kind="single",
                    amount=int(refund["amount"]),
                    debit=refund["hold_code"],
                    credit=external,
                    currency=refund["currency"],
                    reason="refund",
                    reference=f"payment:{refund['payment']}",
                )
            ],
            audit=False,
        )
        await execute(
            "UPDATE donors_refund SET status = 'paid', provider_ref = {}, paid_at = {},"
            " bank_reference = {}, paid_by = {} WHERE id = {}",
            provider_ref,
            clock.now(),
            str(bank.get("bank_reference", "")),
            bank.get("paid_by"),
            refund_id,
        )
        await append_audit(
            actor,
            "refund.paid",
            "payment",
            int(refund["payment"]),
            {
                "refund": refund_id,
                "amount": int(refund["amount"]),
                "currency": refund["currency"],
                "reason": refund["reason"],
                "provider": refund["provider"],
            },
        )
    await _after_paid(refund)
    return True


async def _after_paid(refund: Row) -> None:
    """A donation whose refunds are all paid reads `refunded` (the donor's page)."""
    payment = (await execute("SELECT * FROM donors_payment WHERE id = {}", refund["payment"]))[0]
    if payment["kind"] != "donation":
        return
    open_refunds = await execute(
        "SELECT COUNT(*) AS n FROM donors_refund WHERE payment = {} AND status = 'queued'",
        payment["id"],
    )
    if int(open_refunds[0]["n"]) == 0:
        await execute(
            "UPDATE donors_donation SET status = 'refunded', refund_ref = {}"
            " WHERE id = {} AND status = 'refund_queued'",
            refund["provider_ref"] or "",
            payment["object_id"],
        )


async def process_refunds(limit: int = 500) -> int:
    """Pay queued refunds out through their provider (sandbox at once, Stripe by API);
    bank transfers stay queued for the operator. Returns how many were paid. Safe to
    run concurrently: the provider call is idempotent per refund, the posting once."""
    rows = await execute(
        "SELECT r.id FROM donors_refund r WHERE r.status = 'queued'"
        " AND r.provider <> 'bank_transfer' ORDER BY r.id LIMIT {}",
        limit,
    )
    paid = 0
    for row in rows:
        if await _pay_out_by_provider(int(row["id"])):
            paid += 1
    return paid


async def _pay_out_by_provider(refund_id: int) -> bool:
    rows = await execute(
        "SELECT r.id, r.amount, r.status, r.provider, p.provider_ref FROM donors_refund r"
        " JOIN donors_payment p ON p.id = r.payment WHERE r.id = {}",
        refund_id,
    )
    if not rows or rows[0]["status"] != "queued" or rows[0]["provider"] == "bank_transfer":
        return False
    row = rows[0]
    refunded = await provider(row["provider"]).refund(
        row["provider_ref"], int(row["amount"]), f"pgm-refund-{row['id']}"
    )
    return await _pay_out(refund_id, provider_ref=refunded.provider_ref, actor="system")


async def pay_out_now(refund_id: int) -> bool:
    """Right after the transaction that queued it: pay one provider refund out (the
    sandbox at once, Stripe through its API). A provider that cannot be reached leaves
    it queued for `process_refunds`; a bank-transfer refund waits for the operator."""
    try:
        return await _pay_out_by_provider(refund_id)
    except ProviderUnavailable:
        log.warning("refund %s stays queued: the provider could not be reached", refund_id)
        return False


async def awaiting_bank_refunds(limit: int = 200) -> list[Row]:
    """The operator's payout queue: bank-transfer refunds still to be sent, oldest first."""
    return await execute(
        "SELECT r.*, p.reference_code, p.bank_reference AS paid_with FROM donors_refund r"
        " JOIN donors_payment p ON p.id = r.payment"
        " WHERE r.status = 'queued' AND r.provider = 'bank_transfer' ORDER BY r.id LIMIT {}",
        limit,
    )


async def paid_bank_refunds(limit: int = 50) -> list[Row]:
    """Bank-transfer refunds the operator paid out, newest first (their records)."""
    return await execute(
        "SELECT r.*, p.reference_code FROM donors_refund r JOIN donors_payment p"
        " ON p.id = r.payment WHERE r.status = 'paid' AND r.provider = 'bank_transfer'"
        " ORDER BY r.paid_at DESC, r.id DESC LIMIT {}",
        limit,
    )


async def refund_record(refund_id: int) -> Row:
    """One refund with what the operator's payout page shows: the payment it returns
    (reference, kind, what it paid for, provider, amount) and who paid it out."""
    rows = await execute(
        "SELECT r.*, p.reference_code, p.kind AS payment_kind, p.object_id,"
        " p.amount AS payment_amount, p.bank_reference AS paid_with, p.settled_at AS arrived_at"
        " FROM donors_refund r JOIN donors_payment p ON p.id = r.payment WHERE r.id = {}",
        refund_id,
    )
    if not rows:
        raise NotFound("No such refund.")
    return rows[0]


async def record_bank_refund(*, refund_id: int, bank_reference: str, operator_id: int) -> Row:
    """The operator sent the money back by bank transfer: record it and post it."""
    refund = await get_refund(refund_id)
    if refund["provider"] != "bank_transfer":
        raise Conflict("This refund is paid out by its provider, not by bank transfer.")
    if not bank_reference.strip():
        raise DomainError("Enter the outgoing bank transfer's reference.", field="bank_reference")
    if not await _pay_out(
        refund_id,
        provider_ref="",
        actor=actor_of(operator_id),
        bank_reference=bank_reference.strip()[:120],
        paid_by=operator_id,
    ):
        raise Conflict("This refund was already paid out.")
    return await get_refund(refund_id)
