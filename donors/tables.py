"""Donors tables: columns only. Foreign keys RESTRICT (money records are never deleted).

Money columns are BigInt minor units. Every incoming payment, whatever it pays for
(a donation, a pledge's prepayment, a sponsorship, an organization's own income),
is one `Payment` row: providers, webhooks and the operator's bank-transfer queue
deal only with payments, and confirming one applies its kind's ledger effect.
"""

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

from market.tables import Organization, Tender, User


class Pledge(Table, tablename="donors_pledge"):
    """A sponsor's match offer, prepaid into the ledger account `pledge:{id}`."""

    sponsor = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    created_by = ForeignKey(User, on_delete=OnDelete.restrict)
    source = Varchar(length=12)  # corporate | foundation (from the sponsor's kind)
    currency = Varchar(length=3, default="CNY")
    ratio_sponsor = Integer()
    ratio_donor = Integer()
    per_donation_cap = BigInt()
    total_cap = BigInt()
    # Committed under the total cap: reserved (pending) plus posted matches.
    matched = BigInt(default=0)
    valid_from = Timestamptz()
    valid_until = Timestamptz(index=True)
    categories = Text(default="")  # comma-separated; empty = any
    areas = Text(default="")
    tender_ids = Text(default="")
    # awaiting_funds | active | expired
    status = Varchar(length=16, default="awaiting_funds", index=True)
    note = Text(default="")
    created_at = Timestamptz()
    funded_at = Timestamptz(null=True, default=None)
    expired_at = Timestamptz(null=True, default=None)
    returned = BigInt(default=0)  # unused balance returned to the sponsor at expiry


class Payment(Table, tablename="donors_payment"):
    """Money expected from outside: what it pays for, how, and whether it arrived."""

    kind = Varchar(length=12)  # donation | pledge | sponsorship | own_income
    object_id = BigInt()
    object_key = Varchar(length=40, unique=True)  # "{kind}:{object_id}": one payment each
    provider = Varchar(length=16)  # sandbox | bank_transfer | stripe
    amount = BigInt()
    currency = Varchar(length=3)
    status = Varchar(length=12, default="awaiting", index=True)  # awaiting|succeeded|failed
    reference_code = Varchar(length=24, unique=True)  # shown to the payer (bank transfer)
    provider_ref = Varchar(length=120, default="", index=True)  # e.g. the PaymentIntent id
    client_secret = Varchar(length=200, default="")
    failure_reason = Text(default="")
    bank_reference = Varchar(length=120, default="")  # the bank statement line, by operator
    recorded_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz()
    settled_at = Timestamptz(null=True, default=None)
    # The provider's confirmation window: an awaiting payment past it fails (the job
    # `payments.expire`), voiding what was reserved for it. NULL: no window (legacy rows).
    expires_at = Timestamptz(null=True, default=None, index=True)
    # Σ of its refunds (`donors_refund`), never more than `amount`.
    refunded = BigInt(default=0)


class Donation(Table, tablename="donors_donation"):
    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    donor = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    amount = BigInt()
    currency = Varchar(length=3)
    display_name = Varchar(length=100, default="")
    message = Text(default="")
    anonymous = Boolean(default=False)
    email = Varchar(length=254, default="")
    on_failure = Varchar(length=16, default="refund")  # refund | community_fund
    # pending | paid | failed | refund_queued | refunded | community_fund
    status = Varchar(length=16, default="pending", index=True)
    match_pledge = ForeignKey(
        Pledge, on_delete=OnDelete.restrict, null=True, default=None, index=True
    )
    match_amount = BigInt(default=0)
    match_status = Varchar(length=10, default="none")  # none|reserved|posted|released
    receipt_no = Varchar(length=24, null=True, default=None, unique=True)
    refund_amount = BigInt(default=0)
    refund_ref = Varchar(length=120, default="")
    created_at = Timestamptz()
    paid_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    # Who started it on the public route: a keyed hash of the session, else of the
    # client address (never the address itself); limits unpaid reservations per client.
    client_key = Varchar(length=64, default="", index=True)
    lang = Varchar(length=8, default="")  # the page's language: the donor's e-mails use it


class Contribution(Table, tablename="donors_contribution"):
    """A sponsor's direct sponsorship of a tender, or an organization's own income."""

    kind = Varchar(length=12)  # sponsorship | own_income
    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, index=True)
    organization = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    created_by = ForeignKey(User, on_delete=OnDelete.restrict)
    source = Varchar(length=12)  # corporate | foundation | own
    amount = BigInt()
    currency = Varchar(length=3)
    note = Text(default="")
    status = Varchar(length=12, default="awaiting")  # awaiting | received | returned | failed
    receipt_no = Varchar(length=24, null=True, default=None, unique=True)
    created_at = Timestamptz()
    received_at = Timestamptz(null=True, default=None)


class WebhookEvent(Table, tablename="donors_webhook_event"):
    """Provider events already applied: the dedupe, written with the ledger effect."""

    event_id = Varchar(length=120, unique=True)
    type = Varchar(length=60)
    payment = ForeignKey(Payment, on_delete=OnDelete.restrict, null=True, default=None)
    outcome = Varchar(length=40, default="")
    received_at = Timestamptz()


class Settlement(Table, tablename="donors_settlement"):
    """A tender's escrow settled (`donors.settlement`), at most once per tender: a failed
    tender's remainder or a completed one's surplus returned to its sources."""

    tender = ForeignKey(Tender, on_delete=OnDelete.restrict, unique=True)
    reason = Varchar(length=20)  # cancelled | unsuccessful | terminated | completed
    operation_key = Varchar(length=160)
    settled_at = Timestamptz()


class Refund(Table, tablename="donors_refund"):
    """Money going back to whoever paid one payment: queued in the transaction that
    decided it (settlement, a late arrival, a surplus), paid out by the provider
    (sandbox at once, Stripe through its refunds API) or, for bank transfers, by the
    operator who records the outgoing transfer. The ledger holds the money in
    `hold_code` until the payout moves it to the provider's external account with the
    transfer key `refund:{id}`. Σ refunds of a payment ≤ its amount."""

    payment = ForeignKey(Payment, on_delete=OnDelete.restrict, index=True)
    key = Varchar(length=160, unique=True)  # the deciding operation's idempotency key
    reason = Varchar(length=20)  # settlement | late_arrival | surplus
    amount = BigInt()
    currency = Varchar(length=3)
    hold_code = Varchar(length=80)  # the ledger account holding it until paid out
    provider = Varchar(length=16)
    status = Varchar(length=12, default="queued", index=True)  # queued | paid
    provider_ref = Varchar(length=120, default="")
    bank_reference = Varchar(length=120, default="")  # the outgoing bank transfer, by operator
    paid_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz()
    paid_at = Timestamptz(null=True, default=None)
