"""Audit chain tables: columns only; rows are append-only (trigger in the migration)."""

from __future__ import annotations

from piccolo.columns import BigInt, BigSerial, Text, Timestamptz, Varchar
from piccolo.table import Table


class AuditEvent(Table, tablename="audit_event"):
    id = BigSerial(primary_key=True)
    seq = BigInt(unique=True)
    at = Timestamptz()
    actor = Varchar(length=120)
    action = Varchar(length=80)
    object_type = Varchar(length=40)
    object_id = Varchar(length=120)
    change = Text()  # canonical JSON
    prev_hash = Varchar(length=64)
    hash = Varchar(length=64)


class AuditHead(Table, tablename="audit_head"):
    """One row (id 1): the chain's last sequence number and hash, locked by every writer."""

    seq = BigInt(default=0)
    hash = Varchar(length=64)
    prev_hash = Varchar(length=64, default="")
