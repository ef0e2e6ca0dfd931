# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Read models of the project transparency page ("follow the money") and of /audit.

A project is a published tender. Its page costs the same with 100 or 100,000
transfers in its ledger: funding comes from the five cached escrow balances
(`tender_funding`), tranches from the few `release` transfers (partial index on
tender_id, reason), and the transfer list is a keyset page on (tender_id, id).
Nothing here counts or sums over all of a tender's transfers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from market import audit
from market.accounts import Principal
from market.errors import NotFound
from market.ledger.readmodels import (
    TenderFunding,
    TenderTransfer,
    iter_tender_transfers,
    tender_funding,
    tender_transfers,
)
from market.money import Money
from market.sql import execute, marks
from market.tenders import rules as tender_rules
from market.tenders.queries import is_insider
from market.timestamps import day, timestamp
from opendata.budget.names import line_names
from opendata.transparency_rules import (
    AccountRef,
    AuditRowView,
    Tranche,
    audit_row_view,
    bid_ids_to_check,
    group_releases,
    is_sealed,
    organization_ids,
    parse_account,
    parse_reference,
)
from opendata.transparency_surplus import SurplusView, surplus

TRANSFER_PAGE = 50
AUDIT_PAGE = 50


# --- parties ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Party:
    """A ledger account in human terms: `kind` picks the wording, the names (if any)
    are an organization's, `source` an escrow account's funding source."""

    code: str
    kind: str
    ident: int | None = None
    source: str | None = None
    name_zh: str = ""
    name_en: str = ""


@dataclass(frozen=True, slots=True)
class TransferView:
    transfer: TenderTransfer
    debit: Party
    credit: Party
    # The organization behind a sponsorship or own-income payment (paid from a bank or
    # card account), when the reference names one.
    payer_zh: str = ""
    payer_en: str = ""


