"""Tender list: the area filter's options by loose index scan; status + category keyset."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T22:58:22:000000"
VERSION = "1.38.0"
DESCRIPTION = "tender area and status+category indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_indexes)
    return manager


_INDEXES = [
    "CREATE INDEX market_tender_area_public ON market_tender (area, published_at, id)"
    " WHERE published_at IS NOT NULL",
    "CREATE INDEX market_tender_status_category_public ON market_tender"
    " (status, category, published_at, id) WHERE published_at IS NOT NULL",
]


async def _indexes():
    engine = engine_finder()
    for statement in _INDEXES:
        await engine.run_ddl(statement)
