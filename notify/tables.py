"""The notify app's tables: columns only (indexes and uniqueness in the migration)."""

from __future__ import annotations

from piccolo.columns import BigInt, Boolean, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from market.tables import User


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


class Suppression(Table, tablename="notify_suppression"):
    """An address that unsubscribed from one kind of e-mail (someone known only by
    address: a guest donor); `notify_address` writes them nothing of that kind.
    Unique on (address, kind); `address` is lower-cased."""

    address = Varchar(length=254)
    kind = Varchar(length=60)
    created_at = Timestamptz()
