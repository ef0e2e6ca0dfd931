"""The in-app inbox as its page shows it: a user's messages, newest first, a page at a
time, each worded in the user's language by its kind's renderer (`notify.render`,
the same words as the e-mail), unread ones marked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from market import outbox
from market.cursor import decode_id, encode
from market.timestamps import timestamp

PAGE = 20


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    subject: str
    text: str
    link: str
    created_at: datetime
    unread: bool


@dataclass(frozen=True, slots=True)
class InboxPage:
    messages: list[Message]
    before: str | None  # this page's cursor ("" for the first page)
    next_before: str | None  # the next (older) page's cursor, None at the end
    unread: int


def _message(item: outbox.InboxItem, lang: str) -> Message:
    rendered = outbox.render(item.kind, item.params, lang)
    return Message(
        item.id,
        rendered.subject,
        rendered.text,
        item.link,
        timestamp(item.created_at),
        item.read_at is None,
    )


async def page(user_id: int, lang: str, before: str | None = None) -> InboxPage:
    """One page of the user's inbox; `before` is a cursor handed out here (400 if not)."""
    last = decode_id(before, field="before")
    items = await outbox.inbox_page(user_id, before=last, limit=PAGE + 1)
    messages = [_message(item, lang) for item in items[:PAGE]]
    more = len(items) > PAGE
    return InboxPage(
        messages,
        before or "",
        encode(messages[-1].id) if more else None,
        await outbox.unread_count(user_id),
    )


async def unread(user_id: int) -> int:
    return await outbox.unread_count(user_id)


async def mark_read(user_id: int, message_id: int | None = None) -> int:
    """Mark one message (or all, when None) read; another user's message is left alone."""
    return await outbox.mark_read(user_id, None if message_id is None else [message_id])


async def message(user_id: int, lang: str, message_id: int) -> Message | None:
    """One of the user's messages as the inbox shows it (None: not theirs)."""
    items = await outbox.inbox_page(user_id, before=message_id + 1, limit=1)
    return _message(items[0], lang) if items and items[0].id == message_id else None
