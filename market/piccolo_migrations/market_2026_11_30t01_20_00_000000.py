"""Read-contract views of the district's budget for reporting apps (market/read_views.py
documents them): appropriations, budget lines, and the place and budget line of each
real tender (sandbox tenders are left out, as in `market_v_tender`). Same SQL on SQLite
and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T01:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "budget read views: appropriations, lines, tenders' places and lines"

_VIEWS = [
    "CREATE VIEW market_v_budget_appropriation AS SELECT id, year, place, currency,"
    " amount, reference, recorded_at FROM market_budget_appropriation",
    "CREATE VIEW market_v_budget_line AS SELECT id, appropriation, year, place, category,"
    " created_at FROM market_budget_line",
    "CREATE VIEW market_v_tender_budget_line AS SELECT id, place, budget_line"
    " FROM market_tender WHERE acceleration = 1",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_views)
    return manager


async def _views():
    engine = engine_finder()
    for statement in _VIEWS:
        await engine.run_ddl(statement)
