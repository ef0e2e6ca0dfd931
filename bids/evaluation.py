# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""The evaluation panel and the award.

The department appoints evaluators (any registered user, by e-mail). Each evaluator
declares, before seeing any bid, that they have no conflict of interest (or recuses
themself).

Conflict of interest is one rule over the whole lifecycle: a member of an organization
with a live bid on a tender cannot hold a seat on its panel. It is refused at a "no
conflict" declaration (the evaluator is a member of the bidder: it may know) and at
appointment once the bids are opened; a seated evaluator cannot submit a bid
(bids.submission); and every seat is re-checked when the bids are opened, before each
score and before the award. A conflict found then (a colleague's bid, a membership
taken up later, an appointment made before the opening) voids the seat: recorded in
the audit chain, shown to the department on its evaluation page, and the voided
evaluator's marks no longer count. Before the opening an appointment is never refused
for a conflict and no seat is voided: a refusal would tell the department who bid
(DESIGN §6), and no evaluator sees a bid before the opening anyway. Declared evaluators
score every qualified bid on each quality criterion 0–100 with a comment; price is
scored automatically. The department awards once every declared evaluator has scored
every qualified bid: the highest total wins, a standstill period starts, the others
lose. An upheld complaint reopens evaluation and the next award replaces this one.
"""

from __future__ import annotations

import json
from typing import Any

from bids import rules, scoring
from bids.access import check_department, check_opened, load_tender, opened_at
from bids.conflicts import bidder_member, recheck_conflicts
from bids.tables import Award, Bid, Evaluator, Score
from market import clock
from market.audit import actor_of, append_audit, canonical_json
from market.db import atomic
from market.directory import organization_names
from market.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from market.inputs import is_ascii_digits
from market.sql import execute, for_update
from market.tables import User
from market.tenders import lifecycle
from market.timestamps import timestamp

COMMENT_MAX = 2_000
STATEMENT_MAX = 2_000


def criteria_of(tender: dict[str, Any]) -> list[scoring.Criterion]:
    return [
        scoring.Criterion(key=str(c["key"]), weight=int(c["weight"]), is_price=bool(c["is_price"]))
        for c in tender["criteria"]
    ]


def quality_criteria(tender: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in tender["criteria"] if not c["is_price"]]


class InterestConflict(DomainError):
    """A panel seat and a bid on the same tender by the same person's organization."""

    status_code = 409


ACTIVE_SEATS = ("appointed", "declared")


async def appoint_evaluator(*, user_id: int, tender_id: int, email: str) -> int:
    """Any time before the award; returns the appointment id. Once the bids are opened
    a member of an organization with a live bid cannot be appointed; before that the
    appointment stands and the opening voids it (a refusal would reveal who bid)."""
    email = (email or "").strip().lower()
    async with atomic():
        tender = await load_tender(tender_id, lock=True)
        await check_department(user_id, tender)
        if tender["status"] not in ("draft", "published", "tendering", "evaluation"):
            raise DomainError("Evaluators can only be appointed before the award.")
        found = await User.select(User.id).where(User.email == email).first()
        if found is None:
            raise ValidationFailed.single("email", "No user has this e-mail address.")
        evaluator_id = int(found["id"])
        if await Evaluator.exists().where(
            (Evaluator.tender == tender_id) & (Evaluator.user == evaluator_id)
        ):
            raise ValidationFailed.single("email", "This person is already on the panel.")
        if await opened_at(tender_id) is not None and await bidder_member(tender_id, evaluator_id):
            raise ValidationFailed.single(
                "email",
                "This person is a member of an organization that bid for this tender: "
                "they cannot sit on its panel.",
            )
        rows = await Evaluator.insert(
            Evaluator(
                tender=tender_id,
                user=evaluator_id,
                appointed_by=user_id,
                appointed_at=clock.now(),
                status="appointed",
            )
        ).returning(Evaluator.id)
        await append_audit(
            actor_of(user_id),
            "evaluator.appoint",
            "tender",
            tender_id,
            {"evaluator": evaluator_id},
        )
    return int(rows[0]["id"])


async def panel_seat(tender_id: int, user_id: int) -> dict[str, Any]:
    """This user's appointment on the tender's panel (404 for anyone else)."""
    row = (
        await Evaluator.select()
        .where((Evaluator.tender == tender_id) & (Evaluator.user == user_id))
        .first()
    )
    if row is None:
        raise NotFound("You are not on this tender's evaluation panel.")
    return row


