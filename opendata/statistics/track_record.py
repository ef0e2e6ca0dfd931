# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""An organization's public track record, computed from audited data.

Only what is public anyway: signed contracts (a pending contract is visible to its
parties only), bids after opening (never a sealed bid), milestone decisions, releases
from escrow to the organization's payable account by funding source (the ledger's
own rows), and resolved complaints. No member or e-mail address is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from market import clock
from market.errors import NotFound
from market.ledger.codes import payable_code
from market.ledger.rules import SOURCES
from market.money import Money
from market.sql import execute
from market.timestamps import day, timestamp
from opendata.statistics import rules

PUBLIC_STATUSES = ("verified", "suspended")
SIGNED = ("active", "completed", "terminated")
NO_RECORD = "No such organization."


@dataclass(frozen=True, slots=True)
class SourceAmount:
    source: str
    amount: Money


@dataclass(frozen=True, slots=True)
class ComplaintTally:
    upheld: int = 0
    dismissed: int = 0


@dataclass(frozen=True, slots=True)
class TrackRecord:
    org: dict[str, Any]
    contracts_won: int
    contracts_active: int
    contracts_completed: int
    contracts_terminated: int
    contracted: list[Money]  # signed contract value, one per currency
    bids_opened: int
    milestones: rules.MilestoneTally
    funds: list[SourceAmount]  # released to the organization, by source and currency
    funds_total: list[Money]  # one per currency
    complaints_against: ComplaintTally  # about awards the organization won
    complaints_filed: ComplaintTally  # by the organization about others' awards


async def public_organization(org_id: int) -> dict[str, Any]:
    """The organization's public facts; NotFound unless it is a verified (or
    suspended) social organization, the only kind that wins contracts."""
    rows = await execute(
        "SELECT id, kind, name_zh, name_en, uscc, category, rating, status, area,"
        " registered_year, decided_at FROM market_v_organization WHERE id = {}",
        org_id,
    )
    if not rows or rows[0]["status"] not in PUBLIC_STATUSES or rows[0]["kind"] != "social_org":
        raise NotFound(NO_RECORD)
    org = dict(rows[0])
    org["decided_at"] = timestamp(org["decided_at"])
    return org


def _totals(rows: list[SourceAmount]) -> list[Money]:
    by_currency: dict[str, int] = {}
    for row in rows:
        by_currency[row.amount.currency] = by_currency.get(row.amount.currency, 0) + (
            row.amount.amount
        )
    return [Money(amount, currency) for currency, amount in sorted(by_currency.items())]


async def funds_received(org_id: int) -> list[SourceAmount]:
    """Releases into `org:{id}:payable`, summed per funding source (SOURCES order)."""
    rows = await execute(
        "SELECT t.source, t.currency, SUM(t.amount) AS total FROM market_v_ledger_transfer t"
        " JOIN market_v_ledger_account a ON a.id = t.credit_account"
        " WHERE a.code = {} AND t.reason = 'release' AND t.kind IN ('single', 'post')"
        " GROUP BY t.source, t.currency",
        payable_code(org_id),
    )
    order = {source: i for i, source in enumerate(SOURCES)}
    found = sorted(rows, key=lambda r: (order.get(r["source"] or "", len(order)), r["currency"]))
    return [SourceAmount(r["source"] or "", Money(int(r["total"]), r["currency"])) for r in found]


async def _complaints(sql: str, org_id: int) -> ComplaintTally:
    counts = {r["status"]: int(r["n"]) for r in await execute(sql, org_id)}
    return ComplaintTally(upheld=counts.get("upheld", 0), dismissed=counts.get("dismissed", 0))


