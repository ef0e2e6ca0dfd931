"""Helpers the bids controllers share: uploaded files, the bidder's organization, and
the form-error → flash + 303 round trip (through `market.web.form_errors`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response
from litestar.datastructures import UploadFile

from market.controllers.organizations import signed_in
from market.inputs import is_ascii_digits
from market.web.form_errors import shows_form_errors
from market.web.render import flash, see_other

Req = Request[Any, Any, Any]
Redisplay = Callable[[dict[str, str]], Awaitable[Response[Any]]]


async def uploads(form: Any, name: str = "document") -> list[tuple[str, bytes]]:
    files = []
    for item in form.getall(name, []) if hasattr(form, "getall") else [form.get(name)]:
        if isinstance(item, UploadFile):
            data = await item.read()
            if data or item.filename:
                files.append((item.filename or "", data))
    return files


def org_choice(request: Req, raw: str | None) -> int:
    orgs = signed_in(request).org_ids("social_org")
    chosen = int(raw) if raw and is_ascii_digits(raw) and len(raw) <= 10 else 0
    return chosen if chosen in orgs else orgs[0]


async def attempt(
    request: Req,
    call: Awaitable[Any],
    *,
    redisplay: Callable[[dict[str, str]], Awaitable[Response[Any]]],
    default_field: str,
    message: str,
    then: str,
) -> Response[Any]:
    async with shows_form_errors(redisplay, field=default_field):
        await call
    flash(request, message)
    return see_other(then)


def keyed(
    redisplay: Callable[[dict[str, str]], Awaitable[Response[Any]]], key: int | str
) -> Callable[[dict[str, str]], Awaitable[Response[Any]]]:
    """Errors of one item's form (a milestone, a bid, a complaint) are keyed
    `{field}-{key}` to sit beside it."""

    async def wrapped(errors: dict[str, str]) -> Response[Any]:
        return await redisplay({f"{k}-{key}": v for k, v in errors.items()})

    return wrapped
