"""The outbox: messages written in the same transaction as the change they report,
delivered after it commits, at least once.

`enqueue_email` only inserts a row (call it inside the caller's `atomic()`); nothing
leaves the process until `deliver_pending` runs — right after the request that wrote
it, and from `market outbox deliver` (cron or a worker) for whatever is left. The
transport is chosen by settings: with `MARKET_SMTP_URL` an SMTP server (smtp:// with
STARTTLS, smtps:// with TLS, smtp+insecure:// in the clear for a relay on this
machine), otherwise `.eml` files under `var/mail/` for development.
A failed delivery keeps the row, counts the attempt and records the error.

Notifications (the `notify` app) use the same table through `enqueue`: one row per
(event, recipient, channel), keyed by `key` so a retried event never writes a message
twice; a row names a `kind` and its `params`, and is rendered in the recipient's
language when it is delivered or shown (`register_renderer`, filled by the wiring).
Channel "email" rows wait for delivery; channel "inbox" rows are delivered when
written and read on the site (`inbox_page`, `unread_count`, `mark_read`). Pre-written
e-mails (`enqueue_email`, kind "raw") keep their subject and body in the row.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from market import clock
from market.settings import Settings, get_settings
from market.sql import execute, marks
from market.tables import Outbox

log = logging.getLogger("market.outbox")
MAX_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class Email:
    id: int
    recipient: str
    subject: str
    body: str


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
_PER_ROW = 13
_CHUNK = 1000  # rows per INSERT: 13,000 bound values, under both engines' limits


async def enqueue(messages: Sequence[Outgoing]) -> int:
    """Write messages in the caller's transaction, skipping any whose key is already
    written; returns how many rows were added. Inbox rows are delivered as written."""
    now = clock.now()
    added = 0
    for start in range(0, len(messages), _CHUNK):
        chunk = messages[start : start + _CHUNK]
        values: list[Any] = []
        for m in chunk:
            if m.channel not in CHANNELS:
                raise ValueError(f"unknown outbox channel {m.channel!r}")
            sent = now if m.channel == "inbox" else None
            values += [m.key, m.channel, m.kind, m.recipient, m.user_id, m.lang]
            values += [json.dumps(dict(m.params), ensure_ascii=False, sort_keys=True), m.link]
            values += [m.subject[:200], m.body, now, now, sent]
        row = "(" + marks(_PER_ROW) + ")"
        rows = await execute(
            f"INSERT INTO market_outbox ({_COLUMNS}) VALUES "  # noqa: S608 - constants
            + ", ".join([row] * len(chunk))
            + " ON CONFLICT (key) DO NOTHING RETURNING id",
            *values,
        )
        added += len(rows)
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


# --- rendering ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str = ""  # "" → a plain-text e-mail


Renderer = Callable[[Mapping[str, Any], str], Rendered]  # (params, lang) → message
_RENDERERS: dict[str, Renderer] = {}


def register_renderer(kind: str, renderer: Renderer) -> None:
    """How messages of `kind` read, in a language (filled by composition.wiring)."""
    _RENDERERS[kind] = renderer


def render(
    kind: str, params: Mapping[str, Any], lang: str, *, subject: str = "", body: str = ""
) -> Rendered:
    """A message's subject and text: a raw e-mail's own, else its kind's renderer's."""
    if kind == "raw":
        return Rendered(subject, body)
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        raise LookupError(f"no renderer registered for outbox kind {kind!r}")
    return renderer(params, lang)


# --- the inbox ---------------------------------------------------------------------


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


def _message(email: Email, settings: Settings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Date"] = formatdate(clock.now().timestamp(), usegmt=True)
    message["Message-ID"] = make_msgid(idstring=f"outbox-{email.id}")
    message.set_content(email.body)
    return message


def _write_eml(message: EmailMessage, email: Email, settings: Settings) -> None:
    folder: Path = settings.var_dir / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")
    path = folder / f"{stamp}-{email.id}.eml"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(bytes(message))
    tmp.replace(path)


def _send_smtp(message: EmailMessage, url: str) -> None:
    parts = urlparse(url)
    host = parts.hostname or "localhost"
    context = ssl.create_default_context()
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, parts.port or 465, timeout=20, context=context
        )
    else:
        client = smtplib.SMTP(host, parts.port or 587, timeout=20)
    with client:
        if parts.scheme == "smtp":  # smtp+insecure:// (a local relay, the tests) skips TLS
            client.starttls(context=context)
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def _transport(message: EmailMessage, email: Email, settings: Settings) -> None:
    if settings.smtp_url:
        _send_smtp(message, settings.smtp_url)
    else:
        _write_eml(message, email, settings)


async def deliver_pending(limit: int = 50) -> int:
    """Deliver unsent e-mails that are due, oldest first; returns how many were sent."""
    settings = get_settings()
    rows = await execute(
        "SELECT id, kind, recipient, lang, params, subject, body FROM market_outbox"
        " WHERE channel = 'email' AND sent_at IS NULL AND attempts < {} AND due_at <= {}"
        " ORDER BY id LIMIT {}",
        MAX_ATTEMPTS,
        clock.now(),
        limit,
    )
    sent = 0
    for row in rows:
        rendered = render(
            row["kind"],
            json.loads(row["params"] or "{}"),
            row["lang"],
            subject=row["subject"],
            body=row["body"],
        )
        email = Email(int(row["id"]), row["recipient"], rendered.subject, rendered.text)
        try:
            await asyncio.to_thread(_transport, _message(email, settings), email, settings)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("outbox: e-mail %s not delivered: %s", email.id, exc)
            await Outbox.update(
                {Outbox.attempts: Outbox.attempts + 1, Outbox.last_error: str(exc)[:500]}
            ).where(Outbox.id == email.id)
            continue
        await Outbox.update(
            {Outbox.sent_at: clock.now(), Outbox.attempts: Outbox.attempts + 1}
        ).where(Outbox.id == email.id)
        sent += 1
    return sent


async def command(args: object) -> int:
    sent = await deliver_pending(limit=1000)
    print(f"outbox: {sent} e-mail(s) delivered")
    return 0
