"""Public tender pages: the list (live filters, keyset pages), the detail, document
downloads, and questions from social organizations."""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post

from market import labels
from market.accounts import Principal
from market.controllers.organizations import signed_in
from market.errors import PermissionDenied
from market.inputs import is_ascii_digits
from market.money import Money
from market.settings import get_settings
from market.tenders import inputs, place_and_line, qa, queries, rules
from market.web import formdata, i18n
from market.web.auth import principal_of, public, requires_social_org
from market.web.form_errors import FORM_REFUSALS, shows_form_errors
from market.web.page_cache import CACHED
from market.web.params import PathId
from market.web.reads import REPLICA_READS
from market.web.render import flash, is_fragment_request, render, see_other, template_filter


@template_filter("money")
def money_filter(value: Money | None) -> str:
    """The one money format: ¥200,000.00 (zh) / CN¥200,000.00 (en)."""
    return "" if value is None else labels.money(value)


@template_filter("filesize")
def filesize_filter(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, size // 1024)} KB"


def list_context(page: queries.TenderPage, filters: queries.TenderFilters) -> dict[str, Any]:
    return {
        "filters": filters,
        "params": filters.as_params(),
        "page": page,
        "statuses": rules.PUBLIC_STATUSES,
        "categories": inputs.CATEGORIES,
    }


async def _questions_form(
    request: Request[Any, Any, Any],
    tender_id: int,
    principal: Principal,
    text: str,
    errors: dict[str, str],
) -> Response[Any]:
    detail = await queries.tender_detail(tender_id, principal)
    context = {**_detail_context(request, detail), "question": text, "errors": errors}
    return render(request, "market/tenders/detail.html", context, block="questions", status=422)


class TenderController(Controller):
    opt = REPLICA_READS  # anonymous reads may come from a replica (market.web.reads)
    include_in_schema = False

    @get("/tenders", guards=[public], opt=CACHED)
    async def tender_list(self, request: Request[Any, Any, Any]) -> Response[str]:
        query = request.query_params
        params = {k: str(query.get(k, "")) for k in query}
        filters = queries.TenderFilters.parse(params, get_settings().default_currency)
        page = await queries.list_tenders(filters, cursor=params.get("after"))
        # The fragment has no filter form: skip the areas' query for htmx requests.
        areas = [] if is_fragment_request(request) else await queries.public_areas()
        context = {**list_context(page, filters), "areas": areas}
        return render(request, "market/tenders/list.html", context, block="results")

    @get("/tenders/{tender_id:int}", guards=[public], opt=CACHED)
    async def tender_page(
        self, request: Request[Any, Any, Any], tender_id: PathId
    ) -> Response[str]:
        detail = await queries.tender_detail(tender_id, principal_of(request))
        detail.extra["budget_line"] = await place_and_line.line_of(tender_id)
        context = _detail_context(request, detail)
        # The question this browser has just asked, marked as submitted (once).
        asked = request.session.pop("asked", None) if request.scope.get("session") else None
        context["asked"] = asked if isinstance(asked, int) else None
        return render(request, "market/tenders/detail.html", context, block="tender")

    @get("/tenders/{tender_id:int}/documents/{document_id:int}", guards=[public])
    async def download(
        self, request: Request[Any, Any, Any], tender_id: PathId, document_id: PathId
    ) -> Response[bytes]:
        row = await queries.document_for_download(tender_id, document_id, principal_of(request))
        return Response(
            row["content"],
            media_type=row["content_type"],
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row['filename'])}",
                "Digest": f"sha-256={row['sha256']}",
                "Cache-Control": "public, max-age=3600",
            },
        )

    @post("/tenders/{tender_id:int}/questions", guards=[requires_social_org])
    async def ask(self, request: Request[Any, Any, Any], tender_id: PathId) -> Response[Any]:
        principal = signed_in(request)
        form = await request.form()
        text = formdata.text(form, "question")
        redisplay = partial(_questions_form, request, tender_id, principal, text)
        async with shows_form_errors(redisplay, field="question", catch=FORM_REFUSALS):
            org_id = _org_choice(formdata.text(form, "org_id"), principal.org_ids("social_org"))
            question_id = await qa.ask_question(
                user_id=principal.id, org_id=org_id, tender_id=tender_id, text=text
            )
        if is_fragment_request(request):
            # htmx swaps the questions section: show the new question there, marked.
            return await _questions_with_new(request, tender_id, principal, question_id)
        flash(request, i18n.gettext("Your question is published; the department will answer it."))
        request.session["asked"] = question_id
        return see_other(f"/tenders/{tender_id}#question-{question_id}")


async def _questions_with_new(
    request: Request[Any, Any, Any], tender_id: int, principal: Principal, question_id: int
) -> Response[Any]:
    """The questions section with the new question in it, marked."""
    detail = await queries.tender_detail(tender_id, principal)
    context = {**_detail_context(request, detail), "asked": question_id}
    return render(request, "market/tenders/detail.html", context, block="questions")


def _org_choice(raw: str, allowed: list[int]) -> int:
    if not raw and allowed:
        return allowed[0]
    if not is_ascii_digits(raw) or len(raw) > 10 or int(raw) not in allowed:
        raise PermissionDenied("Ask on behalf of an organization you belong to.")
    return int(raw)


def _detail_context(
    request: Request[Any, Any, Any], detail: queries.TenderDetail
) -> dict[str, Any]:
    principal = principal_of(request)
    asking_orgs = [
        m
        for m in (principal.memberships if principal else ())
        if m.kind == "social_org" and m.status == "verified"
    ]
    return {
        "d": detail,
        "t": detail.tender,
        "asking_orgs": asking_orgs,
        "question": "",
        "errors": {},
        "asked": None,
    }
