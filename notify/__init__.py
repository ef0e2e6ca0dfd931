"""Notifications: nobody has to poll the site.

The `notify` app decides who is told what, on which channel, and offers the public
feeds. A notification is written in the transaction of the event that causes it (the
outbox pattern, `market.outbox`): one row per (event, recipient, channel), keyed so a
retried event never writes twice, delivered by the worker (`outbox.deliver`) with
retries, and shown in the recipient's in-app inbox.

- `kinds` (pure): every kind of notification, its label and which channels it uses by
  default; users change that per kind and channel (`notify_preference`).
- `send`: `notify_users` / `notify_address` — resolve preferences and language and
  write the outbox rows (inside the caller's transaction).
- `events`, `events_money` (the audit hook) and `reminders` (the `notify.reminders`
  job): who is told what, when something happens or when time passes; `recipients`
  reads who is part of what; `rules` (pure) matches subscriptions and times reminders.
- `render` (with `words`): every kind worded in the reader's language — subject, text
  and escaped HTML — for the e-mail and the inbox alike.
- `inbox`, `preferences`, `subscriptions` and `controllers/`: the pages.
- `tables`: preferences, tender subscriptions and the reminder job's cursor.

The app reads the kernel through its read functions (`market.directory`) and the other
apps through their read-contract views; the kernel never imports it.
"""
