# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Shared steps of the bids services: who may act, locked reads, the sealing gate.

Every check of who may do what in the bids app is here or in `rules.py`; templates
and controllers never decide it. A refused look at sealed bids is logged (B7).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from market.audit import actor_of, append_audit, append_sealed
from market.errors import NotFound, PermissionDenied
from market.sql import execute, for_update
from market.tables import Membership
from market.tenders import records
from market.tenders.readmodels import tender_for_bidding

log = logging.getLogger("bids.access")

NO_BID = "No such bid."
SEALED = "Bids stay sealed until they are opened after the bid deadline."


async def load_tender(tender_id: int, *, lock: bool = False) -> dict[str, Any]:
    """The tender row (aware datetimes, criteria parsed); locked when asked."""
    if lock:
        return await records.load_locked(tender_id)
    found = await tender_for_bidding(tender_id)
    if found is None or found["status"] == "draft":
        raise NotFound(records.NOT_FOUND)
    row = dict(found)
    for name in ("enquiry_end", "bid_deadline", "opening_at"):
        if isinstance(row[name], str):
            row[name] = datetime.fromisoformat(row[name])
    row["criteria"] = json.loads(row["criteria"] or "[]")
    return row


async def is_member(user_id: int, organization_id: int, kind: str) -> bool:
    """A member of this verified organization of this kind."""
    return bool(
        await Membership.exists().where(
            (Membership.user == user_id)
            & (Membership.organization == organization_id)
            & (Membership.organization.kind == kind)
            & (Membership.organization.status == "verified")
        )
    )


async def check_bidder(user_id: int, organization_id: int) -> None:
    """Verified social organizations bid, through their members."""
    if not await is_member(user_id, organization_id, "social_org"):
        raise PermissionDenied("Only members of a verified social organization may bid for it.")


async def check_department(user_id: int, tender: dict[str, Any]) -> None:
    """Members of the department that owns the tender — or, for a community fund's call
    for proposals, of the fund (its committee: the funds app seats it on the panel)."""
    kind = "community_fund" if tender.get("community_fund") else "department"
    if not await is_member(user_id, int(tender["department"]), kind):
        raise PermissionDenied("Only members of the department that owns this tender may do this.")


async def opened_at(tender_id: int) -> Any:
    rows = await execute("SELECT opened_at FROM bids_tender_key WHERE tender = {}", tender_id)
    return rows[0]["opened_at"] if rows else None


async def check_opened(tender_id: int, *, user_id: int | None, what: str) -> None:
    """The sealing gate for everyone but the bidder: bids were opened (which needs the
    deadline to have passed). Refusals are logged with actor, object and time."""
    if await opened_at(tender_id) is None:
        log.warning(
            "sealed bids: refused %s on tender %s to %s",
            what,
            tender_id,
            actor_of(user_id) if user_id else "anonymous",
        )
        raise PermissionDenied(SEALED)


async def load_bid_locked(bid_id: int) -> dict[str, Any]:
    rows = await execute("SELECT * FROM bids_bid WHERE id = {}" + for_update(), bid_id)
    if not rows:
        raise NotFound(NO_BID)
    return dict(rows[0])


async def check_bid_owner(user_id: int, bid: dict[str, Any]) -> None:
    """The bidder's members only; anyone else gets 404 (existence is not confirmed)."""
    if not await is_member(user_id, int(bid["organization"]), "social_org"):
        log.warning("sealed bids: %s refused bid %s", actor_of(user_id), bid["id"])
        raise NotFound(NO_BID)


# --- the sealed log (DESIGN §6) ------------------------------------------------------------


def sealed_scope(tender_id: int) -> str:
    """The sealed audit log of a tender's bid events until its opening."""
    return f"tender:{tender_id}"


async def record_bid_event(
    tender_id: int, actor: str, action: str, bid_id: int, change: dict[str, Any]
) -> None:
    """A bid event: into the tender's sealed log before the opening (so the public chain
    looks the same whatever the number of bids), into the public chain after it."""
    if await opened_at(tender_id) is None:
        await append_sealed(sealed_scope(tender_id), actor, action, "bid", bid_id, change)
    else:
        await append_audit(actor, action, "bid", bid_id, change)
