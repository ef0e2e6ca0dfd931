"""The district's budget in public: `/budget` (filters year, tier, place, category; a
line's tenders with `line=`), and the budget execution as a Fiscal Data Package,
`/budget/datapackage.json` describing `/budget/budget-execution.csv`. Public, no
log-in, plain GETs (the same for every anonymous visitor)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, get

from market.web.auth import public
from market.web.public_url import public_base_url
from market.web.render import render
from opendata.budget import fiscal, views
from opendata.budget.lines import BudgetFilter, parse_filter
from opendata.budget.queries import Budget, budget_frame, read_budget
from opendata.transparency_rules import spreadsheet_cell


async def read_chosen(params: Mapping[str, str], *, page: bool) -> tuple[Budget, BudgetFilter]:
    """The filters asked for (a page without a year shows the latest year, the API
    every year), and the budget read for them: only what they choose."""
    frame = await budget_frame()
    chosen = parse_filter(
        params,
        default_year=frame.latest_year if page else None,
        known_place=lambda code: frame.place_code(code) is not None,
    )
    return await read_budget(chosen, frame), chosen


class BudgetPages(Controller):
    include_in_schema = False

    @get("/budget", guards=[public])
    async def budget(self, request: Request[Any, Any, Any]) -> Response[str]:
        budget, chosen = await read_chosen(request.query_params, page=True)
        page = await views.budget_page(budget, chosen, request.query_params.get("after"))
        return render(request, "opendata/budget.html", views.page_context(page))


def _csv(records: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for record in records:
        writer.writerow(spreadsheet_cell(cell) for cell in record)
    return buffer.getvalue()


class BudgetDataController(Controller):
    tags = ["open data"]  # noqa: RUF012 - Litestar reads a class attribute

    @get(
        "/budget/datapackage.json",
        guards=[public],
        summary="Budget execution: Fiscal Data Package descriptor",
    )
    async def datapackage(self) -> dict[str, Any]:
        """A Frictionless (Tabular) Data Package with the Fiscal Data Package model and
        column types; its resource is `budget-execution.csv` beside it."""
        budget = await read_budget()
        return fiscal.descriptor(
            currency=budget.currency, years=budget.years, homepage=f"{public_base_url()}/budget"
        )

    @get(
        "/budget/budget-execution.csv",
        guards=[public],
        summary="Budget execution: one row per budget line and appropriation (CSV)",
        media_type="text/csv; charset=utf-8",
    )
    async def execution_csv(self) -> Response[str]:
        """Amounts in yuan with two decimals, one column per phase; see the descriptor."""
        budget = await read_budget()
        body = _csv(list(fiscal.records(views.fiscal_rows(budget))))
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'inline; filename="budget-execution.csv"'},
        )
