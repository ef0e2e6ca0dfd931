"""Ledger tables: columns only. Every foreign key is RESTRICT; transfers are append-only.

Extra constraints that Piccolo cannot express (composite indexes, CHECKs on
PostgreSQL, append-only triggers) are added as raw SQL in the migration.
"""

from __future__ import annotations

from piccolo.columns import (
    BigInt,
    BigSerial,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class LedgerAccount(Table, tablename="ledger_account"):
    code = Varchar(length=120, unique=True)
    currency = Varchar(length=3)
    flags = Integer(default=0)  # rules.Flags bitmask
    debits_pending = BigInt(default=0)
    debits_posted = BigInt(default=0)
    credits_pending = BigInt(default=0)
    credits_posted = BigInt(default=0)
    created_at = Timestamptz()


class LedgerTransfer(Table, tablename="ledger_transfer"):
    id = BigSerial(primary_key=True)
    # The idempotency-derived transfer id chosen by the caller ("donation:42").
    key = Varchar(length=160, unique=True)
    debit_account = ForeignKey(LedgerAccount, on_delete=OnDelete.restrict)
    credit_account = ForeignKey(LedgerAccount, on_delete=OnDelete.restrict)
    amount = BigInt()
    currency = Varchar(length=3)
    kind = Varchar(length=8)  # single | pending | post | void
    # Unique: a pending transfer is resolved (posted or voided) at most once.
    pending = ForeignKey(  # type: ignore[var-annotated]
        "self", on_delete=OnDelete.restrict, null=True, default=None, unique=True
    )
    reason = Varchar(length=40)
    reference = Varchar(length=120, default="", index=True)
    tender_id = Integer(null=True, default=None)
    source = Varchar(length=12, null=True, default=None)
    created_at = Timestamptz()


class LedgerRejection(Table, tablename="ledger_rejection"):
    """A transfer id that failed for a state-dependent reason; retries fail the same way."""

    key = Varchar(length=160, unique=True)
    code = Varchar(length=40)
    message = Text()
    body = Text()
    created_at = Timestamptz()


class LedgerOperation(Table, tablename="ledger_operation"):
    """Idempotency record of a multi-transfer escrow operation (release, return-all)."""

    key = Varchar(length=160, unique=True)
    kind = Varchar(length=20)
    body = Text()
    result = Text()
    created_at = Timestamptz()
