# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Donations confirmed together: the common case of a giving day, in one transaction.

Stripe's webhooks for card donations arrive by the hundred per second, each into the
same escrow and most matched from the same pledge. One at a time
(`payments.confirm_payment`), each takes ~20 statements and its own commit, and they
queue on those hot account rows. Here a batch of them (`market.group_commit` gathers
the webhooks that arrive while the previous batch is written) takes a fixed number of
statements: the tenders' funding gates, the event ids, the payments and donations
locked in id order, one ledger write of every transfer (`create_transfers_at_commit`,
the accounts locked once, in id order), one UPDATE of the donations, and the payments'
UPDATE with one audit row each (`market.audit.append_all_with`).

The outcome is the one the one-at-a-time path gives, row for row — the same transfers,
the same donation and payment rows, the same audit events (their change built by the
same functions: `rules.donation_paid_requests`, `rules.paid_change`), and the same
lock order (ARCHITECTURE.md). Only the common case is handled: a donation's awaiting
Stripe payment, for the amount, currency and reference asked, into a tender still open
to money. Anything else in the batch (a late arrival, a mismatch, a payment that
failed before, the same payment twice…) raises `Uncommon` before anything commits, and
the caller applies each event alone (`donors.stripe_events.apply_stripe_events`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from donors import rules
from donors.payments import Event
from market import clock, metrics
from market.audit import append_all_with, new_event
from market.db import atomic, is_postgres
from market.ledger.at_commit import create_transfers_at_commit
from market.ledger.rules import TransferRequest
from market.sql import Row, execute, for_update, marks
from market.tenders.readmodels import lock_tenders_funding

MAX_BATCH = 200  # payments per transaction (bound parameters stay well under 32,767)


class Uncommon(Exception):
    """Something in the batch is not the common case: nothing was written, and each
    event is to be applied alone."""


@dataclass(frozen=True, slots=True)
class Paid:
    """A provider's word that a payment succeeded (a verified event)."""

    payment_id: int
    amount: int
    currency: str
    provider_ref: str
    event: Event


async def confirm_donations(batch: Sequence[Paid], *, actor: str = "stripe") -> list[str]:
    """Confirm the Stripe payments of donations in one transaction: "paid" for each, or
    "duplicate" for an event id applied before (as `payments.confirm_payment` answers).
    Raises `Uncommon` (nothing written) when an event needs the one-at-a-time path."""
    ids = [p.payment_id for p in batch]
    if not batch or len(batch) > MAX_BATCH:
        raise Uncommon(f"a batch holds 1 to {MAX_BATCH} payments")
    if len(set(ids)) != len(ids) or len({p.event.id for p in batch}) != len(batch):
        raise Uncommon("the same payment or event twice in one batch")
    async with atomic():
        return await _confirm(batch, actor)


async def _confirm(batch: Sequence[Paid], actor: str) -> list[str]:
    # Lock order, as one payment at a time: the tenders' funding gates (shared) → the
    # event ids (their foreign key: the payments, key-share) → the payments → the
    # donations → the ledger accounts (at commit) → nothing else.
    ids = sorted(p.payment_id for p in batch)
    rows = await execute(
        "SELECT p.id, d.tender FROM donors_payment p JOIN donors_donation d"
        " ON d.id = p.object_id WHERE p.kind = 'donation' AND p.provider = 'stripe'"
        f" AND p.id IN ({marks(len(ids))})",
        *ids,
    )
    if len(rows) != len(ids):
        raise Uncommon("a payment that is not a Stripe donation")
    tenders = await lock_tenders_funding(int(r["tender"]) for r in rows)
    if any(t["status"] not in rules.OPEN_STATUSES for t in tenders.values()):
        raise Uncommon("a tender closed to money")
    recorded = await _record_events(batch)
    fresh = [p for p in batch if p.event.id in recorded]
    outcomes = {p.payment_id: "paid" if p.event.id in recorded else "duplicate" for p in batch}
    if fresh:
        await _confirm_fresh(fresh, actor)
    return [outcomes[p.payment_id] for p in batch]


async def _record_events(batch: Sequence[Paid]) -> set[str]:
    """The event ids recorded now (the others were applied before: duplicates)."""
    now = clock.now()
    args: list[object] = []
    for p in sorted(batch, key=lambda p: p.payment_id):
        args += [p.event.id, p.event.type, p.payment_id, "paid", now]
    rows = await execute(
        "INSERT INTO donors_webhook_event (event_id, type, payment, outcome, received_at)"
        f" VALUES {', '.join(['(' + marks(5) + ')'] * len(batch))}"
        " ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        *args,
    )
    return {str(r["event_id"]) for r in rows}


async def _confirm_fresh(fresh: Sequence[Paid], actor: str) -> None:
    ids = sorted(p.payment_id for p in fresh)
    payments = await _lock_payments(ids)
    for paid in fresh:
        _check_common(payments[paid.payment_id], paid)
    donations = await _lock_donations([int(payments[i]["object_id"]) for i in ids])
    plan: list[tuple[Row, Row, list[TransferRequest]]] = []
    for i in ids:
        payment = payments[i]
        donation = donations[int(payment["object_id"])]
        plan.append((payment, donation, rules.donation_paid_requests(payment, donation)))
    currencies = {str(payment["currency"]) for payment, _, _ in plan}
    if len(currencies) != 1:
        raise Uncommon("payments in more than one currency")
    requests = [r for _, _, rs in plan for r in rs]
    ensure = sorted({c for _, _, rs in plan for c in (rs[0].debit, rs[0].credit) if c})
    transfers = iter(
        await create_transfers_at_commit(requests, ensure=ensure, currency=currencies.pop())
    )
    now = clock.now()
    await _mark_donations_paid(plan, now)
    by_id = {p.payment_id: p for p in fresh}
    events = []
    for payment, donation, rs in plan:
        written = [next(transfers) for _ in rs]
        matched = len(rs) > 1
        paid = by_id[int(payment["id"])]
        change = rules.paid_change(
            payment,
            amount=paid.amount,
            currency=paid.currency,
            event_id=paid.event.id,
            transfers=[t.body() for t in written],
            summary=rules.donation_paid_summary(donation, matched),
        )
        events.append(new_event(actor, "donation.paid", "donation", payment["object_id"], change))
        metrics.count_donation("paid", kind="donation")
    await append_all_with(
        "UPDATE donors_payment SET status = 'succeeded', settled_at = {}, bank_reference = '',"
        f" recorded_by = NULL WHERE id IN ({marks(len(ids))})",
        [now, *ids],
        events,
    )


async def _lock_payments(ids: Sequence[int]) -> dict[int, Row]:
    """The payments locked in id order, with whether their tender is settled (read
    under its funding gate, which the caller holds)."""
    rows = await execute(
        "SELECT p.*, EXISTS (SELECT 1 FROM donors_settlement s WHERE s.tender = d.tender)"
        " AS tender_settled FROM donors_payment p JOIN donors_donation d ON d.id = p.object_id"
        f" WHERE p.id IN ({marks(len(ids))}) ORDER BY p.id"
        + (" FOR UPDATE OF p" if is_postgres() else ""),
        *ids,
    )
    return {int(r["id"]): r for r in rows}


def _check_common(payment: Row, paid: Paid) -> None:
    if payment["tender_settled"]:
        raise Uncommon("a late arrival: the tender is settled")
    if payment["status"] != "awaiting":
        raise Uncommon(f"a payment {payment['status']}, not awaiting")
    if int(payment["amount"]) != paid.amount or payment["currency"] != paid.currency.upper():
        raise Uncommon("an amount or currency that differs from the payment's")
    if payment["provider_ref"] and paid.provider_ref != payment["provider_ref"]:
        raise Uncommon("a reference that differs from the payment's")


async def _lock_donations(ids: Sequence[int]) -> dict[int, Row]:
    wanted = sorted(ids)
    rows = await execute(
        f"SELECT * FROM donors_donation WHERE id IN ({marks(len(wanted))}) ORDER BY id"
        + for_update(),
        *wanted,
    )
    return {int(r["id"]): r for r in rows}


async def _mark_donations_paid(
    plan: Sequence[tuple[Row, Row, list[TransferRequest]]], now: datetime
) -> None:
    """One UPDATE: each donation paid, with its receipt number and its match posted (as
    `donations.on_paid` writes one)."""
    receipts: list[object] = []
    statuses: list[object] = []
    ids: list[int] = []
    for _, donation, rs in plan:
        did = int(donation["id"])
        ids.append(did)
        receipts += [did, rules.receipt_number("donation", did, now)]
        statuses += [did, "posted" if len(rs) > 1 else donation["match_status"]]
    when = " ".join(["WHEN {} THEN {}"] * len(ids))
    await execute(
        "UPDATE donors_donation SET status = 'paid', paid_at = {}, closed_at = NULL,"
        f" receipt_no = CASE id {when} END, match_status = CASE id {when} END"
        f" WHERE id IN ({marks(len(ids))})",
        now,
        *receipts,
        *statuses,
        *ids,
    )
