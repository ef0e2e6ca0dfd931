"""Submitting, replacing, re-confirming and withdrawing sealed bids (before the deadline).

Each write locks the tender row (so writes to one tender serialize and the time rule
is checked against the clock at that moment, whatever status the chronograph has
reached), checks the bidder, seals the content with the tender's data key, and gives
the bidder a receipt: SHA-256 over the sealed bytes and the server receipt time,
appended to the audit chain. The audit event names only the bid and its receipt, so
the public chain reveals neither the tender nor the bidder before opening.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bids import evaluation, rules, sealing
from bids.access import (
    NO_BID,
    actor_of,
    check_bid_owner,
    check_bidder,
    load_bid_locked,
    load_tender,
    record_bid_event,
)
from bids.tables import Bid, BidDocument, TenderKey
from market import clock
from market.db import atomic
from market.errors import DomainError, NotFound, ValidationFailed
from market.money import MoneyError, parse_money
from market.settings import get_settings
from market.sql import execute
from market.tenders import documents
from market.tenders import rules as tender_rules

PROPOSAL_MAX = 20_000
MAX_DOCUMENTS = 5


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    data: bytes
    title: str = ""


@dataclass(frozen=True, slots=True)
class Receipt:
    ref: str
    receipt: str
    received_at: datetime
    revision: int


def master() -> bytes:
    return sealing.master_key(get_settings().bid_key)


async def tender_key(tender_id: int) -> bytes:
    """The tender's data key for sealing (created, wrapped, on the first bid)."""
    rows = await execute("SELECT wrapped FROM bids_tender_key WHERE tender = {}", tender_id)
    if rows:
        return sealing.key_for_sealing(master(), tender_id, bytes(rows[0]["wrapped"]))
    key = sealing.new_tender_key()
    await TenderKey.insert(
        TenderKey(
            tender=tender_id,
            wrapped=sealing.wrap_tender_key(master(), tender_id, key),
            created_at=clock.now(),
        )
    )
    return key


def parse_price(text: str, currency: str, budget: int) -> int:
    try:
        price = parse_money(text, currency).amount
    except MoneyError:
        raise ValidationFailed.single(
            "price", "Enter the price as an amount, e.g. 180000.00."
        ) from None
    try:
        rules.check_price(price, budget)
    except DomainError as exc:
        raise ValidationFailed.single("price", exc.message) from None
    return price


