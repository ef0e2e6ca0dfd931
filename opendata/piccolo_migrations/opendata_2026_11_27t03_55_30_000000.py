"""stats_funds_rollup's unique key: the fold upserts on it (raw SQL, both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-27T03:55:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "stats_funds_rollup unique (currency, year, flow, source)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="opendata", description=DESCRIPTION)
    manager.add_raw(_unique_key)
    return manager


async def _unique_key():
    # INSERT … ON CONFLICT (currency, year, flow, source) DO UPDATE needs this index;
    # the same statement works on PostgreSQL and SQLite (3.24+).
    await engine_finder().run_ddl(
        "CREATE UNIQUE INDEX stats_funds_rollup_key"
        " ON stats_funds_rollup (currency, year, flow, source)"
    )
