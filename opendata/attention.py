# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""The dashboard's "what needs my attention" list, per role.

Reads across the apps (tenders in the kernel, bids, donors) through their read-contract
views (`*/read_views.py`), which only opendata may do. Each item is a code the template
words (`kind`), the tender or organization it is about, where to act (`href`) and, when
there is one, the moment it is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from market import clock
from market.accounts import Principal
from market.money import Money
from market.sql import execute, marks
from market.tables import Organization
from market.tenders import rules as tender_rules
from market.timestamps import day, timestamp

LIMIT = 50
MILESTONE_HORIZON = timedelta(days=14)  # scheduled milestones due within this are listed


@dataclass(frozen=True, slots=True)
class Attention:
    kind: str  # draft | question | reconfirm | sign_contract | milestone_due | ...
    href: str
    title_zh: str = ""
    title_en: str = ""
    due: datetime | date | None = None
    overdue: bool = False
    count: int = 0
    amount: Money | None = None

    def title(self, lang: str) -> str:
        if lang == "en":
            return self.title_en or self.title_zh
        return self.title_zh or self.title_en


def _item(kind: str, href: str, row: Any, **extra: Any) -> Attention:
    return Attention(kind, href, str(row["title_zh"] or ""), str(row["title_en"] or ""), **extra)


async def department_items(department_ids: list[int], now: datetime) -> list[Attention]:
    if not department_ids:
        return []
    m = marks(len(department_ids))
    items: list[Attention] = []
    drafts = await execute(
        "SELECT id, title_zh, title_en, updated_at FROM market_v_tender"
        f" WHERE department IN ({m}) AND status = 'draft' ORDER BY updated_at DESC LIMIT {{}}",
        *department_ids,
        LIMIT,
    )
    items += [_item("draft", f"/workspace/tenders/{r['id']}", r) for r in drafts]
    questions = await execute(
        "SELECT t.id, t.title_zh, t.title_en, t.bid_deadline, COUNT(q.id) AS n"
        " FROM market_v_tender_question q JOIN market_v_tender t ON t.id = q.tender"
        f" WHERE t.department IN ({m}) AND q.answered_at IS NULL"
        " AND t.status IN ('published', 'tendering') AND t.bid_deadline > {}"
        " GROUP BY t.id, t.title_zh, t.title_en, t.bid_deadline ORDER BY t.bid_deadline",
        *department_ids,
        now,
    )
    items += [
        _item(
            "question",
            f"/tenders/{r['id']}#questions",
            r,
            count=int(r["n"]),
            due=timestamp(r["bid_deadline"]),
        )
        for r in questions
    ]
    evaluations = await execute(
        "SELECT t.id, t.title_zh, t.title_en, t.bid_deadline FROM market_v_tender t"
        f" WHERE t.department IN ({m}) AND t.bid_deadline <= {{}}"
        " AND t.status IN ('published', 'tendering', 'evaluation')"
        " AND NOT EXISTS (SELECT 1 FROM bids_v_award a WHERE a.tender = t.id"
        "  AND a.status = 'active') ORDER BY t.bid_deadline LIMIT {}",
        *department_ids,
        now,
        LIMIT,
    )
    items += [_item("evaluate", f"/workspace/tenders/{r['id']}/evaluation", r) for r in evaluations]
    awards = await execute(
        "SELECT t.id, t.title_zh, t.title_en, a.standstill_ends FROM bids_v_award a"
        " JOIN market_v_tender t ON t.id = a.tender"
        f" WHERE t.department IN ({m}) AND a.status = 'active' AND t.status = 'awarded'"
        " AND NOT EXISTS (SELECT 1 FROM bids_v_contract c WHERE c.award = a.id)"
        " ORDER BY a.standstill_ends LIMIT {}",
        *department_ids,
        LIMIT,
    )
    for r in awards:
        ends = timestamp(r["standstill_ends"])
        kind = "standstill" if ends > now else "draw_contract"
        items.append(_item(kind, f"/workspace/tenders/{r['id']}/evaluation", r, due=ends))
    items += await _contract_items("department", department_ids, now)
    return items


