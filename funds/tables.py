"""Community funds tables: columns only. Foreign keys RESTRICT (money records and
decisions are public records; nothing here is deleted by a cascade).

A fund's call for proposals is a kernel tender (its `community_fund` flag set): its
proposals are the bids app's sealed bids, its committee the tender's evaluation panel.
What a tender cannot say lives here: the fund itself, each call's cap and end date,
the committee's recorded votes, the grants decided (several per call) and their
tranches, and the gifts paid into a fund. Money columns are BigInt minor units.
"""

from __future__ import annotations

from piccolo.columns import (
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from bids.tables import Bid
from market.tables import Organization, Place, Tender, User


class Fund(Table, tablename="funds_fund"):
    """A community's fund: its money is the ledger account `community:{place}:fund`;
    `organization` (kind community_fund) is who the fund acts as — its members are the
    committee (the admin chairs it) and it owns the fund's calls."""

    place = ForeignKey(Place, on_delete=OnDelete.restrict, unique=True)
    organization = ForeignKey(Organization, on_delete=OnDelete.restrict, unique=True)
    opened_at = Timestamptz()
    opened_by = ForeignKey(User, on_delete=OnDelete.restrict)


class Call(Table, tablename="funds_call"):
    """A call for proposals: the tender it is, the most one grant may be, and the day
    the funded projects end by (their last tranche's due date)."""

    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, unique=True)
    fund = ForeignKey(Fund, on_delete=OnDelete.restrict, index=True)
    cap = BigInt()
    ends = Date()
    created_by = ForeignKey(User, on_delete=OnDelete.restrict)
    created_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)


class Vote(Table, tablename="funds_vote"):
    """A committee member's recorded vote on one proposal (a bid on the call); it may be
    changed until the call is decided. Unique (bid, member) in the migration."""

    call = ForeignKey(Call, on_delete=OnDelete.restrict, index=True)
    bid = ForeignKey(Bid, on_delete=OnDelete.restrict, index=True)
    member = ForeignKey(User, on_delete=OnDelete.restrict)
    vote = Varchar(length=3)  # yes | no
    remark = Text(default="")
    voted_at = Timestamptz()


class Grant(Table, tablename="funds_grant"):
    """A grant the committee decided: one proposal, its amount, the votes' tally."""

    call = ForeignKey(Call, on_delete=OnDelete.restrict, index=True)
    bid = ForeignKey(Bid, on_delete=OnDelete.restrict, unique=True)
    organization = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    amount = BigInt()
    currency = Varchar(length=3, default="CNY")
    status = Varchar(length=12, default="active")  # active | completed | ended
    votes_for = Integer()
    votes_against = Integer()
    decided_at = Timestamptz()
    decided_by = ForeignKey(User, on_delete=OnDelete.restrict)
    ended_at = Timestamptz(null=True, default=None)
    end_reason = Text(default="")


class Tranche(Table, tablename="funds_tranche"):
    """One tranche of a grant: the grantee reports, a committee member other than the
    one who decided the grant approves, and the tranche is released from the call's
    escrow to the grantee. Unique (grant_id, position) in the migration (`grant` is an
    SQL keyword)."""

    grant_id = ForeignKey(Grant, on_delete=OnDelete.restrict, index=True)
    position = Integer()
    deliverable = Varchar(length=20)  # start | final (worded by the pages)
    due = Date()
    amount = BigInt()
    status = Varchar(length=12, default="scheduled")  # scheduled|submitted|approved|rejected
    report = Text(default="")
    submitted_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    decided_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    reason = Text(default="")
    release_key = Varchar(length=120, default="")


class Gift(Table, tablename="funds_gift"):
    """Money given into a community's fund, paid by one donors payment (kind
    `fund_gift`): a resident's donation (source public) or a company's or foundation's
    sponsorship (corporate | foundation, `sponsor` set)."""

    fund = ForeignKey(Fund, on_delete=OnDelete.restrict, index=True)
    source = Varchar(length=12)  # public | corporate | foundation
    donor = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    sponsor = ForeignKey(Organization, on_delete=OnDelete.restrict, null=True, default=None)
    display_name = Varchar(length=100, default="")
    anonymous = Boolean(default=False)
    message = Text(default="")
    email = Varchar(length=254, default="")
    amount = BigInt()
    currency = Varchar(length=3, default="CNY")
    status = Varchar(length=12, default="pending", index=True)  # pending | paid | failed
    created_at = Timestamptz()
    paid_at = Timestamptz(null=True, default=None)
    lang = Varchar(length=8, default="")
