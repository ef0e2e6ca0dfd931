# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""The public audit chain: canonical JSON, the hash of each row, appending under the
head lock, and the hooks that run after every append (see `market.audit`)."""

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

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def iso_time(at: datetime) -> str:
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
            "at": iso_time(at),
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


async def chain_head() -> tuple[int, str]:
    """(length, head hash) for the public /audit page and OCDS publisher metadata."""
    rows = await execute("SELECT seq, hash FROM audit_head WHERE id = 1")
    return (int(rows[0]["seq"]), str(rows[0]["hash"])) if rows else (0, GENESIS)
