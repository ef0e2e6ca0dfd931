"""The public home page and the signed-in dashboard (both read across the apps)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from market import directory
from market.web.auth import principal_of, public, requires_login
from market.web.page_cache import CACHED
from market.web.reads import REPLICA_READS
from market.web.render import render
from opendata import attention, home


class HomeController(Controller):
    opt = REPLICA_READS  # anonymous reads may come from a replica (market.web.reads)
    include_in_schema = False

    @get("/", guards=[public], opt=CACHED)
    async def home(self, request: Request[Any, Any, Any]) -> Response[str]:
        page = await home.home_page()
        context = {f: getattr(page, f) for f in page.__dataclass_fields__}
        return render(request, "market/home.html", context)

    @get("/dashboard", guards=[requires_login])
    async def dashboard(self, request: Request[Any, Any, Any]) -> Response[str]:
        principal = principal_of(request)
        assert principal is not None  # noqa: S101 - the guard ensures it
        context = await directory.dashboard(principal)
        context["attention"] = await attention.attention(principal)
        context["evaluator"] = await attention.has_panel_seat(principal.id)
        return render(request, "market/dashboard.html", context)
