"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1, a free port), and the
settings that make the outbox deliver to it (`smtp+insecure://`, no TLS on loopback).

    async def test_x(mailbox: Mailbox) -> None:
        ...  # write to the outbox, then deliver
        await outbox.deliver_pending()
        [mail] = mailbox.messages  # email.message.EmailMessage, as received

Fixture `mailbox` (function-scoped) starts the server, points the settings at it and
restores them afterwards.
"""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from market.settings import get_settings, reset_settings
from tests.net import free_port


class Mailbox:
    """What the server received: each message parsed, with its envelope recipients."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # each message as it came over the wire
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.raw.append(bytes(envelope.content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in str(m["To"])]


class SmtpServer:
    """`mailbox` may be a Mailbox subclass that answers differently (e.g. refuses a
    recipient in `handle_RCPT`); a stopped server can be started again."""

    def __init__(self, port: int | None = None, mailbox: Mailbox | None = None) -> None:
        self.port = port or free_port()
        self.mailbox = mailbox or Mailbox()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp+insecure://127.0.0.1:{self.port}"

    def start(self) -> SmtpServer:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    server = SmtpServer().start()
    before = get_settings()
    reset_settings(replace(before, smtp_url=server.url))
    try:
        yield server.mailbox
    finally:
        reset_settings(before)
        server.stop()
