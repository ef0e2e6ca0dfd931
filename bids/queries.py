# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Read models for the bids pages. Each says who may see it; nothing here returns a
bid's content, price, count or bidder to anyone but the bidder before opening."""

from __future__ import annotations

from typing import Any

from bids import conflicts, evaluation
from bids.access import check_department, check_opened, load_tender
from bids.complaints import open_complaints
from bids.tables import Evaluator
from market import clock
from market.accounts import Principal
from market.errors import NotFound, PermissionDenied
from market.money import Money
from market.sql import execute, marks
from market.tables import User
from market.timestamps import day, timestamp

RESULT_STATUSES = ("awarded", "contracted", "completed")


def _money(amount: Any, currency: str) -> Money | None:
    return None if amount is None else Money(int(amount), currency)


# --- the bidder -------------------------------------------------------------------------


async def my_bid(tender_id: int, organization_id: int) -> dict[str, Any] | None:
    """The organization's own bid: status and receipt (content stays sealed)."""
    rows = await execute(
        "SELECT ref, status, receipt, received_at, revision, price, disqualify_reason,"
        " opened_at FROM bids_bid WHERE tender = {} AND organization = {}",
        tender_id,
        organization_id,
    )
    if not rows:
        return None
    row = dict(rows[0])
    row["received_at"] = timestamp(row["received_at"])
    return row


async def bid_receipt(ref: str) -> dict[str, Any]:
    rows = await execute(
        "SELECT b.ref, b.status, b.receipt, b.received_at, b.revision, b.organization,"
        " b.tender, t.title_zh, t.title_en, t.bid_deadline, o.name_zh, o.name_en"
        " FROM bids_bid b JOIN market_tender t ON t.id = b.tender"
        " JOIN market_organization o ON o.id = b.organization WHERE b.ref = {}",
        ref,
    )
    if not rows:
        raise NotFound("No such bid.")
    row = dict(rows[0])
    row["received_at"] = timestamp(row["received_at"])
    row["bid_deadline"] = timestamp(row["bid_deadline"])
    return row


async def organization_workspace(org_ids: list[int]) -> dict[str, Any]:
    if not org_ids:
        return {"bids": [], "contracts": []}
    m = marks(len(org_ids))
    bids = await execute(
        "SELECT b.ref, b.status, b.received_at, b.revision, b.tender, b.price,"
        " t.title_zh, t.title_en, t.bid_deadline, t.status AS tender_status, t.currency,"
        " o.name_zh, o.name_en FROM bids_bid b JOIN market_tender t ON t.id = b.tender"
        " JOIN market_organization o ON o.id = b.organization"
        f" WHERE b.organization IN ({m}) ORDER BY b.updated_at DESC, b.id DESC LIMIT 200",
        *org_ids,
    )
    contracts = await _contracts(f"c.organization IN ({m})", org_ids)
    return {
        "bids": [
            {
                **b,
                "received_at": timestamp(b["received_at"]),
                "bid_deadline": timestamp(b["bid_deadline"]),
            }
            for b in bids
        ],
        "contracts": contracts,
    }


async def _contracts(where: str, args: list[Any]) -> list[dict[str, Any]]:
    rows = await execute(
        "SELECT c.id, c.tender, c.status, c.amount, c.currency, c.organization,"
        " c.department_signed_at, c.organization_signed_at, t.title_zh, t.title_en,"
        " o.name_zh, o.name_en,"
        " (SELECT COUNT(*) FROM bids_milestone m WHERE m.contract = c.id"
        "  AND m.status = 'submitted') AS to_review"
        " FROM bids_contract c JOIN market_tender t ON t.id = c.tender"
        " JOIN market_organization o ON o.id = c.organization"
        f" WHERE {where} ORDER BY c.id DESC LIMIT 200",
        *args,
    )
    return [{**r, "amount_money": Money(int(r["amount"]), r["currency"])} for r in rows]


# --- the department ---------------------------------------------------------------------


async def department_workspace(department_ids: list[int]) -> dict[str, Any]:
    if not department_ids:
        return {"tenders": [], "contracts": []}
    m = marks(len(department_ids))
    tenders = await execute(
        "SELECT t.id, t.title_zh, t.title_en, t.status, t.bid_deadline, k.opened_at"
        " FROM market_tender t LEFT JOIN bids_tender_key k ON k.tender = t.id"
        f" WHERE t.department IN ({m}) AND t.status IN ('tendering', 'evaluation', 'awarded',"
        " 'published') ORDER BY t.bid_deadline, t.id LIMIT 200",
        *department_ids,
    )
    contracts = await _contracts(f"c.department IN ({m})", department_ids)
    return {
        "tenders": [{**t, "bid_deadline": timestamp(t["bid_deadline"])} for t in tenders],
        "contracts": contracts,
    }


