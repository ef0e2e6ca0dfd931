# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
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
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from market import clock
from market.db import atomic, in_transaction, is_postgres
from market.errors import DomainError
from market.sql import execute, for_update
from market.timestamps import timestamp

GENESIS = "0" * 64
_BATCH = 2000


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def payload(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    change_json: str,
) -> str:
    """The canonical JSON that a row's hash covers (change embedded as parsed JSON)."""
    return canonical_json(
        {
            "seq": seq,
            "at": _iso(at),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "change": json.loads(change_json),
        }
    )


def actor_of(user_id: int) -> str:
    """The audit actor for a signed-in person (the system's actors are `system:…`)."""
    return f"user:{user_id}"


def chain_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    change: str
    prev_hash: str
    hash: str


AppendedHook = Callable[[AuditRecord], Awaitable[None]]
_appended: list[AppendedHook] = []


def on_appended(hook: AppendedHook) -> AppendedHook:
    """Register a hook that runs after every append, inside the same transaction (so
    what it writes commits or rolls back with the event). Other apps use it to react
    to kernel events without the kernel importing them, e.g. the open-data app
    publishing an OCDS release per state change. Hooks must not append audit events."""
    if hook not in _appended:
        _appended.append(hook)
    return hook


async def _appended_event(record: AuditRecord) -> AuditRecord:
    for hook in list(_appended):
        await hook(record)
    return record


async def _lock_head() -> tuple[int, str]:
    sql = "SELECT seq, hash FROM audit_head WHERE id = 1" + for_update()
    rows = await execute(sql)
    if not rows:
        await execute(
            "INSERT INTO audit_head (id, seq, hash, prev_hash) VALUES (1, 0, {}, {})"
            " ON CONFLICT (id) DO NOTHING",
            GENESIS,
            GENESIS,
        )
        rows = await execute(sql)
    return int(rows[0]["seq"]), str(rows[0]["hash"])


async def append_audit(
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    change: Mapping[str, Any],
) -> AuditRecord:
    """Append one event inside the caller's transaction (or a new one)."""
    if not actor or not action or not object_type:
        raise DomainError("audit events need an actor, an action and an object type")
    change_json = canonical_json(dict(change))
    if not in_transaction():
        async with atomic():
            record = await _append(actor, action, object_type, str(object_id), change_json)
            return await _appended_event(record)
    record = await _append(actor, action, object_type, str(object_id), change_json)
    return await _appended_event(record)


async def _append(
    actor: str, action: str, object_type: str, object_id: str, change_json: str
) -> AuditRecord:
    at = clock.now()
    if is_postgres():
        return await _append_pg(at, actor, action, object_type, object_id, change_json)
    prev_seq, prev_hash = await _lock_head()
    seq = prev_seq + 1
    digest = chain_hash(
        prev_hash, payload(seq, at, actor, action, object_type, object_id, change_json)
    )
    await execute(
        "UPDATE audit_head SET seq = {}, hash = {}, prev_hash = {} WHERE id = 1",
        seq,
        digest,
        prev_hash,
    )
    await execute(
        "INSERT INTO audit_event (seq, at, actor, action, object_type, object_id, change,"
        " prev_hash, hash) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
        seq,
        at,
        actor,
        action,
        object_type,
        object_id,
        change_json,
        prev_hash,
        digest,
    )
    return AuditRecord(
        seq, at, actor, action, object_type, object_id, change_json, prev_hash, digest
    )


# One statement on PostgreSQL, so the chain head stays locked for as short a time as
# possible: the UPDATE locks the head row and computes the new hash from the row's
# latest values. "seq" sorts last among the payload's keys, so the canonical JSON is
# the rest of the payload without its closing brace, then `,"seq":N}`.
_APPEND_PG = """
WITH head AS (
  UPDATE audit_head
  SET seq = seq + 1, prev_hash = hash,
      hash = encode(sha256(convert_to(hash || {} || (seq + 1)::text || chr(125), 'UTF8')), 'hex')
  WHERE id = 1
  RETURNING seq, hash, prev_hash
)
INSERT INTO audit_event (seq, at, actor, action, object_type, object_id, change,
                         prev_hash, hash)
SELECT head.seq, {}, {}, {}, {}, {}, {}, head.prev_hash, head.hash FROM head
RETURNING seq, prev_hash, hash
"""


async def _append_pg(
    at: datetime, actor: str, action: str, object_type: str, object_id: str, change_json: str
) -> AuditRecord:
    full = payload(0, at, actor, action, object_type, object_id, change_json)
    suffix = ',"seq":0}'
    if not full.endswith(suffix):  # pragma: no cover - guards the key-order assumption
        raise RuntimeError("audit payload key order changed")
    prefix = full[: -len(suffix)] + ',"seq":'
    args = (prefix, at, actor, action, object_type, object_id, change_json)
    rows = await execute(_APPEND_PG, *args)
    if not rows:  # no head row yet (new or truncated database)
        await _lock_head()
        rows = await execute(_APPEND_PG, *args)
    row = rows[0]
    return AuditRecord(
        int(row["seq"]),
        at,
        actor,
        action,
        object_type,
        object_id,
        change_json,
        str(row["prev_hash"]),
        str(row["hash"]),
    )


