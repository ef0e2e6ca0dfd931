"""Who is asking (from the session) and the guards every route declares.

Every route handler lists at least one guard from this module — `public` for
pages anyone may see — and a test enumerates the routes to hold that line.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from market import outbox
from market.accounts import Principal, load_principal
from market.settings import get_settings
from market.web import i18n

# Async: Litestar runs a sync guard in a worker thread, on every request.
Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


class PrincipalMiddleware:
    """Loads the signed-in principal into `scope["state"]["principal"]` (and their unread
    inbox count into `scope["state"]["unread"]`, for the header) and picks the language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        principal: Principal | None = None
        # The reader's language before the database is asked: a 503 is answered in it.
        i18n.activate(_language(scope, None))
        session = scope.get("session") or {}
        user_id = session.get("user_id")
        if isinstance(user_id, int):
            principal = await load_principal(user_id)
            # A password change or reset since this session signed in ends it.
            if principal is None or session.get("epoch", 0) != principal.session_epoch:
                principal = None
                session.clear()
        state = scope.setdefault("state", {})
        state["principal"] = principal
        if principal is not None:
            i18n.activate(_language(scope, principal))
            state["unread"] = await outbox.unread_count(principal.id)
        await self.app(scope, receive, send)


def activate_reader_language(scope: Scope) -> None:
    """The language of a request no route took (its 404 page): cookie, else browser."""
    i18n.activate(_language(scope, None))


def _language(scope: Scope, principal: Principal | None) -> str:
    headers = dict((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
    return language_of(headers.get("cookie", ""), headers.get("accept-language"), principal)


def language_of(
    cookie_header: str, accept_language: str | None, principal: Principal | None
) -> str:
    """The `pgm_lang` cookie's language, else the signed-in person's, else the browser's
    (Accept-Language), else the default."""
    for part in cookie_header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == i18n.COOKIE and (chosen := i18n.normalise(value)):
            return chosen
    if principal and (preferred := i18n.normalise(principal.locale)):
        return preferred
    return i18n.from_accept_language(accept_language) or i18n.DEFAULT


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    return connection.scope.get("state", {}).get("principal")  # type: ignore[no-any-return]


def _require(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = principal_of(connection)
    if principal is None:
        raise NotAuthorizedException("Please log in to continue.")
    return principal


async def public(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Anyone, signed in or not. Declared explicitly so no route is public by omission."""


async def requires_login(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    _require(connection)


async def requires_operator(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    if not _require(connection).is_operator:
        raise PermissionDeniedException("Only platform operators may do this.")


_FORWARDED = ("x-forwarded-for", "forwarded", "x-real-ip")


async def requires_metrics_reader(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """`/metrics`: a scraper on this machine (a loopback peer, and no proxy header: a
    proxy on this machine forwards strangers from loopback too), or anyone sending
    `Authorization: Bearer <MARKET_METRICS_TOKEN>`."""
    token = get_settings().metrics_token
    given = connection.headers.get("authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return
    peer = connection.client.host if connection.client else ""
    try:
        loopback = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        loopback = False
    if not loopback or any(name in connection.headers for name in _FORWARDED):
        raise PermissionDeniedException("Metrics are served to this machine or with a token.")


async def requires_finance(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """A member of a district's finance bureau (a verified department flagged as it)."""
    if not _require(connection).finance_districts:
        raise PermissionDeniedException("Only the district's finance bureau may do this.")


def requires_member(*kinds: str) -> Guard:
    """A verified member of an organization of one of these kinds."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if not _require(connection).has_kind(*kinds):
            raise PermissionDeniedException(
                "This page is for members of a verified organization of the right kind."
            )

    guard.__name__ = "requires_member_" + "_".join(kinds)
    return guard


requires_department = requires_member("department")
requires_social_org = requires_member("social_org")
requires_sponsor = requires_member("company", "foundation")
