# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Payments: money expected from outside, confirmed once, with its ledger effect.

Lock order in every transaction here (ARCHITECTURE.md, no deadlocks under
concurrency): the tender's funding gate (shared, for kinds paid into a tender's
escrow: `donors.late.funding_gate`) → payment row → the paid-for object's row
(donation, pledge, contribution) → refund rows → pledge rows → ledger account rows
(id order, inside `create_transfers`) → the audit head (last).

`confirm_payment` is the one way money enters: from the sandbox at once, from the
operator's record of a bank transfer, or from Stripe's signed webhook
(`donors.stripe_events`). It records the provider event id (unique) in the same
transaction as the ledger effect, so a redelivered event changes nothing, and refuses
an amount or currency that differs from our row (nothing is written then). Money that
arrives for something that no longer takes it has a defined outcome
(`donors.late`): it is never refused, so a provider's redelivery always gets a 2xx.

Each payment has a confirmation window (`expires_at`, per provider:
`donors.config.payment_window`); `expire_payments` fails the awaiting ones past it,
which voids what was reserved for them and tells a donor who left an e-mail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from donors import late, notices, refunds, rules
from donors.config import payment_window
from donors.providers import PaymentRequest, Started, provider
from market import clock, metrics
from market.audit import actor_of, append_audit, append_with, new_event
from market.db import atomic
from market.errors import Conflict, DomainError, NotFound
from market.ledger.rules import Transfer
from market.sql import Row, execute, for_update

EXPIRED = "expired"  # the failure reason of a payment whose window ended


class PaymentMismatch(DomainError):
    """The provider reports another amount or currency than we asked for."""


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str


# A kind's ledger effect, run inside the confirming transaction after the payment row
# is locked: returns the transfers it made (for the audit event) and a summary.
Effect = Callable[[Row], Awaitable[tuple[list[Transfer], dict[str, Any]]]]
_ON_PAID: dict[str, Effect] = {}
_ON_FAILED: dict[str, Effect] = {}


def register_kind(kind: str, *, on_paid: Effect, on_failed: Effect) -> None:
    """Called by the composition root (composition/wiring.py), never at import."""
    _ON_PAID[kind] = on_paid
    _ON_FAILED[kind] = on_failed


def _effect(effects: dict[str, Effect], kind: str) -> Effect:
    if kind not in effects:
        raise RuntimeError(f"payment kind {kind!r} is not wired (composition.wiring.wire())")
    return effects[kind]


async def create_payment(
    *, kind: str, object_id: int, provider_name: str, amount: int, currency: str
) -> Row:
    """Inside the caller's transaction: the payment row, with a fresh reference code and
    the end of its provider's confirmation window."""
    if provider_name not in rules.PROVIDERS:
        raise DomainError("Choose a way to pay.", field="provider")
    now = clock.now()
    for _ in range(5):
        code = rules.reference_code()
        rows = await execute(
            "INSERT INTO donors_payment (kind, object_id, object_key, provider, amount, currency,"
            " status, reference_code, provider_ref, client_secret, failure_reason,"
            " bank_reference, created_at, expires_at, refunded) VALUES ({}, {}, {}, {}, {}, {},"
            " 'awaiting', {}, '', '', '', '', {}, {}, 0)"
            " ON CONFLICT (reference_code) DO NOTHING RETURNING *",
            kind,
            object_id,
            f"{kind}:{object_id}",
            provider_name,
            amount,
            currency,
            code,
            now,
            now + payment_window(provider_name),
        )
        if rows:
            return rows[0]
    raise Conflict("Could not allocate a payment reference; please retry.")


async def get_payment(payment_id: int) -> Row:
    rows = await execute("SELECT * FROM donors_payment WHERE id = {}", payment_id)
    if not rows:
        raise NotFound("No such payment.")
    return rows[0]


async def payment_for(kind: str, object_id: int) -> Row | None:
    rows = await execute(
        "SELECT * FROM donors_payment WHERE object_key = {}", f"{kind}:{object_id}"
    )
    return rows[0] if rows else None


