"""Addresses that unsubscribed from a kind of e-mail (the one-click unsubscribe of
someone known only by address), unique per (address, kind); the address
is stored lower-cased (by Python, as `notify.send` keys it). Same SQL on SQLite and
PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-29T21:41:17:000000"
VERSION = "1.38.0"
DESCRIPTION = "e-mail suppressions of address-only recipients"


def _statements(serial: str) -> list[str]:
    return [
        "CREATE TABLE notify_suppression ("
        f" id {serial} PRIMARY KEY,"
        " address VARCHAR(254) NOT NULL, kind VARCHAR(60) NOT NULL,"
        " created_at TIMESTAMPTZ NOT NULL)",
        "CREATE UNIQUE INDEX notify_suppression_key ON notify_suppression (address, kind)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)
    manager.add_raw(_tables)
    return manager


async def _tables():
    engine = engine_finder()
    serial = "SERIAL" if isinstance(engine, PostgresEngine) else "INTEGER"
    for statement in _statements(serial):
        await engine.run_ddl(statement)
