"""The outbox: messages written in the same transaction as the change they report,
delivered after it commits — at least once, and at most once more after a crash.

- `queue`: `enqueue` writes messages (`Outgoing`) in the caller's transaction, one row
  per idempotency key (event, recipient, channel: `message_key`), so a retried event
  writes nothing twice; `enqueue_email` writes one pre-written e-mail (kind "raw").
- `rendering`: a row names a `kind` and its `params`, rendered in the recipient's
  language when it is delivered or shown (`register_renderer`); a notification e-mail
  is wrapped by the registered layout (`register_layout`: HTML part, footer,
  unsubscribe headers). Both are filled by `composition.wiring`.
- `delivery`: the worker's `outbox.deliver` job (and the request that wrote a mail)
  claims due rows under a lease, sends them and marks each sent; failures back off
  and are dead-lettered after `MAX_ATTEMPTS` (`rules`); every send of a row carries
  the same Message-ID. `compose` builds the e-mail, `transport` sends it (SMTP with
  `MARKET_SMTP_URL`, else `.eml` files under `var/mail/`, see `mailfiles`).
- `inbox`: channel "inbox" rows are delivered when written and read on the site
  (`inbox_page`, `unread_count`, `mark_read`).
- `status`: what operators see of the queue (`/api/v1/system/outbox`).
"""

from market.outbox.delivery import Delivered, command, deliver, deliver_pending
from market.outbox.inbox import InboxItem, inbox_page, mark_read, unread_count
from market.outbox.queue import CHANNELS, Outgoing, enqueue, enqueue_email, message_key
from market.outbox.rendering import (
    _RENDERERS,
    Addressed,
    Letter,
    Rendered,
    Renderer,
    register_layout,
    register_renderer,
    render,
)
from market.outbox.rules import MAX_ATTEMPTS

__all__ = [
    "CHANNELS",
    "MAX_ATTEMPTS",
    "_RENDERERS",
    "Addressed",
    "Delivered",
    "InboxItem",
    "Letter",
    "Outgoing",
    "Rendered",
    "Renderer",
    "command",
    "deliver",
    "deliver_pending",
    "enqueue",
    "enqueue_email",
    "inbox_page",
    "mark_read",
    "message_key",
    "register_layout",
    "register_renderer",
    "render",
    "unread_count",
]
