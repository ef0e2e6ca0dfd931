"""The bids app's read contract for reporting apps: database views.

The `opendata/` reporting app reads bids, awards, contracts and milestones through these
views only, never through the tables (a view names the columns it promises; change it in
a new migration, not by renaming a column under a reader). Created by
bids/piccolo_migrations/bids_2026_11_29t17_30_00_000000.py in portable SQL (SQLite and
PostgreSQL). Sealed envelopes, receipts and who-did-what user ids are not exposed.

- `bids_v_bid` — id, ref (the bid's URL token), tender, organization, status, price
  (filled at opening), opened_at.
- `bids_v_award` — id, tender, bid, status, awarded_at, standstill_ends, cancelled_at.
- `bids_v_contract` — id, tender, award, bid, organization, department, amount,
  currency, starts, status, created_at, department_signed_at, organization_signed_at,
  activated_at, ended_at.
- `bids_v_milestone` — id, contract, position, deliverable, due, amount, status,
  submitted_at, decided_at, released.
- `bids_v_milestone_evidence` — id, milestone, title, filename, kind, content_type,
  size, sha256, uploaded_at (not the content or the uploader).
- `bids_v_tender_key` — id, tender, created_at, opened_at (when the bids were opened;
  not the wrapped key).
- `bids_v_evaluator` — id, tender, "user", status, appointed_at, declared_at (not the
  declaration statement).
- `bids_v_score` — id, tender, bid, evaluator, criterion, scored_at (that a mark was
  given, not the mark or the comment).
- `bids_v_complaint` — id, tender, award, organization (the complainant), status,
  filed_at, resolved_at (not the complaint's text or resolution).

Views are named `<app>_v_<name>`; tests/architecture.py checks that a view another app
reads is listed in `VIEWS` here.
"""

from __future__ import annotations

VIEWS = (
    "bids_v_bid",
    "bids_v_award",
    "bids_v_contract",
    "bids_v_milestone",
    "bids_v_complaint",
    "bids_v_tender_key",
    "bids_v_milestone_evidence",
    "bids_v_evaluator",
    "bids_v_score",
)
