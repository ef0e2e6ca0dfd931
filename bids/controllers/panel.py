"""Department, evaluator and operator pages: opening, the panel, scoring, award,
contract drafting, milestone decisions, complaints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from bids import (
    complaints,
    contract_pages,
    contracts,
    evaluation,
    milestones,
    opening,
    panel_pages,
    queries,
)
from bids.access import check_department, load_tender
from bids.controllers.common import attempt, keyed
from bids.rules import FourEyesDenied, MilestonePlan
from market.audit import actor_of
from market.controllers.organizations import signed_in
from market.errors import ValidationFailed
from market.inputs import InputInvalid, parse_date, parse_optional_id
from market.money import MoneyError, parse_money
from market.web import formdata, i18n
from market.web.auth import requires_department, requires_login, requires_operator
from market.web.form_errors import as_field_error, shows_form_errors
from market.web.params import PathId
from market.web.render import flash, render, see_other

Req = Request[Any, Any, Any]
EVALUATION = "bids/evaluation.html"
PANEL = "bids/panel.html"
MAX_ROWS = 12
INCOMPLETE = "Give every milestone a due date and an amount."


def parse_plan(form: Any, currency: str) -> tuple[date, list[MilestonePlan], dict[str, str]]:
    """`starts` and rows `deliverable_{i}`, `due_{i}`, `amount_{i}`; blank rows skipped."""
    values = formdata.all_texts(form)
    with as_field_error(InputInvalid, field="starts", message="Enter the start date."):
        starts = parse_date(values.get("starts", ""), field="starts")
    plan: list[MilestonePlan] = []
    for i in range(MAX_ROWS):
        deliverable = values.get(f"deliverable_{i}", "").strip()
        due, amount = values.get(f"due_{i}", ""), values.get(f"amount_{i}", "")
        if not (deliverable or due or amount):
            continue
        with as_field_error(InputInvalid, MoneyError, field="milestones", message=INCOMPLETE):
            plan.append(
                MilestonePlan(
                    deliverable,
                    parse_date(due, field=f"due_{i}"),
                    parse_money(amount, currency).amount,
                )
            )
    return starts, plan, values


class PanelController(Controller):
    include_in_schema = False

    # --- department -----------------------------------------------------------------

    @get("/workspace/evaluations", guards=[requires_department])
    async def department_workspace(self, request: Req) -> Response[str]:
        data = await queries.department_workspace(signed_in(request).org_ids("department"))
        return render(request, "bids/department_workspace.html", data)

    @get("/workspace/tenders/{tender_id:int}/evaluation", guards=[requires_department])
    async def evaluation_page(self, request: Req, tender_id: PathId) -> Response[str]:
        return await self._evaluation(request, tender_id, {}, {})

    async def _evaluation(
        self,
        request: Req,
        tender_id: int,
        errors: dict[str, str],
        values: dict[str, str],
        status: int = 200,
    ) -> Response[str]:
        context = await panel_pages.evaluation_page(tender_id, signed_in(request).id)
        context.update(errors=errors, values=values, rows=range(4))
        return render(request, EVALUATION, context, block="actions", status=status)

    def _redisplay(self, request: Req, tender_id: int, values: dict[str, str] | None = None) -> Any:
        async def redisplay(errors: dict[str, str]) -> Response[Any]:
            return await self._evaluation(request, tender_id, errors, values or {}, 422)

        return redisplay

    def _back(self, tender_id: int) -> str:
        return f"/workspace/tenders/{tender_id}/evaluation"

    @post("/workspace/tenders/{tender_id:int}/open", guards=[requires_department])
    async def open(self, request: Req, tender_id: PathId) -> Response[Any]:
        await check_department(signed_in(request).id, await load_tender(tender_id))
        return await attempt(
            request,
            opening.open_bids(tender_id, actor=actor_of(signed_in(request).id)),
            redisplay=self._redisplay(request, tender_id),
            default_field="open",
            message=i18n.gettext("Bids opened and checked against their receipts."),
            then=self._back(tender_id),
        )

    @post("/workspace/tenders/{tender_id:int}/evaluators", guards=[requires_department])
    async def appoint(self, request: Req, tender_id: PathId) -> Response[Any]:
        form = await request.form()
        email = formdata.text(form, "email")
        return await attempt(
            request,
            evaluation.appoint_evaluator(
                user_id=signed_in(request).id, tender_id=tender_id, email=email
            ),
            redisplay=self._redisplay(request, tender_id, {"email": email}),
            default_field="email",
            message=i18n.gettext("Evaluator appointed."),
            then=self._back(tender_id),
        )

    @post("/workspace/tenders/{tender_id:int}/award", guards=[requires_department])
    async def award(self, request: Req, tender_id: PathId) -> Response[Any]:
        return await attempt(
            request,
            evaluation.award_tender(user_id=signed_in(request).id, tender_id=tender_id),
            redisplay=self._redisplay(request, tender_id),
            default_field="award",
            message=i18n.gettext("Awarded. The standstill period has started."),
            then=self._back(tender_id),
        )

    @post("/workspace/tenders/{tender_id:int}/contract", guards=[requires_department])
    async def draw_up(self, request: Req, tender_id: PathId) -> Response[Any]:
        form = await request.form()
        plan_again = self._redisplay(request, tender_id, formdata.all_texts(form))
        async with shows_form_errors(plan_again, catch=(ValidationFailed,)):
            starts, plan, values = parse_plan(form, "CNY")
        return await attempt(
            request,
            contracts.create_contract(
                user_id=signed_in(request).id, tender_id=tender_id, starts=starts, plan=plan
            ),
            redisplay=self._redisplay(request, tender_id, values),
            default_field="milestones",
            message=i18n.gettext("Contract drawn up. Both parties can now sign it."),
            then=self._back(tender_id),
        )

    @post("/milestones/{milestone_id:int}/decide", guards=[requires_department])
    async def decide(self, request: Req, milestone_id: PathId) -> Response[Any]:
        form = await request.form()
        reason = formdata.text(form, "reason")
        contract_id = parse_optional_id(formdata.text(form, "contract"), field="contract") or 0
        user_id = signed_in(request).id
        call, message = _decision(formdata.text(form, "decision"), user_id, milestone_id, reason)
        redisplay = partial(
            _milestone_error, request, contract_id, {f"reason-{milestone_id}": reason}
        )
        return await _attempt_decision(
            request, call, redisplay, milestone_id, message, f"/contracts/{contract_id}"
        )

    @post("/contracts/{contract_id:int}/terminate", guards=[requires_department])
    async def terminate(self, request: Req, contract_id: PathId) -> Response[Any]:
        form = await request.form()
        await contracts.terminate_contract(
            user_id=signed_in(request).id,
            contract_id=contract_id,
            reason=formdata.text(form, "reason"),
        )
        flash(request, i18n.gettext("The contract was terminated."))
        return see_other(f"/contracts/{contract_id}")

    # --- evaluators -------------------------------------------------------------------

    @get("/panels", guards=[requires_login])
    async def panels(self, request: Req) -> Response[str]:
        rows = await panel_pages.my_panels(signed_in(request).id)
        return render(request, "bids/panels.html", {"rows": rows})

    @get("/panels/{tender_id:int}", guards=[requires_login])
    async def panel(self, request: Req, tender_id: PathId) -> Response[str]:
        return await self._panel(request, tender_id, {})

    async def _panel(
        self,
        request: Req,
        tender_id: int,
        errors: dict[str, str],
        status: int = 200,
        values: dict[str, str] | None = None,
    ) -> Response[str]:
        context = await panel_pages.panel_page(tender_id, signed_in(request).id)
        context.setdefault("sealed", False)
        context.setdefault("quality", [])
        context.update(errors=errors, values=values or {})
        return render(request, PANEL, context, block="panel", status=status)

    @post("/panels/{tender_id:int}/declare", guards=[requires_login])
    async def declare(self, request: Req, tender_id: PathId) -> Response[Any]:
        form = await request.form()
        return await attempt(
            request,
            evaluation.declare_interests(
                user_id=signed_in(request).id,
                tender_id=tender_id,
                conflict=formdata.text(form, "conflict") == "yes",
                statement=formdata.text(form, "statement"),
            ),
            redisplay=partial(self._panel, request, tender_id, status=422),
            default_field="conflict",
            message=i18n.gettext("Your declaration is recorded."),
            then=f"/panels/{tender_id}",
        )

    @post("/panels/{tender_id:int}/bids/{ref:str}/score", guards=[requires_login])
    async def score(self, request: Req, tender_id: PathId, ref: FromPath[str]) -> Response[Any]:
        form = formdata.all_texts(await request.form())
        typed = {f"{k}-{ref}": v for k, v in form.items()}  # shown again beside the errors
        again = partial(self._panel, request, tender_id, status=422, values=typed)
        return await attempt(
            request,
            evaluation.score_bid(
                user_id=signed_in(request).id, tender_id=tender_id, bid_ref=ref, form=form
            ),
            redisplay=keyed(again, ref),
            default_field="score",
            message=i18n.gettext("Scores saved."),
            then=f"/panels/{tender_id}",
        )

    # --- operator ---------------------------------------------------------------------

    @get("/operator/complaints", guards=[requires_operator])
    async def complaints_queue(self, request: Req) -> Response[str]:
        rows = await queries.complaints_queue()
        return render(request, "bids/complaints.html", {"rows": rows, "errors": {}})

    @post("/operator/complaints/{complaint_id:int}", guards=[requires_operator])
    async def resolve(self, request: Req, complaint_id: PathId) -> Response[Any]:
        form = await request.form()
        return await attempt(
            request,
            complaints.resolve_complaint(
                user_id=signed_in(request).id,
                complaint_id=complaint_id,
                upheld=formdata.text(form, "decision") == "uphold",
                resolution=formdata.text(form, "resolution"),
            ),
            redisplay=keyed(partial(_complaints_queue_error, request), complaint_id),
            default_field="resolution",
            message=i18n.gettext("Decision recorded."),
            then="/operator/complaints",
        )


def _decision(
    decision: str, user_id: int, milestone_id: int, reason: str
) -> tuple[Awaitable[Any], str]:
    """The service call a milestone decision makes, and the message on success."""
    if decision == "approve":
        call: Awaitable[Any] = milestones.approve_milestone(
            user_id=user_id, milestone_id=milestone_id
        )
        return call, i18n.gettext("Milestone approved; the tranche was released.")
    if decision == "not_met":
        call = milestones.mark_not_met(user_id=user_id, milestone_id=milestone_id, reason=reason)
        return call, i18n.gettext("Milestone marked not met.")
    call = milestones.reject_milestone(user_id=user_id, milestone_id=milestone_id, reason=reason)
    return call, i18n.gettext("Milestone sent back with your reason.")


async def _milestone_error(
    request: Req,
    contract_id: int,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 422,
) -> Response[Any]:
    """The contract's milestones again, the errors beside the decided milestone."""
    context = await contract_pages.contract_page(contract_id, signed_in(request))
    return render(
        request,
        "bids/contract.html",
        {**context, "errors": errors, "values": values},
        block="milestones",
        status=status,
    )


async def _attempt_decision(
    request: Req,
    call: Awaitable[Any],
    redisplay: Callable[..., Awaitable[Response[Any]]],
    milestone_id: int,
    message: str,
    then: str,
) -> Response[Any]:
    # Four eyes refused (403), but beside the milestone: the list stays on the page.
    beside = keyed(partial(redisplay, status=403), milestone_id)
    async with shows_form_errors(beside, field="decision", catch=(FourEyesDenied,), passthrough=()):
        return await attempt(
            request,
            call,
            redisplay=keyed(redisplay, milestone_id),
            default_field="reason",
            message=message,
            then=then,
        )


async def _complaints_queue_error(request: Req, errors: dict[str, str]) -> Response[Any]:
    """The complaints queue again, the errors beside the decided complaint."""
    rows = await queries.complaints_queue()
    return render(
        request,
        "bids/complaints.html",
        {"rows": rows, "errors": errors},
        block="queue",
        status=422,
    )
