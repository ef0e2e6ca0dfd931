"""The public community pages and giving to a community's fund: `/communities` (every
street and its communities, with their funds' balances), `/communities/{code}` (the
community page), its give form (a resident, by card) and sponsor form (a company or
foundation, by bank transfer), and a gift's page."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from donors.providers import available_providers
from funds import gifts, queries
from funds import rules as fund_rules
from funds.controllers.filters import Code
from market.money import InvalidAmount, Money, parse_money
from market.settings import get_settings
from market.web import formdata, i18n
from market.web.auth import principal_of, public, requires_sponsor
from market.web.form_errors import Redisplay, as_field_error, shows_form_errors
from market.web.params import PathId
from market.web.render import render, see_other

Req = Request[Any, Any, Any]
FIELDS = ("amount", "display_name", "message", "email", "provider", "sponsor")
PRESETS = ("50", "100", "200", "500")
AMOUNT_HELP = "Enter an amount greater than zero, e.g. 100 or 12.50."


async def _give_context(
    code: Code, values: dict[str, str], errors: dict[str, str], request: Req | None = None
) -> dict[str, Any]:
    place = await queries.community(code)
    principal = principal_of(request) if request is not None else None
    sponsors = [
        (str(m.organization_id), m.name_en if i18n.current() == "en" and m.name_en else m.name_zh)
        for m in (principal.memberships if principal else ())
        if m.kind in fund_rules.SPONSOR_SOURCE and m.status == "verified"
    ]
    return {
        "sponsors": sponsors,
        "place": place,
        "fund": await queries.fund_row(place.id),
        "values": values,
        "errors": errors,
        "presets": PRESETS,
        "providers": [p for p in available_providers() if p in gifts.RESIDENT_PROVIDERS],
        "publishable_key": get_settings().stripe_publishable_key,
    }


def _redisplay(request: Req, code: Code, values: dict[str, str], template: str) -> Redisplay:
    async def redisplay(errors: dict[str, str]) -> Response[Any]:
        context = await _give_context(code, values, errors, request)
        return render(request, template, context, block="form", status=422)

    return redisplay


def _values(form: Any) -> dict[str, str]:
    values = {name: formdata.text(form, name).strip() for name in FIELDS}
    preset = formdata.text(form, "preset").strip()
    values["preset"] = preset if preset in (*PRESETS, "other") else ""
    if not values["amount"] and preset in PRESETS:
        values["amount"] = preset
    values["anonymous"] = "on" if formdata.text(form, "anonymous") == "on" else ""
    return values


async def _start(request: Req, code: Code, values: dict[str, str], form: Any) -> Any:
    place = await queries.community(code)
    fund = await queries.fund_row(place.id)
    if fund is None:
        raise fund_rules.FundError("This community has no fund yet.")
    with as_field_error(InvalidAmount, field="amount", message=AMOUNT_HELP):
        amount = parse_money(values["amount"], "CNY")
    principal = principal_of(request)
    sponsor = int(values["sponsor"]) if values["sponsor"].isdigit() else None
    return await gifts.start_gift(
        fund_id=int(fund["id"]),
        amount=Money(amount.amount, "CNY"),
        provider=values["provider"] or ("bank_transfer" if sponsor else "sandbox"),
        donor_id=principal.id if principal else None,
        sponsor_id=sponsor,
        display_name=values["display_name"],
        message=values["message"],
        anonymous=values["anonymous"] == "on",
        email=values["email"],
        payment_method=formdata.text(form, "payment_method"),
        sandbox_outcome=formdata.text(form, "sandbox_outcome", "approve"),
        lang=i18n.current(),
    )


class CommunityController(Controller):
    include_in_schema = False

    @get("/communities", guards=[public])
    async def communities(self, request: Req) -> Response[str]:
        return render(request, "funds/communities.html", {"streets": await queries.communities()})

    @get("/communities/{code:str}", guards=[public])
    async def community(self, request: Req, code: Code) -> Response[str]:
        return render(request, "funds/community.html", await queries.community_page(code))

    @get("/communities/{code:str}/give", guards=[public])
    async def give_page(self, request: Req, code: Code) -> Response[str]:
        context = await _give_context(code, {"preset": "100"}, {})
        return render(request, "funds/give.html", context)

    @post("/communities/{code:str}/give", guards=[public])
    async def give(self, request: Req, code: Code) -> Any:
        form = await request.form()
        values = {**_values(form), "sponsor": ""}
        async with shows_form_errors(_redisplay(request, code, values, "funds/give.html")):
            started = await _start(request, code, values, form)
        return see_other(
            f"/communities/{code}/gifts/{started.gift_id}?ref={started.reference_code}"
        )

    @get("/communities/{code:str}/sponsor", guards=[requires_sponsor])
    async def sponsor_page(self, request: Req, code: Code) -> Response[str]:
        context = await _give_context(code, {"provider": "bank_transfer"}, {}, request)
        return render(request, "funds/sponsor.html", context)

    @post("/communities/{code:str}/sponsor", guards=[requires_sponsor])
    async def sponsor(self, request: Req, code: Code) -> Any:
        form = await request.form()
        values = _values(form)
        async with shows_form_errors(_redisplay(request, code, values, "funds/sponsor.html")):
            started = await _start(request, code, values, form)
        return see_other(
            f"/communities/{code}/gifts/{started.gift_id}?ref={started.reference_code}"
        )

    @get("/communities/{code:str}/gifts/{gift_id:int}", guards=[public])
    async def gift_page(self, request: Req, code: Code, gift_id: PathId) -> Response[str]:
        place = await queries.community(code)
        gift = await gifts.gift_view(gift_id, place.id, str(request.query_params.get("ref", "")))
        return render(request, "funds/gift.html", {"place": place, "gift": gift}, block="status")
