"""The outbox: messages written in the same transaction as the change they report,
delivered after it commits, at least once.

`enqueue_email` only inserts a row (call it inside the caller's `atomic()`); nothing
leaves the process until `deliver_pending` runs — right after the request that wrote
it, and from `market outbox deliver` (cron or a worker) for whatever is left. The
transport is chosen by settings: with `MARKET_SMTP_URL` an SMTP server (smtp:// with
STARTTLS, smtps:// with TLS), otherwise `.eml` files under `var/mail/` for development.
A failed delivery keeps the row, counts the attempt and records the error.

The notifications issue extends this table with other channels; consumers must be
idempotent (a crash after sending and before marking can send twice).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlparse

from market import clock
from market.settings import Settings, get_settings
from market.sql import execute
from market.tables import Outbox

log = logging.getLogger("market.outbox")
MAX_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class Email:
    id: int
    recipient: str
    subject: str
    body: str


async def enqueue_email(recipient: str, subject: str, body: str) -> int:
    """Write one e-mail to the outbox (in the caller's transaction); returns its id."""
    rows = await Outbox.insert(
        Outbox(
            channel="email",
            recipient=recipient,
            subject=subject[:200],
            body=body,
            created_at=clock.now(),
        )
    ).returning(Outbox.id)
    return int(rows[0]["id"])


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
        if parts.scheme == "smtp":
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
    """Deliver unsent e-mails, oldest first; returns how many were sent."""
    settings = get_settings()
    rows = await execute(
        "SELECT id, recipient, subject, body FROM market_outbox"
        " WHERE channel = 'email' AND sent_at IS NULL AND attempts < {} ORDER BY id LIMIT {}",
        MAX_ATTEMPTS,
        limit,
    )
    sent = 0
    for row in rows:
        email = Email(int(row["id"]), row["recipient"], row["subject"], row["body"])
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
