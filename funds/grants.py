# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""A grant's tranches: the grantee reports, the committee approves (releasing the
tranche from the call's escrow through the kernel's `escrow.release`, as a contract's
milestone is) or sends the report back with a reason.

The tranche machine is the bids app's milestone machine (`bids.rules.MILESTONE`:
scheduled → submitted → approved | rejected → submitted again); four eyes as for
milestones: whoever recorded the grant's decision does not approve its tranches
(`rules.check_approver`). Tranches are reported in order. When every tranche of a
grant is approved the grant is completed, and when every grant of the call is over the
kernel completes the call's tender (the donors app's settlement then returns any
surplus of its escrow to the fund, `lifecycle.budget_account`).

Lock order: the tender row, then the grant, then the tranche, then the ledger.
"""

from __future__ import annotations

from typing import Any

from bids import rules as bid_rules
from bids.access import is_member
from funds import rules
from funds.tables import Grant, Tranche
from market import clock
from market.audit import actor_of, append_audit
from market.db import atomic
from market.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from market.ledger import escrow
from market.money import Money
from market.sql import Row, execute, for_update
from market.tenders import lifecycle, records

REASON_MAX = 2_000


async def tranche_locked(tranche_id: int) -> tuple[dict[str, Any], Row, Row]:
    """(tender, grant, tranche), locked in that order (and the grant's fund org read)."""
    found = await execute(
        "SELECT t.grant_id, c.tender FROM funds_tranche t JOIN funds_grant g ON g.id = t.grant_id"
        " JOIN funds_call c ON c.id = g.call WHERE t.id = {}",
        tranche_id,
    )
    if not found:
        raise NotFound("No such tranche.")
    tender = await records.load_locked(int(found[0]["tender"]))
    grants = await execute(
        "SELECT g.*, f.organization AS fund_organization FROM funds_grant g"
        " JOIN funds_call c ON c.id = g.call JOIN funds_fund f ON f.id = c.fund"
        " WHERE g.id = {}",
        found[0]["grant_id"],
    )
    await execute("SELECT id FROM funds_grant WHERE id = {}" + for_update(), found[0]["grant_id"])
    rows = await execute("SELECT * FROM funds_tranche WHERE id = {}" + for_update(), tranche_id)
    return tender, grants[0], rows[0]


async def _earlier_open(tranche: Row) -> bool:
    rows = await execute(
        "SELECT id FROM funds_tranche WHERE grant_id = {} AND position < {}"
        " AND status <> 'approved'",
        tranche["grant_id"],
        tranche["position"],
    )
    return bool(rows)


def _active(grant: Row) -> None:
    if grant["status"] != "active":
        raise Conflict("This grant is over.")


async def submit_report(*, user_id: int, tranche_id: int, report: str) -> None:
    """The grantee reports on a tranche's deliverable (again, after a rejection)."""
    report = rules.check_report(report or "")
    async with atomic():
        _, grant, tranche = await tranche_locked(tranche_id)
        if not await is_member(user_id, int(grant["organization"]), "social_org"):
            raise PermissionDenied("Only members of the organization granted report on it.")
        _active(grant)
        if await _earlier_open(tranche):
            raise Conflict("Report on the earlier tranche first.")
        await _move(
            tranche, "submitted", user_id, grant,
            {Tranche.report: report, Tranche.submitted_by: user_id,
             Tranche.submitted_at: clock.now()},
            {"position": tranche["position"]},
        )  # fmt: skip


async def _check_committee(user_id: int, tender_id: int, grant: Row) -> None:
    """A member of the fund's committee, free of conflict on the call (a declared seat
    on its panel: not recused, not voided), who did not record the decision."""
    if not await is_member(user_id, int(grant["fund_organization"]), "community_fund"):
        raise PermissionDenied("Only the fund's committee decides on a grant's tranches.")
    seat = await execute(
        'SELECT status FROM bids_v_evaluator WHERE tender = {} AND "user" = {}',
        tender_id,
        user_id,
    )
    if not seat or seat[0]["status"] != "declared":
        raise PermissionDenied(
            "A member with a conflict of interest on this call does not decide its tranches."
        )
    rules.check_approver(user_id, int(grant["decided_by"]))


async def approve_tranche(*, user_id: int, tranche_id: int) -> list[Any]:
    """Approve the report and release the tranche to the grantee."""
    async with atomic():
        tender, grant, tranche = await tranche_locked(tranche_id)
        await _check_committee(user_id, int(tender["id"]), grant)
        _active(grant)
        if tranche["status"] == "approved":
            raise Conflict("This tranche is already approved.")
        bid_rules.transition("milestone", tranche["status"], "approved")
        key = f"fund_tranche:{tranche_id}:release"
        actor = actor_of(user_id)
        results = await escrow.release(
            key,
            tender_id=int(tender["id"]),
            org_id=int(grant["organization"]),
            amount=Money(int(tranche["amount"]), grant["currency"]),
            actor=actor,
            reference=f"fund_tranche:{tranche_id}",
        )
        await _move(
            tranche, "approved", user_id, grant,
            {Tranche.decided_by: user_id, Tranche.decided_at: clock.now(),
             Tranche.release_key: key},
            {"amount": tranche["amount"], "release": key},
        )  # fmt: skip
        await _complete_if_done(tender, grant, actor)
    return results


async def reject_tranche(*, user_id: int, tranche_id: int, reason: str) -> None:
    """Back to the grantee with a reason; they may report again."""
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise ValidationFailed.single("reason", "Give a reason (2,000 characters at most).")
    async with atomic():
        tender, grant, tranche = await tranche_locked(tranche_id)
        await _check_committee(user_id, int(tender["id"]), grant)
        _active(grant)
        await _move(
            tranche, "rejected", user_id, grant,
            {Tranche.reason: reason, Tranche.decided_by: user_id, Tranche.decided_at: clock.now()},
            {"reason": reason},
        )  # fmt: skip


ACTIONS = {"submitted": "fund.tranche_report", "approved": "fund.tranche_approve",
           "rejected": "fund.tranche_reject"}  # fmt: skip


async def _move(
    tranche: Row, target: str, user_id: int, grant: Row, columns: dict[Any, Any],
    audit: dict[str, Any],
) -> None:  # fmt: skip
    """The tranche's move through the milestone machine: its row and its audit event."""
    bid_rules.transition("milestone", tranche["status"], target)
    await Tranche.update({Tranche.status: target, **columns}).where(Tranche.id == tranche["id"])
    await append_audit(
        actor_of(user_id), ACTIONS[target], "fund_grant", grant["id"],
        {"tranche": int(tranche["id"]), **audit},
    )  # fmt: skip


async def _complete_if_done(tender: dict[str, Any], grant: Row, actor: str) -> None:
    left = await execute(
        "SELECT COUNT(*) AS n FROM funds_tranche WHERE grant_id = {} AND status <> 'approved'",
        grant["id"],
    )
    if int(left[0]["n"]):
        return
    await Grant.update({Grant.status: "completed", Grant.ended_at: clock.now()}).where(
        Grant.id == grant["id"]
    )
    await append_audit(actor, "fund.grant_complete", "fund_grant", grant["id"], {})
    running = await execute(
        "SELECT COUNT(*) AS n FROM funds_grant WHERE call = {} AND status = 'active'",
        grant["call"],
    )
    if not int(running[0]["n"]):
        await lifecycle.mark_tender_completed(
            int(tender["id"]), actor=actor, note=f"call {grant['call']}: every grant completed"
        )
