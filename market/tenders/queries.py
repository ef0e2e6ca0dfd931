# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Read models: the public tender list (filters + keyset pagination) and the detail.

The list orders by (published_at DESC, id DESC) and pages with a cursor on that
pair, never OFFSET or COUNT, over partial indexes that leave drafts out; so a page
costs the same with a thousand tenders or a million, and tenders published while
someone pages never shift or repeat the rows they have yet to see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from market import clock
from market.accounts import Principal
from market.cursor import ID, Key, encode, read
from market.db import is_postgres
from market.errors import NotFound
from market.ledger.readmodels import tender_funding
from market.money import Money, MoneyError, parse_money
from market.sql import execute
from market.tables import TenderDocument, TenderQuestion, TenderRevision
from market.tenders import inputs, rules
from market.timestamps import timestamp

PAGE_SIZE = 20
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = (
    "t.id, t.ocid, t.title_zh, t.title_en, t.category, t.area_level, t.area, t.status,"
    " t.budget, t.currency, t.published_at, t.enquiry_end, t.bid_deadline, t.opening_at,"
    " t.department, t.acceleration, o.name_zh AS department_zh, o.name_en AS department_en"
)


@dataclass(frozen=True, slots=True)
class TenderFilters:
    status: str = ""
    category: str = ""
    area: str = ""
    q: str = ""
    budget_min: Money | None = None
    budget_max: Money | None = None

    @classmethod
    def parse(cls, params: dict[str, str], currency: str = "CNY") -> TenderFilters:
        """Unknown codes and unreadable amounts are ignored: a filter only narrows."""

        def amount(name: str) -> Money | None:
            try:
                return parse_money(params.get(name, "") or "", currency, allow_zero=True)
            except MoneyError:
                return None

        status = params.get("status", "").strip()
        category = params.get("category", "").strip()
        return cls(
            status=status if status in rules.PUBLIC_STATUSES else "",
            category=category if category in inputs.CATEGORIES else "",
            area=params.get("area", "").strip()[: inputs.AREA_MAX],
            q=params.get("q", "").strip()[:100],
            budget_min=amount("budget_min"),
            budget_max=amount("budget_max"),
        )

    def as_params(self) -> dict[str, str]:
        out = {"status": self.status, "category": self.category, "area": self.area, "q": self.q}
        for name in ("budget_min", "budget_max"):
            value: Money | None = getattr(self, name)
            if value is not None:
                out[name] = str(value.to_decimal())
        return {k: v for k, v in out.items() if v}


# The list's cursor (`market.cursor`): the last row's publication time in microseconds
# since 1970 (before the year 3000) and its id.
CURSOR = (Key(0, 10**17 - 1), ID)