async def _contract_items(side: str, org_ids: list[int], now: datetime) -> list[Attention]:
    """Contracts awaiting this side's signature; milestones to approve (department) or
    due, overdue or rejected (organization)."""
    m = marks(len(org_ids))
    signed = f"{side}_signed_at"
    items: list[Attention] = []
    unsigned = await execute(
        "SELECT c.id, t.title_zh, t.title_en FROM bids_v_contract c"
        " JOIN market_v_tender t ON t.id = c.tender"
        f" WHERE c.{'department' if side == 'department' else 'organization'} IN ({m})"
        f" AND c.status = 'pending' AND c.{signed} IS NULL ORDER BY c.id LIMIT {{}}",
        *org_ids,
        LIMIT,
    )
    items += [_item("sign_contract", f"/contracts/{r['id']}", r) for r in unsigned]
    column = "department" if side == "department" else "organization"
    today = now.date()
    if side == "department":
        where = "m.status = 'submitted'"
        args: list[Any] = []
    else:
        where = "(m.status = 'rejected' OR (m.status = 'scheduled' AND m.due <= {}))"
        args = [today + MILESTONE_HORIZON]
    milestones = await execute(
        "SELECT m.id, m.position, m.due, m.status, m.amount, c.id AS contract, c.currency,"
        " t.title_zh, t.title_en FROM bids_v_milestone m"
        " JOIN bids_v_contract c ON c.id = m.contract JOIN market_v_tender t ON t.id = c.tender"
        f" WHERE c.{column} IN ({m}) AND c.status = 'active' AND {where}"
        " ORDER BY m.due, m.id LIMIT {}",
        *org_ids,
        *args,
        LIMIT,
    )
    for r in milestones:
        due = day(r["due"])
        kind = {
            "submitted": "milestone_review",
            "rejected": "milestone_rejected",
        }.get(r["status"], "milestone_due")
        items.append(
            _item(
                kind,
                f"/contracts/{r['contract']}#milestone-{r['id']}",
                r,
                due=None if kind == "milestone_review" else due,
                overdue=kind == "milestone_due" and due < today,
                count=int(r["position"]),
                amount=Money(int(r["amount"]), r["currency"]),
            )
        )
    return items


async def organization_items(org_ids: list[int], now: datetime) -> list[Attention]:
    if not org_ids:
        return []
    m = marks(len(org_ids))
    reconfirm = await execute(
        "SELECT b.ref, t.id, t.title_zh, t.title_en, t.bid_deadline FROM bids_v_bid b"
        " JOIN market_v_tender t ON t.id = b.tender"
        f" WHERE b.organization IN ({m}) AND b.status = 'needs_reconfirm'"
        " AND t.bid_deadline > {} ORDER BY t.bid_deadline LIMIT {}",
        *org_ids,
        now,
        LIMIT,
    )
    items = [
        _item("reconfirm", f"/tenders/{r['id']}/bid", r, due=timestamp(r["bid_deadline"]))
        for r in reconfirm
    ]
    items += await _contract_items("organization", org_ids, now)
    return items


async def evaluator_items(user_id: int) -> list[Attention]:
    rows = await execute(
        "SELECT e.status, t.id, t.title_zh, t.title_en, t.status AS tender_status,"
        " t.enquiry_end, t.bid_deadline,"
        " (SELECT COUNT(*) FROM bids_v_score s WHERE s.tender = t.id"
        '  AND s.evaluator = e."user") AS scored'
        ' FROM bids_v_evaluator e JOIN market_v_tender t ON t.id = e.tender WHERE e."user" = {}'
        " ORDER BY e.id DESC LIMIT {}",
        user_id,
        LIMIT,
    )
    now = clock.now()
    items = []
    for r in rows:
        status = tender_rules.effective_status(
            r["tender_status"], timestamp(r["enquiry_end"]), timestamp(r["bid_deadline"]), now
        )
        if status != "evaluation":
            continue
        if r["status"] == "appointed":
            items.append(_item("declare", f"/panels/{r['id']}", r))
        elif r["status"] == "declared" and int(r["scored"]) == 0:
            items.append(_item("score", f"/panels/{r['id']}", r))
    return items


