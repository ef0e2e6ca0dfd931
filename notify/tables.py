"""The notify app's tables: columns only (indexes, checks and uniqueness in the migrations)."""

from __future__ import annotations

from piccolo.columns import (
    BigInt,
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from market.tables import Organization, Tender, User


class Preference(Table, tablename="notify_preference"):
    """A user's choice for one kind of notification on one channel; without a row the
    kind's default applies (notify.kinds). Unique on (user, kind, channel)."""

    user = ForeignKey(User, on_delete=OnDelete.cascade)
    kind = Varchar(length=60)
    channel = Varchar(length=20)  # "email" | "inbox"
    enabled = Boolean()
    updated_at = Timestamptz()


class Subscription(Table, tablename="notify_subscription"):
    """ "Tell me about new tenders like this": every set field must match ("" / NULL =
    any). `area` is a street or community name, matched against the tender's area."""

    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    category = Varchar(length=40, default="")
    area = Varchar(length=100, default="")
    budget_min = BigInt(null=True, default=None)  # minor units, inclusive
    budget_max = BigInt(null=True, default=None)
    created_at = Timestamptz()


class ReminderCursor(Table, tablename="notify_reminder_cursor"):
    """One row (id 1): the reminder job has written every reminder due up to
    `covered_until` (notify/reminders.py)."""

    covered_until = Timestamptz()


class ProjectUpdate(Table, tablename="notify_project_update"):
    """What the contracted organization reports from its project (the tender): a title
    and text in Chinese and/or English (a language is given whole or not at all).
    Never edited; the open-data page reads it through `notify_v_project_update`."""

    tender = ForeignKey(Tender, on_delete=OnDelete.restrict)
    contract = Integer()  # bids_contract (id): a foreign key in the migration; bids' own table
    organization = ForeignKey(Organization, on_delete=OnDelete.restrict)
    author = ForeignKey(User, on_delete=OnDelete.restrict)
    title_zh = Varchar(length=200, default="")
    body_zh = Text(default="")
    title_en = Varchar(length=200, default="")
    body_en = Text(default="")
    created_at = Timestamptz()


class ProjectUpdatePhoto(Table, tablename="notify_project_update_photo"):
    """A photo of an update: PNG or JPEG, its type read from the bytes, with the text
    that stands for it (`alt`, required). Unique on (project_update, position)."""

    project_update = ForeignKey(ProjectUpdate, on_delete=OnDelete.restrict)
    position = Integer()
    alt = Varchar(length=300)
    filename = Varchar(length=200)
    kind = Varchar(length=8)  # png | jpeg
    content_type = Varchar(length=100)
    width = Integer()
    height = Integer()
    size = Integer()
    sha256 = Varchar(length=64)
    content = Bytea()


class Suppression(Table, tablename="notify_suppression"):
    """An address that unsubscribed from one kind of e-mail (someone known only by
    address: a guest donor); `notify_address` writes them nothing of that kind.
    Unique on (address, kind); `address` is lower-cased."""

    address = Varchar(length=254)
    kind = Varchar(length=60)
    created_at = Timestamptz()
