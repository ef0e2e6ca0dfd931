"""The donors app's read-contract views (donors/read_views.py documents them)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "read-contract views for reporting apps"

_VIEWS = [
    "CREATE VIEW donors_v_contribution AS SELECT id, kind, tender, organization, source,"
    " amount, currency, note, status, created_at, received_at FROM donors_contribution",
    "CREATE VIEW donors_v_donation AS SELECT id, tender, donor, amount, currency, status,"
    " match_pledge, match_amount, match_status, created_at, paid_at, closed_at"
    " FROM donors_donation",
    "CREATE VIEW donors_v_pledge AS SELECT id, sponsor, source, currency, ratio_sponsor,"
    " ratio_donor, per_donation_cap, total_cap, matched, valid_from, valid_until, status,"
    " created_at, funded_at, expired_at, returned FROM donors_pledge",
    "CREATE VIEW donors_v_payment AS SELECT id, kind, object_id, object_key, provider,"
    " amount, currency, status, created_at, settled_at FROM donors_payment",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="donors", description=DESCRIPTION)
    manager.add_raw(_views)
    return manager


async def _views():
    engine = engine_finder()
    for statement in _VIEWS:
        await engine.run_ddl(statement)
