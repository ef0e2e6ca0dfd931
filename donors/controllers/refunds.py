"""The operator's refund queue: bank-transfer refunds to send, and each refund's
payout record (what went back, for which payment and why, who sent it, when, and the
outgoing transfer's bank reference)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post

from donors import refunds
from market.directory import user_names
from market.money import Money
from market.sql import Row
from market.web import formdata, i18n
from market.web.auth import principal_of, requires_operator
from market.web.form_errors import Redisplay, shows_form_errors
from market.web.params import PathId
from market.web.render import flash, render, see_other


def _shown(row: Row) -> dict[str, Any]:
    return dict(row) | {"money": Money(int(row["amount"]), row["currency"])}


async def _queue_context() -> dict[str, Any]:
    return {
        "awaiting": [_shown(r) for r in await refunds.awaiting_bank_refunds()],
        "paid": [_shown(r) for r in await refunds.paid_bank_refunds()],
    }


async def _record_context(
    refund_id: int, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    row = await refunds.refund_record(refund_id)
    names = await user_names([int(row["paid_by"])]) if row["paid_by"] else {}
    return {
        "r": _shown(row),
        "payment_money": Money(int(row["payment_amount"]), row["currency"]),
        "paid_by": names.get(int(row["paid_by"] or 0), ""),
        "values": values,
        "errors": errors,
    }


def _record_form(
    request: Request[Any, Any, Any], refund_id: int, values: dict[str, str]
) -> Redisplay:
    async def redisplay(errors: dict[str, str]) -> Response[Any]:
        context = await _record_context(refund_id, values, errors)
        return render(request, "donors/refund.html", context, status=422)

    return redisplay


class RefundController(Controller):
    include_in_schema = False

    @get("/operator/refunds", guards=[requires_operator])
    async def queue(self, request: Request[Any, Any, Any]) -> Response[str]:
        return render(request, "donors/refunds.html", await _queue_context())

    @get("/operator/refunds/{refund_id:int}", guards=[requires_operator])
    async def record(self, request: Request[Any, Any, Any], refund_id: PathId) -> Response[str]:
        context = await _record_context(refund_id, {}, {})
        return render(request, "donors/refund.html", context)

    @post("/operator/refunds/{refund_id:int}", guards=[requires_operator])
    async def pay_out(self, request: Request[Any, Any, Any], refund_id: PathId) -> Any:
        form = await request.form()
        values = {"bank_reference": formdata.text(form, "bank_reference").strip()}
        principal = principal_of(request)
        assert principal is not None  # noqa: S101 - guarded
        async with shows_form_errors(_record_form(request, refund_id, values)):
            await refunds.record_bank_refund(
                refund_id=refund_id,
                bank_reference=values["bank_reference"],
                operator_id=principal.id,
            )
        flash(request, i18n.gettext("Refund paid out and recorded."))
        return see_other(f"/operator/refunds/{refund_id}")
