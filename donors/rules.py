"""Donation rules: what may be donated, to what, and the numbers shown on receipts.
PURE (no framework imports).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from market.errors import DomainError, ValidationFailed
from market.ledger.rules import TransferRequest, escrow_code
from market.money import allocate

PROVIDERS = ("sandbox", "bank_transfer", "stripe")
ON_FAILURE = ("refund", "community_fund")
# A tender takes public money from publication until its project is over (before and
# after award); never while a draft nor once completed, cancelled or unsuccessful.
OPEN_STATUSES = frozenset({"published", "tendering", "evaluation", "awarded", "contracted"})
ACCEPTED_CURRENCIES = frozenset({"CNY"})
# Ledger account money comes from, per provider.
EXTERNAL_ACCOUNT = {
    "sandbox": "external:sandbox",
    "bank_transfer": "external:bank",
    "stripe": "external:stripe",
}


def payment_in(
    payment: Mapping[str, Any],
    *,
    credit: str,
    reason: str,
    reference: str,
    tender_id: int | None = None,
    source: str | None = None,
) -> TransferRequest:
    """The one transfer that brings a payment's money in: its whole amount from the
    provider's external account to `credit`, keyed `payment:{id}` — the transfer
    `market ledger check` ties each succeeded payment to."""
    return TransferRequest(
        key=f"payment:{payment['id']}",
        kind="single",
        amount=int(payment["amount"]),
        debit=EXTERNAL_ACCOUNT[payment["provider"]],
        credit=credit,
        currency=payment["currency"],
        reason=reason,
        reference=reference,
        tender_id=tender_id,
        source=source,
    )


_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class TenderClosedForDonations(DomainError):
    """The tender does not take money now."""


@dataclass(frozen=True, slots=True)
class DonationLimits:
    minimum: int = 100  # ¥1.00
    maximum: int = 100_000_00  # ¥100,000.00 per donation


def public_text_errors(display_name: str, message: str) -> dict[str, str]:
    """The refusals of what a giver shows in public beside their money — the name and
    the message — for a donation and a gift to a community fund alike."""
    errors: dict[str, str] = {}
    if len(display_name) > 100:
        errors["display_name"] = "The name is too long (100 characters at most)."
    if len(message) > 500:
        errors["message"] = "The message is too long (500 characters at most)."
    return errors


def check_donation(
    *,
    amount: int,
    currency: str,
    tender_currency: str,
    tender_status: str,
    provider: str,
    on_failure: str,
    limits: DonationLimits,
    display_name: str = "",
    message: str = "",
    sandbox: bool = False,
) -> None:
    """Every refusal before anything is charged or written."""
    errors: dict[str, str] = {}
    if sandbox and provider != "sandbox":  # a training tender never takes real money
        errors["provider"] = "A sandbox training tender accepts only the sandbox payment."
    if sandbox and on_failure == "community_fund":  # nor gives any to the real fund
        errors["on_failure"] = "A sandbox training tender's simulated money can only be refunded."
    if currency not in ACCEPTED_CURRENCIES or currency != tender_currency:
        errors["currency"] = "Donations to this project are accepted in CNY only."
    if amount <= 0:
        errors["amount"] = "The amount must be greater than zero."
    elif amount < limits.minimum:
        errors["amount"] = "The amount is below the minimum for one donation."
    elif amount > limits.maximum:
        errors["amount"] = "The amount is above the maximum for one donation."
    if provider not in PROVIDERS:
        errors["provider"] = "Choose a way to pay."
    if on_failure not in ON_FAILURE:
        errors["on_failure"] = "Choose what happens to your money if the project fails."
    errors.update(public_text_errors(display_name, message))
    if errors:
        raise ValidationFailed(errors)
    if tender_status not in OPEN_STATUSES:
        raise TenderClosedForDonations("This project does not accept money now.")


def check_contribution(
    *,
    amount: int,
    currency: str,
    tender_currency: str,
    status: str,
    provider: str,
    sandbox: bool = False,
) -> None:
    """A sponsorship or own income: same money checks as a donation, no upper limit."""
    errors: dict[str, str] = {}
    if sandbox and provider != "sandbox":  # a training tender never takes real money
        errors["provider"] = "A sandbox training tender accepts only the sandbox payment."
    if currency != tender_currency or currency not in ACCEPTED_CURRENCIES:
        errors["currency"] = "Donations to this project are accepted in CNY only."
    if amount <= 0:
        errors["amount"] = "The amount must be greater than zero."
    if errors:
        raise ValidationFailed(errors)
    if status not in OPEN_STATUSES:
        raise TenderClosedForDonations("This project does not accept money now.")


def reference_code(prefix: str = "PGM") -> str:
    """A bank-transfer reference the payer writes on the transfer: PGM-XXXX-XXXX."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{prefix}-{chars[:4]}-{chars[4:]}"