async def organization_record(org_id: int) -> TrackRecord:
    org = await public_organization(org_id)
    contract_rows = await execute(
        "SELECT status, currency, COUNT(*) AS n, SUM(amount) AS total FROM bids_v_contract"
        " WHERE organization = {} AND status IN ('active', 'completed', 'terminated')"
        " GROUP BY status, currency",
        org_id,
    )
    by_status = {status: 0 for status in SIGNED}
    value: dict[str, int] = {}
    for row in contract_rows:
        by_status[row["status"]] += int(row["n"])
        value[row["currency"]] = value.get(row["currency"], 0) + int(row["total"])
    milestone_rows = await execute(
        "SELECT m.status, m.due, m.decided_at FROM bids_v_milestone m"
        " JOIN bids_v_contract c ON c.id = m.contract"
        " WHERE c.organization = {} AND c.status IN ('active', 'completed', 'terminated')",
        org_id,
    )
    tally = rules.tally_milestones(
        (
            (r["status"], day(r["due"]), timestamp(r["decided_at"]) if r["decided_at"] else None)
            for r in milestone_rows
        ),
        clock.now(),
    )
    opened = await execute(
        "SELECT COUNT(*) AS n FROM bids_v_bid WHERE organization = {} AND opened_at IS NOT NULL",
        org_id,
    )
    funds = await funds_received(org_id)
    return TrackRecord(
        org=org,
        contracts_won=sum(by_status.values()),
        contracts_active=by_status["active"],
        contracts_completed=by_status["completed"],
        contracts_terminated=by_status["terminated"],
        contracted=[Money(amount, currency) for currency, amount in sorted(value.items())],
        bids_opened=int(opened[0]["n"]),
        milestones=tally,
        funds=funds,
        funds_total=_totals(funds),
        complaints_against=await _complaints(
            "SELECT c.status, COUNT(*) AS n FROM bids_v_complaint c"
            " JOIN bids_v_award a ON a.id = c.award JOIN bids_v_bid b ON b.id = a.bid"
            " WHERE b.organization = {} GROUP BY c.status",
            org_id,
        ),
        complaints_filed=await _complaints(
            "SELECT status, COUNT(*) AS n FROM bids_v_complaint WHERE organization = {}"
            " GROUP BY status",
            org_id,
        ),
    )


@dataclass(frozen=True, slots=True)
class ContractLine:
    id: int
    tender_id: int
    title_zh: str
    title_en: str
    department_zh: str
    department_en: str
    amount: Money
    status: str
    signed_at: datetime | None
    ended_at: datetime | None
    milestones: int
    approved: int
    released: Money


@dataclass(frozen=True, slots=True)
class ContractPage:
    lines: list[ContractLine]
    next_before: int | None  # pass as `before` for the next (older) page


async def organization_contracts(
    org_id: int, *, before: int | None = None, limit: int = 20
) -> ContractPage:
    """The organization's signed contracts, newest first, keyset-paged on the id."""
    await public_organization(org_id)
    limit = max(1, min(int(limit), rules.MAX_PAGE))
    rows = await execute(
        "SELECT c.id, c.tender, c.amount, c.currency, c.status, c.activated_at, c.ended_at,"
        " t.title_zh, t.title_en, d.name_zh AS department_zh, d.name_en AS department_en,"
        " (SELECT COUNT(*) FROM bids_v_milestone m WHERE m.contract = c.id) AS milestones,"
        " (SELECT COUNT(*) FROM bids_v_milestone m WHERE m.contract = c.id"
        "   AND m.status = 'approved') AS approved,"
        " (SELECT COALESCE(SUM(m.amount), 0) FROM bids_v_milestone m WHERE m.contract = c.id"
        "   AND m.status = 'approved' AND m.released = {}) AS released"
        " FROM bids_v_contract c JOIN market_v_tender t ON t.id = c.tender"
        " JOIN market_v_organization d ON d.id = c.department"
        " WHERE c.organization = {} AND c.status IN ('active', 'completed', 'terminated')"
        + (" AND c.id < {}" if before is not None else "")
        + " ORDER BY c.id DESC LIMIT {}",
        True,
        org_id,
        *([before] if before is not None else []),
        limit + 1,
    )
    lines = [
        ContractLine(
            id=int(r["id"]),
            tender_id=int(r["tender"]),
            title_zh=r["title_zh"],
            title_en=r["title_en"],
            department_zh=r["department_zh"],
            department_en=r["department_en"],
            amount=Money(int(r["amount"]), r["currency"]),
            status=r["status"],
            signed_at=timestamp(r["activated_at"]),
            ended_at=timestamp(r["ended_at"]),
            milestones=int(r["milestones"]),
            approved=int(r["approved"]),
            released=Money(int(r["released"]), r["currency"]),
        )
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    return ContractPage(lines, lines[-1].id if more and lines else None)
