# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Appending to the public audit chain: a row is queued in the caller's transaction,
without any lock another writer waits on, and the hooks that run after every append
(see `market.audit`; the sequencer, `market.audit.sequencer`, chains queued rows)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar, cast

from market import clock
from market.audit.rules import GENESIS, canonical_json
from market.db import atomic, in_transaction, is_postgres
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

    def insert_args(self) -> tuple[Any, ...]:
        """`INSERT_EVENT`'s values: a record made by `new_event` (id 0: not yet written)
        is inserted alone (`append_event`) or within another statement (the ledger's
        write: the transfers and their event in one round trip), then `appended`."""
        return (self.at, self.actor, self.action, self.object_type, self.object_id, self.change)


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


_BATCH: ContextVar[dict[Hashable, Any] | None] = ContextVar("audit_batch", default=None)
_EVENTS = ("audit.batch_events",)
T = TypeVar("T")


async def shared_in_batch(key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
    """`read()` — once per batch while the hooks of a batch of events run
    (`append_all_with`): the batch's events share what their hooks read under one `key`
    (the same tender, pledge, members…). Sound because nothing but those hooks runs
    between them, and hooks do not change what they read. Outside a batch: `read()`."""
    memo = _BATCH.get()
    if memo is None:
        return await read()
    if key not in memo:
        memo[key] = await read()
    return cast("T", memo[key])


def batch_events() -> list[AuditRecord]:
    """The events of the batch whose hooks are running (empty outside a batch): a hook
    may read for all of them at once what each will need (`shared_in_batch`)."""
    memo = _BATCH.get()
    return list(memo[_EVENTS]) if memo is not None else []


def batch_memo() -> dict[Hashable, Any] | None:
    """The running batch's memo (see `shared_in_batch`), None outside a batch: a hook
    that writes at commit keeps there what one write for the whole batch needs."""
    return _BATCH.get()


async def _appended_event(record: AuditRecord) -> AuditRecord:
    for hook in list(_appended):
        await hook(record)
    return record


_EVENT_VALUES = "({}, {}, {}, {}, {}, {})"
INSERT_EVENT = (
    "INSERT INTO audit_event (at, actor, action, object_type, object_id, change)"
    f" VALUES {_EVENT_VALUES} RETURNING id"
)


def new_event(
    actor: str, action: str, object_type: str, object_id: str | int, change: Mapping[str, Any]
) -> AuditRecord:
    """The event about to be appended (its id 0 until it is written)."""
    if not actor or not action or not object_type:
        raise DomainError("audit events need an actor, an action and an object type")
    return AuditRecord(
        0, clock.now(), actor, action, object_type, str(object_id), canonical_json(dict(change))
    )


async def appended(event: AuditRecord, event_id: int) -> AuditRecord:
    """The event, inserted with `event_id` in the open transaction: the append hooks
    run (in that transaction) and its record is returned."""
    return await _appended_event(replace(event, id=event_id))


async def append_event(event: AuditRecord) -> AuditRecord:
    """Insert the event and run the append hooks, inside the caller's transaction (or
    a new one)."""
    if not in_transaction():
        async with atomic():
            return await append_event(event)
    rows = await execute(INSERT_EVENT, *event.insert_args())
    return await appended(event, int(rows[0]["id"]))


async def append_with(write: str, args: Sequence[Any], event: AuditRecord) -> AuditRecord:
    """`write` (an UPDATE, INSERT or DELETE without RETURNING, `{}` marks bound to
    `args`) and the event that records it, in the open transaction: one statement on
    PostgreSQL (the write as a data-modifying CTE), two on SQLite."""
    if not in_transaction():
        async with atomic():
            return await append_with(write, args, event)
    if is_postgres():
        rows = await execute(
            f"WITH written AS ({write}) {INSERT_EVENT}", *args, *event.insert_args()
        )
        return await appended(event, int(rows[0]["id"]))
    await execute(write, *args)
    return await append_event(event)


async def append_all_with(
    write: str, args: Sequence[Any], events: Sequence[AuditRecord]
) -> list[AuditRecord]:
    """`append_with` for several events at once (a batch, `donors.confirm_many`): the
    write and every event's row in one statement on PostgreSQL, two on SQLite; then the
    append hooks run for each event, in the order given. No two events may share their
    action and object (that is how each inserted row is told back to its event)."""
    if not events:
        raise DomainError("append_all_with needs at least one event")
    if not in_transaction():
        async with atomic():
            return await append_all_with(write, args, events)
    keys = [(e.action, e.object_type, e.object_id) for e in events]
    if len(set(keys)) != len(keys):
        raise DomainError("two events of one batch share their action and object")
    values = ", ".join([_EVENT_VALUES] * len(events))
    insert = (
        "INSERT INTO audit_event (at, actor, action, object_type, object_id, change)"
        f" VALUES {values} RETURNING id, action, object_type, object_id"
    )
    event_args = [arg for e in events for arg in e.insert_args()]
    if is_postgres():
        rows = await execute(f"WITH written AS ({write}) {insert}", *args, *event_args)
    else:
        await execute(write, *args)
        rows = await execute(insert, *event_args)
    ids = {(r["action"], r["object_type"], r["object_id"]): int(r["id"]) for r in rows}
    records = [replace(e, id=ids[key]) for e, key in zip(events, keys, strict=True)]
    token = _BATCH.set({_EVENTS: records})
    try:
        return [await _appended_event(record) for record in records]
    finally:
        _BATCH.reset(token)


async def append_audit(
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    change: Mapping[str, Any],
) -> AuditRecord:
    """Append one event inside the caller's transaction (or a new one)."""
    return await append_event(new_event(actor, action, object_type, object_id, change))


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
