"""Pure ledger rules: transfer validation, balance limits, two-phase resolution,
idempotency comparison. No Piccolo or Litestar imports; the services feed these
functions snapshots of locked rows and persist what they return.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import IntFlag
from typing import Literal

from market.errors import Conflict, DomainError, NotFound
from market.money import MAX_AMOUNT

Kind = Literal["single", "pending", "post", "void"]
KINDS: tuple[str, ...] = ("single", "pending", "post", "void")
SOURCES: tuple[str, ...] = ("government", "corporate", "foundation", "public", "own")
_KEY = re.compile(r"^[\w:.\-/@#]{1,160}$")
_CODE = re.compile(r"^[a-z_]+(:[\w\-]+)*$")
_REASON = re.compile(r"^[a-z_.\-]{1,40}$")


class Flags(IntFlag):
    NONE = 0
    DEBITS_MUST_NOT_EXCEED_CREDITS = 1
    CREDITS_MUST_NOT_EXCEED_DEBITS = 2


# --- errors ---------------------------------------------------------------------------


class LedgerError(DomainError):
    """Base of every ledger refusal. `code` is a stable machine-readable reason."""

    code = "ledger_error"


class InvalidTransfer(LedgerError):
    code = "invalid_transfer"


class AccountNotFound(LedgerError, NotFound):
    code = "account_not_found"


class CurrencyMismatchTransfer(LedgerError):
    code = "currency_mismatch"


class ExceedsCredits(LedgerError):
    code = "exceeds_credits"


class ExceedsDebits(LedgerError):
    code = "exceeds_debits"


class PendingNotFound(LedgerError, NotFound):
    code = "pending_transfer_not_found"


class NotPending(LedgerError):
    code = "pending_id_must_reference_pending"


class PendingAlreadyResolved(LedgerError, Conflict):
    code = "pending_transfer_already_resolved"


class ExceedsPendingAmount(LedgerError):
    code = "exceeds_pending_transfer_amount"


class IdempotencyConflict(LedgerError, Conflict):
    """Same transfer id, different body: nothing written."""

    code = "exists_with_different_body"


class TransferAlreadyFailed(LedgerError, Conflict):
    """The id failed before for a state-dependent reason; retrying cannot succeed."""

    code = "id_already_failed"


# Failures that depend on balances at the time: remembered per id (TigerBeetle
# `id_already_failed`) so a retry with the same id fails the same way.
STICKY_FAILURES: tuple[type[LedgerError], ...] = (ExceedsCredits, ExceedsDebits)


# --- values ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransferRequest:
    """What a caller asks for. For post/void the accounts, currency and reason may be
    left out (None): they are taken from the pending transfer; if given they must match.
    For post, amount None means the full pending amount."""

    key: str
    kind: Kind
    amount: int | None
    debit: str | None = None
    credit: str | None = None
    currency: str | None = None
    pending_key: str | None = None
    reason: str | None = None
    reference: str = ""
    tender_id: int | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    """A stored transfer (or one about to be stored), accounts by code."""

    key: str
    kind: str
    amount: int
    debit: str
    credit: str
    currency: str
    pending_key: str | None
    reason: str
    reference: str
    tender_id: int | None
    source: str | None

    def body(self) -> dict[str, object]:
        return {
            "key": self.key,
            "kind": self.kind,
            "amount": self.amount,
            "debit": self.debit,
            "credit": self.credit,
            "currency": self.currency,
            "pending_key": self.pending_key,
            "reason": self.reason,
            "reference": self.reference,
            "tender_id": self.tender_id,
            "source": self.source,
        }


@dataclass(slots=True)
class Balance:
    """Snapshot of one locked account row; mutated in memory, then written back."""

    id: int
    code: str
    currency: str
    flags: int
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0
    touched: bool = field(default=False, compare=False)

    @property
    def available(self) -> int:
        """What a debit-limited account can still send: credits_posted − debits_*."""
        return self.credits_posted - self.debits_posted - self.debits_pending

    def copy(self) -> Balance:
        return replace(self)


@dataclass(frozen=True, slots=True)
class PendingState:
    transfer: Transfer
    resolved_by: str | None  # "post" | "void" | None


# --- validation -----------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return type(value) is int


def validate_request(req: TransferRequest) -> None:
    """Shape checks that need no database: refuse before anything is read or written."""
    if not isinstance(req.key, str) or not _KEY.match(req.key):
        raise InvalidTransfer(
            f"transfer id {req.key!r} must be 1–160 characters [A-Za-z0-9_:.-/@#]"
        )
    if req.kind not in KINDS:
        raise InvalidTransfer(f"kind must be one of {', '.join(KINDS)}, got {req.kind!r}")
    if req.amount is not None:
        if not _is_int(req.amount):
            raise InvalidTransfer(
                f"amount must be an integer number of minor units, got {req.amount!r}",
                field="amount",
            )
        if req.amount <= 0:
            raise InvalidTransfer("amount must be greater than zero", field="amount")
        if req.amount > MAX_AMOUNT:
            raise InvalidTransfer("amount is out of range", field="amount")
    if req.currency is not None and (
        not isinstance(req.currency, str) or not re.fullmatch(r"[A-Z]{3}", req.currency)
    ):
        raise InvalidTransfer(f"currency must be an ISO 4217 code, got {req.currency!r}")
    if req.reason is not None and not _REASON.match(req.reason):
        raise InvalidTransfer(f"reason must be a short lowercase code, got {req.reason!r}")
    if req.source is not None and req.source not in SOURCES:
        raise InvalidTransfer(f"source must be one of {', '.join(SOURCES)}, got {req.source!r}")
    if req.tender_id is not None and not _is_int(req.tender_id):
        raise InvalidTransfer("tender_id must be an integer")
    if not isinstance(req.reference, str) or len(req.reference) > 120:
        raise InvalidTransfer("reference must be text of at most 120 characters")
    if req.kind in ("single", "pending"):
        if req.amount is None:
            raise InvalidTransfer("amount is required", field="amount")
        if not req.debit or not req.credit or req.currency is None or req.reason is None:
            raise InvalidTransfer("debit, credit, currency and reason are required")
        if req.pending_key is not None:
            raise InvalidTransfer("only post and void transfers name a pending transfer")
        if req.debit == req.credit:
            raise InvalidTransfer("debit and credit accounts must differ")
    else:
        if not req.pending_key:
            raise InvalidTransfer(f"a {req.kind} transfer must name the pending transfer")
    for code in (req.debit, req.credit):
        if code is not None and (not isinstance(code, str) or not _CODE.match(code)):
            raise InvalidTransfer(f"account code {code!r} is malformed")


def validate_account(code: str, currency: str, flags: int) -> None:
    if not isinstance(code, str) or len(code) > 120 or not _CODE.match(code):
        raise InvalidTransfer(f"account code {code!r} is malformed")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise InvalidTransfer(f"currency must be an ISO 4217 code, got {currency!r}")
    if not _is_int(flags) or flags & ~int(Flags.DEBITS_MUST_NOT_EXCEED_CREDITS | 2):
        raise InvalidTransfer(f"unknown account flags {flags!r}")
    if flags == int(Flags.DEBITS_MUST_NOT_EXCEED_CREDITS | Flags.CREDITS_MUST_NOT_EXCEED_DEBITS):
        raise InvalidTransfer("an account cannot limit both debits and credits")


def default_flags(code: str) -> Flags:
    """External accounts mirror the outside world and may go negative; every account
    inside the platform must never send more than it received."""
    if code.startswith("external:"):
        return Flags.NONE
    return Flags.DEBITS_MUST_NOT_EXCEED_CREDITS


def escrow_code(tender_id: int, source: str) -> str:
    if source not in SOURCES:
        raise InvalidTransfer(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    return f"tender:{tender_id}:escrow:{source}"


# --- resolving and applying -----------------------------------------------------------


def resolve(req: TransferRequest, pending: PendingState | None) -> Transfer:
    """Fill a post/void from its pending transfer and check it may resolve it."""
    if req.kind in ("single", "pending"):
        if not (req.debit and req.credit and req.currency and req.reason and req.amount):
            raise InvalidTransfer("debit, credit, currency, reason and amount are required")
        return Transfer(
            key=req.key,
            kind=req.kind,
            amount=req.amount,
            debit=req.debit,
            credit=req.credit,
            currency=req.currency,
            pending_key=None,
            reason=req.reason,
            reference=req.reference,
            tender_id=req.tender_id,
            source=req.source,
        )
    if pending is None:
        raise PendingNotFound(f"pending transfer {req.pending_key!r} does not exist")
    p = pending.transfer
    if p.kind != "pending":
        raise NotPending(f"transfer {p.key!r} is {p.kind}, not pending")
    for name, given, actual in (
        ("debit", req.debit, p.debit),
        ("credit", req.credit, p.credit),
        ("currency", req.currency, p.currency),
        ("reason", req.reason, p.reason),
        ("tender_id", req.tender_id, p.tender_id),
        ("source", req.source, p.source),
    ):
        if given is not None and given != actual:
            raise InvalidTransfer(f"{name} must match the pending transfer ({actual!r})")
    if pending.resolved_by is not None:
        past = "posted" if pending.resolved_by == "post" else "voided"
        raise PendingAlreadyResolved(f"pending transfer {p.key!r} was already {past}")
    amount = p.amount if req.amount is None else req.amount
    if req.kind == "post" and amount > p.amount:
        raise ExceedsPendingAmount(
            f"cannot post {amount}: pending transfer {p.key!r} holds only {p.amount}",
            field="amount",
        )
    if req.kind == "void" and amount != p.amount:
        raise InvalidTransfer("a void releases the whole pending amount; leave amount empty")
    return Transfer(
        key=req.key,
        kind=req.kind,
        amount=amount,
        debit=p.debit,
        credit=p.credit,
        currency=p.currency,
        pending_key=p.key,
        reason=p.reason,
        reference=req.reference or p.reference,
        tender_id=p.tender_id,
        source=p.source,
    )


def apply(
    transfer: Transfer, debit: Balance, credit: Balance, pending_amount: int | None = None
) -> None:
    """Apply one transfer to the two locked balances in place, enforcing limits.

    Limits are pessimistic (TigerBeetle): a pending transfer reserves its amount when
    created, so neither its post nor its void can break a limit later.
    """
    for account in (debit, credit):
        if account.currency != transfer.currency:
            raise CurrencyMismatchTransfer(
                f"account {account.code!r} is in {account.currency}, "
                f"the transfer is in {transfer.currency}"
            )
    amount = transfer.amount
    if transfer.kind in ("single", "pending"):
        if (
            debit.flags & Flags.DEBITS_MUST_NOT_EXCEED_CREDITS
            and debit.debits_posted + debit.debits_pending + amount > debit.credits_posted
        ):
            raise ExceedsCredits(
                f"account {debit.code!r} has only {max(debit.available, 0)} available, "
                f"{amount} requested",
                field="amount",
            )
        if (
            credit.flags & Flags.CREDITS_MUST_NOT_EXCEED_DEBITS
            and credit.credits_posted + credit.credits_pending + amount > credit.debits_posted
        ):
            raise ExceedsDebits(f"account {credit.code!r} cannot take {amount} more credits")
        if transfer.kind == "single":
            debit.debits_posted += amount
            credit.credits_posted += amount
        else:
            debit.debits_pending += amount
            credit.credits_pending += amount
    else:
        if pending_amount is None:
            raise InvalidTransfer(f"a {transfer.kind} needs its pending transfer's amount")
        debit.debits_pending -= pending_amount
        credit.credits_pending -= pending_amount
        if transfer.kind == "post":
            debit.debits_posted += amount
            credit.credits_posted += amount
    debit.touched = credit.touched = True


def same_body(req: TransferRequest, existing: Transfer) -> None:
    """Idempotent retry check: every field the caller gave must equal the stored one.

    Raises IdempotencyConflict naming the first differing field; returns when the
    request is a faithful retry (the caller then gets the original result)."""
    expected: list[tuple[str, object, object]] = [
        ("kind", req.kind, existing.kind),
        ("pending_key", req.pending_key, existing.pending_key),
    ]
    if req.kind in ("single", "pending") or req.amount is not None:
        expected.append(("amount", req.amount, existing.amount))
    for name in ("debit", "credit", "currency", "reason", "tender_id", "source"):
        given = getattr(req, name)
        if req.kind in ("single", "pending") or given is not None:
            expected.append((name, given, getattr(existing, name)))
    if req.kind in ("single", "pending") or req.reference:
        expected.append(("reference", req.reference, existing.reference))
    for name, given, stored in expected:
        if given != stored:
            raise IdempotencyConflict(
                f"transfer {req.key!r} exists with a different {name} "
                f"({stored!r}, not {given!r}); nothing was written"
            )
