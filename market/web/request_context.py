"""Around every HTTP request, outside Litestar's routing (so an unknown path's 404 too):
its id, its access log line and its metrics.

- **Request id.** A sane incoming `X-Request-ID` (1-64 letters, digits, `.`, `_`, `-`;
  a proxy in front may set one) is kept, anything else replaced by a fresh random id.
  It is in `scope["state"]["request_id"]`, in every log line written while the request
  is served (`market.logs`), in the `X-Request-ID` response header, and on the error
  pages and JSON errors (`market.web.errors`), so a person can quote it.
- **Access log.** One `market.access` line per request: method, path, route template,
  status, duration in milliseconds (5xx at error level, else info). Which requests
  get one is `MARKET_ACCESS_LOG`: `all` (the default), `errors` (a status of 400 or
  more, or slower than a second: where a proxy in front already logs every request —
  a line costs about as much as serving a cached page), or `off`.
- **Metrics.** The latency histogram and response counter by route *template*
  (`/tenders/{tender_id}`, never the raw path: bounded labels), and the database
  pools' use in this process.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from market import logs, metrics
from market.db import pools

HEADER = "x-request-id"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
UNMATCHED = "(unmatched)"  # the route label of a path no route serves
access = logging.getLogger("market.access")
ACCESS_MODES = ("all", "errors", "off")
SLOW = 1.0  # seconds: a request this slow is logged under `errors` too


def access_mode() -> str:
    """MARKET_ACCESS_LOG, refused at start when it is none of ACCESS_MODES."""
    mode = os.environ.get("MARKET_ACCESS_LOG", "all").strip().lower() or "all"
    if mode not in ACCESS_MODES:
        raise ValueError(f"MARKET_ACCESS_LOG must be one of {', '.join(ACCESS_MODES)}: {mode!r}")
    return mode


def logs_access(mode: str, status: int, seconds: float) -> bool:
    """Whether a request answered with `status` after `seconds` gets an access line."""
    if mode == "all":
        return True
    return mode == "errors" and (status >= 400 or seconds >= SLOW)


def incoming_id(scope: Scope) -> str:
    """The request's id: a sane `X-Request-ID` it came with, else a new one."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"x-request-id":
            text = value.decode("latin-1")
            if _SANE.fullmatch(text):
                return text
            break
    return secrets.token_hex(8)  # 16 hex digits: unique enough to find, short to quote


def request_id_of(scope: Any) -> str | None:
    """The id of the request `scope` belongs to (None outside one)."""
    return (scope.get("state") or {}).get("request_id")


def record_pools() -> None:
    """This process's pool use, into the pool gauges."""
    for node, pool in pools().items():
        size, idle = pool.get_size(), pool.get_idle_size()
        metrics.POOL_CONNECTIONS.labels(node=node, state="open").set(size)
        metrics.POOL_CONNECTIONS.labels(node=node, state="in_use").set(size - idle)
        metrics.POOL_CONNECTIONS.labels(node=node, state="max").set(pool.get_max_size())


_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The latency and response series of a (method, route, status): looked up once."""
    key = (method, route, status)
    found = _SERIES.get(key)
    if found is None:
        found = (
            metrics.REQUEST_SECONDS.labels(method=method, route=route),
            metrics.RESPONSES.labels(method=method, route=route, status=str(status)),
        )
        _SERIES[key] = found
    return found


class RequestContext:
    """The outermost ASGI layer of the app (`create_app` wraps Litestar's handler)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.access = access_mode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = incoming_id(scope)
        scope.setdefault("state", {})["request_id"] = rid
        id_token = logs.request_id.set(rid)
        route_token = logs.route.set(None)
        status = 500  # when the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [h for h in message.get("headers", ()) if h[0].lower() != b"x-request-id"]
                message["headers"] = [*headers, (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._finish(scope, status, time.perf_counter() - started)
            logs.route.reset(route_token)
            logs.request_id.reset(id_token)

    def _finish(self, scope: Scope, status: int, seconds: float) -> None:
        route = str(scope.get("path_template") or UNMATCHED)  # set by Litestar's router
        method = str(scope.get("method", ""))
        latency, responses = _series(method, route, status)
        latency.observe(seconds)
        responses.inc()
        record_pools()
        if not logs_access(self.access, status, seconds):
            return
        level = logging.ERROR if status >= 500 else logging.INFO
        access.log(
            level,
            "%s %s %s",
            method,
            scope.get("path", ""),
            status,
            extra={
                "request_id": request_id_of(scope),
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                "method": method,
                "path": str(scope.get("path", ""))[:300],
                "db": (scope.get("state") or {}).get("read_node"),
            },
        )
