"""Outbox delivery with leases and dead letters: `claim` names the delivery run that
holds a row until its `due_at` (a run that dies leaves the row due again when the
lease ends); `failed_at` marks a row given up (dead-lettered) after its last try. The
delivery queue's index leaves sent and dead rows out; dead letters get their own;
the single-column channel and sent_at indexes, which no query reads, go.
Same SQL on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T21:31:17:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox: delivery claims (lease) and dead letters"

_STATEMENTS = [
    "ALTER TABLE market_outbox ADD COLUMN claim VARCHAR(40) NOT NULL DEFAULT ''",
    "ALTER TABLE market_outbox ADD COLUMN failed_at TIMESTAMPTZ",
    "DROP INDEX market_outbox_due",
    # single-column indexes no query reads (the queue and the inbox have their own):
    # each costs every enqueued row an index entry
    "DROP INDEX IF EXISTS market_outbox_channel",
    "DROP INDEX IF EXISTS market_outbox_sent_at",
    "CREATE INDEX market_outbox_queue ON market_outbox (due_at, id)"
    " WHERE channel = 'email' AND sent_at IS NULL AND failed_at IS NULL",
    "CREATE INDEX market_outbox_dead ON market_outbox (failed_at) WHERE failed_at IS NOT NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_delivery)
    return manager


async def _delivery():
    engine = engine_finder()
    for statement in _STATEMENTS:
        await engine.run_ddl(statement)
