"""The district finance bureau's pages: the budget years, one year's appropriation
with its lines (open, allocate, re-allocate with a reason) and its year end. Only
the bureau's members get in (`requires_finance`); each service checks again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, get, post

from market import clock
from market.budget import access, desk, inputs, pages
from market.budget.rules import budget_year
from market.controllers.organizations import signed_in
from market.money import Money
from market.tenders.inputs import CATEGORIES
from market.web import formdata, i18n
from market.web.auth import requires_finance
from market.web.form_errors import FORM_REFUSALS, shows_form_errors
from market.web.params import PathYear
from market.web.render import flash, render, see_other

Req = Request[Any, Any, Any]
DONE = {
    "appropriation": "Appropriation recorded: the money is in the district's budget.",
    "open-line": "Budget line opened.",
    "allocate": "Money allocated to the line.",
    "reallocate": "Money re-allocated; the reason is on the audit trail.",
    "year-end": "Year end done: the lines' free money is back in the appropriation.",
}
OVERVIEW = "market/budget/finance.html"
YEAR = "market/budget/finance_year.html"
FIELDS = ("year", "amount", "reference", "place", "category", "line", "from_line", "to_line")
FIELDS += ("reason", "key")


async def _overview(request: Req, values: dict[str, str], errors: dict[str, str]) -> Response[Any]:
    district = await access.finance_district(signed_in(request).id)
    context = {"o": await pages.overview(district), "values": values, "errors": errors}
    return render(request, OVERVIEW, context, status=422 if errors else 200)


async def _year(
    request: Req, year: int, errors: dict[str, str], values: dict[str, str], form: str = ""
) -> Response[Any]:
    """One budget year's page, with the errors of the form `form` (if any) beside it."""
    district = await access.finance_district(signed_in(request).id)
    context = {
        "p": await pages.year_page(district, year),
        "values": values,
        "errors": errors,
        "failed": form,
        "categories": CATEGORIES,
        "key": inputs.form_key(),
        "zero": Money(0, "CNY"),
    }
    return render(request, YEAR, context, status=422 if errors else 200)


Action = Callable[[int, int, dict[str, str]], Awaitable[Any]]


async def _act(request: Req, year: int, name: str, action: Action) -> Response[Any]:
    """One form of the year page: carried out and 303 back, or the page again (422)
    with its errors beside that form."""
    form = await request.form()
    values = formdata.texts(form, FIELDS)

    async def redisplay(errors: dict[str, str]) -> Response[Any]:
        return await _year(request, year, errors, values, form=name)

    async with shows_form_errors(redisplay, field=name, catch=FORM_REFUSALS):
        await action(signed_in(request).id, year, values)
    flash(request, i18n.gettext(DONE[name]))
    return see_other(f"/finance/{year}#{name}")


class FinanceController(Controller):
    path = "/finance"
    include_in_schema = False

    @get("/", guards=[requires_finance])
    async def index(self, request: Req) -> Response[Any]:
        return await _overview(request, {"year": str(budget_year(clock.now()))}, {})

    @post("/appropriations", guards=[requires_finance])
    async def record(self, request: Req) -> Response[Any]:
        values = formdata.texts(await request.form(), ("year", "amount", "reference"))

        async def redisplay(errors: dict[str, str]) -> Response[Any]:
            return await _overview(request, values, errors)

        async with shows_form_errors(redisplay, field="year", catch=FORM_REFUSALS):
            year = await desk.record(signed_in(request).id, values)
        flash(request, i18n.gettext(DONE["appropriation"]))
        return see_other(f"/finance/{year}")

    @get("/{year:int}", guards=[requires_finance])
    async def year(self, request: Req, year: PathYear) -> Response[Any]:
        return await _year(request, year, {}, {})

    @post("/{year:int}/lines", guards=[requires_finance])
    async def open_line(self, request: Req, year: PathYear) -> Response[Any]:
        return await _act(request, year, "open-line", desk.open_line)

    @post("/{year:int}/allocations", guards=[requires_finance])
    async def allocate(self, request: Req, year: PathYear) -> Response[Any]:
        return await _act(request, year, "allocate", desk.allocate)

    @post("/{year:int}/reallocations", guards=[requires_finance])
    async def reallocate(self, request: Req, year: PathYear) -> Response[Any]:
        return await _act(request, year, "reallocate", desk.reallocate)

    @post("/{year:int}/year-end", guards=[requires_finance])
    async def year_end(self, request: Req, year: PathYear) -> Response[Any]:
        return await _act(request, year, "year-end", _year_end)


async def _year_end(user_id: int, year: int, values: dict[str, str]) -> None:
    await desk.year_end(user_id, year)
