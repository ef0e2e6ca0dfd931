"""/static/: the files under static/, by fingerprinted name (market.web.assets)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, route
from litestar.params import FromPath

from market.web import assets
from market.web.auth import public


class AssetController(Controller):
    include_in_schema = False

    @route("/static/{name:path}", http_method=["GET", "HEAD"], guards=[public])
    async def asset(self, request: Request[Any, Any, Any], name: FromPath[str]) -> Response[Any]:
        return assets.respond(name, request.headers)
