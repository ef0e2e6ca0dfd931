"""Server-side sessions with rotation, idle and absolute timeouts.

The cookie carries only a random 256-bit id; the store keeps
`{"data": {...}, "created": epoch, "seen": epoch}` under sha256(id), so ids never
appear in file names or Redis keys. `rotate()` issues a new id (log-in), `end()`
deletes the record (log-out). Handlers read and write `request.session` as usual.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from http.cookies import SimpleCookie
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.stores.base import Store
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from market import clock
from market.settings import Settings

COOKIE = "pgm_session"
_ROTATE = "_pgm_session_rotate"
_END = "_pgm_session_end"
TOUCH_EVERY = 60  # seconds between "last seen" writes when nothing else changed


def rotate(scope: Scope) -> None:
    """Give this session a fresh id when the response is sent (call at log-in)."""
    scope[_ROTATE] = True  # type: ignore[literal-required]


def end(scope: Scope) -> None:
    """Destroy the session server-side and clear the cookie (call at log-out)."""
    scope[_END] = True  # type: ignore[literal-required]
    scope["session"] = {}


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _read_cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: S112 - a malformed cookie header is ignored
                continue
            if COOKIE in jar:
                return jar[COOKIE].value
    return None


class SessionMiddleware:
    def __init__(self, app: ASGIApp, store: Store, settings: Settings) -> None:
        self.app = app
        self.store = store
        self.settings = settings

    def _cookie(self, value: str, max_age: int) -> str:
        parts = [f"{COOKIE}={value}", "Path=/", "HttpOnly", "SameSite=Lax", f"Max-Age={max_age}"]
        if not self.settings.dev and self.settings.env != "test":
            parts.append("Secure")
        return "; ".join(parts)

    async def _load(self, session_id: str | None) -> tuple[dict[str, Any], float, float] | None:
        if not session_id or len(session_id) > 128:
            return None
        raw = await self.store.get(_key(session_id))
        if raw is None:
            return None
        record = json.loads(raw)
        now = clock.now().timestamp()
        if (
            now - record["created"] > self.settings.session_absolute_seconds
            or now - record["seen"] > self.settings.session_idle_seconds
        ):
            await self.store.delete(_key(session_id))
            return None
        return record["data"], record["created"], record["seen"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _read_cookie(scope)
        loaded = await self._load(incoming)
        if loaded is None:
            data: dict[str, Any] = {}
            created = seen = clock.now().timestamp()
            session_id = None
        else:
            data, created, seen = loaded
            session_id = incoming
        original = json.dumps(data, sort_keys=True)
        scope["session"] = data

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self._commit(scope, message, session_id, incoming, original, created, seen)
            await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _commit(
        self,
        scope: Scope,
        message: Message,
        session_id: str | None,
        incoming: str | None,
        original: str,
        created: float,
        seen: float,
    ) -> None:
        headers = MutableScopeHeaders.from_message(message)
        data = scope.get("session") or {}
        now = clock.now().timestamp()
        if scope.get(_END):
            if session_id:
                await self.store.delete(_key(session_id))
            headers.add("Set-Cookie", self._cookie("", 0))
            return
        if scope.get(_ROTATE) and session_id:
            await self.store.delete(_key(session_id))
            session_id = None
            created = now
        if not data:
            if session_id:
                await self.store.delete(_key(session_id))
            if incoming:
                headers.add("Set-Cookie", self._cookie("", 0))
            return
        changed = json.dumps(data, sort_keys=True) != original
        if session_id is None:
            session_id = secrets.token_urlsafe(32)
            changed = True
        if changed or now - seen >= TOUCH_EVERY:
            record = {"data": data, "created": created, "seen": now}
            await self.store.set(
                _key(session_id),
                json.dumps(record),
                expires_in=self.settings.session_absolute_seconds,
            )
            headers.add(
                "Set-Cookie", self._cookie(session_id, self.settings.session_absolute_seconds)
            )