# --- sealed logs (RFC 6962 Merkle trees) ----------------------------------------------

ANCHOR = "sealed_log.anchor"
MERKLE = "RFC 6962 SHA-256 Merkle tree hash over the log's leaves in position order"


def leaf_hash(data: str) -> str:
    """RFC 6962 leaf hash of one event's canonical JSON: SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(b"\x00" + data.encode("utf-8")).hexdigest()


def merkle_root(leaves: list[str]) -> str:
    """RFC 6962 Merkle Tree Hash over hex leaf hashes (H("") for none)."""
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    nodes = [bytes.fromhex(leaf) for leaf in leaves]
    return _mth(nodes).hex()


def _mth(nodes: list[bytes]) -> bytes:
    if len(nodes) == 1:
        return nodes[0]
    split = 1 << ((len(nodes) - 1).bit_length() - 1)  # largest power of two < n
    return hashlib.sha256(b"\x01" + _mth(nodes[:split]) + _mth(nodes[split:])).digest()


def sealed_payload(
    scope: str,
    position: int,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    change_json: str,
) -> str:
    """The canonical JSON a sealed event's leaf hash covers."""
    return canonical_json(
        {
            "scope": scope,
            "position": position,
            "at": _iso(at),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "change": json.loads(change_json),
        }
    )


async def _anchor_of(scope: str) -> dict[str, Any] | None:
    rows = await execute(
        "SELECT seq, change FROM audit_event WHERE action = {} AND object_id = {} ORDER BY seq",
        ANCHOR,
        scope,
    )
    return dict(rows[0]) if rows else None


async def append_sealed(
    scope: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    change: Mapping[str, Any],
) -> int:
    """Append to a scope's sealed log (the caller holds the lock that orders the scope's
    writes, e.g. its tender row); returns the position. Refused once anchored."""
    if not actor or not action or not object_type:
        raise DomainError("audit events need an actor, an action and an object type")
    if await _anchor_of(scope) is not None:
        raise DomainError("this sealed log was anchored: record the event in the public chain")
    change_json = canonical_json(dict(change))
    rows = await execute("SELECT COUNT(*) AS n FROM audit_sealed_event WHERE scope = {}", scope)
    position = int(rows[0]["n"])
    at = clock.now()
    data = sealed_payload(
        scope, position, at, actor, action, object_type, str(object_id), change_json
    )
    await execute(
        "INSERT INTO audit_sealed_event (scope, position, at, actor, action, object_type,"
        " object_id, change, leaf_hash) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
        scope,
        position,
        at,
        actor,
        action,
        object_type,
        str(object_id),
        change_json,
        leaf_hash(data),
    )
    return position


async def _sealed_leaves(scope: str) -> tuple[list[str], str]:
    """The log's leaf hashes recomputed from its rows, and '' or why the log is broken."""
    rows = await execute(
        "SELECT position, at, actor, action, object_type, object_id, change, leaf_hash"
        " FROM audit_sealed_event WHERE scope = {} ORDER BY position",
        scope,
    )
    leaves: list[str] = []
    for expected, row in enumerate(rows):
        if int(row["position"]) != expected:
            return leaves, f"sealed log {scope}: position {expected} is missing"
        data = sealed_payload(
            scope,
            expected,
            timestamp(row["at"]),
            str(row["actor"]),
            str(row["action"]),
            str(row["object_type"]),
            str(row["object_id"]),
            str(row["change"]),
        )
        digest = leaf_hash(data)
        if digest != row["leaf_hash"]:
            return leaves, f"sealed log {scope}: event {expected} does not match its leaf hash"
        leaves.append(digest)
    return leaves, ""


async def anchor_sealed(scope: str, actor: str) -> AuditRecord:
    """At the moment: one public row with the log's count and Merkle root. Once only."""
    if await _anchor_of(scope) is not None:
        raise DomainError("this sealed log is already anchored")
    leaves, broken = await _sealed_leaves(scope)
    if broken:
        raise DomainError(broken)
    return await append_audit(
        actor,
        ANCHOR,
        "sealed_log",
        scope,
        {"count": len(leaves), "root": merkle_root(leaves), "tree": MERKLE},
    )


@dataclass(frozen=True, slots=True)
class AnchoredLog:
    scope: str
    anchor_seq: int
    count: int
    root: str
    events: list[dict[str, Any]]  # position order, each with its canonical `data`


