"""Notification settings: which kinds reach me in the inbox and by e-mail (a checkbox
per kind and channel, grouped as notify.kinds groups them; mandatory kinds shown
checked and disabled, with why)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from market.web import i18n
from market.web.auth import principal_of, requires_login
from market.web.form_errors import shows_form_errors
from market.web.render import flash, render, see_other
from notify import preferences

PAGE = "notify/preferences.html"


class PreferencesController(Controller):
    include_in_schema = False

    @get("/notifications/preferences", guards=[requires_login])
    async def preferences_page(self, request: Request[Any, Any, Any]) -> Response[str]:
        user = principal_of(request)
        assert user is not None  # noqa: S101 - guarded
        groups = await preferences.table(user.id)
        return render(request, PAGE, {"groups": groups, "errors": {}})

    @post("/notifications/preferences", guards=[requires_login])
    async def save_preferences(self, request: Request[Any, Any, Any]) -> Response[Any] | Redirect:
        user = principal_of(request)
        assert user is not None  # noqa: S101 - guarded
        form = await request.form()

        async def refused(errors: dict[str, str]) -> Response[Any]:
            groups = await preferences.table(user.id)
            return render(request, PAGE, {"groups": groups, "errors": errors}, status=422)

        async with shows_form_errors(refused):
            await preferences.save(user.id, preferences.parse(form.getall("on", [])))
        flash(request, i18n.gettext("Your notification settings are saved."))
        return see_other("/notifications/preferences")
