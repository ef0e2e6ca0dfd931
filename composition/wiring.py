"""Explicit wiring of the apps into the kernel: nothing registers itself at import.

What the kernel calls back, and who provides it:

- payment kinds (`donors.payments.register_kind`): what a confirmed or failed payment
  does to the ledger, per kind (sponsorship, own income, donation, pledge; and the
  funds app's `fund_gift`: a donation or sponsorship into a community's fund);
- tender hooks (`market.tenders.hooks`): the bids app marks bids for re-confirmation
  when a tender is amended, and counts live bids at the deadline; the donors app
  settles a terminated tender's escrow in the termination's transaction;
- audit hooks (`market.audit.on_appended`): the open-data app writes an OCDS release
  per state change, inside the transaction of the change, and marks the processes
  whose funding an event changed (folded into releases by the `ocds.funding` job);
  the kernel's own `audit.sequence` job chains the appended rows;
- ledger checks (`market.ledger.check.register_check`): the donors app's money
  invariants (payments, refunds, pledges, donations, payment windows, settled
  tenders) and the funds app's (community funds: never overdrawn, balance = income −
  grants + returns, holds only for their own calls, grants = what calls took), run by
  `market ledger check` after the kernel's own;
- notifications (`notify`): who is told what, as an audit hook inside the event's
  transaction (`notify.events`), and how each kind reads in each language
  (`market.outbox.register_renderer`, `notify.render`);
- the e-mail layout of notifications (`market.outbox.register_layout`): the notify
  app's multipart layout with its footer and one-click unsubscribe (`notify.emails`);
- jobs (`market.jobs.register_job`): the time-driven work `market worker` runs, one
  line per job with its interval (composition/jobs.py adapts each to `(now) -> counts`).

`wire()` is idempotent: every registry it fills dedupes or overwrites by key.
"""

from __future__ import annotations

from datetime import timedelta

from bids import hooks as bid_hooks
from composition import jobs
from donors import contributions, donations, invariants, payments, pledges, settlement
from funds import gifts
from funds import invariants as fund_invariants
from market import audit, outbox
from market.jobs import register_job
from market.ledger.check import register_check
from market.outbox import register_renderer
from market.tenders import hooks as tender_hooks
from market.web import page_cache
from notify import emails
from notify import events as notify_events
from notify import render as notify_render
from notify.kinds import KINDS
from opendata.ocds import funding, publish


def wire_payment_kinds() -> None:
    payments.register_kind(
        "sponsorship", on_paid=contributions.on_paid, on_failed=contributions.on_failed
    )
    payments.register_kind(
        "own_income", on_paid=contributions.on_paid, on_failed=contributions.on_failed
    )
    payments.register_kind("donation", on_paid=donations.on_paid, on_failed=donations.on_failed)
    payments.register_kind("pledge", on_paid=pledges.on_paid, on_failed=pledges.on_failed)
    payments.register_kind(gifts.KIND, on_paid=gifts.on_paid, on_failed=gifts.on_failed)


def wire_tender_hooks() -> None:
    tender_hooks.on_tender_amended(bid_hooks.mark_bids_for_reconfirmation)
    tender_hooks.set_live_bid_counter(bid_hooks.count_live_bids)
    tender_hooks.set_settler(settlement.settle_logged)


def wire_audit_hooks() -> None:
    # The funding mark first: two transactions moving money for one process queue on
    # its mark row, so a release built after it (a state change that also moves money)
    # already shows the money of every earlier marker (opendata/ocds/funding.py).
    audit.on_appended(funding.mark)
    audit.on_appended(publish.publish_for)
    # This process's cached public pages are stale from now on (market.web.page_cache).
    audit.on_appended(page_cache.data_changed)


def wire_ledger_checks() -> None:
    for name, check in {**invariants.CHECKS, **fund_invariants.CHECKS}.items():
        register_check(name, check)


def wire_jobs() -> None:
    # The audit chain's sequencer: a session a minute long, chaining every 100 ms.
    register_job(
        "audit.sequence",
        jobs.audit_sequence,
        every=timedelta(minutes=1),
        repeat=timedelta(milliseconds=100),
        max_backoff=timedelta(minutes=1),
    )
    register_job("tenders.tick", jobs.tenders_tick, every=timedelta(seconds=30))
    register_job("bids.open", jobs.bids_open, every=timedelta(seconds=30))
    register_job("payments.expire", jobs.payments_expire, every=timedelta(minutes=1))
    register_job("donations.settle", jobs.donations_settle, every=timedelta(minutes=1))
    register_job("pledges.expire", jobs.pledges_expire, every=timedelta(minutes=5))
    register_job("stats.fold", jobs.stats_fold, every=timedelta(minutes=1))
    register_job("outbox.deliver", jobs.outbox_deliver, every=timedelta(seconds=10))
    register_job("ocds.funding", jobs.ocds_funding, every=timedelta(minutes=1))
    register_job("notify.reminders", jobs.notify_reminders, every=timedelta(minutes=5))
    register_job("budget.year_end", jobs.budget_year_end, every=timedelta(hours=1))


def wire_notify_events() -> None:
    """The notify app: its audit hook and a renderer for every kind of notification."""
    audit.on_appended(notify_events.on_appended)
    for kind in KINDS:
        register_renderer(kind, notify_render.renderer(kind))


def wire_notify_outbox() -> None:
    outbox.register_layout(emails.layout)


def wire() -> None:
    """Everything the web app, the CLI and the test suite need registered."""
    wire_payment_kinds()
    wire_tender_hooks()
    wire_audit_hooks()
    wire_ledger_checks()
    wire_notify_outbox()
    wire_jobs()
    wire_notify_events()
