"""Tenders whose signed contract was terminated before the kernel had a `terminated`
status stayed `contracted`; move them, with a revision row in their public history.

Data migration in the bids app: only its tables say which contracts were terminated,
and its migrations run after the kernel's (`migration_dependencies`), so the kernel's
CHECK already admits the status. Same SQL on SQLite and PostgreSQL. No audit event is
written (the chain is hashed by the application, not by SQL); the revision's actor
says the move was a migration. A contract terminated while pending made its tender
unsuccessful already and is not touched.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T19:38:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tenders of terminated contracts become terminated"

_ENDED = (
    "SELECT c.tender, c.ended_at, c.termination_reason FROM bids_contract c"
    " WHERE c.status = 'terminated' AND c.activated_at IS NOT NULL"
)
_STATEMENTS = [
    "INSERT INTO market_tender_revision"
    " (tender, at, actor, action, from_status, to_status, note, changes)"
    " SELECT t.id, e.ended_at, 'system:migration', 'terminate', 'contracted', 'terminated',"
    f" e.termination_reason, '{{}}' FROM market_tender t JOIN ({_ENDED}) e ON e.tender = t.id"
    " WHERE t.status = 'contracted'",
    "UPDATE market_tender SET status = 'terminated', version = version + 1,"
    f" status_changed_at = (SELECT e.ended_at FROM ({_ENDED}) e WHERE e.tender = market_tender.id),"
    f" cancel_reason = (SELECT e.termination_reason FROM ({_ENDED}) e"
    "  WHERE e.tender = market_tender.id)"
    f" WHERE status = 'contracted' AND id IN (SELECT e.tender FROM ({_ENDED}) e)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="bids", description=DESCRIPTION)
    manager.add_raw(_terminated_tenders)
    return manager


async def _terminated_tenders():
    engine = engine_finder()
    for statement in _STATEMENTS:
        await engine.run_ddl(statement)