async def sponsor_items(org_ids: list[int]) -> list[Attention]:
    if not org_ids:
        return []
    rows = await execute(
        "SELECT COUNT(*) AS n FROM donors_v_pledge"
        f" WHERE sponsor IN ({marks(len(org_ids))}) AND status = 'awaiting_funds'",
        *org_ids,
    )
    n = int(rows[0]["n"])
    return [Attention("pledge_unfunded", "/sponsor", count=n)] if n else []


async def operator_items(now: datetime) -> list[Attention]:
    pending = (
        await Organization.select(
            Organization.id,
            Organization.name_zh,
            Organization.name_en,
            Organization.decision_due_at,
        )
        .where(Organization.status == "pending")
        .order_by(Organization.decision_due_at)
        .order_by(Organization.id)
        .limit(LIMIT)
    )
    items = [
        Attention(
            "verify_org",
            "/operator/organizations",
            str(r["name_zh"] or ""),
            str(r["name_en"] or ""),
            due=timestamp(r["decision_due_at"]),
            overdue=timestamp(r["decision_due_at"]) < now,
        )
        for r in pending
    ]
    transfers = await execute(
        "SELECT COUNT(*) AS n FROM donors_v_payment"
        " WHERE provider = 'bank_transfer' AND status = 'awaiting'"
    )
    if n := int(transfers[0]["n"]):
        items.append(Attention("bank_transfers", "/operator/bank-transfers", count=n))
    complaints = await execute("SELECT COUNT(*) AS n FROM bids_v_complaint WHERE status = 'filed'")
    if n := int(complaints[0]["n"]):
        items.append(Attention("complaints", "/operator/complaints", count=n))
    return items


async def applicant_items(principal: Principal, now: datetime) -> list[Attention]:
    """The person's own organizations still waiting for the operator's decision."""
    pending = [m.organization_id for m in principal.memberships if m.status == "pending"]
    if not pending:
        return []
    rows = await Organization.select(
        Organization.id, Organization.name_zh, Organization.name_en, Organization.decision_due_at
    ).where(Organization.id.is_in(pending))
    return [
        Attention(
            "registration_pending",
            f"/organizations/{r['id']}",
            str(r["name_zh"] or ""),
            str(r["name_en"] or ""),
            due=timestamp(r["decision_due_at"]),
            overdue=timestamp(r["decision_due_at"]) < now,
        )
        for r in rows
    ]


async def donor_items(user_id: int) -> list[Attention]:
    rows = await execute(
        "SELECT COUNT(*) AS n FROM donors_v_donation d JOIN donors_v_payment p"
        " ON p.object_key = 'donation:' || CAST(d.id AS VARCHAR)"
        " WHERE d.donor = {} AND d.status = 'pending' AND p.provider = 'bank_transfer'",
        user_id,
    )
    n = int(rows[0]["n"])
    return [Attention("donation_transfer", "/my/donations", count=n)] if n else []


async def has_panel_seat(user_id: int) -> bool:
    rows = await execute('SELECT COUNT(*) AS n FROM bids_v_evaluator WHERE "user" = {}', user_id)
    return int(rows[0]["n"]) > 0


async def attention(principal: Principal) -> list[Attention]:
    """Everything waiting for this person, soonest due first (undated ones last)."""
    now = clock.now()
    items = [
        *await department_items(principal.org_ids("department"), now),
        *await organization_items(principal.org_ids("social_org"), now),
        *await evaluator_items(principal.id),
        *await sponsor_items(principal.org_ids("company", "foundation")),
        *(await operator_items(now) if principal.is_operator else []),
        *await applicant_items(principal, now),
        *await donor_items(principal.id),
    ]

    def when(item: Attention) -> tuple[int, datetime]:
        if item.due is None:
            return (1, now)
        if isinstance(item.due, datetime):
            return (0, item.due)
        return (0, datetime.combine(item.due, datetime.min.time(), tzinfo=now.tzinfo))

    return sorted(items, key=when)
