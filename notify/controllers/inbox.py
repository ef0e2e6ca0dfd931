"""The inbox: messages newest first, a page at a time; mark one or all read. With htmx
the item (or the list) is swapped in place and the header's count updated out of band;
without JavaScript the same forms POST and are redirected back (303)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from market.web import i18n
from market.web.auth import principal_of, requires_login
from market.web.params import PathId
from market.web.render import is_fragment_request, render, see_other
from notify import inbox

PAGE = "notify/inbox.html"


def _back(request: Request[Any, Any, Any]) -> str:
    before = request.query_params.get("before", "")
    return f"/inbox?before={before}" if before.isdigit() else "/inbox"


class InboxController(Controller):
    include_in_schema = False

    @get("/inbox", guards=[requires_login])
    async def inbox_page(self, request: Request[Any, Any, Any]) -> Response[str]:
        user = principal_of(request)
        assert user is not None  # noqa: S101 - guarded
        found = await inbox.page(user.id, i18n.current(), request.query_params.get("before"))
        return render(request, PAGE, {"page": found, "unread": found.unread}, block="messages")

    @post("/inbox/{message_id:int}/read", guards=[requires_login])
    async def read_one(
        self, request: Request[Any, Any, Any], message_id: PathId
    ) -> Response[Any] | Redirect:
        user = principal_of(request)
        assert user is not None  # noqa: S101 - guarded
        await inbox.mark_read(user.id, message_id)
        found = await inbox.message(user.id, i18n.current(), message_id)
        if found is None or not is_fragment_request(request):
            return see_other(_back(request))
        context = {"message": found, "unread": await inbox.unread(user.id), "oob_item": True}
        return render(request, "notify/_message.html", context)

    @post("/inbox/read", guards=[requires_login])
    async def read_all(self, request: Request[Any, Any, Any]) -> Response[Any] | Redirect:
        user = principal_of(request)
        assert user is not None  # noqa: S101 - guarded
        await inbox.mark_read(user.id)
        if not is_fragment_request(request):
            return see_other(_back(request))
        found = await inbox.page(user.id, i18n.current(), request.query_params.get("before"))
        context = {"page": found, "unread": found.unread, "oob": True}
        return render(request, PAGE, context, block="messages")
