"""Complaints during the standstill period, resolved by the operator.

A losing bidder files a complaint while the standstill runs. Upheld → the award is
cancelled and evaluation reopens (evaluators may revise scores; the department
awards again, with a new standstill). Dismissed → the complaint closes; the contract
can be signed once the standstill has ended and no complaint is open.
"""

from __future__ import annotations

from bids import rules
from bids.access import is_member, load_tender
from bids.evaluation import active_award
from bids.tables import Award, Complaint
from market import clock
from market.accounts import load_principal
from market.audit import actor_of, append_audit
from market.db import atomic
from market.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from market.sql import execute
from market.tenders import lifecycle
from market.timestamps import timestamp

TEXT_MAX = 5_000


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed.single(field, message)
    if len(value) > TEXT_MAX:
        raise ValidationFailed.single(field, "The text can be at most 5,000 characters.")
    return value


async def file_complaint(*, user_id: int, organization_id: int, tender_id: int, text: str) -> int:
    text = _text(text, "text", "Explain what the complaint is about.")
    async with atomic():
        tender = await load_tender(tender_id, lock=True)
        if not await is_member(user_id, organization_id, "social_org"):
            raise PermissionDenied("Only members of the bidding organization may complain.")
        award = await active_award(tender_id)
        if award is None or tender["status"] != "awarded":
            raise DomainError("Complaints can only be filed during the standstill period.")
        rules.check_complaint_window(
            clock.now(), timestamp(award["awarded_at"]), timestamp(award["standstill_ends"])
        )
        lost = await execute(
            "SELECT id FROM bids_bid WHERE tender = {} AND organization = {} AND status = 'lost'",
            tender_id,
            organization_id,
        )
        if not lost:
            raise PermissionDenied("Only a bidder that lost this award may complain about it.")
        rows = await Complaint.insert(
            Complaint(
                tender=tender_id,
                award=award["id"],
                organization=organization_id,
                filed_by=user_id,
                text=text,
                status="filed",
                filed_at=clock.now(),
            )
        ).returning(Complaint.id)
        complaint_id = int(rows[0]["id"])
        await append_audit(
            actor_of(user_id),
            "complaint.file",
            "complaint",
            complaint_id,
            {"tender": tender_id, "organization": organization_id, "award": award["id"]},
        )
    return complaint_id


async def resolve_complaint(
    *, user_id: int, complaint_id: int, upheld: bool, resolution: str
) -> None:
    """The operator's decision, with a published reason."""
    resolution = _text(resolution, "resolution", "Give the reason for the decision.")
    principal = await load_principal(user_id)
    if principal is None or not principal.is_operator:
        raise PermissionDenied("Only platform operators resolve complaints.")
    async with atomic():
        found = await execute("SELECT tender FROM bids_complaint WHERE id = {}", complaint_id)
        if not found:
            raise NotFound("No such complaint.")
        tender_id = int(found[0]["tender"])
        await load_tender(tender_id, lock=True)
        complaint = await Complaint.select().where(Complaint.id == complaint_id).first()
        assert complaint is not None  # noqa: S101 - read under the tender lock
        target = rules.transition(
            "complaint", complaint["status"], "upheld" if upheld else "dismissed"
        )
        now = clock.now()
        await Complaint.update(
            {
                Complaint.status: target,
                Complaint.resolved_by: user_id,
                Complaint.resolved_at: now,
                Complaint.resolution: resolution,
            }
        ).where(Complaint.id == complaint_id)
        actor = actor_of(user_id)
        await append_audit(
            actor, f"complaint.{target}", "complaint", complaint_id, {"resolution": resolution}
        )
        award = await Award.select(Award.status).where(Award.id == complaint["award"]).first()
        if upheld and award is not None and award["status"] == "active":
            await Award.update({Award.status: "cancelled", Award.cancelled_at: now}).where(
                Award.id == complaint["award"]
            )
            await append_audit(
                actor, "tender.award_cancelled", "tender", tender_id, {"award": complaint["award"]}
            )
            await lifecycle.reopen_evaluation(
                tender_id, actor=actor, note=f"complaint {complaint_id} upheld"
            )


async def open_complaints(tender_id: int) -> int:
    rows = await execute(
        "SELECT COUNT(*) AS n FROM bids_complaint WHERE tender = {} AND status = 'filed'",
        tender_id,
    )
    return int(rows[0]["n"])
