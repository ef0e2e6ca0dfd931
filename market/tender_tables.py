"""Tender tables: columns only. Foreign keys RESTRICT (tenders are public records).

Money columns are BigInt minor units in the tender's currency. Composite indexes for
the public list's keyset pagination are added as raw SQL in the migration.
"""

from __future__ import annotations

from piccolo.columns import (
    BigInt,
    Bytea,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from market.tables import Organization, User


class Tender(Table, tablename="market_tender"):
    ocid = Varchar(length=60, null=True, default=None, unique=True)
    department = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    created_by = ForeignKey(User, on_delete=OnDelete.restrict)
    title_zh = Varchar(length=200, default="")
    title_en = Varchar(length=200, default="")
    description_zh = Text(default="")
    description_en = Text(default="")
    category = Varchar(length=40)
    area_level = Varchar(length=12)  # district | street | community
    area = Varchar(length=100)
    currency = Varchar(length=3, default="CNY")
    budget = BigInt()  # government budget, held from department:{id}:budget at publication
    goal_corporate = BigInt(default=0)
    goal_foundation = BigInt(default=0)
    goal_public = BigInt(default=0)
    goal_own = BigInt(default=0)
    min_bids = Integer(default=1)
    criteria = Text(default="[]")  # JSON [{"key", "name", "weight", "is_price"}]
    enquiry_end = Timestamptz()
    bid_deadline = Timestamptz()
    opening_at = Timestamptz()
    # draft | published | tendering | evaluation | awarded | contracted | completed
    # | cancelled | unsuccessful | terminated
    status = Varchar(length=20, default="draft")
    published_at = Timestamptz(null=True, default=None)
    status_changed_at = Timestamptz()
    amended_at = Timestamptz(null=True, default=None)  # last change of conditions
    amendment_count = Integer(default=0)
    cancel_reason = Text(default="")
    budget_hold_key = Varchar(length=160, default="")
    qa_salt = Varchar(length=32)
    version = BigInt(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class TenderDocument(Table, tablename="market_tender_document"):
    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200)
    filename = Varchar(length=200)
    kind = Varchar(length=8)  # pdf | png | jpeg | docx | xlsx (detected from content)
    content_type = Varchar(length=100)
    size = BigInt()
    sha256 = Varchar(length=64)
    content = Bytea()
    uploaded_by = ForeignKey(User, on_delete=OnDelete.restrict)
    uploaded_at = Timestamptz()


class TenderQuestion(Table, tablename="market_tender_question"):
    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    asker_org = ForeignKey(Organization, on_delete=OnDelete.restrict)
    asker_user = ForeignKey(User, on_delete=OnDelete.restrict)
    asker_tag = Varchar(length=16)  # HMAC of the org within this tender: linkable, anonymous
    question = Text()
    answer = Text(default="")
    asked_at = Timestamptz()
    answered_at = Timestamptz(null=True, default=None)
    answered_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)


class TenderRevision(Table, tablename="market_tender_revision"):
    """Every change of a tender, with author and time (ProZorro revisions): the public
    timeline, and the durable record other apps read (e.g. amendments for bids)."""

    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    at = Timestamptz()
    actor = Varchar(length=120)
    action = Varchar(length=40)  # create | edit | publish | amend | cancel | status | ...
    from_status = Varchar(length=20, default="")
    to_status = Varchar(length=20, default="")
    note = Text(default="")
    changes = Text(default="{}")  # canonical JSON
