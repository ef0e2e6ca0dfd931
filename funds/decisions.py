# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""The committee's votes and its decision on a call's proposals.

The proposals are the call's opened bids; the committee is the call's evaluation
panel, so who may see and score them is the bids app's rule: a member votes only from
a `declared` seat (no conflict of interest declared, seat not voided because the
member belongs to a proposing organization — re-checked first, as before every
score). Votes are recorded one per member and proposal, changeable until the
decision, each in the audit chain.

The chair decides once every member free of conflict has scored (the bids app's
ranking is complete) and voted on every proposal (`rules.decide`): a proposal is
granted by a majority of those members; each grant gets its tranches; the kernel
moves the call's tender to awarded and contracted, posting from the fund's hold
exactly what the grants add up to (the rest of the pot goes back to the fund at
once) — or, when nothing is granted, to unsuccessful, voiding the hold.

Lock order: the tender row, then the call, then votes and grants, then the ledger.
"""

from __future__ import annotations

from typing import Any

from bids import evaluation
from bids.access import check_opened
from bids.conflicts import recheck_conflicts
from bids.panel_pages import opened_bids
from funds import rules
from funds.calls import check_chair
from funds.queries import fund_organization
from funds.tables import Call, Grant, Tranche
from market import clock
from market.audit import actor_of, append_audit
from market.db import atomic
from market.errors import Conflict, NotFound, PermissionDenied
from market.money import Money
from market.sql import Row, execute, for_update
from market.tenders import lifecycle, records
from market.tenders.inputs import LOCAL_ZONE
from market.timestamps import day

NOT_OPEN = "Votes are taken once the proposals are opened, until the call is decided."


async def call_locked(tender_id: int) -> tuple[dict[str, Any], Row]:
    """(tender, call), both locked in that order."""
    tender = await records.load_locked(tender_id)
    rows = await execute("SELECT * FROM funds_call WHERE tender = {}" + for_update(), tender_id)
    if not rows or not tender.get("community_fund"):
        raise NotFound("No such call for proposals.")
    return tender, rows[0]


async def proposals(tender: dict[str, Any]) -> list[dict[str, Any]]:
    """The call's proposals that may be granted: its opened, qualified bids."""
    return [b for b in await opened_bids(tender) if b["status"] == "qualified"]


async def voters(tender_id: int) -> list[int]:
    """The members free of conflict: their seats on the call's panel are `declared`."""
    rows = await execute(
        "SELECT \"user\" AS uid FROM bids_v_evaluator WHERE tender = {} AND status = 'declared'",
        tender_id,
    )
    return sorted(int(r["uid"]) for r in rows)


async def _check_voting(tender: dict[str, Any], call: Row, user_id: int) -> None:
    if call["decided_at"] is not None or tender["status"] != "evaluation":
        raise Conflict(NOT_OPEN)
    await check_opened(int(tender["id"]), user_id=user_id, what="committee vote")
    seat = await evaluation.panel_seat(int(tender["id"]), user_id)
    if seat["status"] == "recused":
        raise PermissionDenied("You declared a conflict of interest: you do not vote on this call.")
    if seat["status"] != "declared":
        raise PermissionDenied(
            "Declare that you have no conflict of interest before you see any proposal."
        )


async def vote(*, user_id: int, tender_id: int, bid_ref: str, choice: str, remark: str = "") -> str:
    """Record (or change) this member's vote on one proposal; returns the vote."""
    await recheck_conflicts(tender_id)  # a seat conflicted since is voided first
    remark = (remark or "").strip()
    async with atomic():
        tender, call = await call_locked(tender_id)
        await _check_voting(tender, call, user_id)
        bid = next((b for b in await proposals(tender) if b["ref"] == bid_ref), None)
        if bid is None:
            raise NotFound("No such proposal.")
        checked = rules.check_vote(
            choice, amount=int(bid["price"]), cap=int(call["cap"]), remark=remark
        )
        now = clock.now()
        await execute(
            "INSERT INTO funds_vote (call, bid, member, vote, remark, voted_at)"
            " VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (bid, member) DO UPDATE"
            " SET vote = excluded.vote, remark = excluded.remark, voted_at = excluded.voted_at",
            call["id"],
            bid["id"],
            user_id,
            checked,
            remark,
            now,
        )
        await append_audit(
            actor_of(user_id),
            "fund.vote",
            "tender",
            tender_id,
            {"bid": int(bid["id"]), "vote": checked} | ({"remark": remark} if remark else {}),
        )
    return checked


