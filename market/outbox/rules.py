"""The outbox's pure rules: when a failed e-mail is tried again, when it is given up
(dead-lettered), which SMTP answers are final, and the stable Message-ID of a row."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlparse

MAX_ATTEMPTS = 10  # tries before a message is dead-lettered (~8 h of backoff)
FIRST_RETRY = timedelta(minutes=1)  # then 2, 4, 8 … minutes
LONGEST_RETRY = timedelta(hours=4)
SMTP_TIMEOUT = 20.0  # seconds one SMTP command may take


def retry_delay(attempts: int) -> timedelta:
    """How long after its `attempts`-th failed try a message is tried again:
    1 minute, doubling each time, at most `LONGEST_RETRY`."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 20), LONGEST_RETRY)


def gives_up(attempts: int, permanent: bool) -> bool:
    """A failed message is dead-lettered when the server refused it for good, or
    after `MAX_ATTEMPTS` tries."""
    return permanent or attempts >= MAX_ATTEMPTS


def permanent_code(code: int | None) -> bool:
    """SMTP 5xx is a final refusal (no such mailbox, message rejected); 4xx and no
    answer at all (the connection failed) are worth another try."""
    return code is not None and 500 <= code < 600


def message_id(key: str, base_url: str) -> str:
    """`<sha256(key)[:32]@host>`: the same for every send of one outbox row, so a
    resend after a crash is recognised by mail clients as the same message."""
    host = urlparse(base_url).hostname or "localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{host}>"


def lease_margin(lease_seconds: float) -> float:
    """A delivery run stops sending from its claimed rows this long before their lease
    ends (one SMTP exchange must fit), so no other run can claim a row it still sends."""
    return min(SMTP_TIMEOUT + 5.0, lease_seconds / 2)
