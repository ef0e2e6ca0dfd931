"""One-click unsubscribe (RFC 8058), no login: `POST /unsubscribe/{token}` — what a mail
client sends for `List-Unsubscribe-Post`, and what the confirmation page's button
sends — switches the kind's e-mail off (exempt from CSRF in composition.app: the
signed token is the proof). `GET` only shows the page with the button: a link
scanner that opens the link changes nothing."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from market.web import i18n
from market.web.auth import public
from market.web.render import render
from notify import unsubscribe
from notify.emails import PREFERENCES

PAGE = "notify/unsubscribe.html"


def _speak_recipients_language(request: Request[Any, Any, Any]) -> None:
    """The page in the e-mail's language (`?lang=` of the link), unless the reader
    chose one on the site."""
    if i18n.COOKIE not in request.cookies:
        i18n.activate(i18n.normalise(request.query_params.get("lang")) or i18n.current())


async def _page(request: Request[Any, Any, Any], token: str, done: bool) -> Response[str]:
    _speak_recipients_language(request)  # a refusal too is worded in it
    target = unsubscribe.read(token)
    if done:
        await unsubscribe.unsubscribe(target)
    context = {
        "kind": target.kind,
        "address": await unsubscribe.address_of(target),
        "user": target.user_id is not None,
        "action": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "done": done,
        "preferences": PREFERENCES,
    }
    return render(request, PAGE, context)


class UnsubscribeController(Controller):
    path = "/unsubscribe"
    include_in_schema = False

    @get("/{token:str}", guards=[public])
    async def confirm(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
        """The question and its button; nothing changes yet."""
        return await _page(request, token, done=False)

    @post("/{token:str}", guards=[public], status_code=200)
    async def unsubscribe(
        self, request: Request[Any, Any, Any], token: FromPath[str]
    ) -> Response[str]:
        """One click (the mail client's POST or the page's button): e-mail off."""
        return await _page(request, token, done=True)
