"""Tamper-evident audit chain: every state change and money movement appends a row.

row.hash = sha256(prev_hash ‖ canonical JSON of the row), as UTF-8 bytes of the
64-character hex previous hash followed by the JSON; the first row's prev_hash is
64 zeros. Canonical JSON: sorted keys, no spaces, ensure_ascii=False. The JSON
covers seq, time, actor, action, object and change, so editing, deleting or
reordering any row breaks the chain at that row.

Appending takes no global lock (RFC 6962 / Trillian: entries are queued, then a
sequencer integrates them). `append_audit` inserts the row in the caller's
transaction with its identity (`id`, from a sequence: unique, never reused, with gaps
where a transaction rolled back) and seq, prev_hash and hash NULL: the row is
*queued*, and commits or rolls back with the change it records. The sequencer
(`sequencer`, run by the worker's `audit.sequence` job, which a run holds for a
minute and repeats every 100 ms, so a row is chained well within a second) takes the
committed queued rows in id order, a batch per short transaction, gives them
contiguous seqs after the head and the hashes exactly as above, and moves the head
(`audit_head`), which only the sequencer locks. So the chain, its canonical JSON,
`market audit verify` and the published format are what they were; only the order
is the sequencer's (a row joins the first batch after its transaction commits).
Nothing inside the writer's transaction knows the seq: what must name the event
there uses its id (OCDS release ids, `<ocid>-<event id>`). Readers show a queued row
as pending; `verify_chain` counts queued rows and fails when one has waited longer
than `verify.MAX_MERGE_DELAY` (the sequencer has stopped). The database guard lets
an UPDATE through only when it sequences a queued row without changing its content.
Both engines work the same way (SQLite serializes writers anyway; one design keeps
one set of tests and one set of pages).

Sealed logs (DESIGN §6): events whose very existence must stay secret until a moment —
a tender's bids until their opening — go to a log of their own per scope
(`append_sealed`), not to the public chain, so the chain's length, times and rows are
the same whether a tender has 0 or 5 bids. At the moment, `anchor_sealed` appends one
public row carrying the log's count and its RFC 6962 Merkle root (leaf = H(0x00 ‖
canonical JSON of the event), node = H(0x01 ‖ left ‖ right), SHA-256; the empty log's
root is H("")). `verify_chain` recomputes every sealed log and checks each anchored one
against its public row: nothing in a log can change, vanish or be added afterwards
without `market audit verify` saying so.

The package: `rules` (pure: canonical JSON, row hashes, the sequencing rule), `chain`
(`append_audit`, the append hooks, the head), `sequencer` (chaining queued rows),
`sealed` (sealed logs and their Merkle trees), `verify` (`market audit verify`).
Other apps import from `market.audit`; the names below are its public surface.
"""

from __future__ import annotations

from market.audit.chain import (
    INSERT_EVENT,
    AppendedHook,
    AuditRecord,
    _appended,  # the hook registry, read by the no-registration-at-import test
    actor_of,
    append_all_with,
    append_audit,
    append_event,
    append_with,
    appended,
    batch_events,
    batch_memo,
    chain_head,
    change_mark,
    new_event,
    on_appended,
    queued_count,
    shared_in_batch,
)
from market.audit.rules import GENESIS, canonical_json, chain_hash, iso_time, payload
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
from market.audit.sequencer import sequence_batch, sequence_queued
from market.audit.verify import MAX_MERGE_DELAY, ChainStatus, command, verify_chain

__all__ = [
    "ANCHOR",
    "GENESIS",
    "INSERT_EVENT",
    "MAX_MERGE_DELAY",
    "MERKLE",
    "AnchoredLog",
    "AppendedHook",
    "AuditRecord",
    "ChainStatus",
    "_appended",
    "actor_of",
    "anchor_sealed",
    "anchored_log",
    "append_all_with",
    "append_audit",
    "append_event",
    "append_sealed",
    "append_with",
    "appended",
    "batch_events",
    "batch_memo",
    "canonical_json",
    "chain_hash",
    "chain_head",
    "change_mark",
    "command",
    "iso_time",
    "leaf_hash",
    "merkle_root",
    "new_event",
    "on_appended",
    "payload",
    "queued_count",
    "sealed_payload",
    "sequence_batch",
    "sequence_queued",
    "shared_in_batch",
    "verify_chain",
    "verify_sealed_logs",
]
