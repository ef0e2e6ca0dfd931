"""Department workspace services: draft, edit, publish, amend, cancel, documents.

Each takes primitives (the acting user's id, the form as a dict of strings), checks
that the user belongs to the owning department, owns its transaction, calls the
pure rules, and records a revision and an audit event. Validation errors are
raised before anything is written (ValidationFailed names the fields).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from market import clock
from market.audit import actor_of, canonical_json
from market.db import atomic
from market.errors import NotFound, ValidationFailed
from market.settings import get_settings
from market.tables import Tender, TenderDocument
from market.tenders import (
    acceleration,
    documents,
    hooks,
    inputs,
    lifecycle,
    place_and_line,
    records,
    rules,
)

__all__ = [
    "AmendmentResult",
    "add_document",
    "amend_tender",
    "cancel_tender",
    "create_tender",
    "min_window",
    "publish_tender",
    "remove_document",
    "update_draft",
]


def min_window(factor: int = acceleration.REAL_TIME) -> timedelta:
    """The least time left to bid after publication or an amendment (default 3 days),
    accelerated for a sandbox tender."""
    return acceleration.accelerated(timedelta(days=get_settings().tender_min_window_days), factor)


async def _validate_draft(form: dict[str, str]) -> inputs.TenderInput:
    """The draft form validated; where the platform has places, a missing place is the
    error (the form offers no area to type then)."""
    settings = get_settings()
    async with place_and_line.place_refusals(form):
        return inputs.validate_tender(
            form,
            currency=settings.default_currency,
            now=clock.now(),
            sandbox_allowed=settings.sandbox,
        )


def _columns(data: inputs.TenderInput) -> dict[str, object]:
    columns = data.columns()
    columns["criteria"] = canonical_json(columns["criteria"])
    return columns


async def create_tender(
    *, user_id: int, department_id: int, form: dict[str, str], fund_place: int | None = None
) -> int:
    """A new draft owned by `department_id`; returns its id. With `fund_place` (the
    funds app): a community fund's call for proposals, owned by the fund's organization,
    its budget held from that community's fund (`lifecycle.budget_account`)."""
    now = clock.now()
    fund = {"community_fund": True} if fund_place is not None else {}
    data = await _validate_draft(form)
    async with atomic():
        await records.check_member(user_id, department_id)
        data = await place_and_line.with_place(data, required=True)
        rows = await Tender.insert(
            Tender(
                department=department_id,
                created_by=user_id,
                status="draft",
                status_changed_at=now,
                qa_salt=secrets.token_hex(16),
                created_at=now,
                updated_at=now,
                **_columns(data),
                **fund,
            )
        ).returning(Tender.id)
        tender_id = int(rows[0]["id"])
        ocid = f"ocds-{get_settings().ocds_prefix}-{tender_id}"
        await Tender.update({Tender.ocid: ocid}).where(Tender.id == tender_id)
        await records.record(
            tender_id,
            actor=actor_of(user_id),
            action="create",
            to_status="draft",
            changes={"department": department_id, "ocid": ocid}
            | ({"acceleration": data.acceleration} if data.acceleration != 1 else {})
            | ({"community_fund": fund_place} if fund_place is not None else {}),
            at=now,
        )
    return tender_id


async def update_draft(*, user_id: int, tender_id: int, form: dict[str, str]) -> None:
    data = await _validate_draft(form)
    async with atomic():
        row = await records.load_locked(tender_id)
        await records.check_member(user_id, row["department"])
        rules.check_can_edit(row["status"])
        data = await place_and_line.with_place(data, required=True)
        await Tender.update(
            {**_columns(data), "updated_at": clock.now(), "version": row["version"] + 1}
        ).where(Tender.id == tender_id)
        await records.record(tender_id, actor=actor_of(user_id), action="edit")


async def publish_tender(*, user_id: int, tender_id: int) -> None:
    """draft → published: dates still ahead, budget held from its budget line (or, for a
    tender from before budget lines, the department's account)."""
    async with atomic():
        row = await records.load_locked(tender_id)
        await records.check_member(user_id, row["department"])
        rules.transition("publish", row["status"])
        now = clock.now()
        rules.check_publishable(row["enquiry_end"], row["bid_deadline"], now, min_window())
        periods = rules.periods_at_publication(row, now, int(row["acceleration"]))
        actor = actor_of(user_id)
        await lifecycle.hold_budget(row, actor=actor)
        await records.set_status(
            row,
            "publish",
            actor=actor,
            extra={Tender.published_at: now, **{getattr(Tender, k): v for k, v in periods.items()}},
            changes={"budget": row["budget"], "hold": row["budget_hold_key"]}
            | rules.sandbox_changes(periods, int(row["acceleration"])),
        )


@dataclass(frozen=True, slots=True)
class AmendmentResult:
    revision_id: int
    bid_deadline: datetime
    extended: bool
    bids_marked: int


