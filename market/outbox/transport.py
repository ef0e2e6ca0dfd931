"""Where e-mails go: an SMTP server (`MARKET_SMTP_URL`: smtp:// with STARTTLS, smtps://
with TLS, smtp+insecure:// in the clear for a relay on this machine), one connection
kept for a delivery run's messages; without it, `.eml` files under `var/mail/`.

A failure is a `SendFailed`: its SMTP code (a 5xx is final, `rules.permanent_code`) and
whether the connection itself failed — then the run stops, as the next message would
fail the same way."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from market.outbox import mailfiles
from market.outbox.rules import SMTP_TIMEOUT
from market.settings import Settings


class SendFailed(Exception):
    def __init__(self, error: str, *, code: int | None, connection: bool) -> None:
        super().__init__(error)
        self.code = code
        self.connection = connection


def _connect(url: str) -> smtplib.SMTP:
    parts = urlparse(url)
    host = parts.hostname or "localhost"
    context = ssl.create_default_context()
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, parts.port or 465, timeout=SMTP_TIMEOUT, context=context
        )
    else:
        client = smtplib.SMTP(host, parts.port or 587, timeout=SMTP_TIMEOUT)
    try:
        if parts.scheme == "smtp":  # smtp+insecure:// (a local relay, the tests) skips TLS
            client.starttls(context=context)
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
    except BaseException:
        client.close()
        raise
    return client


_CONNECTION_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPNotSupportedError,
)


class Transport:
    """One delivery run's way out. `send` blocks (run it in a thread); `close` ends
    the SMTP session."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.smtp_url
        self.folder = mailfiles.folder_of(settings)
        self._client: smtplib.SMTP | None = None

    def send(self, message: EmailMessage, row_id: int) -> None:
        if not self.url:
            mailfiles.write(self.folder, message, row_id)
            return
        try:
            if self._client is None:
                self._client = _connect(self.url)
            self._client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise SendFailed(str(exc), code=min(codes, default=None), connection=False) from exc
        except _CONNECTION_ERRORS as exc:
            self.close()
            raise SendFailed(str(exc) or type(exc).__name__, code=None, connection=True) from exc
        except smtplib.SMTPResponseException as exc:  # sender or data refused
            self._reset()
            raise SendFailed(str(exc), code=exc.smtp_code, connection=False) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendFailed(str(exc) or type(exc).__name__, code=None, connection=True) from exc

    def _reset(self) -> None:
        """After a refused message the session may be mid-transaction: RSET it."""
        if self._client is None:
            return
        try:
            self._client.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
