"""A tender may be a community fund's call for proposals (the funds app): its budget is
held from its place's fund instead of a department's budget. Same SQL on SQLite and
PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "market_tender.community_fund: a community fund's call for proposals"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_columns)
    return manager


async def _columns():
    engine = engine_finder()
    await engine.run_ddl(
        "ALTER TABLE market_tender ADD COLUMN community_fund BOOLEAN NOT NULL DEFAULT FALSE"
    )
