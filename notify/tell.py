"""What every notify handler shares: who acted, the tender's names for the params, and
`tell` — notify_users without the person who acted (nobody is told what they just did)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from market.audit import AuditRecord, iso_time
from market.sql import Row
from market.timestamps import timestamp
from notify.send import notify_users

Handler = Callable[[AuditRecord, dict[str, Any]], Awaitable[None]]


def actor_id(record: AuditRecord) -> int | None:
    """The user who acted (`user:N`), or None for the system."""
    kind, _, rest = record.actor.partition(":")
    return int(rest) if kind == "user" and rest.isdigit() else None


def _others(record: AuditRecord, users: Iterable[int]) -> list[int]:
    actor = actor_id(record)
    return sorted(u for u in set(users) if u != actor)


def tender_params(tender: Row) -> dict[str, Any]:
    return {
        "tender": int(tender["id"]),
        "title_zh": tender["title_zh"],
        "title_en": tender["title_en"],
    }


def iso(value: Any) -> str:
    return iso_time(timestamp(value))


async def tell(
    record: AuditRecord,
    event: str,
    kind: str,
    users: Iterable[int],
    params: dict[str, Any],
    link: str,
) -> int:
    return await notify_users(event, kind, _others(record, users), params, link)
