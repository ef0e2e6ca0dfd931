"""Home page and the signed-in dashboard."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from market import directory
from market.web.auth import principal_of, public, requires_login
from market.web.render import render


class HomeController(Controller):
    include_in_schema = False

    @get("/", guards=[public])
    async def home(self, request: Request[Any, Any, Any]) -> Response[str]:
        return render(request, "market/home.html", await directory.home_summary())

    @get("/dashboard", guards=[requires_login])
    async def dashboard(self, request: Request[Any, Any, Any]) -> Response[str]:
        principal = principal_of(request)
        assert principal is not None  # noqa: S101 - the guard ensures it
        return render(request, "market/dashboard.html", await directory.dashboard(principal))
