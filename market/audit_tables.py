"""Audit chain tables: columns only; rows are append-only (trigger in the migration)."""

from __future__ import annotations

from piccolo.columns import BigInt, BigSerial, Integer, Text, Timestamptz, Varchar
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


class AuditSealedEvent(Table, tablename="audit_sealed_event"):
    """Events that must stay out of the public chain's sight until a moment (a tender's
    bid opening): one log per `scope` ("tender:42"), positions 0, 1, 2 …; each leaf
    hash is RFC 6962's H(0x00 ‖ canonical JSON). At the moment the log's count and
    Merkle root enter the public chain as one row (`sealed_log.anchor`)."""

    id = BigSerial(primary_key=True)
    scope = Varchar(length=60, index=True)
    position = Integer()
    at = Timestamptz()
    actor = Varchar(length=120)
    action = Varchar(length=80)
    object_type = Varchar(length=40)
    object_id = Varchar(length=120)
    change = Text()  # canonical JSON
    leaf_hash = Varchar(length=64)
