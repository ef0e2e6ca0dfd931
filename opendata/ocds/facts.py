# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""What one contracting process looks like now, read from market, bids and donors.

Runs inside the caller's transaction (the publisher hook runs inside the state
change's), so a release shows exactly the state that the change commits. Nothing
sealed is read: tenderers and prices only once the bids were opened after the
deadline (bids/access.py: sealed until opened).
"""

from __future__ import annotations

from typing import Any

from market.ledger.readmodels import tender_funding
from market.sql import execute, marks
from market.timestamps import timestamp
from opendata.budget import names as budget_names
from opendata.ocds.build import ProcessFacts
from opendata.ocds.rules import OPENED_BID_STATUSES

ORG_COLUMNS = "o.id AS org_id, o.uscc, o.name_zh, o.name_en"


async def _org(org_id: int) -> dict[str, Any]:
    rows = await execute(
        f"SELECT {ORG_COLUMNS} FROM market_v_organization o WHERE o.id = {{}}", org_id
    )
    return dict(rows[0])


async def _rows(sql: str, *args: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in await execute(sql, *args)]


async def process_facts(tender_id: int) -> ProcessFacts | None:
    """The facts of one tender's process, or None for an unknown or draft tender."""
    rows = await execute("SELECT * FROM market_v_tender WHERE id = {}", tender_id)
    if not rows or rows[0]["status"] == "draft":
        return None
    tender = dict(rows[0])
    for name in ("enquiry_end", "bid_deadline", "opening_at", "published_at", "amended_at"):
        tender[name] = timestamp(tender[name])
    department = await _org(int(tender["department"]))
    documents = await _rows(
        "SELECT id, title, filename, content_type, sha256, uploaded_at"
        " FROM market_v_tender_document WHERE tender = {} ORDER BY id",
        tender_id,
    )
    amendments = await _rows(
        "SELECT id, at, note, changes FROM market_v_tender_revision"
        " WHERE tender = {} AND action = 'amend' ORDER BY id",
        tender_id,
    )
    key = await execute("SELECT opened_at FROM bids_v_tender_key WHERE tender = {}", tender_id)
    opened = bool(key) and key[0]["opened_at"] is not None
    bids = await _opened_bids(tender_id) if opened else []
    awards, contracts = await _awards_and_contracts(tender_id)
    milestones = await _milestones([int(c["id"]) for c in contracts])
    grants = await _fund_grants(tender_id)  # a community fund's call: its grants instead
    if grants is not None:
        awards, contracts, milestones = grants
    funding = await tender_funding(tender_id, str(tender["currency"]))
    return ProcessFacts(
        tender=tender,
        department=department,
        documents=documents,
        amendments=amendments,
        opened=opened,
        bids=bids,
        awards=awards,
        contracts=contracts,
        milestones=milestones,
        releases=await _releases(tender_id),
        funding={  # a voided hold and returned money are no longer the project's
            source: line.received.amount - line.refunded.amount + line.pending_in.amount
            for source, line in funding.sources.items()
        },
        funders=await _funders(tender_id),
        budget_line=await _budget_line(tender_id),
    )


async def _budget_line(tender_id: int) -> dict[str, Any] | None:
    line = await budget_names.tender_line(tender_id)
    return await budget_names.line_facts(line) if line is not None else None


async def _opened_bids(tender_id: int) -> list[dict[str, Any]]:
    """The bids read at the opening (never called before it: prices are sealed)."""
    return await _rows(
        f"SELECT b.id, b.status, b.price, {ORG_COLUMNS} FROM bids_v_bid b"
        " JOIN market_v_organization o ON o.id = b.organization"
        f" WHERE b.tender = {{}} AND b.status IN ({marks(len(OPENED_BID_STATUSES))})"
        " ORDER BY b.id",
        tender_id,
        *OPENED_BID_STATUSES,
    )


