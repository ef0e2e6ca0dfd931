# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Conflicts of interest on a tender's evaluation panel: a seat holder who is a member
of an organization bidding on the tender (a bid not withdrawn) is conflicted; once the
bids are opened such a seat is voided. Memberships are read through the kernel's read
contract (`market.directory.organizations_of`).
"""

from __future__ import annotations

from bids.access import opened_at
from bids.tables import Evaluator
from market.audit import append_audit
from market.db import atomic
from market.directory import organizations_of
from market.sql import execute, for_update, marks


async def bidder_member(tender_id: int, user_id: int) -> bool:
    """Is this user a member of an organization with a live bid on the tender?"""
    return bool(await _conflicted([user_id], await _bidding_organizations(tender_id)))


async def _bidding_organizations(tender_id: int) -> set[int]:
    """The organizations with a bid on the tender that is not withdrawn."""
    rows = await execute(
        "SELECT DISTINCT organization FROM bids_bid WHERE tender = {} AND status <> 'withdrawn'",
        tender_id,
    )
    return {int(r["organization"]) for r in rows}


async def _conflicted(user_ids: list[int], bidders: set[int]) -> list[int]:
    """Those of the users who are members of one of the bidding organizations."""
    if not bidders or not user_ids:
        return []
    memberships = await organizations_of(user_ids)  # the kernel's read contract
    return sorted(u for u in set(user_ids) if memberships.get(u, set()) & bidders)


async def void_conflicted_seats(tender_id: int, *, actor: str) -> list[int]:
    """Void every active seat whose holder is now a member of a bidding organization;
    returns the users whose seats were voided. Call only once the bids are opened."""
    seated = await execute(
        'SELECT "user" AS uid FROM bids_evaluator WHERE tender = {}'
        " AND status IN ('appointed', 'declared')",
        tender_id,
    )
    conflicted = await _conflicted(
        [int(r["uid"]) for r in seated], await _bidding_organizations(tender_id)
    )
    if not conflicted:
        return []
    rows = await execute(
        'SELECT e.id, e."user" AS uid FROM bids_evaluator e'
        " WHERE e.tender = {} AND e.status IN ('appointed', 'declared')"
        f' AND e."user" IN ({marks(len(conflicted))}) ORDER BY e.id' + for_update(),
        tender_id,
        *conflicted,
    )
    for row in rows:
        await Evaluator.update({Evaluator.status: "voided"}).where(Evaluator.id == row["id"])
        await append_audit(
            actor,
            "evaluator.void",
            "tender",
            tender_id,
            {"evaluator": int(row["uid"]), "reason": "conflict of interest"},
        )
    return [int(row["uid"]) for row in rows]


async def recheck_conflicts(tender_id: int, *, actor: str = "system:conflict-check") -> None:
    """Re-check the panel in its own transaction, so a voided seat stays voided even when
    the request that found it is then refused. Before the opening it does nothing."""
    if await opened_at(tender_id) is None:
        return
    async with atomic():
        await void_conflicted_seats(tender_id, actor=actor)
