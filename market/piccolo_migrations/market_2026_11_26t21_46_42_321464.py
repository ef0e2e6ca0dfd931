"""Ledger and audit constraints Piccolo cannot express (raw SQL, both engines)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-26T21:46:42:321464"
VERSION = "1.38.0"
DESCRIPTION = "ledger/audit indexes, checks, append-only triggers"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_ledger_and_audit_constraints)
    return manager


# Composite indexes (statements, per-tender read models), CHECK constraints and
# append-only triggers. SQLite cannot add CHECKs to an existing table, and its
# DELETE guard is left out so test truncation still works; PostgreSQL gets both.
_INDEXES = [
    "CREATE INDEX ledger_transfer_debit_id ON ledger_transfer (debit_account, id)",
    "CREATE INDEX ledger_transfer_credit_id ON ledger_transfer (credit_account, id)",
    "CREATE INDEX ledger_transfer_tender_id ON ledger_transfer (tender_id, id)"
    " WHERE tender_id IS NOT NULL",
    "CREATE INDEX ledger_transfer_tender_reason ON ledger_transfer"
    " (tender_id, reason, source, kind, amount) WHERE tender_id IS NOT NULL",
]

_PG = [
    "ALTER TABLE ledger_transfer ALTER COLUMN debit_account SET NOT NULL,"
    " ALTER COLUMN credit_account SET NOT NULL",
    "ALTER TABLE ledger_transfer ADD CONSTRAINT ledger_transfer_amount_positive"
    " CHECK (amount > 0)",
    "ALTER TABLE ledger_transfer ADD CONSTRAINT ledger_transfer_two_accounts"
    " CHECK (debit_account <> credit_account)",
    "ALTER TABLE ledger_transfer ADD CONSTRAINT ledger_transfer_kind"
    " CHECK (kind IN ('single', 'pending', 'post', 'void'))",
    "ALTER TABLE ledger_transfer ADD CONSTRAINT ledger_transfer_pending_link"
    " CHECK ((kind IN ('post', 'void')) = (pending IS NOT NULL))",
    "ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_balances_non_negative"
    " CHECK (debits_pending >= 0 AND debits_posted >= 0"
    " AND credits_pending >= 0 AND credits_posted >= 0)",
    """CREATE FUNCTION market_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'raise_exception';
END $$""",
    "CREATE TRIGGER ledger_transfer_append_only BEFORE UPDATE OR DELETE ON ledger_transfer"
    " FOR EACH ROW EXECUTE FUNCTION market_append_only()",
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event"
    " FOR EACH ROW EXECUTE FUNCTION market_append_only()",
]

_SQLITE = [
    """CREATE TRIGGER ledger_transfer_append_only BEFORE UPDATE ON ledger_transfer
BEGIN SELECT RAISE(ABORT, 'ledger_transfer is append-only'); END""",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
]


async def _ledger_and_audit_constraints():
    engine = engine_finder()
    statements = _INDEXES + (_PG if isinstance(engine, PostgresEngine) else _SQLITE)
    for statement in statements:
        await engine.run_ddl(statement)
