"""The audit chain without a global lock: rows are appended queued (seq, prev_hash and
hash NULL) and chained later by the sequencer (market/audit/sequencer.py).

- seq, prev_hash and hash may be NULL, all three together (a CHECK), with no default;
- a partial index finds the queued rows in id order;
- the append-only guard lets exactly one UPDATE through: sequencing a queued row
  (NULL seq, prev_hash, hash → values), nothing else of the row changing; every
  other UPDATE, and DELETE on PostgreSQL, is still refused;
- SQLite cannot drop NOT NULL in place, so the table is rebuilt (same columns, the id
  now AUTOINCREMENT so an id is never handed out twice), its view dropped and created
  again around it.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-29T21:07:31:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit_event rows queued (NULL seq and hashes) until the sequencer chains them"

_QUEUED_INDEX = "CREATE INDEX audit_event_queued ON audit_event (id) WHERE seq IS NULL"
_CHAINED_TOGETHER = (
    "CHECK ((seq IS NULL) = (prev_hash IS NULL) AND (seq IS NULL) = (hash IS NULL))"
)
_CONTENT = ("id", "at", "actor", "action", "object_type", "object_id", "change")
_VIEW = (
    "CREATE VIEW market_v_audit_event AS SELECT id, seq, at, actor, action, object_type,"
    " object_id, change, prev_hash, hash FROM audit_event"
)

_PG = [
    "ALTER TABLE audit_event ALTER COLUMN seq DROP NOT NULL, ALTER COLUMN seq DROP DEFAULT,"
    " ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN prev_hash DROP DEFAULT,"
    " ALTER COLUMN hash DROP NOT NULL, ALTER COLUMN hash DROP DEFAULT",
    "ALTER TABLE audit_event ADD CONSTRAINT audit_event_chained_together " + _CHAINED_TOGETHER,
    _QUEUED_INDEX,
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
     AND (NEW.id, NEW.at, NEW.actor, NEW.action, NEW.object_type, NEW.object_id, NEW.change)
         IS NOT DISTINCT FROM
         (OLD.id, OLD.at, OLD.actor, OLD.action, OLD.object_type, OLD.object_id, OLD.change)
  THEN
    RETURN NEW;  -- the sequencer chaining a queued row
  END IF;
  RAISE EXCEPTION 'audit_event is append-only (a queued row may only be sequenced)'
    USING ERRCODE = 'raise_exception';
END $$""",
    "DROP TRIGGER audit_event_append_only ON audit_event",
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event"
    " FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
]

_SQLITE = [
    "DROP VIEW market_v_audit_event",
    'CREATE TABLE "audit_event_queued" ("id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,'
    ' "seq" INTEGER UNIQUE, "at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,'
    " \"actor\" VARCHAR(120) NOT NULL DEFAULT '', \"action\" VARCHAR(80) NOT NULL DEFAULT '',"
    " \"object_type\" VARCHAR(40) NOT NULL DEFAULT '',"
    " \"object_id\" VARCHAR(120) NOT NULL DEFAULT '', \"change\" TEXT NOT NULL DEFAULT '',"
    ' "prev_hash" VARCHAR(64), "hash" VARCHAR(64), ' + _CHAINED_TOGETHER + ")",
    "INSERT INTO audit_event_queued (id, seq, at, actor, action, object_type, object_id,"
    " change, prev_hash, hash) SELECT id, seq, at, actor, action, object_type, object_id,"
    " change, prev_hash, hash FROM audit_event",
    "DROP TABLE audit_event",
    "ALTER TABLE audit_event_queued RENAME TO audit_event",
    _QUEUED_INDEX,
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE ON audit_event WHEN NOT ("
    "OLD.seq IS NULL AND NEW.seq IS NOT NULL AND "
    + " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _CONTENT)
    + ") BEGIN SELECT RAISE(ABORT, 'audit_event is append-only (a queued row may only be"
    " sequenced)'); END",
    _VIEW,
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_queued_rows)
    return manager


async def _queued_rows():
    engine = engine_finder()
    for statement in _PG if isinstance(engine, PostgresEngine) else _SQLITE:
        await engine.run_ddl(statement)
