"""Donating to a tender, the donation's page and receipts, my donations."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from donors import donations, readmodels, receipts
from donors.config import donation_limits
from donors.providers import available_providers
from donors.tender_facts import tender_info
from market import clock
from market.errors import DomainError, ValidationFailed
from market.money import InvalidAmount, Money, parse_money
from market.settings import get_settings
from market.web import i18n
from market.web.auth import principal_of, public, requires_login
from market.web.params import PathId
from market.web.render import render, see_other

FIELDS = ("amount", "currency", "display_name", "message", "email", "provider", "on_failure")


def _errors(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, ValidationFailed):
        return {k: i18n.gettext(v) for k, v in exc.errors.items()}
    return {exc.field or "form": i18n.gettext(exc.message)}


async def _form_context(tender_id: int, values: dict[str, str], errors: dict[str, str]) -> dict:
    info = await tender_info(tender_id)
    settings = get_settings()
    preview = Money.zero(info.currency)
    try:
        amount = parse_money(values.get("amount") or "100", info.currency)
        preview = await donations.preview_match(tender_id, amount)
    except DomainError:
        pass
    return {
        "tender": info,
        "values": values,
        "errors": errors,
        "providers": available_providers(),
        "publishable_key": settings.stripe_publishable_key,
        "limits": donation_limits(),
        "preview": preview,
        "open": info.status in donations.donation_rules.OPEN_STATUSES,
    }


class DonateController(Controller):
    include_in_schema = False

    @get("/tenders/{tender_id:int}/donate", guards=[public])
    async def donate_page(
        self, request: Request[Any, Any, Any], tender_id: PathId
    ) -> Response[str]:
        values = {k: str(request.query_params.get(k, "")) for k in ("amount",)}
        context = await _form_context(tender_id, values, {})
        return render(request, "donors/donate.html", context, block="match_preview")

    @post("/tenders/{tender_id:int}/donate", guards=[public])
    async def donate(self, request: Request[Any, Any, Any], tender_id: PathId) -> Any:
        form = await request.form()
        values = {name: str(form.get(name, "")).strip() for name in FIELDS}
        principal = principal_of(request)
        info = await tender_info(tender_id)
        try:
            currency = values["currency"] or info.currency
            try:
                amount = parse_money(values["amount"], currency if len(currency) == 3 else "CNY")
            except InvalidAmount as exc:
                raise ValidationFailed({"amount": exc.message}) from None
            started = await donations.start_donation(
                tender_id=tender_id,
                amount=amount,
                provider=values["provider"] or "sandbox",
                donor_id=principal.id if principal else None,
                display_name=values["display_name"],
                message=values["message"],
                anonymous=form.get("anonymous") == "on",
                on_failure=values["on_failure"] or "refund",
                email=values["email"],
                payment_method=str(form.get("payment_method", "")),
                sandbox_outcome=str(form.get("sandbox_outcome", "approve")),
            )
        except DomainError as exc:
            context = await _form_context(tender_id, values, _errors(exc))
            return render(request, "donors/donate.html", context, block="form", status=422)
        return see_other(f"/donations/{started.donation_id}?ref={started.reference_code}")

    @get("/donations/{donation_id:int}", guards=[public])
    async def donation_page(
        self, request: Request[Any, Any, Any], donation_id: PathId
    ) -> Response[str]:
        view = await _view(request, donation_id)
        return render(
            request,
            "donors/donation.html",
            {"d": view, "ref": request.query_params.get("ref", "")},
            block="status",
        )

    @get("/donations/{donation_id:int}/receipt", guards=[public])
    async def receipt_page(
        self, request: Request[Any, Any, Any], donation_id: PathId
    ) -> Response[str]:
        view = await _paid_view(request, donation_id)
        return render(
            request,
            "donors/receipt.html",
            {"d": view, "ref": request.query_params.get("ref", "")},
        )

    @get("/donations/{donation_id:int}/receipt.pdf", guards=[public])
    async def receipt_pdf(
        self, request: Request[Any, Any, Any], donation_id: PathId
    ) -> Response[bytes]:
        view = await _paid_view(request, donation_id)
        return Response(
            receipts.receipt_pdf(view),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{view.receipt_no}.pdf"'},
        )

    @get("/my/donations", guards=[requires_login])
    async def mine(self, request: Request[Any, Any, Any]) -> Response[str]:
        principal = principal_of(request)
        assert principal is not None  # noqa: S101 - guarded
        views = await readmodels.my_donations(principal.id)
        years = sorted({v.paid_at.year for v in views if v.paid_at}, reverse=True)
        return render(request, "donors/mine.html", {"donations": views, "years": years})

    @get("/my/donations/{year:int}", guards=[requires_login])
    async def summary(self, request: Request[Any, Any, Any], year: PathId) -> Response[str]:
        principal = principal_of(request)
        assert principal is not None  # noqa: S101 - guarded
        if not 2000 <= year <= clock.now().year + 1:
            raise DomainError("No such year.")
        summary = await readmodels.annual_summary(principal.id, year)
        return render(request, "donors/summary.html", {"s": summary})


async def _view(request: Request[Any, Any, Any], donation_id: int) -> readmodels.DonationView:
    principal = principal_of(request)
    return await readmodels.donation_view(
        donation_id,
        user_id=principal.id if principal else None,
        reference=str(request.query_params.get("ref", "")),
        oversight=bool(principal and (principal.is_operator or principal.is_auditor)),
    )


async def _paid_view(request: Request[Any, Any, Any], donation_id: int) -> readmodels.DonationView:
    view = await _view(request, donation_id)
    if not view.receipt_no:
        raise DomainError("A receipt is issued once the payment has arrived.")
    return view
