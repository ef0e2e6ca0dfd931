"""Three more read-contract views of the ledger for the apps' money invariants
(market/read_views.py documents them): every transfer (the whole ledger, unlike the
open-data view), cached account balances, and which post or void resolved which
pending transfer."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T19:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger balance and resolution views for the apps' invariants"

_VIEWS = [
    "CREATE VIEW market_v_ledger_entry AS SELECT id, key, debit_account, credit_account,"
    " amount, currency, kind, reason, reference, tender_id, source, created_at, pending"
    " FROM ledger_transfer",
    "CREATE VIEW market_v_ledger_balance AS SELECT id, code, currency, debits_pending,"
    " debits_posted, credits_pending, credits_posted FROM ledger_account",
    "CREATE VIEW market_v_ledger_resolution AS SELECT id, key, pending, kind, amount,"
    " created_at FROM ledger_transfer WHERE pending IS NOT NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_views)
    return manager


async def _views():
    engine = engine_finder()
    for statement in _VIEWS:
        await engine.run_ddl(statement)
