"""The development mail page: without `MARKET_SMTP_URL` the outbox writes each e-mail to
`var/mail/*.eml`; `/dev/mail` lists them and shows each one (headers, plain-text part,
HTML part). Only in dev and test: elsewhere every route answers 404."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath

from market.outbox import mailfiles
from market.settings import get_settings
from market.web.auth import public
from market.web.render import render

# The HTML part shown alone (framed by the message page): its inline styles apply, no
# script runs, nothing is fetched, and only this site may frame it.
HTML_PART_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)


async def development_only(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    if get_settings().env not in ("dev", "test"):
        raise NotFoundException()


def _message(name: str) -> Any:
    message = mailfiles.read(mailfiles.folder_of(get_settings()), name)
    if message is None:
        raise NotFoundException()
    return message


class DevMailController(Controller):
    path = "/dev/mail"
    include_in_schema = False

    @get("/", guards=[public, development_only])
    async def mails(self, request: Request[Any, Any, Any]) -> Response[str]:
        settings = get_settings()
        folder = mailfiles.folder_of(settings)
        context = {"mails": mailfiles.listing(folder), "folder": folder}
        return render(request, "notify/devmail.html", {**context, "smtp": bool(settings.smtp_url)})

    @get("/{name:str}", guards=[public, development_only])
    async def mail(self, request: Request[Any, Any, Any], name: FromPath[str]) -> Response[str]:
        message = _message(name)
        text, html = mailfiles.parts(message)
        context = {"name": name, "message": message, "text": text, "has_html": bool(html),
                   "mail_lang": mailfiles.language(message)}  # fmt: skip
        return render(request, "notify/devmail_message.html", context)

    @get("/{name:str}/html", guards=[public, development_only])
    async def html_part(self, name: FromPath[str]) -> Response[str]:
        _, html = mailfiles.parts(_message(name))
        if not html:
            raise NotFoundException()
        headers = {"Content-Security-Policy": HTML_PART_POLICY, "X-Frame-Options": "SAMEORIGIN"}
        return Response(html, media_type="text/html", headers=headers)
