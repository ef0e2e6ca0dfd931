"""One-click unsubscribe (RFC 8058): a signed token names a recipient and a kind of
notification; using it switches that kind's e-mail off for that recipient.

The token is `base64url(payload).base64url(mac)`, payload `<kind>|user:<id>` or
`<kind>|addr:<address>`, mac the first 16 bytes of HMAC-SHA256 under SECRET_KEY — so
it works without logging in and cannot be made for anyone else. For a user it writes
a `notify_preference` row (e-mail off for the kind: the inbox is untouched, the
preferences page can switch it on again); for someone known only by address it writes
a `notify_suppression` row, which `notify.send.notify_address` honours. Mandatory
kinds have no unsubscribe link and refuse a token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from market import clock
from market.db import atomic
from market.directory import contacts
from market.errors import Conflict, NotFound
from market.settings import get_settings
from market.sql import execute
from notify.kinds import KINDS, Kind

_MAC_BYTES = 16
MAX_TOKEN = 600  # a kind (60) and an address (254), base64: about 450 characters


@dataclass(frozen=True, slots=True)
class Target:
    """Whom a token names: a user, or an address (exactly one of the two)."""

    kind: Kind
    user_id: int | None
    address: str | None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(payload: bytes) -> bytes:
    key = get_settings().secret_key.encode()
    return hmac.new(key, b"unsubscribe\x00" + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def sign(kind: str, *, user_id: int | None = None, address: str | None = None) -> str:
    """The token that unsubscribes a user (by id) or an address from `kind`."""
    if (user_id is None) == (address is None):
        raise ValueError("an unsubscribe token names a user or an address")
    who = f"user:{user_id}" if user_id is not None else f"addr:{(address or '').lower()}"
    payload = f"{kind}|{who}".encode()
    return f"{_b64(payload)}.{_b64(_mac(payload))}"


_INVALID = "This unsubscribe link is not valid. Open the link in the e-mail you received."


def read(token: str) -> Target:
    """The recipient and kind a token names; NotFound when it was not signed by us."""
    if len(token) > MAX_TOKEN:
        raise NotFound(_INVALID)
    body, _, mac = token.partition(".")
    try:
        payload = _unb64(body)
        valid = hmac.compare_digest(_unb64(mac), _mac(payload))
        kind_name, _, who = payload.decode().partition("|")
    except (binascii.Error, ValueError):
        raise NotFound(_INVALID) from None
    kind = KINDS.get(kind_name)
    if not valid or kind is None:
        raise NotFound(_INVALID)
    scheme, _, value = who.partition(":")
    if scheme == "user" and value.isdigit():
        return Target(kind, int(value), None)
    if scheme == "addr" and "@" in value:
        return Target(kind, None, value)
    raise NotFound(_INVALID)


async def address_of(target: Target) -> str | None:
    """The address the target's e-mails go to (None: an account no longer active)."""
    if target.address is not None:
        return target.address
    found = await contacts([target.user_id or 0])
    return found[target.user_id][0] if target.user_id in found else None


async def unsubscribe(target: Target) -> None:
    """Switch the target's e-mail of its kind off (again: nothing changes)."""
    if target.kind.mandatory:
        raise Conflict("These messages concern your account and cannot be switched off.")
    now = clock.now()
    async with atomic():
        if target.address is not None:
            await execute(
                "INSERT INTO notify_suppression (address, kind, created_at) VALUES ({}, {}, {})"
                " ON CONFLICT (address, kind) DO NOTHING",
                target.address,
                target.kind.name,
                now,
            )
        elif await contacts([target.user_id or 0]):  # an account closed since: nothing to do
            await execute(
                'INSERT INTO notify_preference ("user", kind, channel, enabled, updated_at)'
                " VALUES ({}, {}, 'email', {}, {})"
                ' ON CONFLICT ("user", kind, channel)'
                " DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
                target.user_id,
                target.kind.name,
                False,
                now,
            )


async def suppressed(address: str, kind: str) -> bool:
    """Whether `address` unsubscribed from e-mails of `kind`."""
    rows = await execute(
        "SELECT 1 AS x FROM notify_suppression WHERE address = {} AND kind = {}",
        address.lower(),
        kind,
    )
    return bool(rows)


def url(kind: str, *, user_id: int | None, address: str, lang: str) -> str | None:
    """The absolute unsubscribe link of an e-mail (None for a mandatory kind), in the
    e-mail's language: a user's by id, an address-only recipient's by address."""
    spec = KINDS.get(kind)
    if spec is None or spec.mandatory:
        return None
    token = sign(kind, user_id=user_id) if user_id is not None else sign(kind, address=address)
    return f"{get_settings().base_url.rstrip('/')}/unsubscribe/{token}?lang={lang}"
