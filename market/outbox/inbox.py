"""The in-app inbox: channel "inbox" rows of the outbox, delivered when written and
read on the site."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from market import clock
from market.sql import execute, marks


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    kind: str
    params: Mapping[str, Any]
    link: str
    created_at: datetime
    read_at: datetime | None


async def unread_count(user_id: int) -> int:
    rows = await execute(
        "SELECT COUNT(*) AS n FROM market_outbox"
        " WHERE user_id = {} AND channel = 'inbox' AND read_at IS NULL",
        user_id,
    )
    return int(rows[0]["n"])


async def inbox_page(
    user_id: int, *, before: int | None = None, limit: int = 20
) -> list[InboxItem]:
    """The user's inbox, newest first; `before` is the last id of the previous page."""
    after = "" if before is None else f" AND id < {int(before)}"
    rows = await execute(
        "SELECT id, kind, params, link, created_at, read_at FROM market_outbox"  # noqa: S608
        f" WHERE user_id = {{}} AND channel = 'inbox'{after} ORDER BY id DESC LIMIT {{}}",
        user_id,
        limit,
    )
    return [
        InboxItem(
            int(r["id"]),
            r["kind"],
            json.loads(r["params"] or "{}"),
            r["link"],
            r["created_at"],
            r["read_at"],
        )
        for r in rows
    ]


async def mark_read(user_id: int, ids: Sequence[int] | None = None) -> int:
    """Mark the user's inbox messages read (all of them when `ids` is None); returns
    how many changed. Another user's ids are ignored."""
    sql = (
        "UPDATE market_outbox SET read_at = {} WHERE user_id = {} AND channel = 'inbox'"
        " AND read_at IS NULL"
    )
    args: list[Any] = [clock.now(), user_id]
    if ids is not None:
        if not ids:
            return 0
        sql += f" AND id IN ({marks(len(ids))})"
        args += list(ids)
    rows = await execute(sql + " RETURNING id", *args)
    return len(rows)
