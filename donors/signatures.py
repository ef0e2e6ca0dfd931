"""Stripe webhook signatures, checked on the raw body. PURE.

Header: `Stripe-Signature: t=<unix seconds>,v1=<hex hmac>[,v1=<hex hmac>…]` where
each v1 is HMAC-SHA256(secret, f"{t}.{raw body}"). Several v1 values appear while a
secret is rotated; any matching one is accepted. Unlike the SDK's check (which only
refuses old timestamps), a timestamp too far in the future is refused too.
"""

from __future__ import annotations

import hashlib
import hmac

from market.errors import DomainError

TOLERANCE_SECONDS = 300


class SignatureRefused(DomainError):
    status_code = 400


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The header value for `payload` (tests and the benchmark sign their events)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    payload: bytes, header: str, secrets: list[str], now: int, tolerance: int = TOLERANCE_SECONDS
) -> int:
    """The header's timestamp if a signature matches and the time is within tolerance."""
    if not secrets or not any(secrets):
        raise SignatureRefused("Webhook signing secret is not configured.")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureRefused("Malformed signature header.") from None
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise SignatureRefused("Malformed signature header.")
    signed = f"{timestamp}.".encode() + payload
    expected = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets if s]
    if not any(hmac.compare_digest(e, sig) for e in expected for sig in signatures):
        raise SignatureRefused("Signature does not match.")
    if abs(now - timestamp) > tolerance:
        raise SignatureRefused("Signature timestamp is outside the tolerance.")
    return timestamp
