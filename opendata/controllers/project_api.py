"""JSON API of project transparency: `/api/v1/projects/{id}` (funding per source,
contracts, milestones, evidence hashes and where each tranche came from) and
`/api/v1/projects/{id}/transfers` (the ledger, keyset-paged). Typed dataclasses make
the OpenAPI schema real."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, get

from market.controllers.tenders_api import MoneyOut
from market.ledger.readmodels import TenderFunding
from market.web.auth import principal_of, public
from market.web.errors import error_responses
from market.web.params import PathId, cursor_parameter, limit_parameter
from market.web.reads import REPLICA_READS
from opendata import transparency
from opendata.controllers.project import party_label, payer_label
from opendata.transparency import ContractView, MilestoneView, Party, Project, TransferView
from opendata.transparency_rules import Tranche, parse_cursor


@dataclass
class SourceFundingOut:
    source: str
    received: MoneyOut
    released: MoneyOut
    refunded: MoneyOut
    held: MoneyOut
    reserved: MoneyOut  # of `held`, reserved by open holds
    promised: MoneyOut  # open holds into escrow (the department budget before signing)


@dataclass
class TranchePartOut:
    source: str
    amount: MoneyOut


@dataclass
class TrancheOut:
    reference: str
    total: MoneyOut
    parts: list[TranchePartOut]


@dataclass
class EvidenceOut:
    title: str
    filename: str
    size: int
    sha256: str
    uploaded_at: datetime | None


@dataclass
class MilestoneOut:
    id: int
    position: int
    deliverable: str
    due: date
    amount: MoneyOut
    status: str
    submitted_at: datetime | None
    decided_at: datetime | None
    evidence: list[EvidenceOut]
    tranche: TrancheOut | None


@dataclass
class ContractOut:
    id: int
    status: str
    organization_id: int
    organization_name_zh: str
    organization_name_en: str
    amount: MoneyOut
    url: str
    milestones: list[MilestoneOut]


@dataclass
class ProjectOut:
    id: int
    ocid: str
    title_zh: str
    title_en: str
    status: str
    department_id: int
    department_name_zh: str
    department_name_en: str
    funding: list[SourceFundingOut]
    totals: SourceFundingOut
    contracts: list[ContractOut]
    other_tranches: list[TrancheOut]
    transfers_url: str
    csv_url: str
    page_url: str


@dataclass
class PartyOut:
    code: str
    kind: str
    name: str


@dataclass
class TransferOut:
    id: int
    created_at: datetime
    kind: str
    reason: str
    source: str | None
    amount: MoneyOut
    debit: PartyOut
    credit: PartyOut
    payer: str
    reference: str
    key: str
    pending_key: str | None


@dataclass
class TransferListOut:
    items: list[TransferOut]
    next_cursor: int | None
    next: str | None


def _tranche(t: Tranche, currency: str) -> TrancheOut:
    return TrancheOut(
        t.reference,
        MoneyOut(t.total, currency),
        [TranchePartOut(p.source, MoneyOut(p.amount, currency)) for p in t.parts],
    )


def _funding(funding: TenderFunding) -> tuple[list[SourceFundingOut], SourceFundingOut]:
    lines = [
        SourceFundingOut(
            s,
            MoneyOut.of(line.received),
            MoneyOut.of(line.released),
            MoneyOut.of(line.refunded),
            MoneyOut.of(line.held),
            MoneyOut.of(line.pending_out),
            MoneyOut.of(line.pending_in),
        )
        for s, line in funding.sources.items()
    ]
    total = SourceFundingOut(
        "total",
        *(
            MoneyOut.of(funding.total(name))
            for name in ("received", "released", "refunded", "held", "pending_out", "pending_in")
        ),
    )
    return lines, total


def _party(party: Party) -> PartyOut:
    return PartyOut(party.code, party.kind, party_label(party))


Before = Annotated[
    str | None, cursor_parameter("next_cursor of the previous page (a transfer id)", digits=18)
]
Limit = Annotated[int | None, limit_parameter(500, transparency.TRANSFER_PAGE)]


def transfer_out(v: TransferView) -> TransferOut:
    return TransferOut(
        id=v.transfer.id,
        created_at=v.transfer.created_at,
        kind=v.transfer.kind,
        reason=v.transfer.reason,
        source=v.transfer.source,
        amount=MoneyOut.of(v.transfer.amount),
        debit=_party(v.debit),
        credit=_party(v.credit),
        payer=payer_label(v),
        reference=v.transfer.reference,
        key=v.transfer.key,
        pending_key=v.transfer.pending_key,
    )


def _milestone_out(m: MilestoneView, currency: str) -> MilestoneOut:
    return MilestoneOut(
        id=m.id,
        position=m.position,
        deliverable=m.deliverable,
        due=m.due,
        amount=MoneyOut.of(m.amount),
        status=m.status,
        submitted_at=m.submitted_at,
        decided_at=m.decided_at,
        evidence=[
            EvidenceOut(e["title"], e["filename"], int(e["size"]), e["sha256"], e["uploaded_at"])
            for e in m.evidence
        ],
        tranche=_tranche(m.tranche, currency) if m.tranche else None,
    )


def _contract_out(c: ContractView, currency: str) -> ContractOut:
    return ContractOut(
        id=c.id,
        status=c.status,
        organization_id=c.organization_id,
        organization_name_zh=c.organization_zh,
        organization_name_en=c.organization_en,
        amount=MoneyOut.of(c.amount),
        url=f"/contracts/{c.id}",
        milestones=[_milestone_out(m, currency) for m in c.milestones],
    )


def project_out(p: Project, tender_id: int) -> ProjectOut:
    """The API shape of transparency.project(...)."""
    t, currency = p.tender, p.tender["currency"]
    lines, totals = _funding(p.funding)
    return ProjectOut(
        id=t["id"],
        ocid=t["ocid"] or "",
        title_zh=t["title_zh"],
        title_en=t["title_en"],
        status=t["status"],
        department_id=t["department"],
        department_name_zh=t["department_zh"],
        department_name_en=t["department_en"] or "",
        funding=lines,
        totals=totals,
        contracts=[_contract_out(c, currency) for c in p.contracts],
        other_tranches=[_tranche(o, currency) for o in p.other_tranches],
        transfers_url=f"/api/v1/projects/{tender_id}/transfers",
        csv_url=f"/projects/{tender_id}/transfers.csv",
        page_url=f"/projects/{tender_id}",
    )


class ProjectApiController(Controller):
    opt = REPLICA_READS  # anonymous reads may come from a replica (market.web.reads)
    path = "/api/v1/projects"
    tags = ["projects"]  # noqa: RUF012 - Litestar reads a class attribute

    @get(
        "/{tender_id:int}",
        guards=[public],
        summary="A project's money: funding, tranches",
        responses=error_responses(400, 404),
    )
    async def project(self, request: Request[Any, Any, Any], tender_id: PathId) -> ProjectOut:
        """Funding per source (received, released, refunded, held), contracts with their
        milestones, evidence hashes and the sources that paid each tranche. Amounts are
        minor units; they equal the ledger's cached escrow balances."""
        p = await transparency.project(tender_id, principal_of(request))
        return project_out(p, tender_id)

    @get(
        "/{tender_id:int}/transfers",
        guards=[public],
        summary="A project's ledger, keyset-paged",
        responses=error_responses(400, 404),
    )
    async def transfers(
        self,
        request: Request[Any, Any, Any],
        tender_id: PathId,
        before: Before = None,
        limit: Limit = None,
    ) -> TransferListOut:
        """Every transfer into, out of or inside the project's escrow, newest first.
        A bad cursor or page size is a 400."""
        cursor = parse_cursor(before)
        size = limit or transparency.TRANSFER_PAGE
        rows, nxt = await transparency.transfer_page(
            tender_id, principal_of(request), before=cursor, limit=size
        )
        url = f"/api/v1/projects/{tender_id}/transfers?before={nxt}&limit={size}" if nxt else None
        return TransferListOut([transfer_out(v) for v in rows], nxt, url)