async def start_payment(
    payment: Row, *, payment_method: str = "", sandbox_outcome: str = "approve"
) -> Started:
    """After the payment row is committed: ask the provider, then apply what it said
    (sandbox: confirm or fail now; Stripe: a decline fails now, success waits for the
    webhook; bank transfer: wait for the operator)."""
    request = PaymentRequest(
        payment_id=int(payment["id"]),
        kind=payment["kind"],
        object_id=int(payment["object_id"]),
        amount=int(payment["amount"]),
        currency=payment["currency"],
        reference_code=payment["reference_code"],
        payment_method=payment_method,
        sandbox_outcome=sandbox_outcome,
    )
    try:
        started = await provider(payment["provider"]).start(request)
    except DomainError as exc:
        await fail_payment(request.payment_id, reason=exc.message)
        raise
    if started.provider_ref or started.client_secret:
        await execute(
            "UPDATE donors_payment SET provider_ref = {}, client_secret = {} WHERE id = {}",
            started.provider_ref,
            started.client_secret,
            request.payment_id,
        )
    if started.outcome == "succeeded" and payment["provider"] == "sandbox":
        await confirm_payment(
            request.payment_id,
            amount=request.amount,
            currency=request.currency,
            provider_ref=started.provider_ref,
        )
    elif started.outcome == "failed":
        await fail_payment(request.payment_id, reason=started.failure)
    return started


async def _record_event(event: Event | None, payment_id: int, outcome: str) -> bool:
    """False when this event id was applied before (the caller then does nothing)."""
    if event is None:
        return True
    rows = await execute(
        "INSERT INTO donors_webhook_event (event_id, type, payment, outcome, received_at)"
        " VALUES ({}, {}, {}, {}, {}) ON CONFLICT (event_id) DO NOTHING RETURNING id",
        event.id,
        event.type,
        payment_id,
        outcome,
        clock.now(),
    )
    return bool(rows)


async def _lock(payment_id: int) -> Row:
    rows = await execute("SELECT * FROM donors_payment WHERE id = {}" + for_update(), payment_id)
    if not rows:
        raise NotFound("No such payment.")
    return rows[0]


async def confirm_payment(
    payment_id: int,
    *,
    amount: int,
    currency: str,
    provider_ref: str = "",
    event: Event | None = None,
    actor: str = "system",
    bank_reference: str = "",
    recorded_by: int | None = None,
) -> str:
    """Money arrived: apply the kind's ledger effect once — or, when what it pays for
    no longer takes money, the late-arrival outcome (`donors.late`). Returns "paid",
    "late_arrival" or "duplicate"."""
    async with atomic():
        # The gate before the event row: its foreign key locks the payment (lock order).
        tender = await late.funding_gate(payment_id)
        if not await _record_event(event, payment_id, "paid"):
            return "duplicate"
        payment, settled = await late.lock_payment(payment_id, tender)
        if payment["status"] == "succeeded":
            return "duplicate"
        if int(payment["amount"]) != amount or payment["currency"] != currency.upper():
            raise PaymentMismatch(
                "The payment amount or currency does not match what was asked for."
            )
        if provider_ref and payment["provider_ref"] and payment["provider_ref"] != provider_ref:
            raise PaymentMismatch("The payment reference does not match.")
        reason = await late.late_reason(payment, tender, settled)
        transfers, summary = await _apply_paid(payment, reason, tender)
        event_row = new_event(
            actor,
            f"{payment['kind']}.{'late_arrival' if reason else 'paid'}",
            payment["kind"],
            payment["object_id"],
            rules.paid_change(
                payment,
                amount=amount,
                currency=currency,
                event_id=event.id if event else None,
                transfers=[t.body() for t in transfers],
                summary=summary,
            ),
        )
        await append_with(
            "UPDATE donors_payment SET status = 'succeeded', settled_at = {},"
            " bank_reference = {}, recorded_by = {} WHERE id = {}",
            [clock.now(), bank_reference, recorded_by, payment_id],
            event_row,
        )
    if reason and summary.get("refund"):
        await refunds.pay_out_now(int(summary["refund"]))
    return "late_arrival" if reason else "paid"


async def _apply_paid(
    payment: Row, late_reason: str | None, tender: Row | None
) -> tuple[list[Transfer], dict[str, Any]]:
    """The kind's ledger effect of a payment that arrived, or the late-arrival outcome;
    counted (metrics) once the transaction commits."""
    metrics.count_donation("late" if late_reason else "paid", kind=payment["kind"])
    if late_reason:
        return await late.on_late(payment, late_reason, tender)
    return await _effect(_ON_PAID, payment["kind"])(payment)


async def fail_payment(
    payment_id: int, *, reason: str, event: Event | None = None, actor: str = "system"
) -> str:
    """The payment will not arrive: release what was reserved for it. Idempotent."""
    async with atomic():
        await late.funding_gate(payment_id)  # before the event row (see confirm_payment)
        if not await _record_event(event, payment_id, "failed"):
            return "duplicate"
        payment = await _lock(payment_id)
        if payment["status"] != "awaiting":
            return "duplicate"
        await _fail_locked(payment, reason, actor)
    return "failed"


