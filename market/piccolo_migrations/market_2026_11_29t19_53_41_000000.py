"""The accelerated sandbox: market_tender.acceleration (1 = real time, up to 86400; see
market/tenders/acceleration.py), and `market_v_tender` no longer shows sandbox tenders
(acceleration > 1), nor does `market_v_ledger_transfer` show their money: training
tenders are never open data (no OCDS release, 360Giving grant, statistic or public
project page). Same SQL on SQLite and PostgreSQL; the range
CHECK is PostgreSQL's (on SQLite the draft form's validation is the only writer)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-29T19:53:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "tender acceleration factor (sandbox tenders), hidden from market_v_tender"

_COLUMN = "ALTER TABLE market_tender ADD COLUMN acceleration INTEGER NOT NULL DEFAULT 1"
_PG = [
    "ALTER TABLE market_tender ADD CONSTRAINT market_tender_acceleration"
    " CHECK (acceleration BETWEEN 1 AND 86400)",
]
_VIEW = [
    "DROP VIEW market_v_tender",
    "CREATE VIEW market_v_tender AS SELECT id, ocid, department, title_zh, title_en,"
    " description_zh, description_en, criteria,"
    " category, area_level, area, currency, budget, goal_corporate, goal_foundation,"
    " goal_public, goal_own, min_bids, enquiry_end, bid_deadline, opening_at, status,"
    " published_at, status_changed_at, amended_at, amendment_count, cancel_reason,"
    " created_at, updated_at FROM market_tender WHERE acceleration = 1",
    "DROP VIEW market_v_ledger_transfer",
    "CREATE VIEW market_v_ledger_transfer AS SELECT id, key, debit_account, credit_account,"
    " amount, currency, kind, reason, reference, tender_id, source, created_at"
    " FROM ledger_transfer WHERE tender_id IS NULL"
    " OR tender_id NOT IN (SELECT id FROM market_tender WHERE acceleration > 1)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_acceleration)
    return manager


async def _acceleration():
    engine = engine_finder()
    await engine.run_ddl(_COLUMN)
    if isinstance(engine, PostgresEngine):
        for statement in _PG:
            await engine.run_ddl(statement)
    for statement in _VIEW:
        await engine.run_ddl(statement)
