"""ocds_release is append-only: a published release is never edited (raw SQL, both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-27T03:25:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "ocds_release append-only trigger and (ocid, id) index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="opendata", description=DESCRIPTION)
    manager.add_raw(_append_only)
    return manager


# PostgreSQL refuses UPDATE and DELETE (the kernel's market_append_only() function,
# created by the market migrations this app depends on); SQLite refuses UPDATE and, as
# for the ledger, leaves DELETE possible so that test truncation still works.
_INDEXES = ["CREATE INDEX ocds_release_ocid_id ON ocds_release (ocid, id)"]
_PG = [
    "CREATE TRIGGER ocds_release_append_only BEFORE UPDATE OR DELETE ON ocds_release"
    " FOR EACH ROW EXECUTE FUNCTION market_append_only()",
]
_SQLITE = [
    """CREATE TRIGGER ocds_release_append_only BEFORE UPDATE ON ocds_release
BEGIN SELECT RAISE(ABORT, 'ocds_release is append-only'); END""",
]


async def _append_only():
    engine = engine_finder()
    statements = _INDEXES + (_PG if isinstance(engine, PostgresEngine) else _SQLITE)
    for statement in statements:
        await engine.run_ddl(statement)
