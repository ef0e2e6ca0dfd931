"""Donation rules: what may be donated, to what, and the numbers shown on receipts.
PURE (no framework imports).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from market.errors import DomainError, ValidationFailed
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
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class TenderClosedForDonations(DomainError):
    """The tender does not take money now."""


@dataclass(frozen=True, slots=True)
class DonationLimits:
    minimum: int = 100  # ¥1.00
    maximum: int = 100_000_00  # ¥100,000.00 per donation


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
) -> None:
    """Every refusal before anything is charged or written."""
    errors: dict[str, str] = {}
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
    if len(display_name) > 100:
        errors["display_name"] = "The name is too long (100 characters at most)."
    if len(message) > 500:
        errors["message"] = "The message is too long (500 characters at most)."
    if errors:
        raise ValidationFailed(errors)
    if tender_status not in OPEN_STATUSES:
        raise TenderClosedForDonations("This project does not accept money now.")


def check_contribution(*, amount: int, currency: str, tender_currency: str, status: str) -> None:
    """A sponsorship or own income: same money checks as a donation, no upper limit."""
    errors: dict[str, str] = {}
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


def receipt_number(kind: str, object_id: int, at: datetime) -> str:
    """D2026-00000042 (donation) / S… (sponsorship or own income): unique and stable."""
    letter = {"donation": "D", "sponsorship": "S", "own_income": "O"}[kind]
    return f"{letter}{at.year}-{object_id:08d}"


@dataclass(frozen=True, slots=True)
class ReleaseShare:
    release_key: str
    reference: str
    at: datetime
    amount: int  # this contribution's share of the release


def follow_the_yuan(
    contribution_id: int,
    contributions: Sequence[tuple[int, int]],
    releases: Sequence[tuple[str, str, datetime, int]],
) -> list[ReleaseShare]:
    """Which tranches a contribution paid: each release from a source's escrow is split
    over that source's contributions pro-rata to their amounts (largest remainder, so
    the shares of one release add up to it exactly).

    `contributions`: (id, amount) of every contribution to the source, in a stable
    order; `releases`: (key, reference, at, amount) of every release from it."""
    ids = [cid for cid, _ in contributions]
    if contribution_id not in ids:
        return []
    index = ids.index(contribution_id)
    weights = [amount for _, amount in contributions]
    if sum(weights) <= 0:
        return []
    shares = []
    for key, reference, at, amount in releases:
        part = allocate(amount, weights)[index]
        if part > 0:
            shares.append(ReleaseShare(key, reference, at, part))
    return shares
