"""`market_v_sandbox_tender`: the ids of the sandbox (training) tenders, acceleration > 1
(market/tenders/acceleration.py), for the donors app's sandbox invariant
(donors/sandbox_check.py: none of their transfers touches real money). The tenders
themselves stay out of `market_v_tender`. Same SQL on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T21:22:38:000000"
VERSION = "1.38.0"
DESCRIPTION = "market_v_sandbox_tender: the ids of sandbox tenders"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_view)
    return manager


async def _view():
    await engine_finder().run_ddl(
        "CREATE VIEW market_v_sandbox_tender AS SELECT id, acceleration FROM market_tender"
        " WHERE acceleration > 1"
    )