async def declare_interests(
    *, user_id: int, tender_id: int, conflict: bool, statement: str = ""
) -> str:
    """No conflict → `declared` (may see and score bids); a conflict → `recused`."""
    statement = (statement or "").strip()
    if len(statement) > STATEMENT_MAX:
        raise ValidationFailed.single("statement", "The statement can be at most 2,000 characters.")
    if conflict and not statement:
        raise ValidationFailed.single("statement", "Describe the conflict of interest.")
    async with atomic():
        seat = await panel_seat(tender_id, user_id)
        if seat["status"] != "appointed":
            raise Conflict("You have already made your declaration for this tender.")
        if not conflict and await bidder_member(tender_id, user_id):
            raise ValidationFailed.single(
                "conflict",
                "You are a member of an organization that bid for this tender: declare the "
                "conflict of interest.",
            )
        status = "recused" if conflict else "declared"
        await Evaluator.update(
            {
                Evaluator.status: status,
                Evaluator.declared_at: clock.now(),
                Evaluator.statement: statement,
            }
        ).where(Evaluator.id == seat["id"])
        await append_audit(
            actor_of(user_id),
            f"evaluator.{status}",
            "tender",
            tender_id,
            {"statement": statement} if statement else {},
        )
    return status


async def holds_seat(tender_id: int, user_id: int) -> bool:
    """Does this user hold an active (appointed or declared) seat on the tender's panel?"""
    return bool(
        await Evaluator.exists().where(
            (Evaluator.tender == tender_id)
            & (Evaluator.user == user_id)
            & Evaluator.status.is_in(list(ACTIVE_SEATS))
        )
    )


async def check_may_see_bids(tender_id: int, user_id: int) -> dict[str, Any]:
    """An evaluator sees bids only after opening and after declaring no conflict."""
    seat = await panel_seat(tender_id, user_id)
    if seat["status"] != "declared":
        raise PermissionDenied(
            "Declare that you have no conflict of interest before you see any bid."
        )
    await check_opened(tender_id, user_id=user_id, what="evaluator view")
    return seat


def parse_marks(tender: dict[str, Any], form: dict[str, str]) -> dict[str, tuple[int, str]]:
    """`mark_{key}` (0–100) and `comment_{key}` for each quality criterion."""
    marks: dict[str, tuple[int, str]] = {}
    errors: dict[str, str] = {}
    for criterion in quality_criteria(tender):
        key = str(criterion["key"])
        text = str(form.get(f"mark_{key}") or "").strip()
        comment = str(form.get(f"comment_{key}") or "").strip()
        try:
            if not is_ascii_digits(text) or len(text) > 3:
                raise ValueError(text)
            mark = int(text)
            scoring.check_mark(mark)
        except (ValueError, scoring.ScoringError):
            errors[f"mark_{key}"] = "A mark is a whole number from 0 to 100."
            continue
        if not comment:
            errors[f"comment_{key}"] = "Explain the mark in a comment."
        elif len(comment) > COMMENT_MAX:
            errors[f"comment_{key}"] = "A comment can be at most 2,000 characters."
        marks[key] = (mark, comment)
    if errors:
        raise ValidationFailed(errors)
    return marks


async def score_bid(*, user_id: int, tender_id: int, bid_ref: str, form: dict[str, str]) -> None:
    """Record (or revise, until the award) this evaluator's marks for one bid."""
    await recheck_conflicts(tender_id)
    async with atomic():
        tender = await load_tender(tender_id, lock=True)
        await check_may_see_bids(tender_id, user_id)
        if tender["status"] != "evaluation":
            raise DomainError("Scores can only be given while the tender is in evaluation.")
        bid = await _qualified_bid(tender_id, bid_ref)
        marks = parse_marks(tender, form)
        now = clock.now()
        await Score.delete().where((Score.bid == bid["id"]) & (Score.evaluator == user_id))
        for key, (mark, comment) in marks.items():
            await Score.insert(
                Score(
                    tender=tender_id,
                    bid=bid["id"],
                    evaluator=user_id,
                    criterion=key,
                    mark=mark,
                    comment=comment,
                    scored_at=now,
                )
            )
        await append_audit(
            actor_of(user_id),
            "bid.score",
            "bid",
            bid["id"],
            {"marks": {k: m for k, (m, _) in marks.items()}},
        )


async def _qualified_bid(tender_id: int, ref: str) -> dict[str, Any]:
    rows = await execute(
        "SELECT * FROM bids_bid WHERE tender = {} AND ref = {}"
        " AND status IN ('qualified', 'awarded', 'lost')",
        tender_id,
        ref,
    )
    if not rows:
        raise NotFound("No such bid.")
    return dict(rows[0])


class RankingNotReadyError(DomainError):
    """The ranking cannot be computed yet: no qualified bid, no declared evaluator for
    the quality criteria, or a declared evaluator still has bids to score. `message`
    is a msgid without parameters (the department's evaluation page translates it)."""


