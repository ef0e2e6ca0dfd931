"""Appending to the public audit chain: a row is queued in the caller's transaction,
without any lock another writer waits on, and the hooks that run after every append
(see `market.audit`; the sequencer, `market.audit.sequencer`, chains queued rows)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from market import clock
from market.audit.rules import GENESIS, canonical_json
from market.db import atomic, in_transaction
from market.errors import DomainError
from market.sql import execute
from market.timestamps import timestamp


def actor_of(user_id: int) -> str:
    """The audit actor for a signed-in person (the system's actors are `system:…`)."""
    return f"user:{user_id}"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """An appended event. `id` is its identity from the moment it is written (unique,
    never reused; rolled-back appends leave gaps); its place in the chain (seq, hashes)
    is given later by the sequencer, so nothing in the writer's transaction sees it."""

    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    change: str


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
            record = await _queue(actor, action, object_type, str(object_id), change_json)
            return await _appended_event(record)
    record = await _queue(actor, action, object_type, str(object_id), change_json)
    return await _appended_event(record)


async def _queue(
    actor: str, action: str, object_type: str, object_id: str, change_json: str
) -> AuditRecord:
    at = clock.now()
    rows = await execute(
        "INSERT INTO audit_event (at, actor, action, object_type, object_id, change)"
        " VALUES ({}, {}, {}, {}, {}, {}) RETURNING id",
        at,
        actor,
        action,
        object_type,
        object_id,
        change_json,
    )
    return AuditRecord(int(rows[0]["id"]), at, actor, action, object_type, object_id, change_json)


async def chain_head() -> tuple[int, str]:
    """(length, head hash) of the sequenced chain, for the /audit page and OCDS
    publisher metadata (rows still queued are not in it yet)."""
    rows = await execute("SELECT seq, hash FROM audit_head WHERE id = 1")
    return (int(rows[0]["seq"]), str(rows[0]["hash"])) if rows else (0, GENESIS)


async def change_mark() -> tuple[object, ...]:
    """What changes whenever a public state change commits: the newest row's id and
    append time, and the sequenced head's length. Every state change appends a row, so
    a page built from committed data is current while this mark is unchanged (the page
    cache, market.web.page_cache). The id alone could miss a row committed after one
    with a larger id (PostgreSQL hands ids out at INSERT); the sequencer chains such a
    row within a second of its commit and the head's length moves. The time tells a
    table emptied and filled again (tests) from the rows it had. Two index lookups."""
    rows = await execute(
        "SELECT (SELECT id FROM audit_event ORDER BY id DESC LIMIT 1) AS last_id,"
        " (SELECT at FROM audit_event ORDER BY id DESC LIMIT 1) AS last_at,"
        " (SELECT seq FROM audit_head WHERE id = 1) AS sealed"
    )
    row = rows[0]
    return (row["last_id"], str(row["last_at"]), row["sealed"])


async def queued_count() -> tuple[int, datetime | None]:
    """How many appended rows wait for the sequencer, and the oldest one's time."""
    rows = await execute(
        "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM audit_event WHERE seq IS NULL"
    )
    return int(rows[0]["n"]), timestamp(rows[0]["oldest"])
