"""Department workspace: draft, edit, publish, amend, cancel, documents, answers.

Guards let only department members in; each service checks that the user belongs
to the department owning the tender (a member of another department gets 403).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict, UploadFile

from market.accounts import Principal
from market.controllers.organizations import signed_in
from market.errors import PermissionDenied, ValidationFailed
from market.inputs import is_ascii_digits, parse_id
from market.settings import get_settings
from market.tenders import inputs, place_and_line, qa, queries, services
from market.tenders.forms import form_values, pick
from market.web import formdata, i18n
from market.web.auth import requires_department
from market.web.form_errors import FORM_REFUSALS, shows_form_errors
from market.web.params import PathId
from market.web.render import flash, render, see_other

FORM = "market/tenders/form.html"
MANAGE = "market/tenders/manage.html"
Req = Request[Any, Any, Any]


def _departments(principal: Principal) -> list[Any]:
    return [m for m in principal.memberships if m.kind == "department" and m.status == "verified"]


async def _own_detail(principal: Principal, tender_id: int) -> queries.TenderDetail:
    detail = await queries.tender_detail(tender_id, principal)
    if detail.tender["department"] not in principal.org_ids("department"):
        raise PermissionDenied("Only members of the department that owns this tender may do this.")
    detail.extra["budget_line"] = await place_and_line.line_of(tender_id)
    return detail


async def _form_context(
    principal: Principal, mode: str, values: dict[str, str], errors: dict[str, str], **extra: Any
) -> dict[str, Any]:
    return {
        **await place_and_line.form_choices(),
        "mode": mode,
        "values": values,
        "errors": errors,
        "departments": _departments(principal),
        "categories": inputs.CATEGORIES,
        "area_levels": inputs.AREA_LEVELS,
        "sources": inputs.GOAL_SOURCES,
        "max_criteria": inputs.MAX_CRITERIA,
        "sandbox_allowed": get_settings().sandbox,
        # the least time an amendment leaves to bid: accelerated for a sandbox tender
        "min_window": services.min_window(int(extra["t"]["acceleration"]) if "t" in extra else 1),
        **extra,
    }


async def _redisplay_form(
    request: Req,
    principal: Principal,
    mode: str,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    tender_id: int | None = None,
) -> Response[Any]:
    """The tender form again with its errors (422); the tender itself when editing."""
    extra = {}
    if tender_id is not None:
        extra["t"] = (await _own_detail(principal, tender_id)).tender
    context = await _form_context(principal, mode, values, errors, **extra)
    return render(request, FORM, context, block="form", status=422)


class TenderWorkspaceController(Controller):
    path = "/workspace/tenders"
    include_in_schema = False

    @get("/", guards=[requires_department])
    async def index(self, request: Req) -> Response[str]:
        principal = signed_in(request)
        rows = await queries.workspace_tenders(principal.org_ids("department"))
        return render(request, "market/tenders/workspace.html", {"rows": rows})

    @get("/new", guards=[requires_department])
    async def new(self, request: Req) -> Response[str]:
        return render(request, FORM, await _form_context(signed_in(request), "new", {}, {}))

    @get("/budget-lines", guards=[requires_department])
    async def budget_lines(self, request: Req) -> Response[str]:
        """The form's budget-line select for the place and category chosen (htmx asks
        for it when either changes; the line chosen stays chosen if it still fits)."""
        query = request.query_params
        choices = await place_and_line.fitting_choices(
            str(query.get("place", "")), str(query.get("category", ""))
        )
        values = {"budget_line": str(query.get("budget_line", ""))}
        context = {**choices, "values": values, "errors": {}}
        return render(request, "market/tenders/_line_select.html", context)

    @post("/", guards=[requires_department])
    async def create(self, request: Req) -> Response[Any]:
        principal = signed_in(request)
        form = await request.form()
        values = pick(form)
        department = formdata.text(form, "department_id")
        values["department_id"] = department
        redisplay = partial(_redisplay_form, request, principal, "new", values)
        async with shows_form_errors(redisplay, field="title_zh", catch=(ValidationFailed,)):
            if not is_ascii_digits(department) or len(department) > 10:
                raise ValidationFailed.single("department_id", "Choose the department.")
            tender_id = await services.create_tender(
                user_id=principal.id, department_id=parse_id(department), form=values
            )
        flash(request, i18n.gettext("Draft saved. Add documents, then publish it."))
        return see_other(f"/workspace/tenders/{tender_id}")

    @get("/{tender_id:int}", guards=[requires_department])
    async def manage(self, request: Req, tender_id: PathId) -> Response[str]:
        detail = await _own_detail(signed_in(request), tender_id)
        return render(request, MANAGE, {"d": detail, "t": detail.tender, "errors": {}})

    @get("/{tender_id:int}/edit", guards=[requires_department])
    async def edit_page(self, request: Req, tender_id: PathId) -> Response[str]:
        return await self._form_page(request, tender_id, "edit")

    @get("/{tender_id:int}/amend", guards=[requires_department])
    async def amend_page(self, request: Req, tender_id: PathId) -> Response[str]:
        return await self._form_page(request, tender_id, "amend")

    async def _form_page(self, request: Req, tender_id: int, mode: str) -> Response[str]:
        principal = signed_in(request)
        detail = await _own_detail(principal, tender_id)
        values = form_values(await queries.tender_for_edit(tender_id))
        context = await _form_context(principal, mode, values, {}, t=detail.tender)
        return render(request, FORM, context)

    @post("/{tender_id:int}/edit", guards=[requires_department])
    async def edit(self, request: Req, tender_id: PathId) -> Response[Any]:
        return await self._save(request, tender_id, "edit")

    @post("/{tender_id:int}/amend", guards=[requires_department])
    async def amend(self, request: Req, tender_id: PathId) -> Response[Any]:
        return await self._save(request, tender_id, "amend")

    async def _save(self, request: Req, tender_id: int, mode: str) -> Response[Any]:
        principal = signed_in(request)
        form = await request.form()
        values = pick(form)
        note = formdata.text(form, "note")
        redisplay = partial(
            _redisplay_form, request, principal, mode, {**values, "note": note}, tender_id=tender_id
        )
        async with shows_form_errors(redisplay, field="status", catch=FORM_REFUSALS):
            if mode == "edit":
                await services.update_draft(user_id=principal.id, tender_id=tender_id, form=values)
                message = i18n.gettext("Draft saved.")
            else:
                result = await services.amend_tender(
                    user_id=principal.id, tender_id=tender_id, form=values, note=note
                )
                message = i18n.gettext("Amendment published.")
                if result.extended:
                    message += " " + i18n.gettext(
                        "The bid deadline was extended to keep the minimum bidding window."
                    )
        flash(request, message)
        return see_other(f"/workspace/tenders/{tender_id}")

    @post("/{tender_id:int}/publish", guards=[requires_department])
    async def publish(self, request: Req, tender_id: PathId) -> Response[Any]:
        principal = signed_in(request)
        return await self._act(
            request,
            tender_id,
            services.publish_tender(user_id=principal.id, tender_id=tender_id),
            i18n.gettext("Published. The budget is held for this tender."),
        )

    @post("/{tender_id:int}/cancel", guards=[requires_department])
    async def cancel(self, request: Req, tender_id: PathId) -> Response[Any]:
        principal = signed_in(request)
        form = await request.form()
        reason = formdata.text(form, "reason")
        return await self._act(
            request,
            tender_id,
            services.cancel_tender(user_id=principal.id, tender_id=tender_id, reason=reason),
            i18n.gettext("The tender is cancelled and its budget hold released."),
        )

    @post("/{tender_id:int}/documents", guards=[requires_department])
    async def upload(self, request: Req, tender_id: PathId) -> Response[Any]:
        form = await request.form()
        data, filename = await _uploaded_document(form)
        return await self._act(
            request,
            tender_id,
            services.add_document(
                user_id=signed_in(request).id,
                tender_id=tender_id,
                filename=filename,
                data=data,
                title=formdata.text(form, "title"),
                note=formdata.text(form, "note"),
            ),
            i18n.gettext("Document added."),
        )

    @post("/{tender_id:int}/documents/{document_id:int}/delete", guards=[requires_department])
    async def remove(self, request: Req, tender_id: PathId, document_id: PathId) -> Response[Any]:
        principal = signed_in(request)
        return await self._act(
            request,
            tender_id,
            services.remove_document(
                user_id=principal.id, tender_id=tender_id, document_id=document_id
            ),
            i18n.gettext("Document removed."),
        )

    @post("/{tender_id:int}/questions/{question_id:int}/answer", guards=[requires_department])
    async def answer(self, request: Req, tender_id: PathId, question_id: PathId) -> Response[Any]:
        principal = signed_in(request)
        form = await request.form()
        return await self._act(
            request,
            tender_id,
            qa.answer_question(
                user_id=principal.id,
                tender_id=tender_id,
                question_id=question_id,
                text=formdata.text(form, f"answer-{question_id}") or formdata.text(form, "answer"),
            ),
            i18n.gettext("Answer published."),
            error_field="answer",
            error_key=f"answer-{question_id}",
        )

    async def _act(
        self,
        request: Req,
        tender_id: int,
        action: Any,
        message: str,
        *,
        error_field: str = "status",
        error_key: str = "",
    ) -> Response[Any]:
        """Run one service call; errors re-render the manage page (422) beside the
        control that caused them; success → flash + 303."""

        async def redisplay(errors: dict[str, str]) -> Response[Any]:
            if error_key and error_field in errors:
                errors[error_key] = errors.pop(error_field)
            detail = await _own_detail(signed_in(request), tender_id)
            context = {"d": detail, "t": detail.tender, "errors": errors}
            return render(request, MANAGE, context, block="manage", status=422)

        async with shows_form_errors(redisplay, field=error_field, catch=FORM_REFUSALS):
            await action
        flash(request, message)
        return see_other(f"/workspace/tenders/{tender_id}")


async def _uploaded_document(form: FormMultiDict) -> tuple[bytes, str]:
    """The uploaded file's bytes and name; nothing when the form has no file."""
    upload = form.get("document")
    if isinstance(upload, UploadFile):
        return await upload.read(), upload.filename or ""
    return b"", ""
