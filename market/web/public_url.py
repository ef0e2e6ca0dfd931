"""The base URL that published links are built from.

`MARKET_BASE_URL`, when it is set in the environment, is the one answer (a deployment
names its public address once). Otherwise a link follows the request it answers: the
scheme, host and port the request arrived with, so `make run` on any port publishes
links to that port. Behind a proxy named in `MARKET_TRUSTED_PROXIES` (and only then)
`X-Forwarded-Proto` and `X-Forwarded-Host` say what the client used. Outside a request
(the CLI export, jobs) it is `MARKET_BASE_URL` or its default.

`BaseURLMiddleware` records the request's base URL in a context variable for the
request's duration; `public_base_url()` reads it. Not used for e-mailed links (password
reset): those must not follow a Host header the client chose.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any

from market.settings import get_settings
from market.web.proxies import is_trusted_proxy

_current: ContextVar[str | None] = ContextVar("request_base_url", default=None)
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _first(value: str | None) -> str:
    return (value or "").split(",")[0].strip()


def request_base_url(
    scheme: str,
    headers: dict[str, str],
    server: tuple[str, int | None] | None,
    peer: str,
    trusted: tuple[str, ...],
) -> str | None:
    """`scheme://host[:port]` of a request, or None when its host is not well formed.

    `headers` are lower-cased names; the forwarded ones count only from a trusted peer.
    """
    host = headers.get("host", "")
    if is_trusted_proxy(peer, trusted):
        scheme = _first(headers.get("x-forwarded-proto")).lower() or scheme
        host = _first(headers.get("x-forwarded-host")) or host
    if scheme not in _DEFAULT_PORTS:
        return None
    if not host and server is not None:
        name, port = server
        host = name if port in (None, _DEFAULT_PORTS[scheme]) else f"{name}:{port}"
    if not _HOST.match(host):
        return None
    return f"{scheme}://{host.lower()}"


def public_base_url() -> str:
    """The base URL for links, without a trailing slash (see the module docstring)."""
    settings = get_settings()
    if not settings.base_url_fixed:
        current = _current.get()
        if current:
            return current
    return settings.base_url.rstrip("/")


class BaseURLMiddleware:
    """Pure ASGI middleware: the request's base URL is known while it is handled."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        client = scope.get("client")
        server = scope.get("server")
        base = request_base_url(
            str(scope.get("scheme", "http")),
            headers,
            (str(server[0]), server[1]) if server else None,
            str(client[0]) if client else "",
            get_settings().trusted_proxies,
        )
        token = _current.set(base)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
