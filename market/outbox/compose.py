"""An outbox row as an e-mail: rendered in the recipient's language, wrapped by the
layout, with the headers every message carries (a Message-ID stable per row)."""

from __future__ import annotations

import contextvars
import email.policy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from market import clock
from market.outbox.rendering import Addressed, Letter, letter, render
from market.outbox.rules import message_id
from market.settings import Settings
from market.web import i18n

# Headers are folded at whitespace only: a long List-Unsubscribe URL stays one line
# (RFC 5322 allows 998 characters) rather than becoming RFC 2047 encoded words, which
# mail clients do not read in it.
HEADERS_POLICY = email.policy.default.clone(max_line_length=998)


@dataclass(frozen=True, slots=True)
class Queued:
    """An e-mail row claimed for delivery."""

    id: int
    key: str
    kind: str
    recipient: str
    user_id: int | None
    lang: str
    params: Mapping[str, Any]
    link: str
    subject: str
    body: str
    attempts: int

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Queued:
        return cls(
            id=int(row["id"]),
            key=str(row["key"]),
            kind=str(row["kind"]),
            recipient=str(row["recipient"]),
            user_id=None if row["user_id"] is None else int(row["user_id"]),
            lang=str(row["lang"]),
            params=json.loads(row["params"] or "{}"),
            link=str(row["link"]),
            subject=str(row["subject"]),
            body=str(row["body"]),
            attempts=int(row["attempts"]),
        )


def _letter(row: Queued) -> Letter:
    i18n.activate(row.lang or i18n.DEFAULT)
    rendered = render(row.kind, row.params, row.lang, subject=row.subject, body=row.body)
    addressed = Addressed(row.key, row.kind, row.recipient, row.user_id, row.lang, row.link)
    return letter(addressed, rendered)


def compose(row: Queued, settings: Settings) -> EmailMessage:
    """The e-mail of `row`: multipart/alternative (text, HTML) when the layout gives an
    HTML part. Rendered in a context of its own, so the caller's language is kept."""
    content = contextvars.copy_context().run(_letter, row)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = row.recipient
    message["Subject"] = content.subject
    message["Date"] = formatdate(clock.now().timestamp(), usegmt=True)
    message["Message-ID"] = message_id(row.key, settings.base_url)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    for name, value in content.headers:
        message[name] = value
    message.set_content(content.text)
    if content.html:
        message.add_alternative(content.html, subtype="html")
    if row.lang:  # after the parts: making it multipart moves Content-* headers into them
        message["Content-Language"] = "zh-Hans" if row.lang == "zh_Hans" else row.lang
    message.policy = HEADERS_POLICY  # the parts are encoded: this only folds the headers
    return message
