"""Releases name the audit event they publish by its id, not its seq: an event gets its
seq only when the sequencer chains it, after the transaction that published the release
(market.audit). So `ocds_release.audit_seq` becomes `audit_event_id`, and
`ocds_funding_mark.seq`/`published_seq` become `event`/`published_event`, each rewritten
from the seq it held to that event's id (through the kernel's `market_v_audit_event`).
Release ids already published ("<ocid>-<seq>") stay as they are: every event id is at
least its seq, so a new id never repeats an old one.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-29T21:12:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "OCDS releases and funding marks name audit events by id"


def _to_id(column: str) -> str:
    return (
        f"COALESCE((SELECT e.id FROM market_v_audit_event e WHERE e.seq = {column}), {column})"
    )


_RENAME_AND_REWRITE = [
    "ALTER TABLE ocds_release RENAME COLUMN audit_seq TO audit_event_id",
    f"UPDATE ocds_release SET audit_event_id = {_to_id('ocds_release.audit_event_id')}",
    "ALTER TABLE ocds_funding_mark RENAME COLUMN seq TO event",
    "ALTER TABLE ocds_funding_mark RENAME COLUMN published_seq TO published_event",
    f"UPDATE ocds_funding_mark SET event = {_to_id('ocds_funding_mark.event')},"
    f" published_event = {_to_id('ocds_funding_mark.published_event')}",
]
_PG = [
    "ALTER TABLE ocds_release DISABLE TRIGGER ocds_release_append_only",
    *_RENAME_AND_REWRITE,
    "ALTER TABLE ocds_release ENABLE TRIGGER ocds_release_append_only",
]
_SQLITE = [
    "DROP TRIGGER ocds_release_append_only",
    *_RENAME_AND_REWRITE,
    """CREATE TRIGGER ocds_release_append_only BEFORE UPDATE ON ocds_release
BEGIN SELECT RAISE(ABORT, 'ocds_release is append-only'); END""",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="opendata", description=DESCRIPTION)
    manager.add_raw(_by_event_id)
    return manager


async def _by_event_id():
    engine = engine_finder()
    for statement in _PG if isinstance(engine, PostgresEngine) else _SQLITE:
        await engine.run_ddl(statement)