def encode_cursor(published_at: datetime, tender_id: int) -> str:
    return encode((published_at - _EPOCH) // timedelta(microseconds=1), tender_id)


def decode_cursor(text: str | None) -> tuple[datetime, int] | None:
    """A cursor from a URL; anything that is not one we hand out means "from the start".
    The JSON API refuses a malformed cursor before it gets here (400, by its pattern)."""
    numbers = read(text, CURSOR)
    if numbers is None:
        return None
    micros, tender_id = numbers
    return _EPOCH + timedelta(microseconds=micros), tender_id


@dataclass(frozen=True, slots=True)
class TenderPage:
    rows: list[dict[str, Any]]
    next_cursor: str | None
    cursor: str | None = None


def _where(filters: TenderFilters, args: list[Any]) -> str:
    conditions = ["t.published_at IS NOT NULL"]
    if filters.status:
        conditions.append("t.status = {}")
        args.append(filters.status)
    if filters.category:
        conditions.append("t.category = {}")
        args.append(filters.category)
    if filters.area:
        conditions.append("t.area = {}")
        args.append(filters.area)
    if filters.budget_min is not None:
        conditions.append("t.budget >= {}")
        args.append(filters.budget_min.amount)
    if filters.budget_max is not None:
        conditions.append("t.budget <= {}")
        args.append(filters.budget_max.amount)
    if filters.q:
        # LIKE wildcards in the search text are dropped rather than escaped (portable).
        text = filters.q.replace("%", "").replace("_", "").replace("\\", "")
        if text:
            like = "ILIKE" if is_postgres() else "LIKE"
            conditions.append(
                f"(t.title_zh {like} {{}} OR t.title_en {like} {{}}"
                f" OR t.description_zh {like} {{}} OR t.description_en {like} {{}}"
                " OR t.ocid = {})"
            )
            args.extend([f"%{text}%"] * 4 + [text])
    return " AND ".join(conditions)


async def list_tenders(
    filters: TenderFilters, *, cursor: str | None = None, limit: int = PAGE_SIZE
) -> TenderPage:
    """Public tenders, newest publication first, `limit` after the cursor."""
    limit = max(1, min(int(limit), 100))
    args: list[Any] = []
    where = _where(filters, args)
    after = decode_cursor(cursor)
    if after is not None:
        where += " AND (t.published_at < {} OR (t.published_at = {} AND t.id < {}))"
        args += [after[0], after[0], after[1]]
    rows = await execute(
        f"SELECT {_COLUMNS} FROM market_tender t"
        " JOIN market_organization o ON o.id = t.department"
        f" WHERE {where} ORDER BY t.published_at DESC, t.id DESC LIMIT {{}}",
        *args,
        limit + 1,
    )
    page = [_summary(row) for row in rows[:limit]]
    more = len(rows) > limit
    last = page[-1] if page else None
    next_cursor = encode_cursor(last["published_at"], last["id"]) if more and last else None
    return TenderPage(page, next_cursor, cursor if after else None)


def _summary(row: Any) -> dict[str, Any]:
    out = dict(row)
    for name in ("published_at", "enquiry_end", "bid_deadline", "opening_at"):
        out[name] = timestamp(out[name])
    out["stored_status"] = out["status"]
    out["status"] = rules.effective_status(
        out["status"], out["enquiry_end"], out["bid_deadline"], clock.now()
    )
    out["budget_money"] = Money(int(out["budget"]), out["currency"])
    return out


# Distinct areas by a loose index scan (one index probe per area, not a table scan):
# portable recursive SQL over the partial (area, published_at, id) index.
_AREAS = """
WITH RECURSIVE areas(area) AS (
  SELECT MIN(area) FROM market_tender WHERE published_at IS NOT NULL
  UNION ALL
  SELECT (SELECT MIN(t.area) FROM market_tender t
          WHERE t.published_at IS NOT NULL AND t.area > areas.area)
  FROM areas WHERE areas.area IS NOT NULL
)
SELECT area FROM areas WHERE area IS NOT NULL LIMIT 500
"""


async def public_areas() -> list[str]:
    """Areas of public tenders, for the filter's options."""
    return [row["area"] for row in await execute(_AREAS)]


# --- detail -----------------------------------------------------------------------------


def is_insider(viewer: Principal | None, department_id: int) -> bool:
    return viewer is not None and (
        viewer.is_operator or viewer.is_auditor or department_id in viewer.org_ids("department")
    )


@dataclass(frozen=True, slots=True)
class FundingLine:
    source: str
    goal: Money
    committed: Money  # received, or held for the government budget
    percent: int


@dataclass
class TenderDetail:
    tender: dict[str, Any]
    criteria: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    questions: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    funding: list[FundingLine]
    insider: bool
    can_ask: bool = False
    can_answer: bool = False
    can_amend: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


async def tender_detail(tender_id: int, viewer: Principal | None) -> TenderDetail:
    """Drafts exist only for their department, operators and auditors (404 otherwise)."""
    rows = await execute(
        f"SELECT {_COLUMNS}, t.description_zh, t.description_en, t.criteria, t.min_bids,"
        " t.goal_corporate, t.goal_foundation, t.goal_public, t.goal_own, t.cancel_reason,"
        " t.amended_at, t.amendment_count, t.created_at, t.version, t.community_fund,"
        " p.code AS place_code, p.tier AS place_tier"
        " FROM market_tender t JOIN market_organization o ON o.id = t.department"
        " LEFT JOIN market_place p ON p.id = t.place"
        " WHERE t.id = {}",
        tender_id,
    )
    if not rows:
        raise NotFound("No such tender.")
    tender = _summary(rows[0])
    tender["amended_at"] = timestamp(tender["amended_at"])
    insider = is_insider(viewer, tender["department"])
    if tender["status"] == "draft" and not insider:
        raise NotFound("No such tender.")
    now = clock.now()
    status, enquiry_end, deadline = tender["status"], tender["enquiry_end"], tender["bid_deadline"]
    documents = (
        await TenderDocument.select(
            TenderDocument.id,
            TenderDocument.title,
            TenderDocument.filename,
            TenderDocument.kind,
            TenderDocument.size,
            TenderDocument.sha256,
            TenderDocument.uploaded_at,
        )
        .where(TenderDocument.tender == tender_id)
        .order_by(TenderDocument.id)
    )
    questions = (
        await TenderQuestion.select(
            TenderQuestion.id,
            TenderQuestion.asker_tag,
            TenderQuestion.question,
            TenderQuestion.answer,
            TenderQuestion.asked_at,
            TenderQuestion.answered_at,
        )
        .where(TenderQuestion.tender == tender_id)
        .order_by(TenderQuestion.id)
    )
    return TenderDetail(
        tender=tender,
        criteria=json.loads(tender["criteria"] or "[]"),
        documents=documents,
        questions=questions,
        timeline=await _timeline(tender, now),
        funding=await _funding(tender),
        insider=insider,
        can_ask=status == "published" and now < enquiry_end,
        can_answer=insider and status in ("published", "tendering") and now < deadline,
        can_amend=status in ("published", "tendering") and now < deadline,
    )


async def _timeline(tender: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """Past revisions (who, what, when) and the periods still ahead, by time."""
    revisions = (
        await TenderRevision.select(
            TenderRevision.at,
            TenderRevision.action,
            TenderRevision.from_status,
            TenderRevision.to_status,
            TenderRevision.note,
            TenderRevision.changes,
        )
        .where(TenderRevision.tender == tender["id"])
        .where(
            TenderRevision.action.is_in(
                [
                    "publish",
                    "amend",
                    "cancel",
                    "fail",
                    "award",
                    "reopen",
                    "contract",
                    "complete",
                    "open_tendering",
                    "close_tendering",
                ]
            )
        )
        .order_by(TenderRevision.id)
    )
    events: list[dict[str, Any]] = [
        {**r, "at": timestamp(r["at"]), "changes": json.loads(r["changes"]), "future": False}
        for r in revisions
    ]
    if tender["status"] not in rules.TERMINAL and tender["published_at"] is not None:
        for action, at in (
            ("enquiry_end", tender["enquiry_end"]),
            ("bid_deadline", tender["bid_deadline"]),
            ("opening", tender["opening_at"]),
        ):
            if at > now:
                events.append(
                    {
                        "at": at,
                        "action": action,
                        "future": True,
                        "note": "",
                        "changes": {},
                        "from_status": "",
                        "to_status": "",
                    }
                )
    events.sort(key=lambda e: e["at"])
    return events


async def _funding(tender: dict[str, Any]) -> list[FundingLine]:
    currency = tender["currency"]
    funding = await tender_funding(tender["id"], currency)
    lines = []
    for source in ("government", *inputs.GOAL_SOURCES):
        goal = int(tender["budget"] if source == "government" else tender[f"goal_{source}"])
        line = funding.sources[source]
        committed = line.received.amount + (line.pending_in.amount if source == "government" else 0)
        if goal == 0 and committed == 0:
            continue
        percent = min(100, committed * 100 // goal) if goal else 100
        lines.append(
            FundingLine(source, Money(goal, currency), Money(committed, currency), percent)
        )
    return lines


async def document_for_download(
    tender_id: int, document_id: int, viewer: Principal | None
) -> dict[str, Any]:
    rows = await execute(
        "SELECT d.filename, d.content_type, d.content, d.sha256, t.status, t.department"
        " FROM market_tender_document d JOIN market_tender t ON t.id = d.tender"
        " WHERE d.id = {} AND d.tender = {}",
        document_id,
        tender_id,
    )
    if not rows or (rows[0]["status"] == "draft" and not is_insider(viewer, rows[0]["department"])):
        raise NotFound("No such document.")
    row = dict(rows[0])
    row["content"] = bytes(row["content"])
    return row


async def workspace_tenders(department_ids: list[int]) -> list[dict[str, Any]]:
    """Every tender of these departments, drafts included, newest first."""
    if not department_ids:
        return []
    marks = ", ".join(["{}"] * len(department_ids))
    rows = await execute(
        f"SELECT {_COLUMNS} FROM market_tender t"
        " JOIN market_organization o ON o.id = t.department"
        f" WHERE t.department IN ({marks}) ORDER BY t.updated_at DESC, t.id DESC LIMIT 200",
        *department_ids,
    )
    return [_summary(row) for row in rows]


async def tender_for_edit(tender_id: int) -> dict[str, Any]:
    rows = await execute("SELECT * FROM market_tender WHERE id = {}", tender_id)
    if not rows:
        raise NotFound("No such tender.")
    row = dict(rows[0])
    for name in ("enquiry_end", "bid_deadline", "opening_at", "published_at"):
        row[name] = timestamp(row[name])
    return row
