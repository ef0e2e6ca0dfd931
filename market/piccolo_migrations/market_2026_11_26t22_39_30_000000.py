"""Tender indexes for keyset pagination and the chronograph; CHECKs on PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-26T22:39:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "tender indexes and checks"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_tender_constraints)
    return manager


# The public list orders by (published_at DESC, id DESC) and pages with a keyset
# cursor; drafts (published_at NULL) are never public, hence the partial indexes.
_INDEXES = [
    "CREATE INDEX market_tender_public ON market_tender (published_at, id)"
    " WHERE published_at IS NOT NULL",
    "CREATE INDEX market_tender_status_public ON market_tender (status, published_at, id)"
    " WHERE published_at IS NOT NULL",
    "CREATE INDEX market_tender_category_public ON market_tender (category, published_at, id)"
    " WHERE published_at IS NOT NULL",
    "CREATE INDEX market_tender_enquiry_end ON market_tender (status, enquiry_end)",
    "CREATE INDEX market_tender_bid_deadline ON market_tender (status, bid_deadline)",
    "CREATE INDEX market_tender_revision_tender_at ON market_tender_revision (tender, id)",
]

_PG = [
    "ALTER TABLE market_tender ADD CONSTRAINT market_tender_budget_positive CHECK (budget > 0)",
    "ALTER TABLE market_tender ADD CONSTRAINT market_tender_goals_non_negative"
    " CHECK (goal_corporate >= 0 AND goal_foundation >= 0 AND goal_public >= 0"
    " AND goal_own >= 0)",
    "ALTER TABLE market_tender ADD CONSTRAINT market_tender_min_bids CHECK (min_bids >= 1)",
    "ALTER TABLE market_tender ADD CONSTRAINT market_tender_periods_ordered"
    " CHECK (enquiry_end <= bid_deadline AND bid_deadline <= opening_at)",
    "ALTER TABLE market_tender ADD CONSTRAINT market_tender_status CHECK (status IN"
    " ('draft', 'published', 'tendering', 'evaluation', 'awarded', 'contracted',"
    " 'completed', 'cancelled', 'unsuccessful'))",
    "ALTER TABLE market_tender_document ADD CONSTRAINT market_tender_document_size"
    " CHECK (size > 0)",
]


async def _tender_constraints():
    engine = engine_finder()
    statements = _INDEXES + (_PG if isinstance(engine, PostgresEngine) else [])
    for statement in statements:
        await engine.run_ddl(statement)
