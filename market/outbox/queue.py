"""Writing messages to the outbox, in the caller's transaction: one row per key
(event, recipient, channel), so writing the same message twice writes one row."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from market import clock
from market.db import atomic, is_postgres
from market.sql import execute

CHANNELS = ("email", "inbox")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to write: `key` is its idempotency key — the event, the recipient
    and the channel (`message_key`) — so writing the same message twice writes one row."""

    key: str
    channel: str  # "email" | "inbox"
    kind: str  # what it is about, e.g. "tender.published"; "raw" for a pre-written e-mail
    recipient: str  # the e-mail address; "" for the inbox
    user_id: int | None
    lang: str
    params: Mapping[str, Any] = field(default_factory=dict)
    link: str = ""  # the site path it points to, e.g. "/tenders/42"
    subject: str = ""  # raw e-mails only
    body: str = ""  # raw e-mails only


def message_key(event: str, recipient: str | int, channel: str) -> str:
    """The idempotency key of one message: (event, recipient, channel)."""
    return f"{event}|{recipient}|{channel}"[:200]


_COLUMNS = (
    "key, channel, kind, recipient, user_id, lang, params, link, subject, body,"
    " created_at, due_at, sent_at"
)
# SQLite: one prepared INSERT run for every row (sqlite3's executemany, in C; the
# connection's datetime adapters are Piccolo's, as for every other write).
_INSERT_ONE = (
    f"INSERT INTO market_outbox ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
    " ON CONFLICT (key) DO NOTHING"
)
# PostgreSQL: every row in one statement, one array per column (no bound-value limit,
# one plan) and the time once, counted without sending 10,000 ids back.
_UNNEST = (
    f"WITH added AS (INSERT INTO market_outbox ({_COLUMNS})"  # noqa: S608 - constants
    " SELECT r.*, {}::timestamptz, {}::timestamptz,"
    " CASE WHEN r.channel = 'inbox' THEN {}::timestamptz END"
    " FROM unnest({}::varchar[], {}::varchar[], {}::varchar[], {}::varchar[],"
    " {}::integer[], {}::varchar[], {}::text[], {}::varchar[], {}::varchar[], {}::text[])"
    " AS r (key, channel, kind, recipient, user_id, lang, params, link, subject, body)"
    " ON CONFLICT (key) DO NOTHING RETURNING 1) SELECT COUNT(*) AS n FROM added"
)


def _rows(messages: Sequence[Outgoing]) -> list[tuple[Any, ...]]:
    now = clock.now()
    dumped: dict[int, str] = {}  # one event's messages usually share one params mapping
    rows = []
    for m in messages:
        if m.channel not in CHANNELS:
            raise ValueError(f"unknown outbox channel {m.channel!r}")
        params = dumped.get(id(m.params))
        if params is None:
            params = json.dumps(dict(m.params), ensure_ascii=False, sort_keys=True)
            dumped[id(m.params)] = params
        sent = now if m.channel == "inbox" else None
        rows.append(
            (m.key, m.channel, m.kind, m.recipient, m.user_id, m.lang, params, m.link,
             m.subject[:200], m.body, now, now, sent)
        )  # fmt: skip
    return rows


async def enqueue(messages: Sequence[Outgoing]) -> int:
    """Write messages in the caller's transaction, skipping any whose key is already
    written; returns how many rows were added. Inbox rows are delivered as written."""
    rows = _rows(messages)
    if not rows:
        return 0
    if is_postgres():
        now = rows[0][-3]  # every row's created_at and due_at
        columns = [list(column) for column in zip(*(row[:-3] for row in rows), strict=True)]
        [added] = await execute(_UNNEST, now, now, now, *columns)
        return int(added["n"])
    async with atomic() as transaction:  # the caller's (a savepoint in it), or one of its own
        cursor = await transaction.connection.executemany(_INSERT_ONE, rows)
        added = int(cursor.rowcount)
        await cursor.close()
        return added


async def enqueue_email(recipient: str, subject: str, body: str, *, key: str = "") -> int:
    """Write one pre-written e-mail to the outbox (in the caller's transaction);
    returns how many rows were added (0 when `key` was written before)."""
    return await enqueue(
        [
            Outgoing(
                key=key or f"raw|{secrets.token_hex(12)}",
                channel="email",
                kind="raw",
                recipient=recipient,
                user_id=None,
                lang="",
                subject=subject,
                body=body,
            )
        ]
    )
