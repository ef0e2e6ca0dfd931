"""The operator's organization review queue and decisions."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from market import organization_rules as rules
from market import organizations
from market.budget import desk, pages
from market.controllers.organizations import signed_in
from market.errors import Conflict, InvalidTransition, ValidationFailed
from market.web import formdata, i18n
from market.web.auth import requires_operator
from market.web.form_errors import FORM_REFUSALS, shows_form_errors
from market.web.params import PathId
from market.web.render import flash, render, see_other

DONE = {
    "verify": "Organization verified.",
    "reject": "Registration rejected.",
    "suspend": "Organization suspended.",
    "reinstate": "Organization reinstated.",
}


class OperatorController(Controller):
    path = "/operator"
    include_in_schema = False

    @get("/organizations", guards=[requires_operator])
    async def queue(self, request: Request[Any, Any, Any]) -> Response[str]:
        status = str(request.query_params.get("status", ""))
        context = await organizations.operator_queue(decided_status=status)
        return render(
            request,
            "operator/organizations.html",
            {**context, **_context_extras()},
            block="queue",
        )

    @post("/organizations/{organization_id:int}/decision", guards=[requires_operator])
    async def decide(
        self, request: Request[Any, Any, Any], organization_id: PathId
    ) -> Response[Any]:
        form = await request.form()
        values = {name: formdata.text(form, name) for name in ("action", "reason")}

        async def redisplay(errors: dict[str, str]) -> Response[Any]:
            return await _queue_with_errors(request, organization_id, values, errors)

        async with shows_form_errors(redisplay, field="action", catch=_DECISION_REFUSALS):
            await organizations.decide_organization(
                operator_id=signed_in(request).id,
                organization_id=organization_id,
                rating=formdata.text(form, "rating") or None,  # empty keeps the current rating
                **values,
            )
        flash(request, i18n.gettext(DONE[values["action"]]))
        return see_other("/operator/organizations")

    @get("/finance-bureau", guards=[requires_operator])
    async def finance_bureau(self, request: Request[Any, Any, Any]) -> Response[str]:
        return await _bureau(request, {}, {})

    @post("/finance-bureau", guards=[requires_operator])
    async def designate(self, request: Request[Any, Any, Any]) -> Response[Any]:
        values = formdata.texts(await request.form(), ("district", "organization"))

        async def redisplay(errors: dict[str, str]) -> Response[Any]:
            return await _bureau(request, values, errors)

        async with shows_form_errors(redisplay, field="organization", catch=FORM_REFUSALS):
            await desk.designate(signed_in(request).id, values)
        flash(request, i18n.gettext(BUREAU_DONE))
        return see_other("/operator/finance-bureau")


_DECISION_REFUSALS = (ValidationFailed, InvalidTransition, Conflict)
BUREAU_DONE = "Finance bureau designated: its members now keep the district's budget."


async def _bureau(
    request: Request[Any, Any, Any], values: dict[str, str], errors: dict[str, str]
) -> Response[Any]:
    """The districts with their finance bureau now, and the form to designate one."""
    context = {"b": await pages.bureau_page(), "values": values, "errors": errors}
    return render(request, "operator/finance_bureau.html", context, status=422 if errors else 200)


async def _queue_with_errors(
    request: Request[Any, Any, Any],
    organization_id: int,
    values: dict[str, str],
    errors: dict[str, str],
) -> Response[Any]:
    """The queue again, the refused decision's errors beside its organization."""
    context = await organizations.operator_queue()
    return render(
        request,
        "operator/organizations.html",
        {
            **context,
            **_context_extras(),
            "errors": errors,
            "error_for": organization_id,
            "values": values,
        },
        block="queue",
        status=422,
    )


def _context_extras() -> dict[str, Any]:
    return {
        "ratings": [(r, r) for r in rules.RATINGS],
        "errors": {},
        "error_for": None,
        "values": {},
    }
