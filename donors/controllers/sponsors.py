"""Sponsors (pledges, direct sponsorship), organizations' own income, and the
operator's bank-transfer queue."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post

from donors import contributions, payments, pledges, readmodels
from donors.controllers.donate import AMOUNT_HELP
from donors.tender_facts import tender_info
from market import clock, inputs
from market.accounts import Principal
from market.errors import PermissionDenied
from market.money import InvalidAmount, Money, parse_money
from market.web import formdata, i18n
from market.web.auth import (
    principal_of,
    requires_login,
    requires_operator,
    requires_sponsor,
)
from market.web.form_errors import Redisplay, as_field_error, shows_form_errors
from market.web.params import PathId
from market.web.render import flash, render, see_other

PLEDGE_FIELDS = (
    "organization_id", "ratio_sponsor", "ratio_donor", "per_donation_cap", "total_cap",
    "valid_from", "valid_until", "categories", "areas", "tender_ids", "provider", "note",
)  # fmt: skip


def _me(request: Request[Any, Any, Any]) -> Principal:
    principal = principal_of(request)
    assert principal is not None  # noqa: S101 - guarded
    return principal


def _org(principal: Principal, raw: str, kinds: tuple[str, ...]) -> tuple[int, str]:
    """The organization the form acts for: one the user is a verified member of."""
    for m in principal.memberships:
        if (
            m.kind in kinds
            and m.status == "verified"
            and (not raw or str(m.organization_id) == raw)
        ):
            return m.organization_id, m.kind
    raise PermissionDenied("You are not a member of an organization that can do this.")


def _money(raw: str, field: str) -> Money:
    with as_field_error(InvalidAmount, field=field, message=AMOUNT_HELP):
        return parse_money(raw, "CNY")


def _int(raw: str, field: str) -> int:
    """A ratio part: a whole number in ASCII digits (the matching rules bound the ratio)."""
    with as_field_error(inputs.InputInvalid, field=field, message="Enter a whole number."):
        return inputs.parse_int(raw, field=field, minimum=1, maximum=1_000_000)


def _date(raw: str, field: str, default: datetime) -> datetime:
    if not raw:
        return default
    with as_field_error(inputs.InputInvalid, field=field, message="Enter a date like 2026-12-31."):
        day = inputs.parse_date(raw, field=field)  # the years 2000-2100
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _ids(raw: str, field: str) -> frozenset[int]:
    with as_field_error(
        inputs.InputInvalid, field=field, message="Enter tender numbers separated by commas."
    ):
        return frozenset(inputs.parse_id(t, field=field) for t in _set(raw))


def _set(raw: str) -> frozenset[str]:
    return frozenset(p.strip() for p in raw.replace("，", ",").split(",") if p.strip())


def _pledge_form(request: Request[Any, Any, Any], values: dict[str, str]) -> Redisplay:
    async def redisplay(errors: dict[str, str]) -> Response[Any]:
        context = await _sponsor_context(request, values, errors)
        return render(request, "donors/sponsor.html", context, block="pledge_form", status=422)

    return redisplay


def _contribute_form(
    request: Request[Any, Any, Any], tender_id: int, values: dict[str, str]
) -> Redisplay:
    async def redisplay(errors: dict[str, str]) -> Response[Any]:
        context = {
            "tender": await tender_info(tender_id),
            "values": values,
            "errors": errors,
            "orgs": _contributor_orgs(_me(request)),
        }
        return render(request, "donors/contribute.html", context, block="form", status=422)

    return redisplay


async def _bank_transfers_context(values: dict[str, str], errors: dict[str, str]) -> dict:
    """The expected bank transfers, and the expired ones whose money may still come."""

    def shown(rows: list[Any]) -> list[dict[str, Any]]:
        return [dict(r) | {"money": Money(int(r["amount"]), r["currency"])} for r in rows]

    return {
        "payments": shown(await payments.awaiting_bank_transfers()),
        "expired": shown(await payments.expired_bank_transfers()),
        "errors": errors,
        "values": values,
    }


def _bank_transfers_form(request: Request[Any, Any, Any], values: dict[str, str]) -> Redisplay:
    async def redisplay(errors: dict[str, str]) -> Response[Any]:
        context = await _bank_transfers_context(values, errors)
        return render(request, "donors/bank_transfers.html", context, status=422)

    return redisplay


class SponsorController(Controller):
    include_in_schema = False

    @get("/sponsor", guards=[requires_sponsor])
    async def dashboard(self, request: Request[Any, Any, Any]) -> Response[str]:
        return render(request, "donors/sponsor.html", await _sponsor_context(request, {}, {}))

    @post("/sponsor/pledges", guards=[requires_sponsor])
    async def create_pledge(self, request: Request[Any, Any, Any]) -> Any:
        form = await request.form()
        values = {k: formdata.text(form, k).strip() for k in PLEDGE_FIELDS}
        me = _me(request)
        now = clock.now()
        async with shows_form_errors(_pledge_form(request, values), passthrough=()):
            pledge_id, _, _ = await pledges.create_pledge(**_pledge_terms(me, values, now))
        flash(request, i18n.gettext("Pledge %(id)s created.") % {"id": pledge_id})
        return see_other("/sponsor")

    @get("/tenders/{tender_id:int}/contribute", guards=[requires_login])
    async def contribute_page(
        self, request: Request[Any, Any, Any], tender_id: PathId
    ) -> Response[str]:
        info = await tender_info(tender_id)
        return render(
            request,
            "donors/contribute.html",
            {"tender": info, "values": {}, "errors": {}, "orgs": _contributor_orgs(_me(request))},
        )

    @post("/tenders/{tender_id:int}/contribute", guards=[requires_login])
    async def contribute(self, request: Request[Any, Any, Any], tender_id: PathId) -> Any:
        form = await request.form()
        values = {k: formdata.text(form, k).strip() for k in ("organization_id", "amount",
                                                             "provider", "note")}  # fmt: skip
        me = _me(request)
        async with shows_form_errors(_contribute_form(request, tender_id, values), passthrough=()):
            kind = await _contribute(me, tender_id, values)
        flash(request, i18n.gettext("Thank you. Your contribution is recorded."))
        return see_other("/sponsor" if kind != "social_org" else f"/tenders/{tender_id}")

    @get("/operator/bank-transfers", guards=[requires_operator])
    async def bank_transfers(self, request: Request[Any, Any, Any]) -> Response[str]:
        context = await _bank_transfers_context({}, {})
        return render(request, "donors/bank_transfers.html", context)

    @post("/operator/bank-transfers", guards=[requires_operator])
    async def record_bank_transfer(self, request: Request[Any, Any, Any]) -> Any:
        form = await request.form()
        values = {k: formdata.text(form, k).strip() for k in ("reference_code", "amount",
                                                             "bank_reference")}  # fmt: skip
        async with shows_form_errors(_bank_transfers_form(request, values), passthrough=()):
            amount = _money(values["amount"], "amount")
            await payments.record_bank_transfer(
                reference_code=values["reference_code"],
                amount=amount.amount,
                currency=amount.currency,
                bank_reference=values["bank_reference"],
                operator_id=_me(request).id,
            )
        flash(request, i18n.gettext("Bank transfer recorded; the money is in escrow."))
        return see_other("/operator/bank-transfers")


def _contributor_orgs(principal: Principal) -> list[tuple[int, str, str]]:
    return [
        (m.organization_id, m.kind, m.name_zh)
        for m in principal.memberships
        if m.kind in ("company", "foundation", "social_org") and m.status == "verified"
    ]


async def _sponsor_context(
    request: Request[Any, Any, Any], values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    me = _me(request)
    org_ids = me.org_ids("company", "foundation")
    pledge_rows = await readmodels.sponsor_pledges(org_ids)
    for p in pledge_rows:
        for key in ("per_donation_cap", "total_cap", "matched", "returned", "available"):
            p[key + "_money"] = Money(int(p[key] or 0), p["currency"])
    contribution_rows = await readmodels.sponsor_contributions(org_ids)
    for c in contribution_rows:
        c["money"] = Money(int(c["amount"]), c["currency"])
    return {
        "pledges": pledge_rows,
        "contributions": contribution_rows,
        "orgs": [(m.organization_id, m.name_zh) for m in me.memberships
                 if m.kind in ("company", "foundation") and m.status == "verified"],
        "values": values,
        "errors": errors,
    }  # fmt: skip


def _pledge_terms(me: Any, values: dict[str, str], now: datetime) -> dict[str, Any]:
    """The pledge form's values parsed into `pledges.create_pledge`'s arguments (raises
    ValidationFailed for the form)."""
    org_id, kind = _org(me, values["organization_id"], ("company", "foundation"))
    return {
        "sponsor_id": org_id,
        "user_id": me.id,
        "sponsor_kind": kind,
        "ratio_sponsor": _int(values["ratio_sponsor"] or "1", "ratio"),
        "ratio_donor": _int(values["ratio_donor"] or "1", "ratio"),
        "per_donation_cap": _money(values["per_donation_cap"], "per_donation_cap").amount,
        "total_cap": _money(values["total_cap"], "total_cap").amount,
        "valid_from": _date(values["valid_from"], "valid_from", now),
        "valid_until": _date(values["valid_until"], "valid_until", now + timedelta(days=90)),
        "categories": _set(values["categories"]),
        "areas": _set(values["areas"]),
        "tender_ids": _ids(values["tender_ids"], "tender_ids"),
        "provider": values["provider"] or "bank_transfer",
        "note": values["note"],
    }


async def _contribute(me: Any, tender_id: int, values: dict[str, str]) -> str:
    """Record the organization's contribution; returns the organization's kind."""
    org_id, kind = _org(me, values["organization_id"], ("company", "foundation", "social_org"))
    await contributions.contribute(
        kind="own_income" if kind == "social_org" else "sponsorship",
        tender_id=tender_id,
        organization_id=org_id,
        organization_kind=kind,
        user_id=me.id,
        amount=_money(values["amount"], "amount"),
        provider=values["provider"] or "bank_transfer",
        note=values["note"],
    )
    return kind