async def _ballots(call_id: int) -> dict[tuple[int, int], rules.Vote]:
    rows = await execute("SELECT bid, member, vote FROM funds_vote WHERE call = {}", call_id)
    return {(int(r["bid"]), int(r["member"])): r["vote"] for r in rows}


async def decide(*, user_id: int, tender_id: int) -> list[int]:
    """The chair records the committee's decision; returns the grants' ids."""
    await recheck_conflicts(tender_id)
    async with atomic():
        tender, call = await call_locked(tender_id)
        await check_chair(user_id, await fund_organization(int(call["fund"])))
        if call["decided_at"] is not None or tender["status"] != "evaluation":
            raise Conflict("This call is not waiting for a decision.")
        await check_opened(tender_id, user_id=user_id, what="committee decision")
        qualified = await proposals(tender)
        if qualified:  # none left (all disqualified): nothing to score, nothing granted
            try:
                await evaluation.ranking(tender)  # every member free of conflict has scored
            except evaluation.RankingNotReadyError as not_ready:
                raise rules.DecisionNotReady(not_ready.message) from None
        outcomes = rules.decide(
            [
                rules.Proposal(int(b["id"]), int(b["organization"]), int(b["price"]))
                for b in qualified
            ],
            await voters(tender_id),
            await _ballots(int(call["id"])),
            cap=int(call["cap"]),
            pot=int(tender["budget"]),
        )
        grants = [await _grant(call, o, user_id, tender["currency"]) for o in outcomes if o.granted]
        await _record(tender, call, outcomes, user_id)
    return grants


async def _grant(call: Row, outcome: rules.Outcome, user_id: int, currency: str) -> int:
    now = clock.now()
    rows = await Grant.insert(
        Grant(
            call=call["id"],
            bid=outcome.proposal.bid_id,
            organization=outcome.proposal.organization,
            amount=outcome.proposal.amount,
            currency=currency,
            status="active",
            votes_for=outcome.votes_for,
            votes_against=outcome.votes_against,
            decided_at=now,
            decided_by=user_id,
        )
    ).returning(Grant.id)
    grant_id = int(rows[0]["id"])
    start = now.astimezone(LOCAL_ZONE).date()
    ends = day(call["ends"])
    for position, item in enumerate(
        rules.tranche_plan(outcome.proposal.amount, start=start, ends=ends), start=1
    ):
        await Tranche.insert(
            Tranche(
                grant_id=grant_id,
                position=position,
                deliverable=item.deliverable,
                due=item.due,
                amount=item.amount,
                status="scheduled",
            )
        )
    return grant_id


async def _record(
    tender: dict[str, Any], call: Row, outcomes: list[rules.Outcome], user_id: int
) -> None:
    """The decision on the call row and in the audit chain, then the tender's status and
    the fund's hold: posted for what is granted, the rest back to the fund."""
    actor = actor_of(user_id)
    tender_id = int(tender["id"])
    await Call.update({Call.decided_at: clock.now(), Call.decided_by: user_id}).where(
        Call.id == call["id"]
    )
    granted = sum(o.proposal.amount for o in outcomes if o.granted)
    await append_audit(
        actor,
        "fund.decide",
        "tender",
        tender_id,
        {
            "granted": granted,
            "outcomes": [
                [o.proposal.bid_id, o.votes_for, o.votes_against, o.granted] for o in outcomes
            ],
        },
    )
    if not granted:
        reason = "The committee granted no proposal."
        await lifecycle.mark_tender_unsuccessful(tender_id, actor=actor, reason=reason)
        return
    note = f"call {call['id']}: {sum(o.granted for o in outcomes)} grant(s)"
    await lifecycle.mark_tender_awarded(tender_id, actor=actor, note=note)
    await lifecycle.mark_tender_contracted(
        tender_id, actor=actor, government_amount=Money(granted, tender["currency"]), note=note
    )
