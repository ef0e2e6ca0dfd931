"""Tamper-evident audit chain: every state change and money movement appends a row.

row.hash = sha256(prev_hash ‖ canonical JSON of the row), as UTF-8 bytes of the
64-character hex previous hash followed by the JSON; the first row's prev_hash is
64 zeros. Canonical JSON: sorted keys, no spaces, ensure_ascii=False. The JSON
covers seq, time, actor, action, object and change, so editing, deleting or
reordering any row breaks the chain at that row.

Writers serialize on the single `audit_head` row (SELECT … FOR UPDATE on
PostgreSQL; BEGIN IMMEDIATE on SQLite), inside the caller's transaction, so the
event commits or rolls back with the change it records and `seq` stays contiguous.

Sealed logs (DESIGN §6): events whose very existence must stay secret until a moment —
a tender's bids until their opening — go to a log of their own per scope
(`append_sealed`), not to the public chain, so the chain's length, times and rows are
the same whether a tender has 0 or 5 bids. At the moment, `anchor_sealed` appends one
public row carrying the log's count and its RFC 6962 Merkle root (leaf = H(0x00 ‖
canonical JSON of the event), node = H(0x01 ‖ left ‖ right), SHA-256; the empty log's
root is H("")). `verify_chain` recomputes every sealed log and checks each anchored one
against its public row: nothing in a log can change, vanish or be added afterwards
without `market audit verify` saying so.

The package: `chain` (canonical JSON, row hashes, `append_audit`, the append hooks),
`sealed` (sealed logs and their Merkle trees), `verify` (`market audit verify`). Other
apps import from `market.audit`; the names below are its public surface.
"""

from __future__ import annotations

from market.audit.chain import (
    GENESIS,
    AppendedHook,
    AuditRecord,
    _appended,  # the hook registry, read by the no-registration-at-import test
    actor_of,
    append_audit,
    canonical_json,
    chain_hash,
    chain_head,
    iso_time,
    on_appended,
    payload,
)
from market.audit.sealed import (
    ANCHOR,
    MERKLE,
    AnchoredLog,
    anchor_sealed,
    anchored_log,
    append_sealed,
    leaf_hash,
    merkle_root,
    sealed_payload,
    verify_sealed_logs,
)
from market.audit.verify import ChainStatus, command, verify_chain

__all__ = [
    "ANCHOR",
    "GENESIS",
    "MERKLE",
    "AnchoredLog",
    "AppendedHook",
    "AuditRecord",
    "ChainStatus",
    "_appended",
    "actor_of",
    "anchor_sealed",
    "anchored_log",
    "append_audit",
    "append_sealed",
    "canonical_json",
    "chain_hash",
    "chain_head",
    "command",
    "iso_time",
    "leaf_hash",
    "merkle_root",
    "on_appended",
    "payload",
    "sealed_payload",
    "verify_chain",
    "verify_sealed_logs",
]
