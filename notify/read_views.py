"""The notify app's read contract for reporting apps: database views.

The `opendata/` reporting app shows a project's updates on the project page through
these views only, never through the tables (a view names the columns it promises;
change it in a new migration). Created by
notify/piccolo_migrations/notify_2026_11_29t21_47_13_000000.py in portable SQL (SQLite
and PostgreSQL). Neither names who posted an update (the user), nor holds a photo's
bytes (they are served at `/updates/photos/{id}`), nor shows sandbox tenders' updates
(they join `market_v_tender`, which has none).

- `notify_v_project_update` — id, tender (the project), contract, organization (the
  contracted organization that posted it), title_zh, body_zh, title_en, body_en (a
  language is given whole or is ""), created_at.
- `notify_v_project_update_photo` — id, project_update, position (1, 2, …), alt (the
  text that stands for the photo), content_type, width, height, size, sha256.

Views are named `<app>_v_<name>`; tests/architecture.py checks that a view another app
reads is listed in `VIEWS` here.
"""

from __future__ import annotations

VIEWS = ("notify_v_project_update", "notify_v_project_update_photo")
