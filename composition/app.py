"""`create_app()`: settings, stores, middleware, every app's routes, and the wiring."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin

from composition.wiring import wire
from market import draining
from market.db import close_pool, start_pool
from market.errors import DomainError
from market.jobs.worker import start_inline, stop_inline
from market.replicas import start_replicas, stop_replicas
from market.settings import Settings, get_settings
from market.web import assets
from market.web.auth import PrincipalMiddleware, public
from market.web.compression import compression_config
from market.web.errors import domain_error, http_error, server_error
from market.web.form_errors import Redisplayed, redisplayed
from market.web.page_cache import PageCacheMiddleware
from market.web.params import request_boundary
from market.web.public_url import BaseURLMiddleware
from market.web.ratelimit import LoginLimiter
from market.web.reads import ReadRouting
from market.web.request_context import RequestContext
from market.web.security import (
    cache_control,
    csrf_cookie_rotation,
    htmx_redirects,
    security_headers,
)
from market.web.sessions import SessionMiddleware
from market.web.stores import make_store


def route_handlers() -> list[Any]:
    """Every app's controllers: only the composition root imports them all."""
    from bids.controllers import BID_CONTROLLERS
    from donors.controllers import DONOR_CONTROLLERS
    from funds.controllers import FUND_CONTROLLERS
    from market.controllers import MARKET_CONTROLLERS
    from notify.controllers import NOTIFY_CONTROLLERS
    from opendata.controllers import OPENDATA_CONTROLLERS

    return [
        *MARKET_CONTROLLERS,
        *DONOR_CONTROLLERS,
        *BID_CONTROLLERS,
        *OPENDATA_CONTROLLERS,
        *NOTIFY_CONTROLLERS,
        *FUND_CONTROLLERS,
    ]


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Public Good Market API",
        version="1.0.0",
        path="/api/schema",
        description="Open data and integration API: tenders, projects, ledgers, OCDS.",
        render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
        openapi_router=Router(
            path="/api/schema", guards=[public], route_handlers=[], include_in_schema=False
        ),
    )


def on_startup(settings: Settings) -> list[Any]:
    """The pools (primary, replicas), the inline job worker, the drain watch; warm-ups."""
    from donors import receipts  # the PDF receipt font is parsed at start-up (not in tests)

    return [
        start_pool,
        start_replicas,
        *([start_inline] if settings.worker_inline else []),
        draining.start_watching,  # after the inline worker: draining stops it
        *(
            [receipts.warm_up_in_background, assets.warm_up_in_background]
            if settings.env != "test"
            else []
        ),
    ]


def on_shutdown(settings: Settings) -> list[Any]:
    return [
        draining.stop_watching,
        *([stop_inline] if settings.worker_inline else []),
        stop_replicas,
        close_pool,
    ]


def create_app(settings: Settings | None = None) -> Litestar:
    wire()
    settings = settings or get_settings()
    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="pgm_csrf",
        cookie_secure=not (settings.dev or settings.env == "test"),
        cookie_httponly=True,
        cookie_samesite="lax",
        header_name="x-csrftoken",
        # A signed webhook, and the one-click unsubscribe a mail client POSTs without
        # any cookie (RFC 8058; its signed token is the proof, notify.unsubscribe).
        exclude=[r"^/webhooks/stripe$", r"^/unsubscribe/[^/]+$"],
    )
    app = Litestar(
        route_handlers=route_handlers(),
        middleware=[
            # First: a cached public page is served before anything else runs.
            DefineMiddleware(PageCacheMiddleware, settings=settings),
            DefineMiddleware(
                SessionMiddleware, store=make_store(settings, "sessions"), settings=settings
            ),
            PrincipalMiddleware,
            ReadRouting,
            BaseURLMiddleware,
        ],
        before_request=request_boundary,
        before_send=[
            security_headers(hsts=settings.env == "prod"),
            cache_control(),
            csrf_cookie_rotation(),
            htmx_redirects(),
        ],
        csrf_config=csrf,
        compression_config=compression_config(),
        exception_handlers={
            Redisplayed: redisplayed,
            DomainError: domain_error,
            HTTPException: http_error,
            Exception: server_error,
        },
        on_startup=on_startup(settings),
        on_shutdown=on_shutdown(settings),
        openapi_config=openapi_config(),
        state=State({"settings": settings, "login_limiter": LoginLimiter(settings)}),
        debug=False,
        logging_config=None,  # the process configures its logs (market.logs: JSON lines)
    )
    # Outside Litestar's routing, so that every response has its request id and metrics,
    # a path no route serves included.
    app.asgi_handler = RequestContext(app.asgi_handler)
    return app