async def _awards_and_contracts(
    tender_id: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    awards = await _rows(
        f"SELECT a.id, a.status, a.awarded_at, a.standstill_ends, b.price, {ORG_COLUMNS}"
        " FROM bids_v_award a JOIN bids_v_bid b ON b.id = a.bid"
        " JOIN market_v_organization o ON o.id = b.organization"
        " WHERE a.tender = {} ORDER BY a.id",
        tender_id,
    )
    contracts = await _rows(
        "SELECT c.id, c.award, c.amount, c.currency, c.starts, c.status, c.activated_at,"
        f" c.ended_at, {ORG_COLUMNS} FROM bids_v_contract c"
        " JOIN market_v_organization o ON o.id = c.organization"
        " WHERE c.tender = {} ORDER BY c.id",
        tender_id,
    )
    return awards, contracts


DELIVERABLES = {"start": "启动报告 Start report", "final": "结项报告 Final report"}


async def _fund_grants(
    tender_id: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]] | None:
    """A community fund's call (funds app views): each grant its committee decided is an
    award and a contract of the process (several per call), its tranches the contract's
    milestones, released as `fund_tranche:<id>`. None for any other tender."""
    if not await execute("SELECT id FROM funds_v_call WHERE tender = {}", tender_id):
        return None
    grants = await _rows(
        "SELECT g.id, g.amount AS price, g.amount, g.currency, g.decided_at AS awarded_at,"
        " g.decided_at AS activated_at, g.ended_at, g.status AS grant_status,"
        f" {ORG_COLUMNS} FROM funds_v_grant g"
        " JOIN market_v_organization o ON o.id = g.organization"
        " WHERE g.tender = {} ORDER BY g.id",
        tender_id,
    )
    awards = [{**g, "status": "active"} for g in grants]
    contracts = [
        {
            **g,
            "award": g["id"],
            "starts": timestamp(g["awarded_at"]),
            "status": {"ended": "terminated"}.get(g["grant_status"], g["grant_status"]),
        }
        for g in grants
    ]
    tranches = await _rows(
        "SELECT t.id, t.grant_id AS contract, t.position, t.deliverable, t.due, t.amount,"
        " t.status, t.decided_at FROM funds_v_tranche t JOIN funds_v_grant g ON g.id = t.grant_id"
        " WHERE g.tender = {} ORDER BY t.grant_id, t.position",
        tender_id,
    )
    for t in tranches:
        t["deliverable"] = DELIVERABLES.get(str(t["deliverable"]), str(t["deliverable"]))
    return awards, contracts, tranches


async def _milestones(contract_ids: list[int]) -> list[dict[str, Any]]:
    if not contract_ids:
        return []
    return await _rows(
        "SELECT id, contract, position, deliverable, due, amount, status, decided_at"
        f" FROM bids_v_milestone WHERE contract IN ({marks(len(contract_ids))})"
        " ORDER BY contract, position",
        *contract_ids,
    )


async def _releases(tender_id: int) -> list[dict[str, Any]]:
    """Money released from the tender's escrow (completed transfers only)."""
    return await _rows(
        "SELECT id, key, amount, currency, source, reference, created_at"
        " FROM market_v_ledger_transfer WHERE tender_id = {} AND reason = 'release'"
        " AND kind IN ('single', 'post') ORDER BY id",
        tender_id,
    )


async def _funders(tender_id: int) -> dict[str, list[dict[str, Any]]]:
    """Organizations whose money is in this tender's escrow, per funding source:
    sponsors and own income (contributions received) and matching sponsors."""
    rows = await execute(
        f"SELECT DISTINCT c.source, {ORG_COLUMNS} FROM donors_v_contribution c"
        " JOIN market_v_organization o ON o.id = c.organization"
        " WHERE c.tender = {} AND c.status IN ('received', 'returned')"
        " UNION"
        f" SELECT DISTINCT p.source, {ORG_COLUMNS} FROM donors_v_donation d"
        " JOIN donors_v_pledge p ON p.id = d.match_pledge"
        " JOIN market_v_organization o ON o.id = p.sponsor"
        " WHERE d.tender = {} AND d.match_amount > 0 AND d.match_status = 'posted'",
        tender_id,
        tender_id,
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (str(r["source"]), int(r["org_id"]))):
        out.setdefault(str(row["source"]), []).append(dict(row))
    return out
