"""The donors app's read contract for reporting apps: database views.

The `opendata/` reporting app reads contributions, donations and pledges through these
views only, never through the tables (a view names the columns it promises; change it
in a new migration, not by renaming a column under a reader). Created by
donors/piccolo_migrations/donors_2026_11_29t17_30_00_000000.py in portable SQL (SQLite
and PostgreSQL). Donors' names, e-mails and messages, payment secrets, provider and
bank references and receipt numbers are not exposed (a donation's `donor` user id is,
for the donor's own dashboard).

- `donors_v_contribution` — id, kind (sponsorship | own_income), tender, organization,
  source, amount, currency, note, status, created_at, received_at.
- `donors_v_donation` — id, tender, donor (user id or NULL), amount, currency, status, match_pledge,
  match_amount, match_status, created_at, paid_at, closed_at.
- `donors_v_pledge` — id, sponsor, source, currency, ratio_sponsor, ratio_donor,
  per_donation_cap, total_cap, matched, valid_from, valid_until, status, created_at,
  funded_at, expired_at, returned.
- `donors_v_payment` — id, kind, object_id, object_key ("donation:42"), provider,
  amount, currency, status, created_at, settled_at.

Views are named `<app>_v_<name>`; tests/architecture.py checks that a view another app
reads is listed in `VIEWS` here.
"""

from __future__ import annotations

VIEWS = ("donors_v_contribution", "donors_v_donation", "donors_v_pledge", "donors_v_payment")
