"""Read models for contracts: the contract page with its milestones and evidence (and
which forms each viewer may use), and the evidence files."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bids import rules
from bids.naming import TITLES, named
from market import clock
from market.accounts import Principal
from market.directory import member_names, user_names
from market.errors import NotFound
from market.money import Money
from market.sql import execute
from market.tenders.readmodels import tender_for_bidding
from market.timestamps import day, timestamp


async def contract_page(
    contract_id: int, viewer: Principal | None, *, public: bool = True
) -> dict[str, Any]:
    """Anyone may read a contract and its milestones once signed; pending contracts only
    the parties, operators and auditors. `can_*` flags say which forms to show (the
    services check again)."""
    rows = await execute("SELECT * FROM bids_contract WHERE id = {}", contract_id)
    if not rows:
        raise NotFound("No such contract.")
    (contract,) = await named(rows, tender=(*TITLES, ("department", "tender_department")))
    contract["amount_money"] = Money(int(contract["amount"]), contract["currency"])
    is_department = bool(viewer and contract["department"] in viewer.org_ids("department"))
    is_org = bool(viewer and contract["organization"] in viewer.org_ids("social_org"))
    oversight = bool(viewer and (viewer.is_operator or viewer.is_auditor))
    if public and contract["status"] == "pending" and not (is_department or is_org or oversight):
        raise NotFound("No such contract.")
    creator = (await user_names([int(contract["created_by"])])).get(int(contract["created_by"]))
    # Four eyes: whoever drew up the contract may not approve or reject its milestones.
    is_creator = bool(viewer and viewer.id == int(contract["created_by"]))
    pending = contract["status"] == "pending"
    tender = await tender_for_bidding(int(contract["tender"]))
    contract["acceleration"] = int(tender["acceleration"]) if tender else 1
    return {
        "contract": contract,
        "creator": creator or "",
        "is_creator": is_creator,
        "approvers": await _approvers(contract) if is_department else [],
        "milestones": await _milestones(
            contract, is_department=is_department, is_org=is_org, is_creator=is_creator
        ),
        "is_department": is_department,
        "is_org": is_org,
        "insider": is_department or is_org or oversight,
        "can_sign_department": is_department
        and pending
        and contract["department_signed_at"] is None,
        "can_sign_org": is_org and pending and contract["organization_signed_at"] is None,
        "can_terminate": is_department and contract["status"] in ("pending", "active"),
    }


async def _milestones(
    contract: dict[str, Any], *, is_department: bool, is_org: bool, is_creator: bool
) -> list[dict[str, Any]]:
    """The contract's milestones with their evidence files and the forms the viewer may use."""
    contract_id = int(contract["id"])
    currency = contract["currency"]
    milestones = await execute(
        "SELECT id, position, deliverable, due, amount, status, evidence_note, submitted_at,"
        " decided_at, reason FROM bids_milestone WHERE contract = {} ORDER BY position",
        contract_id,
    )
    evidence = await execute(
        "SELECT e.id, e.milestone, e.title, e.filename, e.size, e.sha256 FROM"
        " bids_milestone_evidence e JOIN bids_milestone m ON m.id = e.milestone"
        " WHERE m.contract = {} ORDER BY e.id",
        contract_id,
    )
    files: dict[int, list[dict[str, Any]]] = {}
    for e in evidence:
        files.setdefault(int(e["milestone"]), []).append(dict(e))
    now: datetime = clock.now()
    active = contract["status"] == "active"
    planned, factor = timestamp(contract["created_at"]), int(contract["acceleration"])
    return [
        {
            **m,
            "due": day(m["due"]),
            "due_at": rules.milestone_due_at(day(m["due"]), planned, factor),
            "amount_money": Money(int(m["amount"]), currency),
            "files": files.get(int(m["id"]), []),
            "can_submit": is_org and active and m["status"] in ("scheduled", "rejected"),
            "can_decide": is_department and active and m["status"] == "submitted",
            "can_approve": is_department
            and active
            and m["status"] == "submitted"
            and not is_creator,
            "can_mark_not_met": is_department
            and active
            and rules.can_mark_not_met(now, day(m["due"]), m["status"], planned, factor),
        }
        for m in milestones
    ]


async def _approvers(contract: dict[str, Any]) -> list[str]:
    """Names of the department's members who may approve milestones (not the creator)."""
    return await member_names(int(contract["department"]), excluding=int(contract["created_by"]))


async def evidence_file(evidence_id: int, viewer: Principal) -> dict[str, Any]:
    rows = await execute(
        "SELECT e.filename, e.content_type, e.content, c.organization, c.department"
        " FROM bids_milestone_evidence e JOIN bids_milestone m ON m.id = e.milestone"
        " JOIN bids_contract c ON c.id = m.contract WHERE e.id = {}",
        evidence_id,
    )
    if not rows:
        raise NotFound("No such file.")
    row = dict(rows[0])
    allowed = (
        viewer.is_operator
        or viewer.is_auditor
        or row["organization"] in viewer.org_ids("social_org")
        or row["department"] in viewer.org_ids("department")
    )
    if not allowed:
        raise NotFound("No such file.")
    row["content"] = bytes(row["content"])
    return row
