"""The funds app's read contract for reporting apps: database views, created by
funds/piccolo_migrations/funds_2026_11_30t01_31_00_000000.py in portable SQL (SQLite and
PostgreSQL). Donors' identities, e-mails, messages, votes' remarks and reports are not
exposed.

- `funds_v_fund` — id, place (market_place id of the community), organization (the
  fund's organization, kind community_fund), opened_at.
- `funds_v_call` — id, tender (the kernel tender the call is), fund, cap, ends,
  created_at, decided_at.
- `funds_v_grant` — id, call, tender, fund, bid, organization (the grantee), amount,
  currency, status (active | completed | ended), votes_for, votes_against,
  decided_at, ended_at.
- `funds_v_tranche` — id, grant_id, position, deliverable (start | final), due, amount,
  status, submitted_at, decided_at, release_key (its release transfers are referenced
  `fund_tranche:<id>`).
- `funds_v_gift` — id, fund, source (public | corporate | foundation), sponsor (the
  company or foundation; NULL for a resident's donation), amount, currency, status,
  paid_at.

Views are named `<app>_v_<name>`; tests/architecture.py checks that a view another app
reads is listed in `VIEWS` here.
"""

from __future__ import annotations

VIEWS = ("funds_v_fund", "funds_v_call", "funds_v_grant", "funds_v_tranche", "funds_v_gift")
