"""Which database node a request reads from (`market.replicas`), per route.

A route handler (or a whole controller) that only shows public data asks for replica
reads with `opt=REPLICA_READS`. Such a request reads from a replica when it is a GET
or HEAD, nobody is signed in, and a replica is within the staleness bound and has
replayed past the reader's own last write (`pgm_wrote`); else from the primary. Every
other route reads from the primary.

After a request with an unsafe method that succeeded (status below 400), the response
sets `pgm_wrote` to the primary's WAL position, so that the writer's next reads wait
for a replica that has it (read-your-writes). Without replicas nothing of this runs.
"""

from __future__ import annotations

from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from market import logs, metrics, replicas
from market.db import read_node
from market.settings import get_settings
from market.web import page_store

REPLICA_READS = {"reads": "replica"}  # `opt=` of a route whose reads may go to a replica
SAFE = frozenset({"GET", "HEAD"})


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == b"cookie":
            for part in value.decode("latin-1").split(";"):
                found, _, text = part.strip().partition("=")
                if found == name:
                    return text
    return None


def _wrote_cookie(position: int) -> bytes:
    settings = get_settings()
    parts = [f"{replicas.WROTE_COOKIE}={position}", "Path=/", "HttpOnly", "SameSite=Lax"]
    parts.append(f"Max-Age={replicas.WROTE_MAX_AGE}")
    if not settings.dev and settings.env != "test":
        parts.append("Secure")
    return "; ".join(parts).encode()


def wants_replica(scope: Scope) -> bool:
    handler: Any = scope.get("route_handler")
    opt = getattr(handler, "opt", None) or {}
    state = scope.get("state") or {}
    signed_in = state.get("principal") is not None
    # A page the cache keeps is read from the primary: it is current for the version the
    # cache read there (market.web.page_cache), and only a handful are rendered a second.
    filling = bool(state.get(page_store.FILLING))
    return (
        opt.get("reads") == "replica"
        and scope.get("method") in SAFE
        and not signed_in
        and not filling
    )


class ReadRouting:
    """Route middleware (after the principal is known): picks the read node, marks
    writers. Also names the route in the log context."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        logs.route.set(str(scope.get("path_template") or ""))
        router = replicas.router()
        if router is None:
            await self.app(scope, receive, send)
            return
        if wants_replica(scope):
            await self._read(scope, receive, send, router)
        elif scope.get("method") not in SAFE:
            await self.app(scope, receive, self._marking(send))
        else:
            await self.app(scope, receive, send)

    async def _read(self, scope: Scope, receive: Receive, send: Send, router: Any) -> None:
        chosen = router.pick(replicas.parse_wrote(_cookie(scope, replicas.WROTE_COOKIE)))
        name = chosen.name if chosen is not None else "primary"
        scope["state"]["read_node"] = name
        metrics.ROUTED_READS.labels(node=name).inc()
        token = read_node.set(chosen.node if chosen is not None else None)
        try:
            await self.app(scope, receive, send)
        finally:
            read_node.reset(token)

    def _marking(self, send: Send) -> Send:
        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start" and int(message["status"]) < 400:
                try:
                    position = await replicas.primary_position()
                except Exception:  # the primary is away: this writer has no newer position
                    position = replicas.NEVER
                headers = list(message.get("headers", ()))
                message["headers"] = [*headers, (b"set-cookie", _wrote_cookie(position))]
            await send(message)

        return marked
