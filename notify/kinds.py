"""Every kind of notification, pure: its label (for the preferences page and the inbox)
and whether it goes to the inbox and by e-mail when the user has not chosen.

A kind is the unit a user switches on or off, per channel (`notify_preference`), and
what the one-click unsubscribe of an e-mail switches off. Mandatory kinds (a password
reset, a contract the user must sign) cannot be switched off by e-mail.
"""

from __future__ import annotations

from dataclasses import dataclass

from market.labels import N_

CHANNELS = ("inbox", "email")


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    label: str  # msgid, translated at render
    group: str  # msgid of the preferences page's section
    email: bool = True  # sent by e-mail unless the user switched it off
    inbox: bool = True
    mandatory: bool = False  # cannot be switched off


TENDERS = N_("Tenders")
BIDDING = N_("Bidding")
CONTRACTS = N_("Contracts and milestones")
GIVING = N_("Giving")
ACCOUNT = N_("Account and organization")

_ALL = (
    Kind("tender.matching", N_("A new tender matches one of my subscriptions"), TENDERS),
    Kind("question.answered", N_("My question was answered"), TENDERS),
    Kind("deadline.soon", N_("A deadline I am part of is 24 hours away"), TENDERS),
    Kind("bid.reconfirm", N_("An amendment asks me to reconfirm my bid"), BIDDING),
    Kind("bids.opened", N_("The bids of a tender I bid on were opened"), BIDDING),
    Kind("award.decided", N_("A tender I bid on was awarded"), BIDDING),
    Kind("standstill.ended", N_("A standstill period ended"), BIDDING),
    Kind("complaint.filed", N_("A complaint was filed"), BIDDING),
    Kind("complaint.decided", N_("A complaint was decided"), BIDDING),
    Kind(
        "contract.to_sign", N_("A contract is waiting for my signature"), CONTRACTS, mandatory=True
    ),
    Kind("milestone.due", N_("A milestone is due soon"), CONTRACTS),
    Kind("milestone.overdue", N_("A milestone is overdue"), CONTRACTS),
    Kind("milestone.submitted", N_("Milestone evidence was submitted"), CONTRACTS),
    Kind("milestone.approved", N_("A milestone was approved"), CONTRACTS),
    Kind("milestone.rejected", N_("A milestone was rejected"), CONTRACTS),
    Kind("donation.receipt", N_("Receipt for my donation"), GIVING),
    Kind("project.update", N_("An update from a project I support"), GIVING),
    Kind("pledge.matched", N_("My pledge matched a donation"), GIVING, email=False),
    Kind("pledge.nearly_exhausted", N_("My pledge is nearly used up"), GIVING),
    Kind("pledge.expiring", N_("My pledge is about to expire"), GIVING),
    Kind(
        "organization.verification",
        N_("A decision on my organization's verification"),
        ACCOUNT,
        mandatory=True,
    ),
)
KINDS: dict[str, Kind] = {kind.name: kind for kind in _ALL}


def default_enabled(kind: Kind, channel: str) -> bool:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return kind.email if channel == "email" else kind.inbox


def enabled(kind: Kind, channel: str, chosen: bool | None) -> bool:
    """Whether `kind` goes out on `channel`, given the user's choice (None: none made).
    A mandatory kind goes out whatever was chosen."""
    if kind.mandatory:
        return True
    return default_enabled(kind, channel) if chosen is None else chosen