async def evaluation_page(tender_id: int, user_id: int) -> dict[str, Any]:
    """The department's view of a tender's opening, panel, ranking, award and contract.
    Before opening: the deadline and the panel only."""
    tender = await load_tender(tender_id)
    await check_department(user_id, tender)
    opened_rows = await execute(
        "SELECT opened_at FROM bids_tender_key WHERE tender = {}", tender_id
    )
    opened = bool(opened_rows and opened_rows[0]["opened_at"] is not None)
    context: dict[str, Any] = {
        "tender": tender,
        "opened": opened,
        "can_open": not opened and clock.now() > tender["bid_deadline"],
        "panel": await _panel(tender_id),
        "bids": [],
        "ranking": None,
        "ranking_error": "",
        "award": None,
        "contract": None,
        "open_complaints": 0,
        "in_standstill": False,
    }
    if not opened:
        return context
    context["bids"] = await opened_bids(tender)
    context["progress"] = await _progress(tender)
    award = await evaluation.active_award(tender_id)
    context["award"] = award
    if award is not None:
        award["standstill_ends"] = timestamp(award["standstill_ends"])
        context["open_complaints"] = await open_complaints(tender_id)
        # The contract form opens when the standstill ends (the service checks again).
        context["in_standstill"] = clock.now() < award["standstill_ends"]
    if tender["status"] == "evaluation":
        try:
            context["ranking"] = await evaluation.ranking(tender)
        except Exception as exc:  # not every evaluator has scored yet
            context["ranking_error"] = str(getattr(exc, "message", exc))
    contract = await execute(
        "SELECT id FROM bids_contract WHERE tender = {} ORDER BY id DESC", tender_id
    )
    if contract:
        context["contract"] = await contract_page(int(contract[0]["id"]), None, public=False)
    return context


async def opened_bids(tender: dict[str, Any]) -> list[dict[str, Any]]:
    rows = await execute(
        "SELECT b.id, b.ref, b.status, b.price, b.proposal, b.disqualify_reason, b.received_at,"
        " b.receipt, b.organization, o.name_zh, o.name_en FROM bids_bid b"
        " JOIN market_organization o ON o.id = b.organization"
        " WHERE b.tender = {} AND b.status <> 'withdrawn' ORDER BY b.id",
        tender["id"],
    )
    return [
        {
            **r,
            "price_money": _money(r["price"], tender["currency"]),
            "received_at": timestamp(r["received_at"]),
        }
        for r in rows
    ]


async def _panel(tender_id: int) -> list[dict[str, Any]]:
    return await (
        Evaluator.select(
            Evaluator.user.display_name.as_alias("name"),
            Evaluator.user.as_alias("user_id"),
            Evaluator.status,
            Evaluator.declared_at,
        )
        .where(Evaluator.tender == tender_id)
        .order_by(Evaluator.id)
    )


async def _progress(tender: dict[str, Any]) -> dict[int, int]:
    """Bids scored per evaluator."""
    rows = await execute(
        "SELECT evaluator, COUNT(DISTINCT bid) AS n FROM bids_score WHERE tender = {}"
        " GROUP BY evaluator",
        tender["id"],
    )
    return {int(r["evaluator"]): int(r["n"]) for r in rows}


# --- evaluators -------------------------------------------------------------------------


async def my_panels(user_id: int) -> list[dict[str, Any]]:
    rows = await execute(
        "SELECT e.tender, e.status, e.declared_at, t.title_zh, t.title_en, t.status AS"
        " tender_status, t.bid_deadline FROM bids_evaluator e JOIN market_tender t"
        ' ON t.id = e.tender WHERE e."user" = {} ORDER BY e.id DESC',
        user_id,
    )
    return [{**r, "bid_deadline": timestamp(r["bid_deadline"])} for r in rows]


async def panel_page(tender_id: int, user_id: int) -> dict[str, Any]:
    await conflicts.recheck_conflicts(tender_id)  # no bids for a seat conflicted since
    seat = await evaluation.panel_seat(tender_id, user_id)
    tender = await load_tender(tender_id)
    context: dict[str, Any] = {"tender": tender, "seat": seat, "bids": [], "my_scores": {}}
    if seat["status"] != "declared":
        return context
    try:
        await check_opened(tender_id, user_id=user_id, what="panel page")
    except PermissionDenied:
        context["sealed"] = True
        return context
    context["bids"] = [b for b in await opened_bids(tender) if b["status"] != "disqualified"]
    rows = await execute(
        "SELECT bid, criterion, mark, comment FROM bids_score WHERE tender = {} AND evaluator = {}",
        tender_id,
        user_id,
    )
    scores: dict[int, dict[str, Any]] = {}
    for r in rows:
        scores.setdefault(int(r["bid"]), {})[r["criterion"]] = r
    context["my_scores"] = scores
    context["quality"] = evaluation.quality_criteria(tender)
    return context


# --- public results and contracts -------------------------------------------------------


