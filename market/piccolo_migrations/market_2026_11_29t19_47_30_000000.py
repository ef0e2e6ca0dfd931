"""market_job_run's index: a job's last successful run and the failures since, and the
pruning of old rows, are index range reads (market/jobs/runs.py)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T19:47:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "market_job_run index on (job, outcome, started_at)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_index)
    return manager


async def _index():
    await engine_finder().run_ddl(
        "CREATE INDEX market_job_run_job_outcome_started"
        " ON market_job_run (job, outcome, started_at)"
    )