def check_proposal(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed.single("proposal", "Describe how you will deliver the service.")
    if len(text) > PROPOSAL_MAX:
        raise ValidationFailed.single("proposal", "The proposal can be at most 20,000 characters.")
    return text


def _check_window(tender: dict[str, Any], now: datetime) -> None:
    """Time rule at the moment of the write (B2): whatever the stored status says."""
    rules.check_bid_window(now, tender["bid_deadline"], None)
    tender_rules.check_accepts_bids(
        tender["status"], tender["enquiry_end"], tender["bid_deadline"], now
    )


async def submit_bid(
    *,
    user_id: int,
    organization_id: int,
    tender_id: int,
    price: str,
    proposal: str,
    uploads: list[Upload] | None = None,
) -> Receipt:
    """Submit a bid, or replace this organization's live bid; returns the receipt."""
    uploads = [u for u in (uploads or []) if u.data or u.filename]
    if len(uploads) > MAX_DOCUMENTS:
        raise ValidationFailed.single("document", "A bid can carry at most 5 documents.")
    checked = [documents.check_document(u.filename, u.data, u.title) for u in uploads]
    async with atomic():
        tender = await load_tender(tender_id, lock=True)
        now = clock.now()
        _check_window(tender, now)
        await check_bidder(user_id, organization_id)
        if await evaluation.holds_seat(tender_id, user_id):
            raise evaluation.InterestConflict(
                "You hold a seat on this tender's evaluation panel: you cannot bid for it."
            )
        amount, proposal = _checked_terms(tender, price, proposal)
        key = await tender_key(tender_id)
        bid_id, ref, revision = await _bid_row(tender_id, organization_id, user_id, now)
        listed = await _seal_documents(
            key,
            uploads,
            checked,
            tender_id=tender_id,
            org_id=organization_id,
            bid_id=bid_id,
            now=now,
        )
        content = {"price": amount, "proposal": proposal, "documents": listed}
        envelope = sealing.seal(
            key, content, tender_id=tender_id, org_id=organization_id, bid_id=bid_id
        )
        return await _stamp(
            tender_id, bid_id, ref, envelope, revision, user_id=user_id, now=now, action="submit"
        )


def _checked_terms(tender: dict[str, Any], price: str, proposal: str) -> tuple[int, str]:
    """The price (within the budget) and the proposal, every error of both at once."""
    errors: dict[str, str] = {}
    amount = 0
    try:
        amount = parse_price(price, tender["currency"], int(tender["budget"]))
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        proposal = check_proposal(proposal)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    return amount, proposal


async def _bid_row(
    tender_id: int, organization_id: int, user_id: int, now: datetime
) -> tuple[int, str, int]:
    """(id, ref, revision) of the organization's bid: its live bid locked (documents
    dropped, to be sealed again) at the next revision, or a new one."""
    existing = await execute(
        "SELECT id FROM bids_bid WHERE tender = {} AND organization = {}",
        tender_id,
        organization_id,
    )
    if existing:
        bid = await load_bid_locked(int(existing[0]["id"]))
        if bid["status"] != "submitted":  # replacing a live bid keeps it submitted
            rules.transition("bid", bid["status"], "submitted")
        bid_id, ref, revision = int(bid["id"]), str(bid["ref"]), int(bid["revision"]) + 1
        await BidDocument.delete().where(BidDocument.bid == bid_id)
        return bid_id, ref, revision
    ref = secrets.token_urlsafe(12)
    rows = await Bid.insert(
        Bid(
            ref=ref,
            tender=tender_id,
            organization=organization_id,
            submitted_by=user_id,
            status="submitted",
            sealed=b"",
            receipt="",
            received_at=now,
            created_at=now,
            updated_at=now,
        )
    ).returning(Bid.id)
    return int(rows[0]["id"]), ref, 1


async def _seal_documents(
    key: Any,
    uploads: list[Upload],
    checked: list[Any],
    *,
    tender_id: int,
    org_id: int,
    bid_id: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """Seal and store each document of the bid; returns what the sealed content lists."""
    listed = []
    for position, (upload, doc) in enumerate(zip(uploads, checked, strict=True)):
        envelope = sealing.seal_document(
            key,
            upload.data,
            tender_id=tender_id,
            org_id=org_id,
            bid_id=bid_id,
            position=position,
        )
        await BidDocument.insert(
            BidDocument(bid=bid_id, position=position, sealed=envelope.to_bytes(), created_at=now)
        )
        listed.append(
            {
                "title": doc.title,
                "filename": doc.filename,
                "kind": doc.kind,
                "size": doc.size,
                "sha256": doc.sha256,
            }
        )
    return listed


async def _stamp(
    tender_id: int,
    bid_id: int,
    ref: str,
    envelope: sealing.Envelope,
    revision: int,
    *,
    user_id: int,
    now: datetime,
    action: str,
) -> Receipt:
    digest = sealing.receipt(envelope, now)
    await Bid.update(
        {
            Bid.sealed: envelope.to_bytes(),
            Bid.receipt: digest,
            Bid.received_at: now,
            Bid.status: "submitted",
            Bid.revision: revision,
            Bid.submitted_by: user_id,
            Bid.updated_at: now,
        }
    ).where(Bid.id == bid_id)
    # Only the bid id and the receipt: not the tender, the bidder or anything sealed;
    # and into the tender's sealed log, not the public chain, until the opening.
    await record_bid_event(
        tender_id,
        actor_of(user_id),
        f"bid.{action}",
        bid_id,
        {"receipt": digest, "received_at": now.isoformat(), "revision": revision},
    )
    return Receipt(ref, digest, now, revision)


async def reconfirm_bid(*, user_id: int, ref: str) -> Receipt:
    """After an amendment: confirm the sealed bid unchanged (a new receipt and time)."""
    async with atomic():
        found = await execute("SELECT id, tender FROM bids_bid WHERE ref = {}", ref)
        if not found:
            raise NotFound(NO_BID)
        tender = await load_tender(int(found[0]["tender"]), lock=True)
        bid = await load_bid_locked(int(found[0]["id"]))
        await check_bid_owner(user_id, bid)
        now = clock.now()
        _check_window(tender, now)
        rules.transition("bid", bid["status"], "submitted")
        envelope = sealing.Envelope.from_bytes(bytes(bid["sealed"]))
        return await _stamp(
            int(tender["id"]),
            int(bid["id"]),
            ref,
            envelope,
            int(bid["revision"]) + 1,
            user_id=user_id,
            now=now,
            action="reconfirm",
        )


async def withdraw_bid(*, user_id: int, ref: str) -> None:
    async with atomic():
        found = await execute("SELECT id, tender FROM bids_bid WHERE ref = {}", ref)
        if not found:
            raise NotFound(NO_BID)
        tender = await load_tender(int(found[0]["tender"]), lock=True)
        bid = await load_bid_locked(int(found[0]["id"]))
        await check_bid_owner(user_id, bid)
        now = clock.now()
        _check_window(tender, now)
        rules.transition("bid", bid["status"], "withdrawn")
        await Bid.update({Bid.status: "withdrawn", Bid.updated_at: now}).where(Bid.id == bid["id"])
        await record_bid_event(
            int(tender["id"]), actor_of(user_id), "bid.withdraw", int(bid["id"]), {}
        )


# --- hooks the tenders kernel calls (registered in bids.hooks) -------------------------


async def count_live_bids(tender_id: int) -> int:
    rows = await execute(
        "SELECT COUNT(*) AS n FROM bids_bid WHERE tender = {}"
        " AND status IN ('submitted', 'needs_reconfirm')",
        tender_id,
    )
    return int(rows[0]["n"])


async def mark_for_reconfirmation(tender_id: int, at: datetime) -> int:
    """Inside the amendment's transaction: every submitted bid must be re-confirmed."""
    rows = await (
        Bid.update({Bid.status: "needs_reconfirm", Bid.updated_at: at})
        .where((Bid.tender == tender_id) & (Bid.status == "submitted"))
        .returning(Bid.id)
    )
    for row in rows:
        await record_bid_event(
            tender_id, "system:amendment", "bid.needs_reconfirm", int(row["id"]), {}
        )
    return len(rows)
