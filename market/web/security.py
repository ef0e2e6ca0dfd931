"""Security headers on every response, including a strict Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.datastructures import MutableScopeHeaders
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


def security_headers(*, hsts: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook, so every response gets the headers, error pages included."""

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        headers["Content-Security-Policy"] = CSP
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if hsts:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"

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


def private_no_store() -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook: `Cache-Control: no-store` on every private response — any
    answer to a signed-in person (pages, fragments, files, errors), donation pages and
    receipts, and anything that sets the session cookie — so no shared or browser cache keeps it.
    Static files stay cacheable."""

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        path = str(scope.get("path", ""))
        if path.startswith("/static/"):
            return
        headers = MutableScopeHeaders.from_message(message)
        signed_in = (scope.get("state") or {}).get("principal") is not None
        sets_session = any(
            k.lower() == b"set-cookie" and v.startswith(b"pgm_session=")
            for k, v in message["headers"]
        )
        private = signed_in or sets_session or path.startswith(PRIVATE_PREFIXES)
        if private:
            headers["Cache-Control"] = "private, no-store"

    return before_send
