"""The operator's organization review queue and decisions."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from market import organization_rules as rules
from market import organizations
from market.controllers.organizations import signed_in
from market.errors import Conflict, InvalidTransition, ValidationFailed
from market.web import formdata, i18n
from market.web.auth import requires_operator
from market.web.errors import translated
from market.web.form_errors import field_errors
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
        values = {
            "action": formdata.text(form, "action"),
            "reason": formdata.text(form, "reason"),
        }
        try:
            await organizations.decide_organization(
                operator_id=signed_in(request).id,
                organization_id=organization_id,
                rating=formdata.text(form, "rating") or None,  # empty keeps the current rating
                **values,
            )
        except ValidationFailed as exc:
            errors = field_errors(exc)
        except (InvalidTransition, Conflict) as exc:
            errors = {exc.field or "action": translated(exc)}
        else:
            flash(request, i18n.gettext(DONE[values["action"]]))
            return see_other("/operator/organizations")
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
