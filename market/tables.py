"""Kernel tables: columns only. Foreign keys choose on_delete explicitly."""

from __future__ import annotations

from piccolo.columns import (
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class User(Table, tablename="market_user"):
    email = Varchar(length=254, unique=True, index=True)
    display_name = Varchar(length=100)
    password_hash = Varchar(length=255)
    # "" for ordinary users; "auditor" for read-only oversight staff.
    platform_role = Varchar(length=20, default="")
    locale = Varchar(length=10, default="")
    active = Boolean(default=True)
    created_at = Timestamptz()
    last_login_at = Timestamptz(null=True, default=None)
    # Raised by a password change or reset: sessions signed in under an older value end.
    session_epoch = Integer(default=0)


class Organization(Table, tablename="market_organization"):
    # department | social_org | company | foundation | operator
    kind = Varchar(length=20, index=True)
    name_zh = Varchar(length=200)
    name_en = Varchar(length=200, default="")
    uscc = Varchar(length=18, unique=True)
    category = Varchar(length=40, default="", index=True)  # social_org only
    rating = Varchar(length=2, default="")  # "" or 1A..5A
    status = Varchar(length=20, default="pending", index=True)
    area = Varchar(length=100, default="")  # street office the org is based in
    description_zh = Text(default="")
    description_en = Text(default="")
    contact_email = Varchar(length=254, default="")
    registered_year = Integer(null=True, default=None)
    created_at = Timestamptz()
    submitted_at = Timestamptz()
    decision_due_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    decision_reason = Text(default="")
    version = BigInt(default=1)


class Membership(Table, tablename="market_membership"):
    user = ForeignKey(User, on_delete=OnDelete.restrict, index=True)
    organization = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    role = Varchar(length=20, default="member")  # admin | member
    created_at = Timestamptz()


class PasswordReset(Table, tablename="market_password_reset"):
    """A one-time reset link: only the token's sha256 is stored."""

    user = ForeignKey(User, on_delete=OnDelete.restrict, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class Outbox(Table, tablename="market_outbox"):
    """Messages written in the transaction of the change they report, delivered after
    it commits (market.outbox). `channel` is "email" for now."""

    channel = Varchar(length=20, default="email", index=True)
    recipient = Varchar(length=254)
    subject = Varchar(length=200)
    body = Text()
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None, index=True)
    attempts = Integer(default=0)
    last_error = Text(default="")


class JobRun(Table, tablename="market_job_run"):
    """One run of a time-driven job (market.jobs): who ran it, when, and what it did.
    A job is due again `every` after its last successful run's `started_at`."""

    job = Varchar(length=60)
    worker = Varchar(length=120)  # host:pid
    started_at = Timestamptz()
    finished_at = Timestamptz()
    outcome = Varchar(length=10)  # ok | error
    counts = Text(default="{}")  # JSON object of name → integer
    error = Text(default="")
