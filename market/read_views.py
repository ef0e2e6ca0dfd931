"""The kernel's read contract for reporting apps: database views.

Another app (the `opendata/` reporting app) reads the kernel's organizations, tenders
and ledger through these views only, never through the tables: a view names the
columns it promises, so the kernel may rename or add table columns without breaking a
reader at run time (change the view in a new migration instead). The views are created
by market/piccolo_migrations/market_2026_11_29t17_30_00_000000.py, in portable SQL
(SQLite and PostgreSQL), and hold no secrets (no contact e-mails, reasons for
decisions or salts).

- `market_v_organization` — id, kind, name_zh, name_en, uscc, category, rating, status,
  area, registered_year, created_at, decided_at.
- `market_v_tender` — id, ocid, department, title_zh, title_en, description_zh,
  description_en, criteria (JSON), category, area_level, area, currency, budget,
  goal_corporate, goal_foundation, goal_public, goal_own, min_bids, enquiry_end,
  bid_deadline, opening_at, status, published_at, status_changed_at, amended_at,
  amendment_count, cancel_reason, created_at, updated_at. Real tenders only: a sandbox
  (training) tender, `acceleration` > 1, is not in it (migration 2026-11-29T19:53:41),
  so it is never published as open data.
- `market_v_sandbox_tender` — id, acceleration: the sandbox (training) tenders, and
  nothing else about them, so that an app can keep their simulated money apart from
  real money (donors/sandbox_check.py; migration 2026-11-29T21:22:38).
- `market_v_tender_question` — id, tender, asked_at, answered_at (whether a question
  waits for an answer; not the asker or the text).
- `market_v_tender_document` — id, tender, title, filename, kind, content_type, size,
  sha256, uploaded_at (not the content).
- `market_v_tender_revision` — id, tender, at, action, from_status, to_status, note,
  changes (JSON; not the actor).
- `market_v_audit_event` — id, seq, at, actor, action, object_type, object_id, change
  (JSON), prev_hash, hash: the public hash-chained audit log, whole. seq, prev_hash
  and hash are NULL for a row still queued for the sequencer (a second at most).
- `market_v_ledger_account` — id, code, currency, created_at.
- `market_v_ledger_transfer` — id, key (the transfer id, "donation:42"),
  debit_account, credit_account, amount, currency, kind, reason, reference, tender_id,
  source, created_at (the ledger is append-only; readers may range-scan on id). Not the
  transfers of sandbox tenders (migration 2026-11-29T19:53:41): not real money.
- `market_v_ledger_entry` — the same columns as `market_v_ledger_transfer` and
  `pending` (the id of the pending transfer a post or void resolves), for every
  transfer, sandbox tenders' too: the whole ledger, for the apps' money invariants
  (donors/invariants.py), never for open data. Added by
  market_2026_11_29t19_41_00_000000.py, as are:
- `market_v_ledger_balance` — id, code, currency, debits_pending, debits_posted,
  credits_pending, credits_posted: each account's cached balance columns (`market
  ledger check` proves them equal to the transfers);
- `market_v_ledger_resolution` — id, key, pending, kind (post | void), amount,
  created_at: every post and void.
- `market_v_budget_appropriation` — id, year, place (the district), currency, amount,
  reference, recorded_at: a year's appropriation as the budget law voted it (not who
  recorded it); its unallocated money is the ledger account
  `market.ledger.codes.appropriation_code(year, place)`. Added by
  market_2026_11_30t01_20_00_000000.py, as are:
- `market_v_budget_line` — id, appropriation, year, place, category, created_at: one
  line of an appropriation, whose money is the account `budget_line_code(id)`;
- `market_v_tender_budget_line` — id, place, budget_line: the place and the budget line
  of each real tender (a sandbox tender is not in it; either may be NULL).

Views are named `<app>_v_<name>`; tests/architecture.py checks that a view another app
reads is listed in `VIEWS` here.
"""

from __future__ import annotations

VIEWS = (
    "market_v_organization",
    "market_v_tender",
    "market_v_sandbox_tender",
    "market_v_tender_document",
    "market_v_tender_revision",
    "market_v_tender_question",
    "market_v_audit_event",
    "market_v_ledger_account",
    "market_v_ledger_transfer",
    "market_v_ledger_entry",
    "market_v_ledger_balance",
    "market_v_ledger_resolution",
    "market_v_budget_appropriation",
    "market_v_budget_line",
    "market_v_tender_budget_line",
)
