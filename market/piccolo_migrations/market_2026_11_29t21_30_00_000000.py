"""The outbox carries notifications (the `notify` app) as well as pre-written e-mails:
an idempotency `key` per (event, recipient, channel), unique, so a retried event writes
no second message; `kind` + `params` rendered in `lang` at delivery; the recipient's
`user_id`; the `link` it points to; `due_at` (retries back off); `read_at` for the
in-app inbox (channel "inbox"). Existing rows become kind "raw" with a legacy key and
are due at once. Same SQL on SQLite and PostgreSQL (NOT NULL on PostgreSQL only)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-29T21:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox: idempotency key, kind/params/lang/link, due_at, inbox read_at"

_STATEMENTS = [
    "ALTER TABLE market_outbox ADD COLUMN key VARCHAR(200)",
    "ALTER TABLE market_outbox ADD COLUMN kind VARCHAR(60) NOT NULL DEFAULT 'raw'",
    "ALTER TABLE market_outbox ADD COLUMN user_id INTEGER",
    "ALTER TABLE market_outbox ADD COLUMN lang VARCHAR(10) NOT NULL DEFAULT ''",
    "ALTER TABLE market_outbox ADD COLUMN params TEXT NOT NULL DEFAULT '{}'",
    "ALTER TABLE market_outbox ADD COLUMN link VARCHAR(500) NOT NULL DEFAULT ''",
    "ALTER TABLE market_outbox ADD COLUMN due_at TIMESTAMPTZ",
    "ALTER TABLE market_outbox ADD COLUMN read_at TIMESTAMPTZ",
    "UPDATE market_outbox SET key = 'legacy|' || CAST(id AS VARCHAR(20)), due_at = created_at",
    "CREATE UNIQUE INDEX market_outbox_key ON market_outbox (key)",
    # the delivery queue and the inbox, each read through its own index
    "CREATE INDEX market_outbox_due ON market_outbox (channel, due_at) WHERE sent_at IS NULL",
    "CREATE INDEX market_outbox_inbox ON market_outbox (user_id, id) WHERE channel = 'inbox'",
]
_PG = [
    "ALTER TABLE market_outbox ALTER COLUMN key SET NOT NULL",
    "ALTER TABLE market_outbox ALTER COLUMN due_at SET NOT NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_notifications)
    return manager


async def _notifications():
    engine = engine_finder()
    for statement in _STATEMENTS:
        await engine.run_ddl(statement)
    if isinstance(engine, PostgresEngine):
        for statement in _PG:
            await engine.run_ddl(statement)
