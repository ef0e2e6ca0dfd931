"""Reads for a call's page and a grant's page, and who may do what on them.

A call's page is public: the call (its tender's facts, the cap, the deadline), then —
once the proposals are opened — who proposed what amount, and once it is decided
every member's recorded vote on every proposal and the grants. A committee member
also sees the proposals' texts, the scores' ranking, their own seat and votes and,
the chair, the decision button; the bids app's rules decide who sees bids
(`check_may_see_bids`: only from a declared seat).
"""

from __future__ import annotations

from typing import Any

from bids import evaluation
from bids.access import load_tender, opened_at
from bids.panel_pages import opened_bids
from funds import rules
from funds.queries import committee, grants_where
from market.errors import NotFound
from market.money import Money
from market.places.queries import get_place
from market.sql import Row, execute
from market.timestamps import timestamp


async def call_row(tender_id: int) -> Row:
    rows = await execute(
        "SELECT c.*, f.place, f.organization FROM funds_call c"
        " JOIN funds_fund f ON f.id = c.fund WHERE c.tender = {}",
        tender_id,
    )
    if not rows:
        raise NotFound("No such call for proposals.")
    return rows[0]


async def _seats(tender_id: int) -> dict[int, str]:
    rows = await execute(
        'SELECT "user" AS uid, status FROM bids_v_evaluator WHERE tender = {}', tender_id
    )
    return {int(r["uid"]): str(r["status"]) for r in rows}


async def seat_of(tender_id: int, user_id: int | None) -> str:
    """The user's seat on the call's panel: appointed, declared, recused, voided or ""."""
    return (await _seats(tender_id)).get(user_id or 0, "")


async def _votes(call_id: int) -> dict[tuple[int, int], dict[str, Any]]:
    rows = await execute(
        "SELECT bid, member, vote, remark, voted_at FROM funds_vote WHERE call = {}", call_id
    )
    return {(int(r["bid"]), int(r["member"])): dict(r) for r in rows}


async def call_page(tender_id: int, viewer: int | None) -> dict[str, Any]:
    call = await call_row(tender_id)
    tender = await load_tender(tender_id)
    members = await committee(int(call["organization"]))
    member_ids = {m["id"] for m in members}
    seats = await _seats(tender_id)
    opened = await opened_at(tender_id) is not None
    on_committee = viewer in member_ids
    context: dict[str, Any] = {
        "call": call,
        "tender": tender,
        "place": await get_place(int(call["place"])),
        "pot": Money(int(tender["budget"]), tender["currency"]),
        "cap": Money(int(call["cap"]), tender["currency"]),
        "members": members,
        "seats": seats,
        "opened": opened,
        "decided": call["decided_at"] is not None,
        "on_committee": on_committee,
        "chair": any(m["chair"] and m["id"] == viewer for m in members),
        "my_seat": seats.get(viewer) if viewer is not None else None,
        "proposals": [],
        "ranking": {},
        "ranking_error": "",
        "votes": {},
        "grants": await grants_where("c.tender = {}", tender_id),
    }
    if opened:
        proposals = [b for b in await opened_bids(tender) if b["status"] != "withdrawn"]
        context["proposals"] = [
            {**b, "over_cap": int(b["price"] or 0) > int(call["cap"])} for b in proposals
        ]
        context["votes"] = await _votes(int(call["id"]))
        await _ranking(context, tender)
    return context


async def _ranking(context: dict[str, Any], tender: dict[str, Any]) -> None:
    try:
        ranking = await evaluation.ranking(tender)
    except evaluation.RankingNotReadyError as not_ready:
        context["ranking_error"] = not_ready.message
        return
    context["ranking"] = {int(r["bid"]): r for r in ranking}


def can_see_proposals(context: dict[str, Any]) -> bool:
    """Proposal texts: to a committee member from a declared seat, once opened (the bids
    app's rule for evaluators); everyone sees who proposed what amount."""
    return bool(context["opened"] and context["my_seat"] == "declared")


async def grant_page(grant_id: int) -> dict[str, Any]:
    found = await grants_where("g.id = {}", grant_id)
    if not found:
        raise NotFound("No such grant.")
    grant = found[0]
    call = await call_row(int(grant["tender"]))
    tranches = await execute(
        "SELECT * FROM funds_tranche WHERE grant_id = {} ORDER BY position", grant_id
    )
    releases = await execute(
        "SELECT e.reference, e.amount, e.source, e.created_at FROM market_v_ledger_transfer e"
        " JOIN funds_tranche r ON e.reference = 'fund_tranche:' || CAST(r.id AS TEXT)"
        " WHERE r.grant_id = {} AND e.reason = 'release' ORDER BY e.id",
        grant_id,
    )
    decided = await execute("SELECT decided_by FROM funds_grant WHERE id = {}", grant_id)
    return {
        "grant": grant,
        "call": call,
        "place": await get_place(int(call["place"])),
        "members": await committee(int(call["organization"])),
        "decided_by": int(decided[0]["decided_by"]),
        "tranches": [
            {
                **t,
                "submitted_at": timestamp(t["submitted_at"]),
                "decided_at": timestamp(t["decided_at"]),
                "released": [
                    {**r, "created_at": timestamp(r["created_at"])}
                    for r in releases
                    if r["reference"] == f"fund_tranche:{t['id']}"
                ],
            }
            for t in tranches
        ],
        "next_to_report": next((int(t["id"]) for t in tranches if t["status"] != "approved"), None),
        "deliverables": rules.DELIVERABLES,
    }


async def my_grants(organization_ids: list[int]) -> list[dict[str, Any]]:
    if not organization_ids:
        return []
    marks = ", ".join(["{}"] * len(organization_ids))
    return await grants_where(f"g.organization IN ({marks})", *organization_ids)
