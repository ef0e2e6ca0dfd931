"""Sealed audit logs: one event per (scope, position)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T16:00:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique positions in sealed audit logs"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_unique_positions)
    return manager


async def _unique_positions():
    await engine_finder().run_ddl(
        "CREATE UNIQUE INDEX audit_sealed_event_scope_position"
        " ON audit_sealed_event (scope, position)"
    )
