"""The reminder job's cursor: up to when the time-driven notifications (deadlines 24
hours away, milestones due and overdue, standstills ended, pledges expiring) have been
written, so each run covers the time since the previous one exactly once
(notify/reminders.py). Same SQL on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T21:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the reminder job's cursor"

STATEMENTS = [
    "CREATE TABLE notify_reminder_cursor ("
    " id INTEGER PRIMARY KEY, covered_until TIMESTAMPTZ NOT NULL, CHECK (id = 1))",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)
    manager.add_raw(_tables)
    return manager


async def _tables():
    engine = engine_finder()
    for statement in STATEMENTS:
        await engine.run_ddl(statement)
