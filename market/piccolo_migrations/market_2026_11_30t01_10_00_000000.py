"""The district's finance bureau and the end of a budget year.

`market_organization.finance_of`: the district (a `market_place` of tier district)
whose finance bureau (财政局) this department organization is; its verified members
record appropriations, open and allocate budget lines and see the year end
(market/budget/access.py). `market_budget_appropriation.year_end_at`: when the
year-end job first returned the lines' free balances of that closed year to the
appropriation (NULL while the year is open or not yet closed by the job). Same SQL on
SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T01:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "finance bureau of a district; year end of an appropriation"

STATEMENTS = (
    "ALTER TABLE market_organization ADD COLUMN finance_of INTEGER"
    " REFERENCES market_place (id) ON DELETE RESTRICT",
    "CREATE INDEX market_organization_finance_of ON market_organization (finance_of)",
    "ALTER TABLE market_budget_appropriation ADD COLUMN year_end_at TIMESTAMPTZ",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)
    manager.add_raw(_columns)
    return manager


async def _columns():
    engine = engine_finder()
    for statement in STATEMENTS:
        await engine.run_ddl(statement)