async def results_page(tender_id: int) -> dict[str, Any]:
    """Public after the award: ranking, every evaluator's marks, the contract."""
    tender = await load_tender(tender_id)
    context: dict[str, Any] = {"tender": tender, "published": False}
    if tender["status"] not in RESULT_STATUSES:
        return context
    award = await evaluation.active_award(tender_id)
    if award is None:
        return context
    scores = await execute(
        "SELECT s.bid, s.criterion, s.mark, s.comment, u.display_name AS evaluator"
        " FROM bids_score s JOIN market_user u ON u.id = s.evaluator"
        ' JOIN bids_evaluator e ON e.tender = s.tender AND e."user" = s.evaluator'
        " WHERE s.tender = {} AND e.status = 'declared'"
        " ORDER BY s.bid, u.display_name, s.criterion",
        tender_id,
    )
    by_bid: dict[int, list[dict[str, Any]]] = {}
    for s in scores:
        by_bid.setdefault(int(s["bid"]), []).append(dict(s))
    ranking = [
        {
            **r,
            "price_money": Money(int(r["price"]), tender["currency"]),
            "scores": by_bid.get(r["bid"], []),
        }
        for r in award["results"]
    ]
    contract = await execute(
        "SELECT id FROM bids_contract WHERE tender = {} ORDER BY id DESC", tender_id
    )
    context.update(
        published=True,
        award={
            **award,
            "awarded_at": timestamp(award["awarded_at"]),
            "standstill_ends": timestamp(award["standstill_ends"]),
        },
        ranking=ranking,
        disqualified=await execute(
            "SELECT o.name_zh, o.name_en, b.disqualify_reason FROM bids_bid b"
            " JOIN market_organization o ON o.id = b.organization"
            " WHERE b.tender = {} AND b.status = 'disqualified' ORDER BY b.id",
            tender_id,
        ),
        criteria=tender["criteria"],
        contract_id=int(contract[0]["id"]) if contract else None,
    )
    return context


async def contract_page(
    contract_id: int, viewer: Principal | None, *, public: bool = True
) -> dict[str, Any]:
    """Anyone may read a contract and its milestones once signed; pending contracts only
    the parties, operators and auditors. `can_*` flags say which forms to show (the
    services check again)."""
    rows = await execute(
        "SELECT c.*, t.title_zh, t.title_en, t.department AS tender_department,"
        " o.name_zh, o.name_en FROM bids_contract c JOIN market_tender t ON t.id = c.tender"
        " JOIN market_organization o ON o.id = c.organization WHERE c.id = {}",
        contract_id,
    )
    if not rows:
        raise NotFound("No such contract.")
    contract = dict(rows[0])
    currency = contract["currency"]
    contract["amount_money"] = Money(int(contract["amount"]), currency)
    is_department = bool(viewer and contract["department"] in viewer.org_ids("department"))
    is_org = bool(viewer and contract["organization"] in viewer.org_ids("social_org"))
    oversight = bool(viewer and (viewer.is_operator or viewer.is_auditor))
    if public and contract["status"] == "pending" and not (is_department or is_org or oversight):
        raise NotFound("No such contract.")
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
    creator = await User.select(User.display_name).where(User.id == contract["created_by"]).first()
    now = clock.now()
    active = contract["status"] == "active"
    # Four eyes: whoever drew up the contract may not approve or reject its milestones.
    is_creator = bool(viewer and viewer.id == int(contract["created_by"]))
    return {
        "contract": contract,
        "creator": creator["display_name"] if creator else "",
        "is_creator": is_creator,
        "approvers": await _approvers(contract) if is_department else [],
        "milestones": [
            {
                **m,
                "due": day(m["due"]),
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
                and m["status"] in ("scheduled", "rejected")
                and now.date() > day(m["due"]),
            }
            for m in milestones
        ],
        "is_department": is_department,
        "is_org": is_org,
        "insider": is_department or is_org or oversight,
        "can_sign_department": is_department
        and contract["status"] == "pending"
        and contract["department_signed_at"] is None,
        "can_sign_org": is_org
        and contract["status"] == "pending"
        and contract["organization_signed_at"] is None,
        "can_terminate": is_department and contract["status"] in ("pending", "active"),
    }


async def _approvers(contract: dict[str, Any]) -> list[str]:
    """Names of the department's members who may approve milestones (not the creator)."""
    rows = await execute(
        'SELECT u.display_name FROM market_membership m JOIN market_user u ON u.id = m."user"'
        ' WHERE m.organization = {} AND m."user" <> {} ORDER BY u.display_name',
        contract["department"],
        contract["created_by"],
    )
    return [str(r["display_name"]) for r in rows]


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


async def complaints_queue() -> list[dict[str, Any]]:
    rows = await execute(
        "SELECT c.id, c.tender, c.text, c.status, c.filed_at, c.resolution, t.title_zh,"
        " t.title_en, o.name_zh, o.name_en FROM bids_complaint c"
        " JOIN market_tender t ON t.id = c.tender"
        " JOIN market_organization o ON o.id = c.organization"
        " ORDER BY c.status = 'filed' DESC, c.id DESC LIMIT 200"
    )
    return [dict(r) for r in rows]


async def terminated_contract_tenders() -> list[int]:
    """Tenders with a terminated contract: read by the donors app's failure policy."""
    rows = await execute(
        "SELECT DISTINCT tender FROM bids_contract WHERE status = 'terminated' ORDER BY tender"
    )
    return [int(r["tender"]) for r in rows]