async def ranking(tender: dict[str, Any]) -> list[dict[str, Any]]:
    """The current ranking (totals to two decimals, parts per criterion); raises
    RankingNotReadyError while any declared evaluator still has bids to score."""
    bids = await execute(
        "SELECT b.id, b.ref, b.price, b.received_at, b.organization FROM bids_bid b"
        " WHERE b.tender = {} AND b.status IN ('qualified', 'awarded', 'lost') ORDER BY b.id",
        tender["id"],
    )
    names = await organization_names(int(b["organization"]) for b in bids)
    bids = [b for b in bids if int(b["organization"]) in names]  # as the join did
    if not bids:
        raise RankingNotReadyError("There is no qualified bid to award.")
    evaluators = await execute(
        "SELECT e.\"user\" AS uid FROM bids_evaluator e WHERE tender = {} AND status = 'declared'",
        tender["id"],
    )
    quality = quality_criteria(tender)
    if quality and not evaluators:
        raise RankingNotReadyError("At least one evaluator must declare and score the bids.")
    scores = await execute(
        "SELECT bid, evaluator, criterion, mark FROM bids_score WHERE tender = {}", tender["id"]
    )
    declared = {int(e["uid"]) for e in evaluators}
    marks: dict[int, dict[str, list[int]]] = {}
    given: dict[tuple[int, int], int] = {}
    for s in scores:
        if int(s["evaluator"]) not in declared:
            continue
        marks.setdefault(int(s["bid"]), {}).setdefault(s["criterion"], []).append(int(s["mark"]))
        given[(int(s["bid"]), int(s["evaluator"]))] = (
            given.get((int(s["bid"]), int(s["evaluator"])), 0) + 1
        )
    if quality:
        for bid in bids:
            for evaluator in declared:
                if given.get((int(bid["id"]), evaluator), 0) < len(quality):
                    raise RankingNotReadyError(
                        "Every declared evaluator must score every qualified bid."
                    )
    candidates = [
        scoring.Candidate(int(b["id"]), int(b["price"]), timestamp(b["received_at"])) for b in bids
    ]
    results = scoring.rank(criteria_of(tender), candidates, marks)
    by_id = {int(b["id"]): b for b in bids}
    return [
        {
            "rank": r.rank,
            "bid": r.bid_id,
            "ref": by_id[r.bid_id]["ref"],
            "organization": int(by_id[r.bid_id]["organization"]),
            "name_zh": names[int(by_id[r.bid_id]["organization"])][0],
            "name_en": names[int(by_id[r.bid_id]["organization"])][1],
            "price": int(by_id[r.bid_id]["price"]),
            "total": r.display_total(),
            "parts": {k: f"{float(v):.2f}" for k, v in r.parts.items()},
        }
        for r in results
    ]


async def award_tender(*, user_id: int, tender_id: int) -> int:
    """Award to the highest total; starts the standstill period. Returns the award id."""
    await recheck_conflicts(tender_id)
    async with atomic():
        tender = await load_tender(tender_id, lock=True)
        await check_department(user_id, tender)
        await check_opened(tender_id, user_id=user_id, what="award")
        if tender["status"] != "evaluation":
            raise DomainError("Only a tender in evaluation can be awarded.")
        if tender.get("community_fund"):  # several grants, by votes: the funds app decides
            raise DomainError("A call for proposals is decided by its committee's votes.")
        results = await ranking(tender)
        winner = results[0]
        now = clock.now()
        for row in results:
            bid = await execute(
                "SELECT status FROM bids_bid WHERE id = {}" + for_update(), row["bid"]
            )
            current = str(bid[0]["status"])
            target = "awarded" if row["bid"] == winner["bid"] else "lost"
            if current != target:
                rules.transition("bid", current, target)
                await Bid.update({Bid.status: target, Bid.updated_at: now}).where(
                    Bid.id == row["bid"]
                )
        rows = await Award.insert(
            Award(
                tender=tender_id,
                bid=winner["bid"],
                status="active",
                awarded_by=user_id,
                awarded_at=now,
                standstill_ends=rules.standstill_ends(now, int(tender["acceleration"])),
                results=canonical_json(results),
            )
        ).returning(Award.id)
        award_id = int(rows[0]["id"])
        await append_audit(
            actor_of(user_id),
            "tender.award_decision",
            "tender",
            tender_id,
            {
                "award": award_id,
                "bid": winner["bid"],
                "organization": winner["organization"],
                "price": winner["price"],
                "ranking": [[r["bid"], r["total"]] for r in results],
            },
        )
        await lifecycle.mark_tender_awarded(
            tender_id, actor=actor_of(user_id), note=f"award {award_id}"
        )
    return award_id


async def active_award(tender_id: int) -> dict[str, Any] | None:
    row = (
        await Award.select().where((Award.tender == tender_id) & (Award.status == "active")).first()
    )
    if row is not None:
        row["results"] = json.loads(row["results"])
    return row
