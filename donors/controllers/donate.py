"""Donating to a tender, the donation's page and receipts, my donations."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Controller, Request, Response, get, post

from donors import donations, payments, readmodels, receipts
from donors.config import donation_limits
from donors.providers import available_providers
from donors.tender_facts import TenderInfo, tender_info
from market import clock
from market.errors import DomainError
from market.money import InvalidAmount, Money, parse_money
from market.settings import get_settings
from market.web import formdata, i18n
from market.web.auth import principal_of, public, requires_login
from market.web.form_errors import Redisplay, Redisplayed, as_field_error, shows_form_errors
from market.web.params import PathId
from market.web.proxies import client_address
from market.web.render import render, see_other
from market.web.sessions import COOKIE as SESSION_COOKIE

FIELDS = ("amount", "currency", "display_name", "message", "email", "provider", "on_failure")
# Preset amounts in yuan, offered as radio buttons; `amount` is the "other amount" box.
PRESETS = ("20", "50", "100", "200")
DEFAULT_PRESET = "100"


def chosen_amount(values: dict[str, str]) -> str:
    """The amount the donor chose: a filled "other amount" box wins over the preset."""
    if values.get("amount"):
        return values["amount"]
    preset = values.get("preset", "")
    return preset if preset in PRESETS else ""


def _choice(source: Any, default: str = "") -> dict[str, str]:
    """The amount fields of a query or form; `default` is the preset when none is given."""
    amount = formdata.text(source, "amount").strip()
    preset = formdata.text(source, "preset").strip()
    if preset not in (*PRESETS, "other"):
        preset = "other" if amount else default
    return {"amount": amount, "preset": preset}


# The parser's own message quotes the input, so it can have no catalog entry.
AMOUNT_HELP = "Enter an amount greater than zero, e.g. 100 or 12.50."


async def _form_context(tender_id: int, values: dict[str, str], errors: dict[str, str]) -> dict:
    info = await tender_info(tender_id)
    settings = get_settings()
    is_open = info.status in donations.donation_rules.OPEN_STATUSES
    offer = readmodels.MatchOffer(Money.zero(info.currency), Money.zero(info.currency))
    if is_open:
        offer = await readmodels.match_preview(tender_id, chosen_amount(values), info.currency)
    preview = offer.match
    return {
        "tender": info,
        "values": values,
        "errors": errors,
        # a sandbox (training) tender takes only simulated money
        "providers": ["sandbox"] if info.sandbox else available_providers(),
        "publishable_key": "" if info.sandbox else settings.stripe_publishable_key,
        "limits": donation_limits(),
        "preview": preview,
        "offer": offer,
        "presets": PRESETS,
        "open": is_open,
    }


def _donate_form(
    request: Request[Any, Any, Any], tender_id: int, values: dict[str, str]
) -> Redisplay:
    async def redisplay(errors: dict[str, str]) -> Response[Any]:
        context = await _form_context(tender_id, values, errors)
        return render(request, "donors/donate.html", context, block="form", status=422)

    return redisplay


class DonateController(Controller):
    include_in_schema = False

    @get("/tenders/{tender_id:int}/donate", guards=[public])
    async def donate_page(
        self, request: Request[Any, Any, Any], tender_id: PathId
    ) -> Response[str]:
        values = _choice(request.query_params, DEFAULT_PRESET)
        context = await _form_context(tender_id, values, {})
        return render(request, "donors/donate.html", context, block="match_preview")

    @post("/tenders/{tender_id:int}/donate", guards=[public])
    async def donate(self, request: Request[Any, Any, Any], tender_id: PathId) -> Any:
        form = await request.form()
        values = _donate_values(form)
        principal = principal_of(request)
        info = await tender_info(tender_id)
        if formdata.text(form, "action") == "preview":  # the no-JS "show the match" button
            context = await _form_context(tender_id, values, {})
            return render(request, "donors/donate.html", context, block="form")
        async with _donate_refusals(request, tender_id, values):
            started = await _start_donation(request, info, values, form, principal)
        return see_other(f"/donations/{started.donation_id}?ref={started.reference_code}")

    @get("/donations/{donation_id:int}", guards=[public])
    async def donation_page(
        self, request: Request[Any, Any, Any], donation_id: PathId
    ) -> Response[str]:
        view = await _view(request, donation_id)
        payment = await payments.payment_for("donation", donation_id)
        return render(
            request,
            "donors/donation.html",
            {"d": view, "ref": request.query_params.get("ref", ""), "payment": payment},
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
            await receipts.receipt_pdf_off_loop(view),
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


def _donate_values(form: Any) -> dict[str, str]:
    """The donation form's values as typed (the preset choice and the anonymous box too)."""
    values = {name: formdata.text(form, name).strip() for name in FIELDS}
    values.update(_choice(form))
    if formdata.text(form, "anonymous") == "on":
        values["anonymous"] = "on"
    return values


@asynccontextmanager
async def _donate_refusals(
    request: Request[Any, Any, Any], tender_id: int, values: dict[str, str]
) -> AsyncIterator[None]:
    """Every refusal shown on the donate form (422); the limit on unpaid donations per
    client answers 429, with its message on the form all the same."""
    try:
        async with shows_form_errors(_donate_form(request, tender_id, values), passthrough=()):
            yield
    except Redisplayed as shown:
        if isinstance(shown.__cause__, donations.UnpaidLimitError):
            shown.response.status_code = 429
        raise


def client_key(request: Request[Any, Any, Any]) -> str:
    """Who is donating, for the limit on unpaid donations: a keyed hash of the live
    session's id, else of the client address (MARKET_TRUSTED_PROXIES honoured, as for
    the login throttle). The address itself is never stored."""
    session_id = request.cookies.get(SESSION_COOKIE) if request.scope.get("session") else None
    basis = f"session:{session_id}" if session_id else f"address:{client_address(request)}"
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, basis.encode(), hashlib.sha256).hexdigest()


async def _start_donation(
    request: Request[Any, Any, Any],
    info: TenderInfo,
    values: dict[str, str],
    form: Any,
    principal: Any,
) -> Any:
    """Parse the amount and start the donation (raises ValidationFailed for the form)."""
    currency = values["currency"] or info.currency
    with as_field_error(InvalidAmount, field="amount", message=AMOUNT_HELP):
        amount = parse_money(chosen_amount(values), currency if len(currency) == 3 else "CNY")
    return await donations.start_donation(
        tender_id=info.id,
        amount=amount,
        provider=values["provider"] or "sandbox",
        donor_id=principal.id if principal else None,
        display_name=values["display_name"],
        message=values["message"],
        anonymous=values.get("anonymous") == "on",
        on_failure=values["on_failure"] or "refund",
        email=values["email"],
        payment_method=formdata.text(form, "payment_method"),
        sandbox_outcome=formdata.text(form, "sandbox_outcome", "approve"),
        client_key=client_key(request),
        lang=i18n.current(),
    )
