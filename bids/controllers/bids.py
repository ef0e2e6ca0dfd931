"""Bidder and public pages: the bid form and receipt, the organization workspace,
complaints, public results, contracts and milestone evidence.

Handlers parse input, call one service, render. Authorization lives in the guards
and the services; a failed form re-renders the page with errors beside the fields
(422: the named block for htmx, the full page otherwise); success is flash + 303.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import quote

from litestar import Controller, Response, get, post
from litestar.params import FromPath

from bids import complaints, contract_pages, contracts, milestones, panel_pages, queries, submission
from bids.access import load_tender
from bids.controllers.common import Req, attempt, keyed, org_choice, uploads
from market import clock
from market.controllers.organizations import signed_in
from market.inputs import parse_optional_id
from market.money import Money
from market.web import formdata, i18n
from market.web.auth import principal_of, public, requires_login, requires_social_org
from market.web.form_errors import shows_form_errors
from market.web.params import PathId
from market.web.render import flash, render, see_other

BID_PAGE = "bids/bid.html"
CONTRACT_PAGE = "bids/contract.html"


class BidController(Controller):
    include_in_schema = False

    # --- the bidder ---------------------------------------------------------------

    @get("/tenders/{tender_id:int}/bid", guards=[requires_social_org])
    async def bid_page(self, request: Req, tender_id: PathId) -> Response[str]:
        org_id = org_choice(request, request.query_params.get("org"))
        return await self._bid_page(request, tender_id, org_id, {}, {})

    async def _bid_page(
        self,
        request: Req,
        tender_id: int,
        org_id: int,
        values: dict[str, str],
        errors: dict[str, str],
        status: int = 200,
    ) -> Response[str]:
        tender = await load_tender(tender_id)
        principal = signed_in(request)
        now = clock.now()
        context = {
            "tender": tender,
            "org_id": org_id,
            "orgs": [
                m
                for m in principal.memberships
                if m.organization_id in principal.org_ids("social_org")
            ],
            "bid": await queries.my_bid(tender_id, org_id),
            "window_open": now < tender["bid_deadline"]
            and tender["status"] in ("published", "tendering"),
            "budget": Money(int(tender["budget"]), tender["currency"]),
            "values": values,
            "errors": errors,
        }
        return render(request, BID_PAGE, context, block="bid_form", status=status)

    @post("/tenders/{tender_id:int}/bid", guards=[requires_social_org])
    async def submit(self, request: Req, tender_id: PathId) -> Response[Any]:
        form = await request.form()
        org_id = org_choice(request, formdata.text(form, "org"))
        values = {name: formdata.text(form, name) for name in ("price", "proposal")}
        redisplay = partial(self._bid_page, request, tender_id, org_id, values, status=422)
        async with shows_form_errors(redisplay, field="price"):
            receipt = await submission.submit_bid(
                user_id=signed_in(request).id,
                organization_id=org_id,
                tender_id=tender_id,
                price=values["price"],
                proposal=values["proposal"],
                uploads=[submission.Upload(name, data) for name, data in await uploads(form)],
            )
        flash(request, i18n.gettext("Your bid is sealed. Keep the receipt."))
        return see_other(f"/bids/{receipt.ref}/receipt")

    @get("/bids/{ref:str}/receipt", guards=[requires_social_org])
    async def receipt(self, request: Req, ref: FromPath[str]) -> Response[str]:
        from bids.access import check_bid_owner

        row = await queries.bid_receipt(ref)
        await check_bid_owner(signed_in(request).id, row | {"id": ref})
        return render(request, "bids/receipt.html", {"r": row})

    @post("/bids/{ref:str}/withdraw", guards=[requires_social_org])
    async def withdraw(self, request: Req, ref: FromPath[str]) -> Response[Any]:
        await submission.withdraw_bid(user_id=signed_in(request).id, ref=ref)
        flash(request, i18n.gettext("Your bid was withdrawn."))
        return see_other("/workspace/bids")

    @post("/bids/{ref:str}/reconfirm", guards=[requires_social_org])
    async def reconfirm(self, request: Req, ref: FromPath[str]) -> Response[Any]:
        receipt = await submission.reconfirm_bid(user_id=signed_in(request).id, ref=ref)
        flash(request, i18n.gettext("Your bid is confirmed for the amended tender."))
        return see_other(f"/bids/{receipt.ref}/receipt")

    @get("/workspace/bids", guards=[requires_social_org])
    async def workspace(self, request: Req) -> Response[str]:
        data = await queries.organization_workspace(signed_in(request).org_ids("social_org"))
        return render(request, "bids/org_workspace.html", data)

    @post("/tenders/{tender_id:int}/complaints", guards=[requires_social_org])
    async def complain(self, request: Req, tender_id: PathId) -> Response[Any]:
        form = await request.form()
        text = formdata.text(form, "text")
        return await attempt(
            request,
            complaints.file_complaint(
                user_id=signed_in(request).id,
                organization_id=org_choice(request, formdata.text(form, "org")),
                tender_id=tender_id,
                text=text,
            ),
            redisplay=partial(_complaint_error, request, tender_id, text),
            default_field="text",
            message=i18n.gettext("Your complaint was filed. The operator will decide on it."),
            then=f"/tenders/{tender_id}/results",
        )

    # --- public ---------------------------------------------------------------------

    @get("/tenders/{tender_id:int}/results", guards=[public])
    async def results(self, request: Req, tender_id: PathId) -> Response[str]:
        context = await panel_pages.results_page(tender_id)
        context.update(complaint_errors={}, complaint_text="")
        return render(request, "bids/results.html", context)

    @get("/api/v1/tenders/{tender_id:int}/results", guards=[public])
    async def results_api(self, tender_id: PathId) -> dict[str, Any]:
        return results_json(tender_id, await panel_pages.results_page(tender_id))

    # --- contracts and milestones ------------------------------------------------------

    @get("/contracts/{contract_id:int}", guards=[public])
    async def contract(self, request: Req, contract_id: PathId) -> Response[str]:
        context = await contract_pages.contract_page(contract_id, principal_of(request))
        return render(request, CONTRACT_PAGE, {**context, "errors": {}, "values": {}})

    async def _contract_error(
        self, request: Req, contract_id: int, values: dict[str, str] | None = None
    ) -> Callable[..., Any]:
        async def redisplay(errors: dict[str, str]) -> Response[Any]:
            context = await contract_pages.contract_page(contract_id, principal_of(request))
            return render(
                request,
                CONTRACT_PAGE,
                {**context, "errors": errors, "values": values or {}},
                block="milestones",
                status=422,
            )

        return redisplay

    @post("/contracts/{contract_id:int}/sign", guards=[requires_login])
    async def sign(self, request: Req, contract_id: PathId) -> Response[Any]:
        form = await request.form()
        status = await contracts.sign_contract(
            user_id=signed_in(request).id, contract_id=contract_id, side=formdata.text(form, "side")
        )
        flash(
            request,
            i18n.gettext("The contract is signed and active.")
            if status == "active"
            else i18n.gettext("Your signature is recorded."),
        )
        return see_other(f"/contracts/{contract_id}")

    @post("/milestones/{milestone_id:int}/evidence", guards=[requires_social_org])
    async def evidence(self, request: Req, milestone_id: PathId) -> Response[Any]:
        form = await request.form()
        contract_id = parse_optional_id(formdata.text(form, "contract"), field="contract") or 0
        note = formdata.text(form, "note")
        again = await self._contract_error(request, contract_id, {f"note-{milestone_id}": note})
        return await attempt(
            request,
            _submit_evidence(signed_in(request).id, milestone_id, note, await uploads(form)),
            redisplay=keyed(again, milestone_id),
            default_field="note",
            message=i18n.gettext("Evidence submitted for approval."),
            then=f"/contracts/{contract_id}",
        )

    @get("/evidence/{evidence_id:int}", guards=[requires_login])
    async def evidence_file(self, request: Req, evidence_id: PathId) -> Response[bytes]:
        row = await contract_pages.evidence_file(evidence_id, signed_in(request))
        return Response(
            row["content"],
            media_type=row["content_type"],
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row['filename'])}",
                "Cache-Control": "private, no-store",
            },
        )


async def _complaint_error(
    request: Req, tender_id: int, text: str, errors: dict[str, str]
) -> Response[Any]:
    """The results page again, the complaint form showing the errors beside the text."""
    context = await panel_pages.results_page(tender_id)
    context.update(complaint_errors=errors, complaint_text=text)
    return render(request, "bids/results.html", context, block="complaint", status=422)


def results_json(tender_id: int, context: dict[str, Any]) -> dict[str, Any]:
    """The public results as the API returns them."""
    if not context["published"]:
        return {"tender": tender_id, "published": False}
    return {
        "tender": tender_id,
        "published": True,
        "awarded_at": context["award"]["awarded_at"].isoformat(),
        "ranking": [
            {
                "rank": r["rank"],
                "organization": r["organization"],
                "name": r["name_zh"],
                "price": r["price"],
                "total": r["total"],
                "parts": r["parts"],
            }
            for r in context["ranking"]
        ],
        "contract": context["contract_id"],
    }


def _submit_evidence(
    user_id: int, milestone_id: int, note: str, files: list[tuple[str, bytes]]
) -> Awaitable[Any]:
    """The milestone evidence submission the form asks for."""
    return milestones.submit_evidence(
        user_id=user_id,
        milestone_id=milestone_id,
        note=note,
        uploads=[milestones.Upload(name, data) for name, data in files],
    )
