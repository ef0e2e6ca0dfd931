# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Milestones: evidence, four-eyes approval releasing the tranche, rejection, not met.

Approval locks the tender, the contract and the milestone (in that order), so two
approvals of one milestone serialize: the second sees it approved and is refused
(409); the release's idempotency key (`milestone:{id}:release`) is the second line
of defence, so money moves once whatever happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bids import rules
from bids.access import check_department, is_member
from bids.contracts import contract_locked, settle_escrow
from bids.tables import Contract, Milestone, MilestoneEvidence
from market import clock
from market.audit import actor_of, append_audit
from market.db import atomic
from market.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from market.ledger import escrow
from market.money import Money
from market.sql import execute, for_update
from market.tenders import documents, lifecycle
from market.tenders.acceleration import is_sandbox
from market.timestamps import day, timestamp

NOTE_MAX = 5_000
MAX_EVIDENCE = 5


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    data: bytes
    title: str = ""


async def _milestone_locked(
    milestone_id: int,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    found = await execute("SELECT contract FROM bids_milestone WHERE id = {}", milestone_id)
    if not found:
        raise NotFound("No such milestone.")
    tender, contract = await contract_locked(int(found[0]["contract"]))
    await execute("SELECT id FROM bids_milestone WHERE id = {}" + for_update(), milestone_id)
    milestone = await Milestone.select().where(Milestone.id == milestone_id).first()
    assert milestone is not None  # noqa: S101 - locked above
    return tender, contract, milestone


def _active(contract: dict[str, Any]) -> None:
    if contract["status"] != "active":
        raise DomainError("The contract is not active.")


async def submit_evidence(
    *, user_id: int, milestone_id: int, note: str, uploads: list[Upload] | None = None
) -> None:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed.single("note", "Describe what was delivered.")
    if len(note) > NOTE_MAX:
        raise ValidationFailed.single("note", "The description can be at most 5,000 characters.")
    uploads = [u for u in (uploads or []) if u.data or u.filename]
    if len(uploads) > MAX_EVIDENCE:
        raise ValidationFailed.single("document", "Attach at most 5 files.")
    checked = [documents.check_document(u.filename, u.data, u.title) for u in uploads]
    async with atomic():
        _, contract, milestone = await _milestone_locked(milestone_id)
        if not await is_member(user_id, int(contract["organization"]), "social_org"):
            raise PermissionDenied("Only members of the contracted organization submit evidence.")
        _active(contract)
        target = rules.transition("milestone", milestone["status"], "submitted")
        now = clock.now()
        for upload, doc in zip(uploads, checked, strict=True):
            await MilestoneEvidence.insert(
                MilestoneEvidence(
                    milestone=milestone_id,
                    title=doc.title,
                    filename=doc.filename,
                    kind=doc.kind,
                    content_type=doc.content_type,
                    size=doc.size,
                    sha256=doc.sha256,
                    content=upload.data,
                    uploaded_by=user_id,
                    uploaded_at=now,
                )
            )
        await Milestone.update(
            {
                Milestone.status: target,
                Milestone.evidence_note: note,
                Milestone.submitted_by: user_id,
                Milestone.submitted_at: now,
                Milestone.version: milestone["version"] + 1,
            }
        ).where(Milestone.id == milestone_id)
        await append_audit(
            actor_of(user_id),
            "milestone.submit",
            "milestone",
            milestone_id,
            {"contract": contract["id"], "evidence": [d.sha256 for d in checked]},
        )


async def approve_milestone(*, user_id: int, milestone_id: int) -> list[Any]:
    """Approve and release the tranche; returns the ledger transfers (one per source)."""
    async with atomic():
        tender, contract, milestone = await _milestone_locked(milestone_id)
        await check_department(user_id, tender)
        rules.check_approver(user_id, int(contract["created_by"]))
        if milestone["status"] == "approved":
            raise Conflict("This milestone is already approved.")
        _active(contract)
        rules.transition("milestone", milestone["status"], "approved")
        key = f"milestone:{milestone_id}:release"
        actor = actor_of(user_id)
        results = await escrow.release(
            key,
            tender_id=int(tender["id"]),
            org_id=int(contract["organization"]),
            sandbox=is_sandbox(int(tender["acceleration"])),
            amount=Money(int(milestone["amount"]), contract["currency"]),
            actor=actor,
            reference=f"milestone:{milestone_id}",
        )
        updated = await (
            Milestone.update(
                {
                    Milestone.status: "approved",
                    Milestone.decided_by: user_id,
                    Milestone.decided_at: clock.now(),
                    Milestone.release_key: key,
                    Milestone.released: True,
                    Milestone.version: milestone["version"] + 1,
                }
            )
            .where((Milestone.id == milestone_id) & (Milestone.version == milestone["version"]))
            .returning(Milestone.id)
        )
        if not updated:
            raise Conflict("Someone else decided this milestone just now.")
        await append_audit(
            actor,
            "milestone.approve",
            "milestone",
            milestone_id,
            {
                "contract": contract["id"],
                "amount": milestone["amount"],
                "release": key,
                "parts": {r.transfer.source: r.transfer.amount for r in results},
            },
        )
        await _complete_if_done(tender, contract, actor)
    return results


async def _complete_if_done(tender: dict[str, Any], contract: dict[str, Any], actor: str) -> None:
    rows = await execute(
        "SELECT COUNT(*) AS n FROM bids_milestone WHERE contract = {} AND status <> 'approved'",
        contract["id"],
    )
    if int(rows[0]["n"]):
        return
    rules.transition("contract", contract["status"], "completed")
    await Contract.update(
        {
            Contract.status: "completed",
            Contract.ended_at: clock.now(),
            Contract.version: contract["version"] + 1,
        }
    ).where(Contract.id == contract["id"])
    await append_audit(actor, "contract.complete", "contract", contract["id"], {})
    await settle_escrow(tender, contract, actor=actor, action="contract_complete", note="")
    await lifecycle.mark_tender_completed(
        int(tender["id"]), actor=actor, note=f"contract {contract['id']}"
    )


async def reject_milestone(*, user_id: int, milestone_id: int, reason: str) -> None:
    """Back to the organization with a reason (they may submit again)."""
    reason = _reason(reason)
    await _decide(user_id, milestone_id, "rejected", reason)


async def mark_not_met(*, user_id: int, milestone_id: int, reason: str) -> None:
    """A milestone past its due date without (accepted) evidence."""
    reason = _reason(reason)
    await _decide(user_id, milestone_id, "not_met", reason)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.single("reason", "Give a reason: it is shown to the organization.")
    if len(reason) > NOTE_MAX:
        raise ValidationFailed.single("reason", "The reason can be at most 5,000 characters.")
    return reason


async def _decide(user_id: int, milestone_id: int, target: str, reason: str) -> None:
    async with atomic():
        tender, contract, milestone = await _milestone_locked(milestone_id)
        await check_department(user_id, tender)
        _active(contract)
        if target == "rejected":
            rules.check_approver(user_id, int(contract["created_by"]))
        elif not rules.can_mark_not_met(
            clock.now(),
            day(milestone["due"]),
            milestone["status"],
            timestamp(contract["created_at"]),
            int(tender["acceleration"]),
        ):
            raise DomainError(
                "Only a milestone past its due date without accepted evidence can be marked "
                "not met."
            )
        rules.transition("milestone", milestone["status"], target)
        await Milestone.update(
            {
                Milestone.status: target,
                Milestone.reason: reason,
                Milestone.decided_by: user_id,
                Milestone.decided_at: clock.now(),
                Milestone.version: milestone["version"] + 1,
            }
        ).where(Milestone.id == milestone_id)
        await append_audit(
            actor_of(user_id),
            f"milestone.{target}",
            "milestone",
            milestone_id,
            {"contract": contract["id"], "reason": reason},
        )
