# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Shared steps of the tender services, used inside their transactions: the locked
read, the department-membership check, and recording a change (revision + audit)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from market import clock
from market.audit import append_audit, canonical_json
from market.errors import Conflict, NotFound, PermissionDenied
from market.organization_rules import BUYER_KINDS
from market.sql import execute, for_update
from market.tables import Membership, Tender, TenderRevision
from market.tenders import rules
from market.timestamps import timestamp

NOT_FOUND = "No such tender."
CHRONOGRAPH = "system:chronograph"


async def load_locked(tender_id: int) -> dict[str, Any]:
    """The tender row, locked for the rest of the transaction (FOR UPDATE on PostgreSQL;
    SQLite writers are already serialized by BEGIN IMMEDIATE)."""
    rows = await execute("SELECT * FROM market_tender WHERE id = {}" + for_update(), tender_id)
    if not rows:
        raise NotFound(NOT_FOUND)
    row = dict(rows[0])
    for name in ("enquiry_end", "bid_deadline", "opening_at", "published_at", "amended_at"):
        row[name] = timestamp(row[name])
    row["criteria"] = json.loads(row["criteria"] or "[]")
    return row


async def check_member(user_id: int, department_id: int) -> None:
    """Only members of the owning (verified) department act on its tenders — or, for a
    community fund's call for proposals, members of the fund (its committee)."""
    if not await Membership.exists().where(
        (Membership.user == user_id)
        & (Membership.organization == department_id)
        & Membership.organization.kind.is_in(list(BUYER_KINDS))
        & (Membership.organization.status == "verified")
    ):
        raise PermissionDenied("Only members of the department that owns this tender may do this.")


async def record(
    tender_id: int,
    *,
    actor: str,
    action: str,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    changes: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """One revision row and one audit event, in the caller's transaction."""
    at = at or clock.now()
    body = changes or {}
    rows = await TenderRevision.insert(
        TenderRevision(
            tender=tender_id,
            at=at,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=to_status,
            note=note,
            changes=canonical_json(body),
        )
    ).returning(TenderRevision.id)
    audit: dict[str, Any] = {"changes": body}
    if from_status or to_status:
        audit.update({"from": from_status, "to": to_status})
    if note:
        audit["note"] = note
    await append_audit(actor, f"tender.{action}", "tender", tender_id, audit)
    return int(rows[0]["id"])


async def set_status(
    row: dict[str, Any],
    action: str,
    *,
    actor: str,
    note: str = "",
    extra: dict[Any, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> str:
    """Apply a transition to a locked row: conditional UPDATE on (id, version), revision,
    audit. Mutates `row` so later steps in the transaction see the new state."""
    target = rules.transition(action, row["status"])
    now = clock.now()
    values: dict[Any, Any] = {
        Tender.status: target,
        Tender.status_changed_at: now,
        Tender.updated_at: now,
        Tender.version: row["version"] + 1,
        **(extra or {}),
    }
    updated = (
        await Tender.update(values)
        .where(
            (Tender.id == row["id"])
            & (Tender.version == row["version"])
            & (Tender.status == row["status"])
        )
        .returning(Tender.id)
    )
    if not updated:
        raise Conflict("Someone else changed this tender just now. Reload and try again.")
    await record(
        row["id"],
        actor=actor,
        action=action,
        from_status=row["status"],
        to_status=target,
        note=note,
        changes=changes,
        at=now,
    )
    row["status"], row["version"] = target, row["version"] + 1
    return target
