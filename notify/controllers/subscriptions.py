"""Tender subscriptions: "tell me about new tenders like this" — a category, a street or
community, a budget range. The tender list's filters link here with the form filled in."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from market.tenders.inputs import CATEGORIES
from market.tenders.queries import public_areas
from market.web import formdata, i18n
from market.web.auth import principal_of, requires_login
from market.web.form_errors import shows_form_errors
from market.web.params import PathId
from market.web.render import flash, render, see_other
from notify import rules, subscriptions

PAGE = "notify/subscriptions.html"
FIELDS = ("category", "area", "budget_min", "budget_max")


async def _context(user_id: int, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "saved": [(s.id, rules.form_values(s.terms)) for s in await subscriptions.of_user(user_id)],
        "values": values,
        "errors": errors,
        "categories": CATEGORIES,
        "areas": await public_areas(),
        "limit": rules.MAX_SUBSCRIPTIONS,
    }


class SubscriptionController(Controller):
    include_in_schema = False

    @get("/subscriptions", guards=[requires_login])
    async def subscriptions_page(self, request: Request[Any, Any, Any]) -> Response[str]:
        user = principal_of(request)
        assert user is not None  # noqa: S101 - guarded
        values = {name: request.query_params.get(name, "")[:100] for name in FIELDS}
        return render(request, PAGE, await _context(user.id, values, {}))

    @post("/subscriptions", guards=[requires_login])
    async def subscribe(self, request: Request[Any, Any, Any]) -> Response[Any] | Redirect:
        user = principal_of(request)
        assert user is not None  # noqa: S101 - guarded
        values = formdata.texts(await request.form(), FIELDS)

        async def refused(errors: dict[str, str]) -> Response[Any]:
            context = await _context(user.id, values, errors)
            return render(request, PAGE, context, block="add", status=422)

        async with shows_form_errors(refused):
            await subscriptions.subscribe(user.id, values)
        flash(request, i18n.gettext("Subscribed: new tenders like this will be told to you."))
        return see_other("/subscriptions")

    @post("/subscriptions/{subscription_id:int}/delete", guards=[requires_login])
    async def unsubscribe(
        self, request: Request[Any, Any, Any], subscription_id: PathId
    ) -> Redirect:
        user = principal_of(request)
        assert user is not None  # noqa: S101 - guarded
        await subscriptions.unsubscribe(user.id, subscription_id)
        flash(request, i18n.gettext("The subscription is removed."))
        return see_other("/subscriptions")