async def amend_tender(
    *,
    user_id: int,
    tender_id: int,
    form: dict[str, str],
    note: str,
    documents_changed: bool = False,
) -> AmendmentResult:
    """Change the conditions of a published tender before its bid deadline.

    Bids already submitted are marked for re-confirmation (through the registered
    hooks), and the deadline is extended so at least `min_window()` remains.
    """
    note = rules.check_reason(note) if note.strip() else ""
    if not note:
        raise ValidationFailed.single("note", "Explain the amendment: it is published.")
    async with atomic():
        row = await records.load_locked(tender_id)
        await records.check_member(user_id, row["department"])
        now = clock.now()
        rules.check_can_amend(row["status"], row["enquiry_end"], row["bid_deadline"], now)
        # The place and the budget line are fixed at publication (the hold is the line's).
        fixed = place_and_line.fixed(row)
        data = inputs.validate_tender({**form, **fixed}, currency=get_settings().default_currency)
        data = await place_and_line.with_place(data, required=False)
        await lifecycle.catch_up(row)
        current = {**row, "criteria": row["criteria"]}
        plan = rules.plan_amendment(
            current,
            data,
            now=now,
            min_window=min_window(int(row["acceleration"])),
            documents_changed=documents_changed,
        )
        return await _apply_amendment(row, data, plan, user_id=user_id, note=note, now=now)


async def _apply_amendment(
    row: dict[str, Any],
    data: inputs.TenderInput,
    plan: rules.Amendment,
    *,
    user_id: int,
    note: str,
    now: datetime,
) -> AmendmentResult:
    actor = actor_of(user_id)
    tender_id = int(row["id"])
    columns = {
        **_columns(data),
        "bid_deadline": plan.bid_deadline,
        "opening_at": plan.opening_at,
        "amended_at": now,
        "amendment_count": int(row["amendment_count"]) + 1,
        "updated_at": now,
        "version": int(row["version"]) + 1,
    }
    await Tender.update(columns).where(Tender.id == tender_id)
    row.update(columns)
    if "budget" in plan.changes:  # re-hold the new amount
        await lifecycle.void_budget(row, actor=actor)
        await lifecycle.hold_budget(row, actor=actor, amended=True)
    revision_id = await records.record(
        tender_id,
        actor=actor,
        action="amend",
        note=note,
        changes={k: list(v) for k, v in plan.changes.items()},
        at=now,
    )
    marked = await hooks.notify_amended(
        hooks.TenderAmended(tender_id, revision_id, now, plan.bid_deadline, dict(plan.changes))
    )
    return AmendmentResult(revision_id, plan.bid_deadline, plan.extended, marked)


async def cancel_tender(*, user_id: int, tender_id: int, reason: str) -> None:
    """Cancel with a published reason; the budget hold (if any) is voided."""
    reason = rules.check_reason(reason)
    async with atomic():
        row = await records.load_locked(tender_id)
        await records.check_member(user_id, row["department"])
        await lifecycle.catch_up(row)
        actor = actor_of(user_id)
        rules.transition("cancel", row["status"])  # allowed? then the ledger first, so
        await lifecycle.void_budget(row, actor=actor)  # the published event sees it voided
        await records.set_status(
            row, "cancel", actor=actor, note=reason, extra={Tender.cancel_reason: reason}
        )


# --- documents ------------------------------------------------------------------------


async def add_document(
    *, user_id: int, tender_id: int, filename: str, data: bytes, title: str = "", note: str = ""
) -> int:
    """Attach a document. To a draft: freely. To a published tender: only as an
    amendment (with a note), which re-opens bids for confirmation like any other."""
    checked = documents.check_document(filename, data, title)
    async with atomic():
        row = await records.load_locked(tender_id)
        await records.check_member(user_id, row["department"])
        now = clock.now()
        if row["status"] != "draft":
            rules.check_can_amend(row["status"], row["enquiry_end"], row["bid_deadline"], now)
            if not note.strip():
                raise ValidationFailed.single(
                    "note", "Explain why this document is added: it is published as an amendment."
                )
        rows = await TenderDocument.insert(
            TenderDocument(
                tender=tender_id,
                title=checked.title,
                filename=checked.filename,
                kind=checked.kind,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                content=data,
                uploaded_by=user_id,
                uploaded_at=now,
            )
        ).returning(TenderDocument.id)
        document_id = int(rows[0]["id"])
        if row["status"] == "draft":
            await records.record(
                tender_id,
                actor=actor_of(user_id),
                action="document_add",
                changes={"document": document_id, "sha256": checked.sha256},
                at=now,
            )
        else:
            await amend_tender(
                user_id=user_id,
                tender_id=tender_id,
                form=_form_of(row),
                note=note,
                documents_changed=True,
            )
    return document_id


async def remove_document(*, user_id: int, tender_id: int, document_id: int) -> None:
    """Only a draft's documents can be removed; a published document stays on record."""
    async with atomic():
        row = await records.load_locked(tender_id)
        await records.check_member(user_id, row["department"])
        rules.check_can_edit(row["status"])
        deleted = (
            await TenderDocument.delete()
            .where((TenderDocument.id == document_id) & (TenderDocument.tender == tender_id))
            .returning(TenderDocument.id)
        )
        if not deleted:
            raise NotFound("No such document.")
        await records.record(
            tender_id,
            actor=actor_of(user_id),
            action="document_remove",
            changes={"document": document_id},
        )


def _form_of(row: dict[str, Any]) -> dict[str, str]:
    """The stored tender as the form it was entered through (to amend unchanged)."""
    from market.tenders.forms import form_values

    return form_values(row)
