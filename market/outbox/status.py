"""What operators see of the e-mail queue (`/api/v1/system/outbox`): how many wait (of
them, how many a delivery run holds now and how many failed before and wait for their
next try), how many were given up (dead letters), and the latest of those."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from market import clock
from market.sql import execute
from market.timestamps import timestamp

_QUEUE = "channel = 'email' AND sent_at IS NULL AND failed_at IS NULL"


def _row(r: Any) -> dict[str, object]:
    return {
        "id": int(r["id"]),
        "key": r["key"],
        "kind": r["kind"],
        "recipient": r["recipient"],
        "attempts": int(r["attempts"]),
        "last_error": r["last_error"],
        "created_at": r["created_at"].isoformat(),
        "due_at": r["due_at"].isoformat(),
        "failed_at": r["failed_at"].isoformat() if r["failed_at"] else None,
    }


_COLUMNS = "id, key, kind, recipient, attempts, last_error, created_at, due_at, failed_at"


async def queue_status(limit: int = 50) -> dict[str, object]:
    """Counts of waiting (sending, retrying) and dead e-mails, and the latest `limit`
    dead and retrying ones with their last error."""
    counts = await backlog(clock.now())
    dead_rows = await execute(
        f"SELECT {_COLUMNS} FROM market_outbox WHERE failed_at IS NOT NULL"  # noqa: S608
        " ORDER BY failed_at DESC, id DESC LIMIT {}",
        limit,
    )
    retrying_rows = await execute(
        f"SELECT {_COLUMNS} FROM market_outbox WHERE {_QUEUE} AND claim = '' AND attempts > 0"  # noqa: S608
        " ORDER BY due_at, id LIMIT {}",
        limit,
    )
    return {
        **{name: counts[name] for name in ("waiting", "sending", "retrying", "dead")},
        "dead_letters": [_row(r) for r in dead_rows],
        "retrying_now": [_row(r) for r in retrying_rows],
    }


async def backlog(now: datetime) -> dict[str, Any]:
    """The queue's counts and the due time of the most overdue unclaimed e-mail (metrics)."""
    [counts] = await execute(
        "SELECT COUNT(*) AS waiting,"  # noqa: S608 - constants
        " COALESCE(SUM(CASE WHEN claim <> '' THEN 1 ELSE 0 END), 0) AS sending,"
        " COALESCE(SUM(CASE WHEN claim = '' AND attempts > 0 THEN 1 ELSE 0 END), 0) AS retrying,"
        " MIN(CASE WHEN claim = '' AND due_at <= {} THEN due_at END) AS oldest_due"
        f" FROM market_outbox WHERE {_QUEUE}",
        now,
    )
    [dead] = await execute("SELECT COUNT(*) AS n FROM market_outbox WHERE failed_at IS NOT NULL")
    return {
        "waiting": int(counts["waiting"]),
        "sending": int(counts["sending"]),
        "retrying": int(counts["retrying"]),
        "dead": int(dead["n"]),
        "oldest_due": timestamp(counts["oldest_due"]),
    }
