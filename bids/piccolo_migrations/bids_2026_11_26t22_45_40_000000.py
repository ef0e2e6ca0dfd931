"""Bids uniqueness rules and indexes (both engines); CHECKs on PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-26T22:45:40:000000"
VERSION = "1.38.0"
DESCRIPTION = "bids unique constraints and checks"

_INDEXES = [
    # one bid per organization per tender (replacing a bid updates the row)
    "CREATE UNIQUE INDEX bids_bid_tender_org ON bids_bid (tender, organization)",
    "CREATE UNIQUE INDEX bids_bid_document_position ON bids_bid_document (bid, position)",
    "CREATE UNIQUE INDEX bids_evaluator_tender_user ON bids_evaluator (tender, \"user\")",
    "CREATE UNIQUE INDEX bids_score_once ON bids_score (bid, evaluator, criterion)",
    # at most one standing award per tender
    "CREATE UNIQUE INDEX bids_award_active ON bids_award (tender) WHERE status = 'active'",
    "CREATE UNIQUE INDEX bids_contract_award ON bids_contract (award)",
    "CREATE UNIQUE INDEX bids_milestone_position ON bids_milestone (contract, position)",
]

_PG = [
    "ALTER TABLE bids_bid ADD CONSTRAINT bids_bid_status CHECK (status IN ('draft',"
    " 'submitted', 'needs_reconfirm', 'withdrawn', 'qualified', 'disqualified', 'awarded',"
    " 'lost'))",
    "ALTER TABLE bids_bid ADD CONSTRAINT bids_bid_price CHECK (price IS NULL OR price > 0)",
    "ALTER TABLE bids_score ADD CONSTRAINT bids_score_mark CHECK (mark BETWEEN 0 AND 100)",
    "ALTER TABLE bids_contract ADD CONSTRAINT bids_contract_amount CHECK (amount > 0)",
    "ALTER TABLE bids_contract ADD CONSTRAINT bids_contract_status CHECK (status IN"
    " ('pending', 'active', 'completed', 'terminated'))",
    "ALTER TABLE bids_milestone ADD CONSTRAINT bids_milestone_amount CHECK (amount > 0)",
    "ALTER TABLE bids_milestone ADD CONSTRAINT bids_milestone_status CHECK (status IN"
    " ('scheduled', 'submitted', 'approved', 'rejected', 'not_met'))",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="bids", description=DESCRIPTION)
    manager.add_raw(_constraints)
    return manager


async def _constraints():
    engine = engine_finder()
    statements = _INDEXES + (_PG if isinstance(engine, PostgresEngine) else [])
    for statement in statements:
        await engine.run_ddl(statement)
