"""Security headers on every response (a strict Content-Security-Policy), the
Cache-Control of every response (no-store on private ones) and the CSRF token bound to
the session."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from hmac import compare_digest
from typing import Any

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import generate_csrf_token
from litestar.types import Message, Scope

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


_FRAMING = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
)
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_HSTS = ((b"strict-transport-security", b"max-age=31536000; includeSubDomains"),)


def set_headers(message: Message, headers: Sequence[tuple[bytes, bytes]]) -> None:
    """Set these headers (lower-case names) of a response start message: each replaces
    any header of its name, and they come last, in this order."""
    names = {name for name, _ in headers}
    kept = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in names]
    message["headers"] = kept + list(headers)


def header_of(message: Message, name: bytes) -> bytes | None:
    """A response start message's header (`name` in lower case), or None."""
    return next((v for k, v in message.get("headers", ()) if k.lower() == name), None)


def security_headers(*, hsts: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook, so every response gets the headers, error pages included.
    (On the raw header list: it runs for every response, cached pages included.)"""
    tail = _ALWAYS + (_HSTS if hsts else ())

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        # A response may set a narrower policy of its own (the dev mail page's HTML part).
        own_policy = header_of(message, b"content-security-policy") is not None
        set_headers(message, tail if own_policy else _FRAMING + tail)

    return before_send


def htmx_redirects() -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook: a redirect answering an htmx request becomes `HX-Redirect`.

    The browser's XHR would follow a 303 itself and htmx would swap the next page
    into the form; with HX-Redirect htmx navigates the whole window instead. Plain
    browsers keep the 303.
    """

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or message["status"] not in (301, 302, 303):
            return
        request_headers = dict(scope.get("headers", []))
        if request_headers.get(b"hx-request") != b"true":
            return
        headers = MutableScopeHeaders.from_message(message)
        location = headers.get("location")
        if location is None:
            return
        del headers["location"]
        headers["HX-Redirect"] = location
        message["status"] = 200

    return before_send


# Pages that are private even without a session: a donation's page, receipt and PDF are
# reached by a reference only the donor holds.
PRIVATE_PREFIXES = ("/donations/",)
PRIVATE = "private, no-store"
# Every page carries the visitor's own CSRF token (forms, hx-headers), so no shared cache
# may keep one; the browser may, but asks again each time (a change shows at once).
PAGE = "private, no-cache"
OTHER = "no-cache"  # open data (JSON, CSV, OCDS) to anonymous visitors: revalidated


def cache_control() -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook: the `Cache-Control` of every response but /static/ files
    (market.web.assets sets theirs). `private, no-store` on every private response — any
    answer to a signed-in person or to a request with a session (pages, fragments, files,
    errors), donation pages and receipts, and anything that sets the session cookie — so
    no shared or browser cache keeps it. Other pages: `private, no-cache`; other
    responses: their handler's own value, else `no-cache`."""

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        path = str(scope.get("path", ""))
        if path.startswith("/static/"):
            return
        signed_in = (scope.get("state") or {}).get("principal") is not None
        sets_session = any(
            k.lower() == b"set-cookie" and v.startswith(b"pgm_session=")
            for k, v in message.get("headers", ())
        )
        if signed_in or scope.get("session") or sets_session or path.startswith(PRIVATE_PREFIXES):
            set_headers(message, ((b"cache-control", PRIVATE.encode()),))
        elif (header_of(message, b"content-type") or b"").startswith(b"text/html"):
            set_headers(message, ((b"cache-control", PAGE.encode()),))
        elif header_of(message, b"cache-control") is None:
            set_headers(message, ((b"cache-control", OTHER.encode()),))

    return before_send


# --- CSRF bound to the session ---------------------------------------------------------
# Litestar's CSRF check is a double submit (cookie = form token, both HMAC-signed). At
# sign-in we issue a fresh CSRF cookie and keep its hash in the session; from then on an
# unsafe request of that session must carry exactly that cookie (`check_csrf_binding`),
# so a token planted or read before sign-in (or from another session) is worthless.

CSRF_COOKIE = "pgm_csrf"
_SESSION_KEY = "csrf"
_NEW_COOKIE = "_pgm_csrf_new"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bind_csrf(request: Request[Any, Any, Any]) -> None:
    """Issue a fresh CSRF cookie with this response and bind it to the session."""
    config = request.app.csrf_config
    assert config is not None  # noqa: S101 - the app always configures CSRF
    token = generate_csrf_token(secret=config.secret)
    request.session[_SESSION_KEY] = _digest(token)
    request.scope[_NEW_COOKIE] = token  # type: ignore[literal-required]


def check_csrf_binding(request: Request[Any, Any, Any]) -> None:
    """For unsafe methods of a session bound at sign-in: the CSRF cookie must be its own."""
    if request.method in SAFE_METHODS:
        return
    session = request.scope.get("session") or {}
    bound = session.get(_SESSION_KEY)
    if not bound:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not compare_digest(_digest(cookie), str(bound)):
        raise PermissionDeniedException("CSRF token is not the one bound to this session")


def csrf_cookie_rotation() -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook: sets the cookie `bind_csrf` issued (same attributes as
    Litestar's own CSRF cookie)."""

    async def before_send(message: Message, scope: Scope) -> None:
        token = scope.get(_NEW_COOKIE)  # type: ignore[misc]
        if message["type"] != "http.response.start" or not token:
            return
        cookie = csrf_cookie(scope["litestar_app"].csrf_config, token)
        MutableScopeHeaders.from_message(message).add("set-cookie", cookie)

    return before_send


def csrf_cookie(config: CSRFConfig, token: str) -> str:
    """The Set-Cookie value of a CSRF token, with Litestar's own CSRF cookie's attributes."""
    cookie = Cookie(
        key=config.cookie_name,
        value=token,
        path=config.cookie_path,
        secure=config.cookie_secure,
        httponly=config.cookie_httponly,
        samesite=config.cookie_samesite,
        domain=config.cookie_domain,
    )
    return cookie.to_header(header="")
