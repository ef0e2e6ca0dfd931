"""Project transparency ("follow the money"): `/projects/{id}` (HTML, htmx pages of the
ledger), `/projects/{id}/transfers.csv` (every transfer, streamed) and the JSON API
`/api/v1/projects/{id}` and `/api/v1/projects/{id}/transfers`. A project is a
published tender; its id is the tender id."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.response import Stream

from market.charts import Bar, Segment, stacked_bars
from market.controllers.tenders import money_filter
from market.ledger.readmodels import TenderFunding
from market.ledger.rules import SOURCES
from market.money import Money
from market.web import i18n
from market.web.auth import principal_of, public
from market.web.page_cache import CACHED
from market.web.params import PathId
from market.web.reads import REPLICA_READS
from market.web.render import is_fragment_request, render
from opendata import transparency
from opendata.budget.names import held_line
from opendata.project_updates import updates_page
from opendata.statistics.views import source_label
from opendata.transparency import Party, TransferView
from opendata.transparency_rules import parse_cursor, spreadsheet_cell

_ = i18n.gettext


def party_label(party: Party) -> str:
    """A ledger account as people say it; organizations by name."""
    name = party.name_en if i18n.current() == "en" and party.name_en else party.name_zh
    if party.kind == "escrow":
        return _("Escrow: %(source)s") % {"source": source_label(party.source)}
    if party.kind == "organization":
        return name or _("Organization")
    if party.kind == "department_budget":
        return _("%(department)s budget") % {"department": name or _("Department")}
    if party.kind == "budget_line":
        return _("Budget line: %(line)s") % {"line": name or _("the district's budget")}
    if party.kind == "pledge":
        return _("Match pledge of %(sponsor)s") % {"sponsor": name or _("a sponsor")}
    labels = {
        "donor_refund": _("Refund to a donor"),
        "community_fund": _("Community fund"),
        "card_sandbox": _("Card payments (sandbox)"),
        "card_stripe": _("Card payments"),
        "bank": _("Bank transfers"),
        "treasury": _("District treasury"),
        "budget_line": _("District budget line"),
    }
    return labels.get(party.kind, party.code)


def payer_label(view: TransferView) -> str:
    """Who paid, in human terms: a donation is 'public donations', a sponsorship the
    sponsor's name (the bank or card account is only how the money came in)."""
    if view.transfer.reason == "donation":
        return _("Public donations")
    payer = view.payer_en if i18n.current() == "en" and view.payer_en else view.payer_zh
    return payer or party_label(view.debit)


def reason_label(reason: str) -> str:
    labels = {
        "donation": _("Donation"),
        "match": _("Matched donation"),
        "sponsorship": _("Sponsorship"),
        "own_income": _("Own income"),
        "budget_hold": _("Government budget"),
        "release": _("Tranche released"),
        "return": _("Returned"),
        "funding": _("Funding"),
    }
    return labels.get(reason, reason)


def funding_chart(funding: TenderFunding) -> str:
    """Per source: released, refunded and still held, on one scale (SVG, labelled)."""
    bars = []
    for source in SOURCES:
        line = funding.sources[source]
        if not (line.received.amount or line.pending_in.amount):
            continue
        bars.append(
            Bar(
                source_label(source),
                [
                    Segment(_("Released"), line.released.amount, money_filter(line.released)),
                    Segment(_("Refunded"), line.refunded.amount, money_filter(line.refunded)),
                    Segment(_("Held"), line.held.amount, money_filter(line.held)),
                ],
            )
        )
    # A wide view box keeps the chart's 16-unit text readable when scaled to the page.
    return stacked_bars(
        bars,
        title=_("Funding by source: released, refunded and held"),
        uid="funding",
        width=1000,
        label_width=240,
    )


def _page_context(
    request: Request[Any, Any, Any], tender_id: int, rows: list[TransferView], nxt: int | None
) -> dict[str, Any]:
    return {
        "tender_id": tender_id,
        "transfers": rows,
        "next_cursor": nxt,
        "cursor": request.query_params.get("before") or "",
        "party_label": party_label,
        "payer_label": payer_label,
        "reason_label": reason_label,
        "source_label": source_label,
        "sources": SOURCES,
        "money_of": Money,
    }


class ProjectController(Controller):
    opt = REPLICA_READS  # anonymous reads may come from a replica (market.web.reads)
    include_in_schema = False

    @get("/projects/{tender_id:int}", guards=[public], opt=CACHED)
    async def project_page(
        self, request: Request[Any, Any, Any], tender_id: PathId
    ) -> Response[str]:
        before = parse_cursor(request.query_params.get("before"))
        viewer = principal_of(request)
        rows, nxt = await transparency.transfer_page(tender_id, viewer, before=before)
        context = _page_context(request, tender_id, rows, nxt)
        if not is_fragment_request(request):  # htmx asks only for the next ledger page
            project = await transparency.project(tender_id, viewer)
            context.update(
                p=project,
                t=project.tender,
                budget_line=await held_line(tender_id),
                chart=funding_chart(project.funding),
                updates=await updates_page(tender_id, request.query_params.get("updates_before")),
            )
        return render(request, "opendata/project.html", context, block="transfers")

    @get("/projects/{tender_id:int}/transfers.csv", guards=[public])
    async def transfers_csv(self, request: Request[Any, Any, Any], tender_id: PathId) -> Stream:
        batches = await transparency.all_transfers(tender_id, principal_of(request))
        return Stream(
            _csv(batches),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="project-{tender_id}-ledger.csv"'
            },
        )


CSV_COLUMNS = (
    "id", "created_at", "kind", "reason", "source", "amount", "amount_minor", "currency",
    "from_code", "from", "to_code", "to", "payer", "reference", "key", "pending_key",
)  # fmt: skip


async def _csv(batches: AsyncIterator[list[TransferView]]) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + buffer.getvalue()  # BOM: spreadsheet programs then read UTF-8
    async for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        for view in batch:
            t = view.transfer
            writer.writerow(
                spreadsheet_cell(cell)
                for cell in (
                    t.id,
                    t.created_at.astimezone(UTC).isoformat(),
                    t.kind,
                    t.reason,
                    t.source or "",
                    str(t.amount.to_decimal()),
                    t.amount.amount,
                    t.amount.currency,
                    t.debit,
                    party_label(view.debit),
                    t.credit,
                    party_label(view.credit),
                    payer_label(view),
                    t.reference,
                    t.key,
                    t.pending_key or "",
                )
            )
        yield buffer.getvalue()
