"""Bids app tables: columns only. Foreign keys RESTRICT (bids, awards and contracts are
public records once opened; nothing here is ever deleted by a cascade).

Sealed columns hold AES-GCM envelopes (nonce ‖ ciphertext) under the tender's data
key, itself stored only wrapped by MARKET_BID_KEY. `price` and `proposal` stay
empty until opening, when they are filled from the verified envelope.
"""

from __future__ import annotations

from piccolo.columns import (
    BigInt,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from market.tables import Organization, Tender, User


class TenderKey(Table, tablename="bids_tender_key"):
    """The tender's data key, wrapped; `opened_at` is set when bids were opened."""

    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, unique=True)
    wrapped = Bytea()
    created_at = Timestamptz()
    opened_at = Timestamptz(null=True, default=None)
    opened_by = Varchar(length=120, default="")


class Bid(Table, tablename="bids_bid"):
    ref = Varchar(length=32, unique=True)  # random, used in URLs (ids reveal counts)
    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    organization = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    submitted_by = ForeignKey(User, on_delete=OnDelete.restrict)
    # draft | submitted | needs_reconfirm | withdrawn | qualified | disqualified
    # | awarded | lost
    status = Varchar(length=20, default="submitted")
    sealed = Bytea()  # envelope of {"price", "proposal", "documents": [...]}
    receipt = Varchar(length=64)
    received_at = Timestamptz()
    revision = Integer(default=1)  # 1 + number of replacements / re-confirmations
    price = BigInt(null=True, default=None)  # filled at opening
    proposal = Text(default="")  # filled at opening
    disqualify_reason = Text(default="")
    opened_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class BidDocument(Table, tablename="bids_bid_document"):
    """A bid attachment, sealed; its name, type and hash are inside the bid envelope."""

    bid = ForeignKey(Bid, on_delete=OnDelete.restrict, index=True)
    position = Integer()
    sealed = Bytea()
    created_at = Timestamptz()


class Evaluator(Table, tablename="bids_evaluator"):
    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict, index=True)
    appointed_by = ForeignKey(User, on_delete=OnDelete.restrict)
    appointed_at = Timestamptz()
    # appointed | declared (no conflict) | recused (declared a conflict)
    status = Varchar(length=12, default="appointed")
    declared_at = Timestamptz(null=True, default=None)
    statement = Text(default="")


class Score(Table, tablename="bids_score"):
    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    bid = ForeignKey(Bid, on_delete=OnDelete.restrict, index=True)
    evaluator = ForeignKey(User, on_delete=OnDelete.restrict)
    criterion = Varchar(length=40)
    mark = Integer()
    comment = Text(default="")
    scored_at = Timestamptz()


class Award(Table, tablename="bids_award"):
    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    bid = ForeignKey(Bid, on_delete=OnDelete.restrict)
    status = Varchar(length=12, default="active")  # active | cancelled
    awarded_by = ForeignKey(User, on_delete=OnDelete.restrict)
    awarded_at = Timestamptz()
    standstill_ends = Timestamptz()
    results = Text(default="[]")  # canonical JSON: ranking with parts per criterion
    cancelled_at = Timestamptz(null=True, default=None)


class Complaint(Table, tablename="bids_complaint"):
    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    award = ForeignKey(Award, on_delete=OnDelete.restrict)
    organization = ForeignKey(Organization, on_delete=OnDelete.restrict)
    filed_by = ForeignKey(User, on_delete=OnDelete.restrict)
    text = Text()
    status = Varchar(length=12, default="filed")  # filed | upheld | dismissed
    filed_at = Timestamptz()
    resolved_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    resolution = Text(default="")


class Contract(Table, tablename="bids_contract"):
    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    award = ForeignKey(Award, on_delete=OnDelete.restrict)
    bid = ForeignKey(Bid, on_delete=OnDelete.restrict)
    organization = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    department = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    amount = BigInt()
    currency = Varchar(length=3, default="CNY")
    starts = Date()
    status = Varchar(length=12, default="pending")  # pending | active | completed | terminated
    created_by = ForeignKey(User, on_delete=OnDelete.restrict)
    created_at = Timestamptz()
    department_signed_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    department_signed_at = Timestamptz(null=True, default=None)
    organization_signed_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    organization_signed_at = Timestamptz(null=True, default=None)
    activated_at = Timestamptz(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    termination_reason = Text(default="")
    version = BigInt(default=1)


class Milestone(Table, tablename="bids_milestone"):
    contract = ForeignKey(Contract, on_delete=OnDelete.restrict, index=True)
    position = Integer()
    deliverable = Text()
    due = Date()
    amount = BigInt()
    # scheduled | submitted | approved | rejected | not_met
    status = Varchar(length=12, default="scheduled")
    evidence_note = Text(default="")
    submitted_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    reason = Text(default="")  # rejection / not-met reason
    release_key = Varchar(length=120, default="")
    released = Boolean(default=False)
    version = BigInt(default=1)


class MilestoneEvidence(Table, tablename="bids_milestone_evidence"):
    milestone = ForeignKey(Milestone, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200)
    filename = Varchar(length=200)
    kind = Varchar(length=8)
    content_type = Varchar(length=100)
    size = BigInt()
    sha256 = Varchar(length=64)
    content = Bytea()
    uploaded_by = ForeignKey(User, on_delete=OnDelete.restrict)
    uploaded_at = Timestamptz()