async def _org_names(ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await execute(
        "SELECT id, name_zh, name_en FROM market_v_organization"
        f" WHERE id IN ({marks(len(wanted))})",
        *wanted,
    )
    return {int(r["id"]): (r["name_zh"], r["name_en"] or "") for r in rows}


async def _pledge_sponsors(ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await execute(
        "SELECT p.id, o.name_zh, o.name_en FROM donors_v_pledge p"
        f" JOIN market_v_organization o ON o.id = p.sponsor WHERE p.id IN ({marks(len(wanted))})",
        *wanted,
    )
    return {int(r["id"]): (r["name_zh"], r["name_en"] or "") for r in rows}


async def _contributors(ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await execute(
        "SELECT c.id, o.name_zh, o.name_en FROM donors_v_contribution c"
        " JOIN market_v_organization o ON o.id = c.organization"
        f" WHERE c.id IN ({marks(len(wanted))})",
        *wanted,
    )
    return {int(r["id"]): (r["name_zh"], r["name_en"] or "") for r in rows}


async def describe_transfers(transfers: list[TenderTransfer]) -> list[TransferView]:
    """Name both sides of each transfer: three small lookups per page, by primary key."""
    refs = {code: parse_account(code) for t in transfers for code in (t.debit, t.credit)}
    orgs = await _org_names(organization_ids(refs.values()))
    pledges = await _pledge_sponsors(
        r.ident for r in refs.values() if r.kind == "pledge" and r.ident is not None
    )
    contribution_ids = []
    for t in transfers:
        parsed = parse_reference(t.reference)
        if parsed and parsed[0] in ("sponsorship", "own_income"):
            contribution_ids.append(parsed[1])
    contributors = await _contributors(contribution_ids)
    lines = await line_names(
        r.ident for r in refs.values() if r.kind == "budget_line" and r.ident is not None
    )

    def party(ref: AccountRef) -> Party:
        names = ("", "")
        if ref.ident is not None and ref.kind in ("organization", "department_budget"):
            names = orgs.get(ref.ident, names)
        elif ref.ident is not None and ref.kind == "pledge":
            names = pledges.get(ref.ident, names)
        elif ref.ident is not None and ref.kind == "budget_line":
            names = lines.get(ref.ident, names)
        return Party(ref.code, ref.kind, ref.ident, ref.source, *names)

    views = []
    for t in transfers:
        parsed = parse_reference(t.reference)
        payer = ("", "")
        if parsed and parsed[0] in ("sponsorship", "own_income"):
            payer = contributors.get(parsed[1], payer)
        views.append(TransferView(t, party(refs[t.debit]), party(refs[t.credit]), *payer))
    return views


# --- the project ------------------------------------------------------------------------


@dataclass
class MilestoneView:
    id: int
    position: int
    deliverable: str
    due: date
    amount: Money
    status: str
    submitted_at: datetime | None
    decided_at: datetime | None
    evidence: list[dict[str, Any]]
    tranche: Tranche | None  # the release of this milestone, by source


@dataclass
class ContractView:
    id: int
    status: str
    organization_id: int
    organization_zh: str
    organization_en: str
    amount: Money
    activated_at: datetime | None
    milestones: list[MilestoneView] = field(default_factory=list)


@dataclass
class Project:
    tender: dict[str, Any]
    funding: TenderFunding
    contracts: list[ContractView]
    other_tranches: list[Tranche]  # releases that name no milestone of a listed contract
    surplus: SurplusView | None = None  # a completed project's surplus, once settled


async def _tender(tender_id: int, viewer: Principal | None) -> dict[str, Any]:
    rows = await execute(
        "SELECT t.id, t.ocid, t.title_zh, t.title_en, t.status, t.currency, t.budget,"
        " t.enquiry_end, t.bid_deadline, t.department, o.name_zh AS department_zh,"
        " o.name_en AS department_en, o.kind AS department_kind FROM market_v_tender t"
        " JOIN market_v_organization o ON o.id = t.department WHERE t.id = {}",
        tender_id,
    )
    if not rows:
        raise NotFound("No such project.")
    tender = dict(rows[0])
    # a community fund's call: its "government" escrow holds the fund's money
    fund = str(tender.pop("department_kind")) == "community_fund"
    tender["fund_code"] = await _fund_code(int(tender["department"])) if fund else None
    if tender["status"] == "draft" and not is_insider(viewer, tender["department"]):
        raise NotFound("No such project.")
    from market import clock

    tender["status"] = tender_rules.effective_status(
        tender["status"],
        timestamp(tender["enquiry_end"]),
        timestamp(tender["bid_deadline"]),
        clock.now(),
    )
    tender["budget_money"] = Money(int(tender["budget"]), tender["currency"])
    return tender


async def _contracts(tender_id: int, currency: str) -> list[ContractView]:
    """Signed contracts (pending ones are the parties' business until signed)."""
    rows = await execute(
        "SELECT c.id, c.status, c.organization, c.amount, c.currency, c.activated_at,"
        " o.name_zh, o.name_en FROM bids_v_contract c"
        " JOIN market_v_organization o ON o.id = c.organization"
        " WHERE c.tender = {} AND c.status <> 'pending' ORDER BY c.id",
        tender_id,
    )
    contracts = [
        ContractView(
            id=int(r["id"]),
            status=r["status"],
            organization_id=int(r["organization"]),
            organization_zh=r["name_zh"],
            organization_en=r["name_en"] or "",
            amount=Money(int(r["amount"]), r["currency"]),
            activated_at=timestamp(r["activated_at"]),
        )
        for r in rows
    ]
    if not contracts:
        return []
    ids = [c.id for c in contracts]
    milestones = await execute(
        "SELECT id, contract, position, deliverable, due, amount, status, submitted_at,"
        f" decided_at FROM bids_v_milestone WHERE contract IN ({marks(len(ids))})"
        " ORDER BY contract, position",
        *ids,
    )
    evidence = await execute(
        "SELECT e.milestone, e.title, e.filename, e.size, e.sha256, e.uploaded_at"
        " FROM bids_v_milestone_evidence e JOIN bids_v_milestone m ON m.id = e.milestone"
        f" WHERE m.contract IN ({marks(len(ids))}) ORDER BY e.id",
        *ids,
    )
    files: dict[int, list[dict[str, Any]]] = {}
    for e in evidence:
        files.setdefault(int(e["milestone"]), []).append(
            {**e, "uploaded_at": timestamp(e["uploaded_at"])}
        )
    by_id = {c.id: c for c in contracts}
    for m in milestones:
        by_id[int(m["contract"])].milestones.append(
            MilestoneView(
                id=int(m["id"]),
                position=int(m["position"]),
                deliverable=m["deliverable"],
                due=day(m["due"]),
                amount=Money(int(m["amount"]), currency),
                status=m["status"],
                submitted_at=timestamp(m["submitted_at"]),
                decided_at=timestamp(m["decided_at"]),
                evidence=files.get(int(m["id"]), []),
                tranche=None,
            )
        )
    return contracts


async def _fund_code(organization_id: int) -> str:
    """The community code of a fund's organization (its identifier is FUND-<code>)."""
    rows = await execute("SELECT uscc FROM market_v_organization WHERE id = {}", organization_id)
    return str(rows[0]["uscc"]).removeprefix("FUND-")


async def tranches(tender_id: int) -> dict[str, Tranche]:
    """Every release of the tender grouped by its reference (one per milestone)."""
    rows = await execute(
        "SELECT reference, source, amount FROM market_v_ledger_transfer"
        " WHERE tender_id = {} AND reason = 'release' AND kind IN ('single', 'post')"
        " ORDER BY id",
        tender_id,
    )
    return group_releases(rows)


async def project(tender_id: int, viewer: Principal | None) -> Project:
    tender = await _tender(tender_id, viewer)
    funding = await tender_funding(tender_id, tender["currency"])
    contracts = await _contracts(tender_id, tender["currency"])
    released = await tranches(tender_id)
    for contract in contracts:
        for milestone in contract.milestones:
            milestone.tranche = released.pop(f"milestone:{milestone.id}", None)
    others = sorted(released.values(), key=lambda t: t.reference)
    settled = (
        await surplus(tender_id, tender["currency"]) if tender["status"] == "completed" else None
    )
    return Project(tender, funding, contracts, others, settled)


async def transfer_page(
    tender_id: int, viewer: Principal | None, *, before: int | None, limit: int = TRANSFER_PAGE
) -> tuple[list[TransferView], int | None]:
    """One keyset page of the project's ledger, newest first, both sides named."""
    await _tender(tender_id, viewer)
    page = await tender_transfers(tender_id, limit=limit, before=before)
    return await describe_transfers(page.transfers), page.next_cursor


async def all_transfers(
    tender_id: int, viewer: Principal | None
) -> AsyncIterator[list[TransferView]]:
    """Every transfer of the project, oldest first, in named batches (for the CSV)."""
    await _tender(tender_id, viewer)

    async def batches() -> AsyncIterator[list[TransferView]]:
        async for chunk in iter_tender_transfers(tender_id):
            yield await describe_transfers(chunk)

    return batches()


# --- the audit chain --------------------------------------------------------------------


@dataclass
class AuditPage:
    length: int
    head: str
    rows: list[AuditRowView]  # on the first page, the pending rows come first
    next_cursor: int | None  # pass as `before` for older rows
    auditor: bool
    pending: int = 0  # rows waiting for the sequencer (all of them, not just those shown)


async def _opened_bids(bid_ids: set[int]) -> set[int]:
    wanted = sorted(i for i in bid_ids if i > 0)
    if not wanted:
        return set()
    rows = await execute(
        "SELECT b.id FROM bids_v_bid b JOIN bids_v_tender_key k ON k.tender = b.tender"
        f" WHERE k.opened_at IS NOT NULL AND b.id IN ({marks(len(wanted))})",
        *wanted,
    )
    return {int(r["id"]) for r in rows}


_AUDIT_ROW = (
    "SELECT seq, at, actor, action, object_type, object_id, change, prev_hash, hash"
    " FROM market_v_audit_event"
)


async def audit_page(
    viewer: Principal | None, *, before: int | None, limit: int = AUDIT_PAGE
) -> AuditPage:
    """The chain head and one page of rows, newest first (keyset on the unique seq); the
    first page also lists the rows still pending (newest first, at most `limit`)."""
    length, head = await audit.chain_head()
    pending, _ = await audit.queued_count()
    limit = max(1, min(int(limit), 500))
    queued = []
    if before is None and pending:
        queued = await execute(_AUDIT_ROW + " WHERE seq IS NULL ORDER BY id DESC LIMIT {}", limit)
    rows = await execute(
        _AUDIT_ROW + " WHERE seq < {} ORDER BY seq DESC LIMIT {}",
        before if before is not None else 2**62,
        limit + 1,
    )
    page, more = rows[:limit], len(rows) > limit
    opened = await _opened_bids(bid_ids_to_check(queued + page))
    auditor = bool(viewer and viewer.is_auditor)
    views = [
        audit_row_view(
            {**row, "at": timestamp(row["at"])}, sealed=is_sealed(row, opened), auditor=auditor
        )
        for row in queued + page
    ]
    cursor = int(page[-1]["seq"]) if more and page else None
    return AuditPage(length, head, views, cursor, auditor, pending)
