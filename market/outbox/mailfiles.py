"""E-mails kept as `.eml` files under `var/mail/` when no SMTP server is configured
(development): written by the transport, listed and read back by the dev mail page."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from market import clock
from market.settings import Settings

NAME = re.compile(r"[0-9]{8}T[0-9]{6}-[0-9]{1,12}\.eml")


def folder_of(settings: Settings) -> Path:
    """Where the development mails are kept: `<var dir>/mail`."""
    return settings.var_dir / "mail"


def write(folder: Path, message: EmailMessage, row_id: int) -> Path:
    """`<folder>/<UTC stamp>-<row id>.eml`, written whole (renamed into place)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{clock.now().strftime('%Y%m%dT%H%M%S')}-{row_id}.eml"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(bytes(message))
    tmp.replace(path)
    return path


@dataclass(frozen=True, slots=True)
class MailFile:
    name: str
    subject: str
    to: str
    date: str
    lang: str  # its Content-Language ("" when it does not say: a pre-written e-mail)


def language(message: EmailMessage) -> str:
    """The message's Content-Language, "" when it names none (HTML's "unknown")."""
    return str(message["Content-Language"] or "").strip()


def read(folder: Path, name: str) -> EmailMessage | None:
    """The message in `<folder>/<name>`, or None (no such file, or not a name the
    transport writes: nothing outside the folder can be named)."""
    if not NAME.fullmatch(name):
        return None
    path = folder / name
    if not path.is_file():
        return None
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return message  # type: ignore[return-value]  # policy.default → EmailMessage


def listing(folder: Path, limit: int = 200) -> list[MailFile]:
    """The newest `limit` messages in the folder, newest first."""
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if NAME.fullmatch(p.name)), reverse=True)
    found = []
    for name in names[:limit]:
        message = read(folder, name)
        if message is not None:
            subject, to = str(message["Subject"] or ""), str(message["To"] or "")
            found.append(MailFile(name, subject, to, str(message["Date"] or ""), language(message)))
    return found


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML parts of a message ("" for a part it does not have)."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return (
        text.get_content() if isinstance(text, EmailMessage) else "",
        html.get_content() if isinstance(html, EmailMessage) else "",
    )
