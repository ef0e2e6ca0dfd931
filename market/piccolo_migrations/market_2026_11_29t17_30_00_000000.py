"""The kernel's read-contract views (market/read_views.py documents them)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "read-contract views for reporting apps"

_VIEWS = [
    "CREATE VIEW market_v_organization AS SELECT id, kind, name_zh, name_en, uscc,"
    " category, rating, status, area, registered_year, created_at, decided_at"
    " FROM market_organization",
    "CREATE VIEW market_v_tender AS SELECT id, ocid, department, title_zh, title_en,"
    " description_zh, description_en, criteria,"
    " category, area_level, area, currency, budget, goal_corporate, goal_foundation,"
    " goal_public, goal_own, min_bids, enquiry_end, bid_deadline, opening_at, status,"
    " published_at, status_changed_at, amended_at, amendment_count, cancel_reason,"
    " created_at, updated_at FROM market_tender",
    "CREATE VIEW market_v_tender_document AS SELECT id, tender, title, filename, kind,"
    " content_type, size, sha256, uploaded_at FROM market_tender_document",
    "CREATE VIEW market_v_tender_question AS SELECT id, tender, asked_at, answered_at"
    " FROM market_tender_question",
    "CREATE VIEW market_v_tender_revision AS SELECT id, tender, at, action, from_status,"
    " to_status, note, changes FROM market_tender_revision",
    "CREATE VIEW market_v_audit_event AS SELECT id, seq, at, actor, action, object_type,"
    " object_id, change, prev_hash, hash FROM audit_event",
    "CREATE VIEW market_v_ledger_account AS SELECT id, code, currency, created_at"
    " FROM ledger_account",
    "CREATE VIEW market_v_ledger_transfer AS SELECT id, key, debit_account, credit_account,"
    " amount, currency, kind, reason, reference, tender_id, source, created_at"
    " FROM ledger_transfer",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_views)
    return manager


async def _views():
    engine = engine_finder()
    for statement in _VIEWS:
        await engine.run_ddl(statement)
