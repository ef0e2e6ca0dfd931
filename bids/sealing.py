"""Sealed bids: envelope encryption and receipts. PURE (no framework imports).

Each tender has its own 256-bit data key. The data key is stored only wrapped
(AES-GCM) under the master key `MARKET_BID_KEY`, which lives outside the database,
with the tender id as associated data, so a wrapped key copied onto another tender
does not unwrap. Bid content is sealed with the tender key (AES-GCM, random 96-bit
nonce, associated data binding tender, organization and bid id), so ciphertext
moved between bids or tenders fails authentication.

Opening is gated by time: `unwrap_tender_key` refuses before the deadline, so the
key that can read a bid does not exist in memory until the bid may be read.

The receipt is SHA-256 over the sealed envelope (nonce ‖ ciphertext) and the server
receipt time; it is recorded in the audit chain at submission and checked at opening.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32


class SealingError(Exception):
    """A sealed value could not be opened (wrong key, tampered data, or too early)."""


class SealedTooEarly(SealingError):
    pass


@dataclass(frozen=True, slots=True)
class Envelope:
    nonce: bytes
    ciphertext: bytes

    def to_bytes(self) -> bytes:
        return self.nonce + self.ciphertext

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        if len(raw) <= NONCE_BYTES:
            raise SealingError("sealed value is too short")
        return cls(nonce=raw[:NONCE_BYTES], ciphertext=raw[NONCE_BYTES:])


def master_key(hex_key: str) -> bytes:
    """The master key from its hex form (64 hex characters = 32 bytes)."""
    try:
        key = bytes.fromhex(hex_key)
    except ValueError:
        raise SealingError("MARKET_BID_KEY must be hex") from None
    if len(key) != KEY_BYTES:
        raise SealingError("MARKET_BID_KEY must be 32 bytes (64 hex characters)")
    return key


def new_tender_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _aad(*parts: object) -> bytes:
    return json.dumps([str(p) for p in parts], separators=(",", ":")).encode()


def wrap_tender_key(master: bytes, tender_id: int, tender_key: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(master).encrypt(nonce, tender_key, _aad("tender-key", tender_id))
    return nonce + sealed


def unwrap_tender_key(
    master: bytes, tender_id: int, wrapped: bytes, *, deadline: datetime, now: datetime
) -> bytes:
    """The tender key, only once the bid deadline has passed."""
    if now <= deadline:
        raise SealedTooEarly("bids stay sealed until the deadline has passed")
    return _unwrap(master, tender_id, wrapped)


def key_for_sealing(master: bytes, tender_id: int, wrapped: bytes) -> bytes:
    """The tender key to seal a new bid with while the tender is open.

    AES-GCM is symmetric, so sealing needs the same key that opens; the one caller
    (bid submission) only encrypts with it and never reads stored bids. Reading goes
    through `unwrap_tender_key`, which the deadline gates.
    """
    return _unwrap(master, tender_id, wrapped)


def rewrap_tender_key(old: bytes, new: bytes, tender_id: int, wrapped: bytes) -> bytes | None:
    """A tender key wrapped under the `old` master key, wrapped again under `new` (the
    tender key itself, and so every bid sealed with it, stays the same); None when it
    is already wrapped under `new`. SealingError when it opens under neither."""
    try:
        _unwrap(new, tender_id, wrapped)
    except SealingError:
        return wrap_tender_key(new, tender_id, _unwrap(old, tender_id, wrapped))
    return None


def _unwrap(master: bytes, tender_id: int, wrapped: bytes) -> bytes:
    envelope = Envelope.from_bytes(wrapped)
    try:
        return AESGCM(master).decrypt(
            envelope.nonce, envelope.ciphertext, _aad("tender-key", tender_id)
        )
    except InvalidTag:
        raise SealingError("the tender key does not unwrap with this master key") from None


def seal(
    tender_key: bytes, content: dict[str, object], *, tender_id: int, org_id: int, bid_id: int
) -> Envelope:
    """Encrypt a bid's content (a JSON-serialisable dict) for this tender, org and bid."""
    plaintext = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(tender_key).encrypt(
        nonce, plaintext, _aad("bid", tender_id, org_id, bid_id)
    )
    return Envelope(nonce=nonce, ciphertext=ciphertext)


def unseal(
    tender_key: bytes, envelope: Envelope, *, tender_id: int, org_id: int, bid_id: int
) -> dict[str, object]:
    try:
        plaintext = AESGCM(tender_key).decrypt(
            envelope.nonce, envelope.ciphertext, _aad("bid", tender_id, org_id, bid_id)
        )
    except InvalidTag:
        raise SealingError("the sealed bid was altered or belongs elsewhere") from None
    value = json.loads(plaintext)
    if not isinstance(value, dict):
        raise SealingError("sealed bid content is not an object")
    return value


def seal_document(
    tender_key: bytes, data: bytes, *, tender_id: int, org_id: int, bid_id: int, position: int
) -> Envelope:
    """Encrypt a bid attachment; its name and hash travel inside the bid's own envelope."""
    nonce = os.urandom(NONCE_BYTES)
    aad = _aad("bid-document", tender_id, org_id, bid_id, position)
    return Envelope(nonce=nonce, ciphertext=AESGCM(tender_key).encrypt(nonce, data, aad))


def unseal_document(
    tender_key: bytes,
    envelope: Envelope,
    *,
    tender_id: int,
    org_id: int,
    bid_id: int,
    position: int,
) -> bytes:
    aad = _aad("bid-document", tender_id, org_id, bid_id, position)
    try:
        return AESGCM(tender_key).decrypt(envelope.nonce, envelope.ciphertext, aad)
    except InvalidTag:
        raise SealingError("a sealed bid document was altered or belongs elsewhere") from None


def receipt(envelope: Envelope, received_at: datetime) -> str:
    """SHA-256 hex over the sealed bytes and the server receipt time (ISO 8601, UTC)."""
    if received_at.tzinfo is None:
        raise ValueError("receipt time must be timezone-aware")
    digest = hashlib.sha256()
    digest.update(envelope.to_bytes())
    digest.update(b"|")
    digest.update(received_at.isoformat().encode())
    return digest.hexdigest()


def receipt_matches(envelope: Envelope, received_at: datetime, expected: str) -> bool:
    return hmac.compare_digest(receipt(envelope, received_at), expected)
