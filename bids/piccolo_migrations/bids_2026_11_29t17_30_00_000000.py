"""The bids app's read-contract views (bids/read_views.py documents them)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "read-contract views for reporting apps"

_VIEWS = [
    "CREATE VIEW bids_v_bid AS SELECT id, ref, tender, organization, status, price,"
    " opened_at FROM bids_bid",
    "CREATE VIEW bids_v_award AS SELECT id, tender, bid, status, awarded_at,"
    " standstill_ends, cancelled_at FROM bids_award",
    "CREATE VIEW bids_v_contract AS SELECT id, tender, award, bid, organization,"
    " department, amount, currency, starts, status, created_at, department_signed_at,"
    " organization_signed_at, activated_at, ended_at FROM bids_contract",
    "CREATE VIEW bids_v_milestone AS SELECT id, contract, position, deliverable, due,"
    " amount, status, submitted_at, decided_at, released FROM bids_milestone",
    "CREATE VIEW bids_v_milestone_evidence AS SELECT id, milestone, title, filename, kind,"
    " content_type, size, sha256, uploaded_at FROM bids_milestone_evidence",
    "CREATE VIEW bids_v_tender_key AS SELECT id, tender, created_at, opened_at"
    " FROM bids_tender_key",
    "CREATE VIEW bids_v_evaluator AS SELECT id, tender, \"user\", status, appointed_at,"
    " declared_at FROM bids_evaluator",
    "CREATE VIEW bids_v_score AS SELECT id, tender, bid, evaluator, criterion, scored_at"
    " FROM bids_score",
    "CREATE VIEW bids_v_complaint AS SELECT id, tender, award, organization, status,"
    " filed_at, resolved_at FROM bids_complaint",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="bids", description=DESCRIPTION)
    manager.add_raw(_views)
    return manager


async def _views():
    engine = engine_finder()
    for statement in _VIEWS:
        await engine.run_ddl(statement)
