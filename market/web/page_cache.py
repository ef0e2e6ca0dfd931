"""A cache of rendered public pages for anonymous visitors, current within a second.

Which pages: the route handlers that say so (`@get(..., opt=CACHED)`): the home page,
the tender list (any query string), a tender's page, a project's page, the statistics.
Whose: only requests without a session cookie, GET, for a 200 `text/html` response
that sets no cookie and was rendered without a principal or a session. Anything else
— a signed-in person, a flash message, a visitor whose donation is in the session, a
POST, an error page — goes through the app as before and is never stored.

Key: (path, query string with its parameters in a stable order, language, whether
htmx asked for the fragment). A page is served while it is current:
- the data version has not changed since it was rendered. The version is
  `market.audit.change_mark()` (every state change appends an audit row in its own
  transaction), read by each process at most every `CHECK_EVERY` seconds — no counter
  row that every writer would have to lock, no message between processes; or
- it is younger than `FRESH` (real time): under a stream of donations the version
  changes at every check, and a page is then rendered at most 1/`FRESH` times a second
  per key; a change is visible within max(FRESH, CHECK_EVERY + the read) < 1 s.
- A change made by this process (an audit append here: `data_changed`, wired as an
  audit hook) makes every page older than it stale at once, so whoever made the
  change sees it on the next page; and no page is served more than `MAX_AGE` after it
  was rendered on the app's clock (what a page derives from the time, such as which
  dates of a timeline have passed, moves on without any write).

The CSRF token: every page carries the visitor's own (the forms, `hx-headers`), so the
stored page has a placeholder where it goes, and each visitor gets theirs spliced in:
the token of their valid `pgm_csrf` cookie, else a fresh one with its cookie, as
Litestar's CSRF middleware would set it. The page is rendered with the placeholder as
the request's CSRF cookie (the session and every other cookie left out), so nothing
else of the filling request can end up in it.

Compression without compressing per request: the page is stored as parts split at the
placeholder, each deflated once (`market.web.gzip_splice`), and served as gzip with
the token in a stored block; a page without a token (an htmx fragment) is stored
brotli-compressed too. gzip is chosen when the browser accepts both at the same weight
(browsers do); a client that prefers brotli gets it, compressed for the request.

Concurrent misses of one key wait for the first one's rendering (no stampede when a
hot page goes stale). Memory: an LRU of at most `MARKET_PAGE_CACHE_MB` per process
(0 turns the cache off); one page may take at most an eighth of it.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, replace
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware.csrf import generate_csrf_hash, generate_csrf_token
from litestar.types import (
    ASGIApp,
    HTTPResponseStartEvent,
    HTTPScope,
    Message,
    Receive,
    Scope,
    Send,
)

from market import audit, clock
from market.audit import AuditRecord
from market.settings import Settings
from market.web import page_store
from market.web.auth import language_of
from market.web.i18n import COOKIE as LANG_COOKIE_NAME
from market.web.page_store import (
    PLACEHOLDER,
    Key,
    Page,
    PageStore,
    Sent,
    build_page,
    encode,
    stable_query,
)
from market.web.render import wants_fragment
from market.web.security import CSRF_COOKIE, csrf_cookie
from market.web.sessions import COOKIE as SESSION_COOKIE

OPT = "page_cache"
CACHED: dict[str, Any] = {OPT: True}  # a route handler's `opt`: its page may be cached
CHECK_EVERY = 0.25  # seconds between reads of the data version, per process
MAX_QUERY = 1024  # bytes: a longer query string is not cached
_TOKEN = re.compile(r"[0-9a-f]{128}")
KNOWN_TOKENS = 10_000  # valid CSRF tokens remembered per process (~2 MB)
LANG_COOKIE = LANG_COOKIE_NAME.encode()
CSRF = CSRF_COOKIE.encode()
SESSION = SESSION_COOKIE.encode()


async def data_changed(record: AuditRecord) -> None:
    """An audit hook (composition.wiring): this process has just changed something."""
    page_store.note_change()


class DataVersion:
    """The data version as this process last read it, read again once it is older
    than `every` seconds or this process has changed something since. One read at a
    time: requests that find it due while it is being read wait for that read (so a
    burst of requests takes one database connection, not one each)."""

    def __init__(
        self,
        read: Callable[[], Awaitable[Hashable]] = audit.change_mark,
        every: float = CHECK_EVERY,
    ) -> None:
        self._read, self.every = read, every
        self._value: Hashable = None
        self._read_at = float("-inf")
        self._local = -1
        self._reading: asyncio.Future[Hashable] | None = None

    async def current(self) -> Hashable:
        local, started = page_store.changes(), time.monotonic()
        if local == self._local and started - self._read_at < self.every:
            return self._value
        if self._reading is not None:
            return await asyncio.shield(self._reading)
        reading = self._reading = asyncio.get_running_loop().create_future()
        try:
            value = await self._read()
        except BaseException:
            reading.set_result(self._value)  # those waiting keep the last one read
            raise
        finally:
            self._reading = None
        reading.set_result(value)
        if started >= self._read_at:
            self._value, self._read_at, self._local = value, started, local
        return value


@dataclass(frozen=True, slots=True)
class Visitor:
    token: bytes  # their CSRF token
    cookies: tuple[bytes, ...]  # Set-Cookie values to send them
    accept: str  # their Accept-Encoding


@dataclass(frozen=True, slots=True)
class Asked:
    """What of a request a cached page may depend on, read in one pass over its headers."""

    cookie: bytes  # every Cookie header, joined
    accept_encoding: str
    accept_language: str | None
    htmx: dict[str, str]  # the hx-* headers

    @classmethod
    def of(cls, scope: HTTPScope) -> Asked:
        cookies: list[bytes] = []
        encoding, language, htmx = b"", None, {}
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookies.append(value)
            elif name == b"accept-encoding":
                encoding = value
            elif name == b"accept-language":
                language = value.decode("latin-1")
            elif name.startswith(b"hx-"):
                htmx[name.decode("latin-1")] = value.decode("latin-1")
        return cls(b"; ".join(cookies), encoding.decode("latin-1"), language, htmx)

    def key(self, scope: HTTPScope) -> Key | None:
        query = bytes(scope.get("query_string", b""))
        if len(query) > MAX_QUERY:
            return None
        language = language_of(self.cookie.decode("latin-1"), self.accept_language, None)
        return (scope["path"], stable_query(query), language, wants_fragment(self.htmx))


def _cookie(header: bytes, name: bytes) -> bytes | None:
    for part in header.split(b";"):
        key, _, value = part.strip().partition(b"=")
        if key == name:
            return value
    return None


def cacheable(sent: Sent, scope: HTTPScope) -> bool:
    """A page nothing of the requester is in: 200 HTML, no cookie set, no principal, no
    session, not marked no-store by its handler."""
    return (
        sent.status == 200
        and sent.header(b"content-type").startswith(b"text/html")
        and not any(name == b"set-cookie" for name, _ in sent.headers)
        and b"no-store" not in sent.header(b"cache-control")
        and (scope.get("state") or {}).get("principal") is None
        and not scope.get("session")
    )


class PageCacheMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.store = PageStore(settings.page_cache_mb * 1024 * 1024)
        self.version = DataVersion()
        self.secret = settings.secret_key
        self._filling: dict[Key, asyncio.Future[Page | None]] = {}
        self._known: dict[bytes, None] = {}  # tokens whose signature was checked here

    def _remember(self, token: bytes) -> None:
        """A checked token, kept so its signature is not computed on every page."""
        if len(self._known) >= KNOWN_TOKENS:
            self._known.pop(next(iter(self._known)))
        self._known[token] = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if (
            scope["type"] != ScopeType.HTTP
            or scope["method"] != "GET"
            or handler is None
            or not handler.opt.get(OPT)
            or not self.store.max_bytes
        ):
            await self.app(scope, receive, send)
            return
        asked = Asked.of(scope)
        key = asked.key(scope)
        if key is None or SESSION in asked.cookie:
            await self.app(scope, receive, send)
            return
        page = self.store.get(key)
        if page is None or not page.fresh():
            try:
                version = await self.version.current()
            except Exception:  # the database is away: the app answers (a 503) as it would
                await self.app(scope, receive, send)
                return
            if page is None or not page.current(version):
                visitor = self._visitor(scope, asked)
                page = await self._fill(key, version, visitor, scope, receive, send)
                if page is None:
                    return
                await self._send(page, visitor, send)
                return
        await self._send(page, self._visitor(scope, asked), send)

    async def _fill(
        self, key: Key, version: Hashable, visitor: Visitor, scope: HTTPScope, receive: Receive,
        send: Send,
    ) -> Page | None:  # fmt: skip
        """The page rendered once for everyone asking for `key` now; None when this
        request's answer was not cacheable (it has been sent)."""
        waiting = self._filling.get(key)
        if waiting is not None:
            page = await asyncio.shield(waiting)
            if page is not None:
                return page
        future: asyncio.Future[Page | None] = asyncio.get_running_loop().create_future()
        self._filling[key] = future
        page = None
        try:
            made, at, local = time.monotonic(), clock.now(), page_store.changes()
            sent = await self._render(key[2], scope, receive)
            if sent is not None and cacheable(sent, scope):
                page = replace(build_page(sent), version=version, made=made, at=at, local=local)
                self.store.put(key, page)
            elif sent is not None:
                await self._send(build_page(sent), self._with_cookies(visitor, sent), send)
        finally:
            if not future.done():
                future.set_result(page)
            if self._filling.get(key) is future:
                del self._filling[key]
        return page

    async def _render(self, language: str, scope: HTTPScope, receive: Receive) -> Sent | None:
        """The app's answer, rendered as for a visitor with nothing but the placeholder
        token and the key's language: nothing else of this request can be in it."""
        own = b"%s=%s; %s=%s" % (CSRF, PLACEHOLDER, LANG_COOKIE, language.encode())
        # A page kept for the data version just read from the primary must not be read
        # from a replica that may be behind that version (market.web.reads): else it
        # could miss a change yet count as current until the next one.
        scope.setdefault("state", {})[page_store.FILLING] = True
        scope["headers"] = [
            (name, value)
            for name, value in scope["headers"]
            if name not in (b"cookie", b"accept-encoding")
        ] + [(b"cookie", own)]
        start: HTTPResponseStartEvent | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if start is None:
            return None
        headers = tuple((bytes(k).lower(), bytes(v)) for k, v in start.get("headers", ()))
        return Sent(start["status"], headers, b"".join(chunks))

    @staticmethod
    def _with_cookies(visitor: Visitor, sent: Sent) -> Visitor:
        """The visitor, given the cookies the app set as well."""
        cookies = tuple(v for k, v in sent.headers if k == b"set-cookie")
        return replace(visitor, cookies=cookies + visitor.cookies)

    def _visitor(self, scope: HTTPScope, asked: Asked) -> Visitor:
        """The visitor's CSRF token (with its Set-Cookie header when it is new) and
        the content codings they accept."""
        accept = asked.accept_encoding
        sent = _cookie(asked.cookie, CSRF)
        if sent is not None and sent in self._known:
            return Visitor(sent, (), accept)
        if sent is not None and _TOKEN.fullmatch(sent.decode("latin-1")):
            text = sent.decode("ascii")
            signed = generate_csrf_hash(token=text[:64], secret=self.secret)
            if hmac.compare_digest(signed, text[64:]):
                self._remember(sent)
                return Visitor(sent, (), accept)
        token = generate_csrf_token(secret=self.secret)
        config = scope["litestar_app"].csrf_config
        assert config is not None  # noqa: S101 - the app always configures CSRF
        cookie = csrf_cookie(config, token).encode("latin-1")
        return Visitor(token.encode(), (cookie,), accept)

    @staticmethod
    async def _send(page: Page, visitor: Visitor, send: Send) -> None:
        coding, body = encode(page, visitor.token, visitor.accept)
        headers = list(page.headers)
        if coding:
            headers.append((b"content-encoding", coding.encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        headers.extend((b"set-cookie", cookie) for cookie in visitor.cookies)
        await send({"type": "http.response.start", "status": page.status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
