"""Places (district → street → community) and the district's budget: appropriations
and budget lines. Organizations and tenders gain the place they belong to; a tender
gains the budget line its government budget is held against. Same SQL on SQLite and
PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-30T00:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "places; budget appropriations and lines; place and budget line of tenders"


def _statements(serial: str) -> list[str]:
    return [
        "CREATE TABLE market_place ("
        f" id {serial} PRIMARY KEY,"
        " code VARCHAR(12) NOT NULL UNIQUE,"
        " tier VARCHAR(10) NOT NULL CHECK (tier IN ('district', 'street', 'community')),"
        " parent INTEGER REFERENCES market_place (id) ON DELETE RESTRICT,"
        " name_zh VARCHAR(100) NOT NULL, name_en VARCHAR(100) NOT NULL,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " CHECK ((tier = 'district') = (parent IS NULL)))",
        "CREATE INDEX market_place_parent ON market_place (parent, code)",
        "CREATE TABLE market_budget_appropriation ("
        f" id {serial} PRIMARY KEY,"
        " year INTEGER NOT NULL,"
        " place INTEGER NOT NULL REFERENCES market_place (id) ON DELETE RESTRICT,"
        " currency VARCHAR(3) NOT NULL DEFAULT 'CNY',"
        " amount BIGINT NOT NULL CHECK (amount > 0),"
        " reference VARCHAR(200) NOT NULL DEFAULT '',"
        " recorded_at TIMESTAMPTZ NOT NULL,"
        " recorded_by INTEGER NOT NULL REFERENCES market_user (id) ON DELETE RESTRICT,"
        " UNIQUE (year, place))",
        "CREATE TABLE market_budget_line ("
        f" id {serial} PRIMARY KEY,"
        " appropriation INTEGER NOT NULL REFERENCES market_budget_appropriation (id)"
        " ON DELETE RESTRICT,"
        " year INTEGER NOT NULL,"
        " place INTEGER NOT NULL REFERENCES market_place (id) ON DELETE RESTRICT,"
        " category VARCHAR(40) NOT NULL,"
        " created_at TIMESTAMPTZ NOT NULL,"
        " created_by INTEGER NOT NULL REFERENCES market_user (id) ON DELETE RESTRICT,"
        " UNIQUE (year, place, category))",
        "CREATE INDEX market_budget_line_appropriation ON market_budget_line (appropriation)",
        "CREATE INDEX market_budget_line_place ON market_budget_line (place)",
        "ALTER TABLE market_organization ADD COLUMN place INTEGER"
        " REFERENCES market_place (id) ON DELETE RESTRICT",
        "ALTER TABLE market_tender ADD COLUMN place INTEGER"
        " REFERENCES market_place (id) ON DELETE RESTRICT",
        "ALTER TABLE market_tender ADD COLUMN budget_line INTEGER"
        " REFERENCES market_budget_line (id) ON DELETE RESTRICT",
        "CREATE INDEX market_organization_place ON market_organization (place)",
        "CREATE INDEX market_tender_place ON market_tender (place)",
        "CREATE INDEX market_tender_budget_line ON market_tender (budget_line)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_tables)
    return manager


async def _tables():
    engine = engine_finder()
    serial = "SERIAL" if isinstance(engine, PostgresEngine) else "INTEGER"
    for statement in _statements(serial):
        await engine.run_ddl(statement)
