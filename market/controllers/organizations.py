"""Organizations: the public directory and profiles, registration, members."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from market import organization_rules as rules
from market import organizations
from market.accounts import Principal
from market.errors import ValidationFailed
from market.inputs import is_ascii_digits
from market.places.queries import all_places, group_places
from market.web import formdata, i18n
from market.web.auth import principal_of, public, requires_login
from market.web.form_errors import Redisplay, shows_form_errors
from market.web.params import PathId
from market.web.reads import REPLICA_READS
from market.web.render import flash, render, see_other

REGISTRATION_FIELDS = (
    "kind",
    "name_zh",
    "name_en",
    "uscc",
    "category",
    "area",
    "place",
    "registered_year",
    "contact_email",
    "description_zh",
    "description_en",
)


def signed_in(request: Request[Any, Any, Any]) -> Principal:
    principal = principal_of(request)
    assert principal is not None  # noqa: S101 - the route's guard ensures it
    return principal


def _page_number(raw: str | None) -> int:
    """A page number from the URL; anything that is not one (ASCII digits) is page 1,
    and the directory clamps it to the pages it has."""
    return max(1, int(raw)) if raw and is_ascii_digits(raw) and len(raw) <= 6 else 1


class OrganizationController(Controller):
    opt = REPLICA_READS  # anonymous reads may come from a replica (market.web.reads)
    include_in_schema = False

    @get("/organizations", guards=[public])
    async def directory(self, request: Request[Any, Any, Any]) -> Response[str]:
        query = request.query_params
        filters = organizations.Filters.parse({k: str(query.get(k, "")) for k in query})
        result = await organizations.list_organizations(
            filters, page=_page_number(query.get("page"))
        )
        context = {
            "filters": filters,
            "params": filters.as_params(),
            "result": result,
            "areas": await organizations.public_areas(),
            "kinds": rules.KINDS,
            "categories": rules.CATEGORIES,
        }
        return render(request, "market/organizations/list.html", context, block="results")

    @get("/organizations/{organization_id:int}", guards=[public])
    async def profile(
        self, request: Request[Any, Any, Any], organization_id: PathId
    ) -> Response[str]:
        context = await organizations.organization_profile(organization_id, principal_of(request))
        return render(request, "market/organizations/profile.html", context)

    @get("/organizations/register", guards=[requires_login])
    async def register_page(self, request: Request[Any, Any, Any]) -> Response[str]:
        context = await _register_context({}, {})
        return render(request, "market/organizations/register.html", context)

    @post("/organizations/register", guards=[requires_login])
    async def register(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        values = {name: formdata.text(form, name) for name in REGISTRATION_FIELDS}
        redisplay = _register_redisplay(request, values)
        async with shows_form_errors(redisplay, catch=(ValidationFailed,)):
            organization_id = await organizations.register_organization(
                user_id=signed_in(request).id, **values
            )
        flash(
            request,
            i18n.gettext("Thank you. The cultivation centre will review your registration."),
        )
        return see_other(f"/organizations/{organization_id}")

    @get("/organizations/{organization_id:int}/members", guards=[requires_login])
    async def members_page(
        self, request: Request[Any, Any, Any], organization_id: PathId
    ) -> Response[str]:
        context = await organizations.organization_members(organization_id, signed_in(request))
        return render(
            request,
            "market/organizations/members.html",
            {**context, **await _place_choices(), "values": {}, "errors": {}},
        )

    @post("/organizations/{organization_id:int}/members", guards=[requires_login])
    async def add_member(
        self, request: Request[Any, Any, Any], organization_id: PathId
    ) -> Response[Any]:
        principal = signed_in(request)
        form = await request.form()
        values = {
            "email": formdata.text(form, "email"),
            "role": formdata.text(form, "role", "member"),
        }
        redisplay = _members_redisplay(request, organization_id, principal, values)
        async with shows_form_errors(redisplay, catch=(ValidationFailed,)):
            await organizations.add_member(
                admin_user_id=principal.id, organization_id=organization_id, **values
            )
        flash(request, i18n.gettext("Member added."))
        return see_other(f"/organizations/{organization_id}/members")

    @post("/organizations/{organization_id:int}/place", guards=[requires_login])
    async def set_place(
        self, request: Request[Any, Any, Any], organization_id: PathId
    ) -> Response[Any]:
        principal = signed_in(request)
        values = {"place": formdata.text(await request.form(), "place")}
        redisplay = _members_redisplay(
            request, organization_id, principal, values, block="place_form"
        )
        async with shows_form_errors(redisplay, field="place", catch=(ValidationFailed,)):
            await organizations.set_place(
                admin_user_id=principal.id, organization_id=organization_id, **values
            )
        flash(request, i18n.gettext("Place saved."))
        return see_other(f"/organizations/{organization_id}/members")


def _register_redisplay(request: Request[Any, Any, Any], values: dict[str, str]) -> Redisplay:
    """The registration form again with the values sent and their errors."""

    async def redisplay(errors: dict[str, str]) -> Response[Any]:
        context = await _register_context(values, errors)
        template = "market/organizations/register.html"
        return render(request, template, context, block="form", status=422)

    return redisplay


def _members_redisplay(
    request: Request[Any, Any, Any],
    organization_id: int,
    principal: Principal,
    values: dict[str, str],
    *,
    block: str = "member_form",
) -> Redisplay:
    """One of the members page's forms again with the values sent and their errors."""

    async def redisplay(errors: dict[str, str]) -> Response[Any]:
        context = await organizations.organization_members(organization_id, principal)
        context = {**context, **await _place_choices(), "values": values, "errors": errors}
        context["failed"] = block
        template = "market/organizations/members.html"
        return render(request, template, context, block=block, status=422)

    return redisplay


async def _place_choices() -> dict[str, Any]:
    return {"place_groups": group_places(await all_places())}


async def _register_context(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "categories": rules.CATEGORIES,
        **await _place_choices(),
    }
