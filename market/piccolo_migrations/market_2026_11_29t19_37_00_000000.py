"""The `terminated` tender status: PostgreSQL's CHECK on market_tender.status admits it
(SQLite has no such CHECK: the kernel's state machine is the only writer of status)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-29T19:37:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "terminated tender status"

_PG = [
    "ALTER TABLE market_tender DROP CONSTRAINT market_tender_status",
    "ALTER TABLE market_tender ADD CONSTRAINT market_tender_status CHECK (status IN"
    " ('draft', 'published', 'tendering', 'evaluation', 'awarded', 'contracted',"
    " 'completed', 'cancelled', 'unsuccessful', 'terminated'))",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_terminated_status)
    return manager


async def _terminated_status():
    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        for statement in _PG:
            await engine.run_ddl(statement)
