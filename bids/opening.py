# ruff: noqa: S608 - SQL text is built from constants and `{}` marks; values are bound parameters
"""Opening bids after the deadline: unwrap the tender key (audited), check every bid
against its receipt, unseal it, qualify or disqualify it with a reason.

`open_bids` is idempotent and may be called by the department (a button), by
`market bids open` (cron, next to `market tick`) or by any read that needs bids
opened. Fewer qualified bids than the tender's minimum makes it unsuccessful.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bids import conflicts, sealing
from bids.access import load_tender, sealed_scope
from bids.submission import master
from bids.tables import Bid, TenderKey
from market import clock
from market.audit import anchor_sealed, append_audit
from market.db import atomic
from market.errors import DomainError
from market.sql import execute, for_update, marks
from market.tenders import lifecycle
from market.tenders.readmodels import tenders_in_status

log = logging.getLogger("bids.opening")

TAMPERED = "The sealed bid does not match its receipt: it was altered after submission."
UNREADABLE = "The sealed bid could not be opened: it was altered or moved."
DOCUMENT_TAMPERED = "A bid document does not match the hash sealed in the bid."
NOT_RECONFIRMED = "The bid was not re-confirmed after the tender was amended."
SEALED_UNTIL = "Bids stay sealed until the deadline (%(deadline)s) has passed."
TOO_FEW_QUALIFIED = "Fewer valid bids than the tender's minimum."


@dataclass(frozen=True, slots=True)
class OpeningResult:
    tender_id: int
    qualified: int
    disqualified: int
    status: str  # the tender's status after opening


class SealedUntilDeadline(DomainError):
    """Someone tried to open bids before the deadline (the attempt is audited)."""

    status_code = 403


async def unwrap(tender_id: int, *, deadline: datetime, actor: str) -> bytes:
    """The tender key for reading bids, audited; SealedUntilDeadline before the deadline."""
    rows = await execute("SELECT wrapped FROM bids_tender_key WHERE tender = {}", tender_id)
    if not rows:
        raise DomainError("This tender has no sealed bids.")
    now = clock.now()
    try:
        key = sealing.unwrap_tender_key(
            master(), tender_id, bytes(rows[0]["wrapped"]), deadline=deadline, now=now
        )
    except sealing.SealedTooEarly:
        raise SealedUntilDeadline(SEALED_UNTIL, deadline=deadline.isoformat()) from None
    await append_audit(actor, "bid.key_unwrap", "tender", tender_id, {"at": now.isoformat()})
    return key


async def open_bids(tender_id: int, *, actor: str) -> OpeningResult:
    """Open once; later calls return the recorded outcome without changing anything.
    An attempt before the deadline is refused and recorded in the audit chain (after
    the refused transaction has rolled back, so the record stays)."""
    await lifecycle.advance(tender_id)  # the chronograph's step, in case it lags
    try:
        return await _open(tender_id, actor)
    except SealedUntilDeadline:
        log.warning("sealed bids: early opening of tender %s refused to %s", tender_id, actor)
        await append_audit(actor, "bid.open_refused", "tender", tender_id, {})
        raise


async def _open(tender_id: int, actor: str) -> OpeningResult:
    async with atomic():
        tender = await load_tender(tender_id, lock=True)
        keys = await execute(
            "SELECT opened_at FROM bids_tender_key WHERE tender = {}" + for_update(), tender_id
        )
        if keys and keys[0]["opened_at"] is not None:
            return await _outcome(tender)
        if clock.now() <= tender["bid_deadline"]:
            raise SealedUntilDeadline(SEALED_UNTIL, deadline=tender["bid_deadline"].isoformat())
        # The sealed log's count and Merkle root join the public chain (0 bids too).
        await anchor_sealed(sealed_scope(tender_id), actor)
        if not keys:  # nobody bid: nothing to unwrap
            await _mark_opened(tender_id, actor, create=True)
            return await _settle(tender, 0, 0, actor)
        key = await unwrap(tender_id, deadline=tender["bid_deadline"], actor=actor)
        bids = await execute(
            "SELECT * FROM bids_bid WHERE tender = {} AND status <> 'withdrawn' ORDER BY id",
            tender_id,
        )
        qualified = disqualified = 0
        for bid in bids:
            if await _open_one(key, dict(bid), actor):
                qualified += 1
            else:
                disqualified += 1
        await _mark_opened(tender_id, actor)
        await conflicts.void_conflicted_seats(tender_id, actor=actor)
        return await _settle(tender, qualified, disqualified, actor)


async def _open_one(key: bytes, bid: dict[str, Any], actor: str) -> bool:
    """Qualify or disqualify one bid; True when qualified."""
    now = clock.now()
    received_at = bid["received_at"]
    if isinstance(received_at, str):
        received_at = datetime.fromisoformat(received_at)
    values: dict[Any, Any] = {Bid.opened_at: now, Bid.updated_at: now}
    reason = ""
    content: dict[str, Any] = {}
    if bid["status"] == "needs_reconfirm":
        reason = NOT_RECONFIRMED
    else:
        try:
            envelope = sealing.Envelope.from_bytes(bytes(bid["sealed"]))
        except sealing.SealingError:
            envelope = None
        if envelope is None or not sealing.receipt_matches(envelope, received_at, bid["receipt"]):
            reason = TAMPERED
        else:
            try:
                content = sealing.unseal(
                    key,
                    envelope,
                    tender_id=bid["tender"],
                    org_id=bid["organization"],
                    bid_id=bid["id"],
                )
            except sealing.SealingError:
                reason = UNREADABLE
            else:
                reason = await _check_documents(key, bid, content)
    if reason:
        values.update({Bid.status: "disqualified", Bid.disqualify_reason: reason})
    else:
        values.update(
            {
                Bid.status: "qualified",
                Bid.price: int(content["price"]),  # type: ignore[call-overload]
                Bid.proposal: str(content.get("proposal", "")),
            }
        )
    await Bid.update(values).where(Bid.id == bid["id"])
    await append_audit(
        actor,
        "bid.open",
        "bid",
        bid["id"],
        {
            "tender": bid["tender"],
            "organization": bid["organization"],
            "receipt": bid["receipt"],
            "status": "disqualified" if reason else "qualified",
            "reason": reason,
            **({} if reason else {"price": int(content["price"])}),  # type: ignore[call-overload]
        },
    )
    return not reason


async def _check_documents(key: bytes, bid: dict[str, Any], content: dict[str, Any]) -> str:
    import hashlib

    listed = content.get("documents") or []
    rows = await execute(
        "SELECT position, sealed FROM bids_bid_document WHERE bid = {} ORDER BY position",
        bid["id"],
    )
    if len(rows) != len(listed):  # type: ignore[arg-type]
        return DOCUMENT_TAMPERED
    for row, meta in zip(rows, listed, strict=True):  # type: ignore[call-overload]
        try:
            data = sealing.unseal_document(
                key,
                sealing.Envelope.from_bytes(bytes(row["sealed"])),
                tender_id=bid["tender"],
                org_id=bid["organization"],
                bid_id=bid["id"],
                position=int(row["position"]),
            )
        except sealing.SealingError:
            return DOCUMENT_TAMPERED
        if hashlib.sha256(data).hexdigest() != meta["sha256"]:
            return DOCUMENT_TAMPERED
    return ""


async def _mark_opened(tender_id: int, actor: str, *, create: bool = False) -> None:
    now = clock.now()
    if create:
        await TenderKey.insert(
            TenderKey(tender=tender_id, wrapped=b"", created_at=now, opened_at=now, opened_by=actor)
        )
    else:
        await TenderKey.update({TenderKey.opened_at: now, TenderKey.opened_by: actor}).where(
            TenderKey.tender == tender_id
        )


async def _settle(
    tender: dict[str, Any], qualified: int, disqualified: int, actor: str
) -> OpeningResult:
    await append_audit(
        actor,
        "bids.opened",
        "tender",
        tender["id"],
        {"qualified": qualified, "disqualified": disqualified},
    )
    status = str(tender["status"])
    if qualified < int(tender["min_bids"]) and status not in ("unsuccessful", "cancelled"):
        await lifecycle.mark_tender_unsuccessful(
            tender["id"], actor=actor, reason=TOO_FEW_QUALIFIED
        )
        status = "unsuccessful"
    return OpeningResult(int(tender["id"]), qualified, disqualified, status)


async def _outcome(tender: dict[str, Any]) -> OpeningResult:
    rows = await execute(
        "SELECT status, COUNT(*) AS n FROM bids_bid WHERE tender = {} GROUP BY status",
        tender["id"],
    )
    counts = {row["status"]: int(row["n"]) for row in rows}
    qualified = sum(counts.get(s, 0) for s in ("qualified", "awarded", "lost"))
    return OpeningResult(
        int(tender["id"]), qualified, counts.get("disqualified", 0), str(tender["status"])
    )


async def due_tender_ids() -> list[int]:
    """Tenders past their deadline whose bids are not opened yet."""
    due = [
        tender_id
        for tender_id, _ in await tenders_in_status(
            ("tendering", "evaluation"), deadline_before=clock.now()
        )
    ]
    if not due:
        return []
    opened = await execute(
        f"SELECT tender FROM bids_tender_key WHERE opened_at IS NOT NULL"
        f" AND tender IN ({marks(len(due))})",
        *due,
    )
    done = {int(row["tender"]) for row in opened}
    return [tender_id for tender_id in due if tender_id not in done]


async def open_due(actor: str = "system:opening") -> list[OpeningResult]:
    return [await open_bids(tender_id, actor=actor) for tender_id in await due_tender_ids()]


async def command(args: argparse.Namespace) -> int:
    """`market bids open`: open the bids of every tender whose deadline has passed."""
    from market.db import close_pool, start_pool

    await start_pool()
    try:
        results = await open_due()
    finally:
        await close_pool()
    for r in results:
        print(
            f"tender {r.tender_id}: {r.qualified} qualified,"
            f" {r.disqualified} disqualified → {r.status}"
        )
    if not results:
        print("bids open: nothing due")
    return 0
