"""Community funds: the funds, their calls for proposals, the committee's votes, the
grants and their tranches, the gifts paid in — and the read-contract views
(funds/read_views.py). Same SQL on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-30T01:31:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "community funds: funds, calls, votes, grants, tranches, gifts; views"


def _tables(serial: str) -> list[str]:
    user = "INTEGER NOT NULL REFERENCES market_user (id) ON DELETE RESTRICT"
    maybe_user = "INTEGER REFERENCES market_user (id) ON DELETE RESTRICT"
    return [
        "CREATE TABLE funds_fund ("
        f" id {serial} PRIMARY KEY,"
        " place INTEGER NOT NULL UNIQUE REFERENCES market_place (id) ON DELETE RESTRICT,"
        " organization INTEGER NOT NULL UNIQUE"
        " REFERENCES market_organization (id) ON DELETE RESTRICT,"
        f" opened_at TIMESTAMPTZ NOT NULL, opened_by {user})",
        "CREATE TABLE funds_call ("
        f" id {serial} PRIMARY KEY,"
        " tender INTEGER NOT NULL UNIQUE REFERENCES market_tender (id) ON DELETE RESTRICT,"
        " fund INTEGER NOT NULL REFERENCES funds_fund (id) ON DELETE RESTRICT,"
        " cap BIGINT NOT NULL CHECK (cap > 0), ends DATE NOT NULL,"
        f" created_by {user}, created_at TIMESTAMPTZ NOT NULL,"
        f" decided_at TIMESTAMPTZ, decided_by {maybe_user})",
        "CREATE INDEX funds_call_fund ON funds_call (fund)",
        "CREATE TABLE funds_vote ("
        f" id {serial} PRIMARY KEY,"
        " call INTEGER NOT NULL REFERENCES funds_call (id) ON DELETE RESTRICT,"
        " bid INTEGER NOT NULL REFERENCES bids_bid (id) ON DELETE RESTRICT,"
        f" member {user},"
        " vote VARCHAR(3) NOT NULL CHECK (vote IN ('yes', 'no')),"
        " remark TEXT NOT NULL DEFAULT '', voted_at TIMESTAMPTZ NOT NULL,"
        " UNIQUE (bid, member))",
        "CREATE INDEX funds_vote_call ON funds_vote (call)",
        "CREATE TABLE funds_grant ("
        f" id {serial} PRIMARY KEY,"
        " call INTEGER NOT NULL REFERENCES funds_call (id) ON DELETE RESTRICT,"
        " bid INTEGER NOT NULL UNIQUE REFERENCES bids_bid (id) ON DELETE RESTRICT,"
        " organization INTEGER NOT NULL REFERENCES market_organization (id) ON DELETE RESTRICT,"
        " amount BIGINT NOT NULL CHECK (amount > 0), currency VARCHAR(3) NOT NULL DEFAULT 'CNY',"
        " status VARCHAR(12) NOT NULL DEFAULT 'active'"
        " CHECK (status IN ('active', 'completed', 'ended')),"
        " votes_for INTEGER NOT NULL, votes_against INTEGER NOT NULL,"
        f" decided_at TIMESTAMPTZ NOT NULL, decided_by {user},"
        " ended_at TIMESTAMPTZ, end_reason TEXT NOT NULL DEFAULT '')",
        "CREATE INDEX funds_grant_call ON funds_grant (call)",
        "CREATE INDEX funds_grant_organization ON funds_grant (organization)",
        "CREATE TABLE funds_tranche ("
        f" id {serial} PRIMARY KEY,"
        " grant_id INTEGER NOT NULL REFERENCES funds_grant (id) ON DELETE RESTRICT,"
        " position INTEGER NOT NULL, deliverable VARCHAR(20) NOT NULL, due DATE NOT NULL,"
        " amount BIGINT NOT NULL CHECK (amount > 0),"
        " status VARCHAR(12) NOT NULL DEFAULT 'scheduled'"
        " CHECK (status IN ('scheduled', 'submitted', 'approved', 'rejected')),"
        " report TEXT NOT NULL DEFAULT '',"
        f" submitted_by {maybe_user}, submitted_at TIMESTAMPTZ,"
        f" decided_by {maybe_user}, decided_at TIMESTAMPTZ,"
        " reason TEXT NOT NULL DEFAULT '', release_key VARCHAR(120) NOT NULL DEFAULT '',"
        " UNIQUE (grant_id, position))",
        "CREATE TABLE funds_gift ("
        f" id {serial} PRIMARY KEY,"
        " fund INTEGER NOT NULL REFERENCES funds_fund (id) ON DELETE RESTRICT,"
        " source VARCHAR(12) NOT NULL CHECK (source IN ('public', 'corporate', 'foundation')),"
        f" donor {maybe_user},"
        " sponsor INTEGER REFERENCES market_organization (id) ON DELETE RESTRICT,"
        " display_name VARCHAR(100) NOT NULL DEFAULT '', anonymous BOOLEAN NOT NULL DEFAULT FALSE,"
        " message TEXT NOT NULL DEFAULT '', email VARCHAR(254) NOT NULL DEFAULT '',"
        " amount BIGINT NOT NULL CHECK (amount > 0), currency VARCHAR(3) NOT NULL DEFAULT 'CNY',"
        " status VARCHAR(12) NOT NULL DEFAULT 'pending'"
        " CHECK (status IN ('pending', 'paid', 'failed')),"
        " created_at TIMESTAMPTZ NOT NULL, paid_at TIMESTAMPTZ,"
        " lang VARCHAR(8) NOT NULL DEFAULT '')",
        "CREATE INDEX funds_gift_fund ON funds_gift (fund, status)",
    ]


_VIEWS = [
    "CREATE VIEW funds_v_fund AS SELECT id, place, organization, opened_at FROM funds_fund",
    "CREATE VIEW funds_v_call AS SELECT id, tender, fund, cap, ends, created_at, decided_at"
    " FROM funds_call",
    "CREATE VIEW funds_v_grant AS SELECT g.id, g.call, c.tender, c.fund, g.bid, g.organization,"
    " g.amount, g.currency, g.status, g.votes_for, g.votes_against, g.decided_at, g.ended_at"
    " FROM funds_grant g JOIN funds_call c ON c.id = g.call",
    "CREATE VIEW funds_v_tranche AS SELECT id, grant_id, position, deliverable, due, amount,"
    " status, submitted_at, decided_at, release_key FROM funds_tranche",
    "CREATE VIEW funds_v_gift AS SELECT id, fund, source,"
    " CASE WHEN source = 'public' THEN NULL ELSE sponsor END AS sponsor,"
    " amount, currency, status, paid_at FROM funds_gift",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="funds", description=DESCRIPTION)
    manager.add_raw(_create)
    return manager


async def _create():
    engine = engine_finder()
    serial = "SERIAL" if isinstance(engine, PostgresEngine) else "INTEGER"
    for statement in [*_tables(serial), *_VIEWS]:
        await engine.run_ddl(statement)
