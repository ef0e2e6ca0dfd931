"""The notify app's tables: notification preferences (unique per user, kind and
channel) and tender subscriptions. Same SQL on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-29T21:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notification preferences and tender subscriptions"


def _statements(serial: str, bigint: str) -> list[str]:
    return [
        "CREATE TABLE notify_preference ("
        f" id {serial} PRIMARY KEY,"
        ' "user" INTEGER NOT NULL REFERENCES market_user (id) ON DELETE CASCADE,'
        " kind VARCHAR(60) NOT NULL, channel VARCHAR(20) NOT NULL,"
        " enabled BOOLEAN NOT NULL, updated_at TIMESTAMPTZ NOT NULL,"
        " CHECK (channel IN ('email', 'inbox')))",
        'CREATE UNIQUE INDEX notify_preference_key ON notify_preference ("user", kind, channel)',
        "CREATE TABLE notify_subscription ("
        f" id {serial} PRIMARY KEY,"
        ' "user" INTEGER NOT NULL REFERENCES market_user (id) ON DELETE CASCADE,'
        " category VARCHAR(40) NOT NULL DEFAULT '', area VARCHAR(100) NOT NULL DEFAULT '',"
        f" budget_min {bigint}, budget_max {bigint}, created_at TIMESTAMPTZ NOT NULL,"
        " CHECK (budget_min IS NULL OR budget_min >= 0),"
        " CHECK (budget_max IS NULL OR budget_min IS NULL OR budget_max >= budget_min))",
        'CREATE INDEX notify_subscription_user ON notify_subscription ("user")',
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)
    manager.add_raw(_tables)
    return manager


async def _tables():
    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        statements = _statements("SERIAL", "BIGINT")
    else:
        statements = _statements("INTEGER", "INTEGER")
    for statement in statements:
        await engine.run_ddl(statement)
