"""Grants: the grantee organization's list, a grant's page (public: its tranches and
what was released, from the ledger), the grantee's reports and the committee's
approvals and rejections of them."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from bids.controllers.common import keyed
from funds import call_pages, grants
from market.controllers.organizations import signed_in
from market.web import formdata, i18n
from market.web.auth import principal_of, public, requires_member, requires_social_org
from market.web.form_errors import Redisplay, shows_form_errors
from market.web.params import PathId
from market.web.render import flash, render, see_other

Req = Request[Any, Any, Any]
requires_committee = requires_member("community_fund")


async def _context(request: Req, grant_id: int, errors: dict[str, str]) -> dict[str, Any]:
    context = await call_pages.grant_page(grant_id)
    principal = principal_of(request)
    viewer = principal.id if principal else None
    on_committee = any(m["id"] == viewer for m in context["members"])
    seat = await call_pages.seat_of(int(context["grant"]["tender"]), viewer) if on_committee else ""
    context.update(
        errors=errors,
        grantee=bool(principal and principal.member_of(int(context["grant"]["org_id"]))),
        on_committee=on_committee,
        free_of_conflict=seat == "declared",
        viewer=viewer,
    )
    return context


def _redisplay(request: Req, grant_id: int, tranche_id: int) -> Redisplay:
    async def redisplay(errors: dict[str, str]) -> Response[Any]:
        context = await _context(request, grant_id, errors)
        return render(request, "funds/grant.html", context, status=422)

    return keyed(redisplay, tranche_id)


class GrantController(Controller):
    include_in_schema = False

    @get("/grants", guards=[requires_social_org])
    async def mine(self, request: Req) -> Response[str]:
        rows = await call_pages.my_grants(signed_in(request).org_ids("social_org"))
        return render(request, "funds/grants.html", {"grants": rows})

    @get("/grants/{grant_id:int}", guards=[public])
    async def grant_page(self, request: Req, grant_id: PathId) -> Response[str]:
        return render(request, "funds/grant.html", await _context(request, grant_id, {}))

    @post("/grants/{grant_id:int}/tranches/{tranche_id:int}/report", guards=[requires_social_org])
    async def report(self, request: Req, grant_id: PathId, tranche_id: PathId) -> Any:
        form = await request.form()
        async with shows_form_errors(_redisplay(request, grant_id, tranche_id), field="report"):
            await grants.submit_report(
                user_id=signed_in(request).id,
                tranche_id=tranche_id,
                report=formdata.text(form, "report"),
            )
        flash(request, i18n.gettext("Report submitted to the fund's committee."))
        return see_other(f"/grants/{grant_id}")

    @post("/grants/{grant_id:int}/tranches/{tranche_id:int}/approve", guards=[requires_committee])
    async def approve(self, request: Req, grant_id: PathId, tranche_id: PathId) -> Any:
        async with shows_form_errors(_redisplay(request, grant_id, tranche_id), field="decision"):
            await grants.approve_tranche(user_id=signed_in(request).id, tranche_id=tranche_id)
        flash(request, i18n.gettext("Approved: the tranche is released to the organization."))
        return see_other(f"/grants/{grant_id}")

    @post("/grants/{grant_id:int}/tranches/{tranche_id:int}/reject", guards=[requires_committee])
    async def reject(self, request: Req, grant_id: PathId, tranche_id: PathId) -> Any:
        form = await request.form()
        async with shows_form_errors(_redisplay(request, grant_id, tranche_id), field="reason"):
            await grants.reject_tranche(
                user_id=signed_in(request).id,
                tranche_id=tranche_id,
                reason=formdata.text(form, "reason"),
            )
        flash(request, i18n.gettext("The report was sent back with your reason."))
        return see_other(f"/grants/{grant_id}")