def donation_paid_requests(
    payment: Mapping[str, Any], donation: Mapping[str, Any]
) -> list[TransferRequest]:
    """What a donation's payment moves when it arrives: its money into the tender's
    public escrow (`payment_in`) and, when a match is reserved for it, that pending
    transfer posted — one request list for `donations.on_paid` and the batch
    (`donors.confirm_many`)."""
    donation_id, tender_id = int(donation["id"]), int(donation["tender"])
    requests = [
        payment_in(
            payment,
            credit=escrow_code(tender_id, "public"),
            reason="donation",
            reference=f"donation:{donation_id}",
            tender_id=tender_id,
            source="public",
        )
    ]
    if donation["match_status"] == "reserved":
        requests.append(match_resolved(donation_id, "post"))
    return requests


def donation_paid_summary(donation: Mapping[str, Any], matched: bool) -> dict[str, Any]:
    """What a paid donation's audit event adds to `paid_change`: its tender and the match
    posted with it (0 when none) — for `donations.on_paid` and the batch."""
    return {
        "tender_id": int(donation["tender"]),
        "match": int(donation["match_amount"]) if matched else 0,
    }


def match_resolved(donation_id: int, kind: Literal["post", "void"]) -> TransferRequest:
    """A donation's reserved match (the pending `donation:{id}:match`) posted when its
    money arrives, or voided when it will not."""
    return TransferRequest(
        key=f"donation:{donation_id}:match:{kind}",
        kind=kind,
        amount=None,
        pending_key=f"donation:{donation_id}:match",
        reference=f"donation:{donation_id}",
    )


def paid_change(
    payment: Mapping[str, Any],
    *,
    amount: int,
    currency: str,
    event_id: str | None,
    transfers: Sequence[Mapping[str, object]],
    summary: Mapping[str, Any],
) -> dict[str, Any]:
    """The audit change of a confirmed payment (`payments.confirm_payment` and the
    batch, `donors.confirm_many`): what arrived, from which provider event, and the
    transfers its effect wrote (their bodies)."""
    return {
        "payment": int(payment["id"]),
        "provider": payment["provider"],
        "amount": amount,
        "currency": currency.upper(),
        "event": event_id,
        "after_failure": payment["status"] == "failed",
        "transfers": list(transfers),
        **summary,
    }


def receipt_number(kind: str, object_id: int, at: datetime) -> str:
    """D2026-00000042 (donation) / S… (sponsorship or own income): unique and stable."""
    letter = {"donation": "D", "sponsorship": "S", "own_income": "O"}[kind]
    return f"{letter}{at.year}-{object_id:08d}"


@dataclass(frozen=True, slots=True)
class ReleaseShare:
    release_key: str
    reference: str
    at: datetime
    amount: int  # this donation's share of the release


@dataclass(frozen=True, slots=True)
class PaidIn:
    """Money paid into a source's escrow: a donation's id, amount and when it was paid."""

    id: int
    amount: int
    paid_at: datetime


@dataclass(frozen=True, slots=True)
class Release:
    """Money released from the same escrow (a tranche): key, reference, time, amount."""

    key: str
    reference: str
    at: datetime
    amount: int


def follow_the_yuan(
    paid: Sequence[PaidIn], releases: Sequence[Release]
) -> dict[int, list[ReleaseShare]]:
    """Which tranches each donation paid for: donation id → its shares, oldest first.

    The rule — pro-rata to what each donation still holds in the escrow: releases are
    taken in time order; a release is paid by the donations already paid in at its
    time (`paid_at <= at`: money paid later cannot have paid for it), each in
    proportion to its part still in the escrow (its amount less its shares of earlier
    releases), split by the largest remainder. Escrowed money is pooled, so no
    donation is "first" (FIFO would make early donors pay every tranche and late
    donors none, depending only on the order of payments); every donor's yuan is spent
    at the same pace from the moment it arrives.

    Guarantees: a donation's shares never add up to more than its amount, never come
    from a release before its payment, and one release's shares add up to at most its
    amount (exactly, unless the release took more than the donations listed held —
    money from elsewhere, which nobody is told they paid)."""
    pending = sorted(paid, key=lambda p: (p.paid_at, p.id))
    left: dict[int, int] = {}  # donation id → its part still in the escrow
    shares: dict[int, list[ReleaseShare]] = {p.id: [] for p in paid}
    arrived = 0
    for release in sorted(releases, key=lambda r: r.at):  # stable: same time keeps order
        while arrived < len(pending) and pending[arrived].paid_at <= release.at:
            left[pending[arrived].id] = max(pending[arrived].amount, 0)
            arrived += 1
        holders = [donation for donation, amount in left.items() if amount > 0]
        held = sum(left[d] for d in holders)
        if held <= 0 or release.amount <= 0:
            continue
        parts = allocate(min(release.amount, held), [left[d] for d in holders])
        for donation, part in zip(holders, parts, strict=True):
            if part > 0:
                left[donation] -= part
                shares[donation].append(
                    ReleaseShare(release.key, release.reference, release.at, part)
                )
    return shares
