"""The fund committee's pages: its funds, a community's committee page (open a call),
a call's page (public; for the committee: the proposals, the ranking of the scores,
votes, and the chair's decision), and the operator's page to open a community's fund.
The panel itself — declarations of interest and scores — is the bids app's
(`/panels/{tender_id}`), as for any evaluation panel."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from bids.controllers.common import keyed
from funds import call_pages, calls, decisions, ledger, queries, setup
from funds.controllers.filters import Code
from market.controllers.organizations import signed_in
from market.errors import NotFound, PermissionDenied
from market.inputs import InputInvalid, parse_id
from market.places.queries import places_of_tier
from market.web import formdata, i18n
from market.web.auth import principal_of, public, requires_login, requires_member, requires_operator
from market.web.form_errors import Redisplay, as_field_error, shows_form_errors
from market.web.params import PathId
from market.web.render import flash, render, see_other

Req = Request[Any, Any, Any]
requires_committee = requires_member("community_fund")
CALL_FIELDS = ("title_zh", "title_en", "description_zh", "description_en", "pot", "cap",
               "deadline", "ends")  # fmt: skip


async def _committee_context(
    request: Req, code: Code, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    place = await queries.community(code)
    fund = await queries.fund_row(place.id)
    if fund is None or not signed_in(request).member_of(int(fund["organization"])):
        raise PermissionDenied("Only the fund's committee sees this page.")
    members = await queries.committee(int(fund["organization"]))
    return {
        "place": place,
        "fund": fund,
        "members": members,
        "chair": any(m["chair"] and m["id"] == signed_in(request).id for m in members),
        "calls": await queries.calls_of(int(fund["id"])),
        "figures": await ledger.figures(place.id),
        "values": values,
        "errors": errors,
    }


def _call_form(request: Req, code: Code, values: dict[str, str]) -> Redisplay:
    async def redisplay(errors: dict[str, str]) -> Response[Any]:
        context = await _committee_context(request, code, values, errors)
        return render(request, "funds/committee.html", context, block="call_form", status=422)

    return redisplay


async def _call_context(request: Req, tender_id: int, errors: dict[str, str]) -> dict[str, Any]:
    principal = principal_of(request)
    context = await call_pages.call_page(tender_id, principal.id if principal else None)
    context.update(errors=errors, show_texts=call_pages.can_see_proposals(context))
    return context


def _call_redisplay(request: Req, tender_id: int) -> Redisplay:
    async def redisplay(errors: dict[str, str]) -> Response[Any]:
        context = await _call_context(request, tender_id, errors)
        return render(request, "funds/call.html", context, status=422)

    return redisplay


class CommitteeController(Controller):
    include_in_schema = False

    @get("/funds", guards=[requires_login])
    async def my_funds(self, request: Req) -> Response[str]:
        funds = await queries.my_funds(signed_in(request).id)
        return render(request, "funds/funds.html", {"funds": funds})

    @get("/communities/{code:str}/committee", guards=[requires_committee])
    async def committee_page(self, request: Req, code: Code) -> Response[str]:
        context = await _committee_context(request, code, {}, {})
        return render(request, "funds/committee.html", context, block="call_form")

    @post("/communities/{code:str}/calls", guards=[requires_committee])
    async def open_call(self, request: Req, code: Code) -> Any:
        form = await request.form()
        values = formdata.texts(form, CALL_FIELDS, strip=True)
        fund = await queries.fund_row((await queries.community(code)).id)
        async with shows_form_errors(_call_form(request, code, values), passthrough=(404,)):
            tender_id = await calls.open_call(
                user_id=signed_in(request).id, fund_id=int(fund["id"]) if fund else 0, form=values
            )
        flash(request, i18n.gettext("The call is open: its money is held from the fund."))
        return see_other(f"/communities/{code}/calls/{tender_id}")

    @get("/communities/{code:str}/calls/{tender_id:int}", guards=[public])
    async def call_page(self, request: Req, code: Code, tender_id: PathId) -> Response[str]:
        context = await _call_context(request, tender_id, {})
        if context["place"].code != code:  # another community's call: not here
            raise NotFound("No such call for proposals.")
        return render(request, "funds/call.html", context)

    @post("/communities/{code:str}/calls/{tender_id:int}/votes", guards=[requires_committee])
    async def vote(self, request: Req, code: Code, tender_id: PathId) -> Any:
        form = await request.form()
        ref = formdata.text(form, "bid")
        async with shows_form_errors(keyed(_call_redisplay(request, tender_id), ref)):
            await decisions.vote(
                user_id=signed_in(request).id, tender_id=tender_id, bid_ref=ref,
                choice=formdata.text(form, "vote"), remark=formdata.text(form, "remark"),
            )  # fmt: skip
        flash(request, i18n.gettext("Your vote is recorded."))
        return see_other(f"/communities/{code}/calls/{tender_id}#proposal-{ref}")

    @post("/communities/{code:str}/calls/{tender_id:int}/decision", guards=[requires_committee])
    async def decide(self, request: Req, code: Code, tender_id: PathId) -> Any:
        async with shows_form_errors(_call_redisplay(request, tender_id), field="decision"):
            granted = await decisions.decide(user_id=signed_in(request).id, tender_id=tender_id)
        message = i18n.ngettext(
            "Decided: %(num)d grant.", "Decided: %(num)d grants.", len(granted)
        ) % {"num": len(granted)}
        flash(request, message)
        return see_other(f"/communities/{code}/calls/{tender_id}")

    @get("/operator/funds", guards=[requires_operator])
    async def operator_funds(self, request: Req) -> Response[str]:
        return render(request, "funds/operator.html", await _operator_context({}, {}))

    @post("/operator/funds", guards=[requires_operator])
    async def open_fund(self, request: Req) -> Any:
        form = await request.form()
        values = formdata.texts(form, ("place", "chair"), strip=True)
        async with shows_form_errors(_operator_form(request, values)):
            with as_field_error(InputInvalid, field="place", message="Choose a community."):
                place = parse_id(values.get("place", ""), field="place")
            await setup.open_fund(
                operator_id=signed_in(request).id, place_id=place, chair_email=values["chair"]
            )
        flash(request, i18n.gettext("The community's fund is open."))
        return see_other("/operator/funds")


async def _operator_context(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    funded = {int(r["place"]) for r in await queries.all_funds()}
    communities = [p for p in await places_of_tier("community") if p.id not in funded]
    options = [("", "—"), *((str(p.id), p.name(i18n.current())) for p in communities)]
    return {"communities": communities, "options": options, "funds": await queries.all_funds(),
            "values": values, "errors": errors}  # fmt: skip


def _operator_form(request: Req, values: dict[str, str]) -> Redisplay:
    async def redisplay(errors: dict[str, str]) -> Response[Any]:
        context = await _operator_context(values, errors)
        return render(request, "funds/operator.html", context, status=422)

    return redisplay