async def _fail_locked(payment: Row, reason: str, actor: str) -> None:
    """The failure of a locked awaiting payment: the kind's release, the row, the audit."""
    transfers, summary = await _effect(_ON_FAILED, payment["kind"])(payment)
    await execute(
        "UPDATE donors_payment SET status = 'failed', failure_reason = {}, settled_at = {}"
        " WHERE id = {}",
        reason[:500],
        clock.now(),
        payment["id"],
    )
    await append_audit(
        actor,
        f"{payment['kind']}.payment_failed",
        payment["kind"],
        payment["object_id"],
        {
            "payment": int(payment["id"]),
            "reason": reason[:200],
            "transfers": [t.body() for t in transfers],
            **summary,
        },
    )
    metrics.count_donation("failed", kind=payment["kind"])


# --- confirmation windows ------------------------------------------------------------


async def expire_payments(now: datetime | None = None) -> dict[str, int]:
    """Fail every awaiting payment whose confirmation window ended by `now` (reason
    "expired"): its reserved match is voided and the pledge gets its room back, and a
    donor who left an e-mail is told (in the outbox, same transaction). Safe to run
    again and concurrently. Returns how many were expired and how many donors told."""
    at = now or clock.now()
    rows = await execute(
        "SELECT id FROM donors_payment WHERE status = 'awaiting' AND expires_at IS NOT NULL"
        " AND expires_at <= {} ORDER BY id",
        at,
    )
    counts = {"expired": 0, "notified": 0}
    for row in rows:
        outcome = await _expire_one(int(row["id"]), at)
        if outcome is not None:
            counts["expired"] += 1
            counts["notified"] += int(outcome)
    return counts


async def _expire_one(payment_id: int, at: datetime) -> bool | None:
    """None when another run resolved it first; else whether a donor was told."""
    async with atomic():
        await late.funding_gate(payment_id)
        payment = await _lock(payment_id)
        if payment["status"] != "awaiting" or payment["expires_at"] is None:
            return None
        await _fail_locked(payment, EXPIRED, "system")
        return await notices.payment_expired(payment)


async def expire_command(args: object) -> int:
    """`market payments expire`."""
    from market.db import close_pool, start_pool
    from market.outbox import deliver_pending

    await start_pool()
    try:
        counts = await expire_payments()
        sent = await deliver_pending(limit=1000)
    finally:
        await close_pool()
    print(
        f"{counts['expired']} payment(s) expired, {counts['notified']} donor(s) told,"
        f" {sent} e-mail(s) delivered"
    )
    return 0


# --- bank transfers recorded by the operator --------------------------------------------


async def awaiting_bank_transfers(limit: int = 200) -> list[Row]:
    return await execute(
        "SELECT * FROM donors_payment WHERE provider = 'bank_transfer' AND status = 'awaiting'"
        " ORDER BY id LIMIT {}",
        limit,
    )


async def expired_bank_transfers(limit: int = 50) -> list[Row]:
    """Bank transfers whose window ended unpaid, newest first: the money may still come,
    and the operator records it like any other (it then takes its late outcome)."""
    return await execute(
        "SELECT * FROM donors_payment WHERE provider = 'bank_transfer' AND status = 'failed'"
        " AND failure_reason = {} ORDER BY id DESC LIMIT {}",
        EXPIRED,
        limit,
    )


async def record_bank_transfer(
    *, reference_code: str, amount: int, currency: str, bank_reference: str, operator_id: int
) -> Row:
    """The operator saw the money on the bank statement: confirm the payment — also one
    whose window ended (it failed as expired): the money did arrive, and
    `confirm_payment` gives it its late-arrival outcome."""
    rows = await execute(
        "SELECT * FROM donors_payment WHERE reference_code = {}",
        reference_code.strip().upper(),
    )
    if not rows or rows[0]["provider"] != "bank_transfer":
        raise NotFound("No bank transfer is expected with this reference.")
    payment = rows[0]
    if payment["status"] == "succeeded":
        raise Conflict("This bank transfer was already recorded.")
    if not bank_reference.strip():
        raise DomainError("Enter the bank statement reference.", field="bank_reference")
    await confirm_payment(
        int(payment["id"]),
        amount=amount,
        currency=currency,
        actor=actor_of(operator_id),
        bank_reference=bank_reference.strip()[:120],
        recorded_by=operator_id,
    )
    return await get_payment(int(payment["id"]))
