"""Read models for the evaluation pages: the department's view of a tender's opening,
panel, ranking and award; the evaluator's panels and scoring page; the public results
after the award. Each says who may see it; no bid is shown before opening."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bids import conflicts, evaluation
from bids.access import check_department, check_opened, load_tender
from bids.complaints import open_complaints
from bids.contract_pages import contract_page
from bids.naming import TITLES, named
from bids.tables import Evaluator
from market import clock
from market.directory import user_names
from market.errors import PermissionDenied
from market.money import Money
from market.sql import execute
from market.tenders.acceleration import accelerated
from market.timestamps import timestamp

RESULT_STATUSES = ("awarded", "contracted", "completed", "terminated")
MONTH = timedelta(days=30)


def _money(amount: Any, currency: str) -> Money | None:
    return None if amount is None else Money(int(amount), currency)


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
        # what a month of a sandbox contract lasts (its due dates run accelerated)
        "sandbox_month": accelerated(MONTH, int(tender["acceleration"])),
    }
    if opened:
        await _opened_context(context, tender)
    return context


async def _opened_context(context: dict[str, Any], tender: dict[str, Any]) -> None:
    tender_id = int(tender["id"])
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
        except evaluation.RankingNotReadyError as not_ready:  # e.g. not every evaluator has scored
            context["ranking_error"] = not_ready.message  # a msgid: the page translates it
    contract = await execute(
        "SELECT id FROM bids_contract WHERE tender = {} ORDER BY id DESC", tender_id
    )
    if contract:
        context["contract"] = await contract_page(int(contract[0]["id"]), None, public=False)


async def opened_bids(tender: dict[str, Any]) -> list[dict[str, Any]]:
    rows = await execute(
        "SELECT id, ref, status, price, proposal, disqualify_reason, received_at,"
        " receipt, organization FROM bids_bid"
        " WHERE tender = {} AND status <> 'withdrawn' ORDER BY id",
        tender["id"],
    )
    return [
        {
            **r,
            "price_money": _money(r["price"], tender["currency"]),
            "received_at": timestamp(r["received_at"]),
        }
        for r in await named(rows)
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
        'SELECT tender, status, declared_at FROM bids_evaluator WHERE "user" = {} ORDER BY id DESC',
        user_id,
    )
    panels = await named(
        rows,
        tender=(*TITLES, ("status", "tender_status"), ("bid_deadline", "bid_deadline")),
        organization=False,
    )
    return [{**r, "bid_deadline": timestamp(r["bid_deadline"])} for r in panels]


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


# --- public results ---------------------------------------------------------------------


async def results_page(tender_id: int) -> dict[str, Any]:
    """Public after the award: ranking, every evaluator's marks, the contract."""
    tender = await load_tender(tender_id)
    context: dict[str, Any] = {"tender": tender, "published": False}
    if tender["status"] not in RESULT_STATUSES:
        return context
    award = await evaluation.active_award(tender_id)
    if award is None:
        return context
    by_bid = await _declared_scores(tender_id)
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
    disqualified = await execute(
        "SELECT organization, disqualify_reason FROM bids_bid"
        " WHERE tender = {} AND status = 'disqualified' ORDER BY id",
        tender_id,
    )
    context.update(
        published=True,
        award={
            **award,
            "awarded_at": timestamp(award["awarded_at"]),
            "standstill_ends": timestamp(award["standstill_ends"]),
        },
        ranking=ranking,
        disqualified=await named(disqualified),
        criteria=tender["criteria"],
        contract_id=int(contract[0]["id"]) if contract else None,
    )
    return context


async def _declared_scores(tender_id: int) -> dict[int, list[dict[str, Any]]]:
    """Bid → the marks of the declared evaluators (evaluator = display name), by bid,
    evaluator name and criterion (names compare by code point, as the databases do)."""
    scores = await execute(
        "SELECT s.bid, s.criterion, s.mark, s.comment, s.evaluator FROM bids_score s"
        ' JOIN bids_evaluator e ON e.tender = s.tender AND e."user" = s.evaluator'
        " WHERE s.tender = {} AND e.status = 'declared'",
        tender_id,
    )
    names = await user_names(int(s["evaluator"]) for s in scores)
    rows = [
        {
            "bid": s["bid"],
            "criterion": s["criterion"],
            "mark": s["mark"],
            "comment": s["comment"],
            "evaluator": names[int(s["evaluator"])],
        }
        for s in scores
    ]
    rows.sort(key=lambda s: (int(s["bid"]), s["evaluator"], s["criterion"]))
    by_bid: dict[int, list[dict[str, Any]]] = {}
    for s in rows:
        by_bid.setdefault(int(s["bid"]), []).append(s)
    return by_bid