async def anchored_log(scope: str) -> AnchoredLog | None:
    """A sealed log once anchored (None before: then nothing about it may be shown)."""
    anchor = await _anchor_of(scope)
    if anchor is None:
        return None
    change = json.loads(str(anchor["change"]))
    rows = await execute(
        "SELECT position, at, actor, action, object_type, object_id, change, leaf_hash"
        " FROM audit_sealed_event WHERE scope = {} ORDER BY position",
        scope,
    )
    events = []
    for row in rows:
        at = timestamp(row["at"])
        event = {**dict(row), "at": at}
        event["data"] = sealed_payload(
            scope,
            int(row["position"]),
            at,
            str(row["actor"]),
            str(row["action"]),
            str(row["object_type"]),
            str(row["object_id"]),
            str(row["change"]),
        )
        events.append(event)
    return AnchoredLog(scope, int(anchor["seq"]), int(change["count"]), str(change["root"]), events)


async def verify_sealed_logs() -> tuple[int, str]:
    """(logs checked, '' or the first problem): every log recomputes, and every anchored
    log's count and root equal its public row, with nothing added after the anchor."""
    scopes = [
        str(r["scope"])
        for r in await execute("SELECT DISTINCT scope FROM audit_sealed_event ORDER BY scope")
    ]
    anchored = {
        str(r["object_id"]): str(r["change"])
        for r in await execute(
            "SELECT object_id, change FROM audit_event WHERE action = {}", ANCHOR
        )
    }
    for scope in sorted(set(scopes) | set(anchored)):
        leaves, broken = await _sealed_leaves(scope)
        if broken:
            return len(scopes), broken
        if scope in anchored:
            anchor = json.loads(anchored[scope])
            if anchor.get("count") != len(leaves) or anchor.get("root") != merkle_root(leaves):
                return len(scopes), (
                    f"sealed log {scope}: {len(leaves)} events do not match the anchored"
                    f" count {anchor.get('count')} and root"
                )
    return len(set(scopes) | set(anchored)), ""


@dataclass(frozen=True, slots=True)
class ChainStatus:
    ok: bool
    length: int
    head: str
    first_broken: int | None = None
    reason: str = ""
    sealed_logs: int = 0

    def summary(self) -> str:
        if self.ok:
            return (
                f"audit chain OK: {self.length} events, head {self.head};"
                f" {self.sealed_logs} sealed log(s) OK"
            )
        where = f"at index {self.first_broken}" if self.first_broken else "in a sealed log"
        return f"audit chain BROKEN {where}: {self.reason}"


def _check_row(row: Mapping[str, Any], expected_seq: int, prev_hash: str) -> str:
    """'' when the row continues the chain, else why not."""
    if int(row["seq"]) != expected_seq:
        return f"expected sequence {expected_seq}, found {row['seq']} (a row is missing)"
    if row["prev_hash"] != prev_hash:
        return "prev_hash does not match the previous row's hash"
    change = str(row["change"])
    try:
        if canonical_json(json.loads(change)) != change:
            return "change is not canonical JSON"
    except ValueError:
        return "change is not valid JSON"
    body = payload(
        expected_seq,
        timestamp(row["at"]),
        str(row["actor"]),
        str(row["action"]),
        str(row["object_type"]),
        str(row["object_id"]),
        change,
    )
    if chain_hash(prev_hash, body) != row["hash"]:
        return "hash does not match the row's content"
    return ""


async def verify_chain() -> ChainStatus:
    """Recompute the chain from the first row; report the first broken index (seq)."""
    expected, prev_hash, last_seq = 1, GENESIS, 0
    while True:
        rows = await execute(
            "SELECT seq, at, actor, action, object_type, object_id, change, prev_hash, hash"
            " FROM audit_event WHERE seq > {} ORDER BY seq LIMIT {}",
            last_seq,
            _BATCH,
        )
        for row in rows:
            reason = _check_row(row, expected, prev_hash)
            if reason:
                return ChainStatus(False, expected - 1, prev_hash, expected, reason)
            prev_hash, last_seq, expected = str(row["hash"]), int(row["seq"]), expected + 1
        if len(rows) < _BATCH:
            break
    head = await execute("SELECT seq, hash FROM audit_head WHERE id = 1")
    head_seq, head_hash = (int(head[0]["seq"]), str(head[0]["hash"])) if head else (0, GENESIS)
    if head_seq != last_seq or head_hash != prev_hash:
        return ChainStatus(
            False,
            last_seq,
            prev_hash,
            last_seq + 1,
            f"chain ends at {last_seq} but the head records {head_seq} (rows removed at the end?)",
        )
    logs, broken = await verify_sealed_logs()
    if broken:
        return ChainStatus(False, last_seq, prev_hash, None, broken, logs)
    return ChainStatus(True, last_seq, prev_hash, sealed_logs=logs)


async def chain_head() -> tuple[int, str]:
    """(length, head hash) for the public /audit page and OCDS publisher metadata."""
    rows = await execute("SELECT seq, hash FROM audit_head WHERE id = 1")
    return (int(rows[0]["seq"]), str(rows[0]["hash"])) if rows else (0, GENESIS)


async def command(args: object) -> int:
    """`market audit verify`."""
    from market.db import close_pool, start_pool

    await start_pool()
    try:
        status = await verify_chain()
    finally:
        await close_pool()
    print(status.summary())
    return 0 if status.ok else 1
