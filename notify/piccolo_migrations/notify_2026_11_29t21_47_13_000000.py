"""Project updates: what the contracted organization reports from the field (a title
and text in Chinese and/or English, photos with alt text), and the read-contract views
the open-data project page reads them through (notify/read_views.py). The views leave
out sandbox tenders' updates (they join `market_v_tender`, which has none) and the
poster's user id. Same SQL on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-29T21:47:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "project updates and their photos; notify_v_project_update(_photo) views"


def _statements(serial: str, blob: str) -> list[str]:
    return [
        "CREATE TABLE notify_project_update ("
        f" id {serial} PRIMARY KEY,"
        " tender INTEGER NOT NULL REFERENCES market_tender (id) ON DELETE RESTRICT,"
        " contract INTEGER NOT NULL REFERENCES bids_contract (id) ON DELETE RESTRICT,"
        " organization INTEGER NOT NULL REFERENCES market_organization (id)"
        " ON DELETE RESTRICT,"
        " author INTEGER NOT NULL REFERENCES market_user (id) ON DELETE RESTRICT,"
        " title_zh VARCHAR(200) NOT NULL DEFAULT '', body_zh TEXT NOT NULL DEFAULT '',"
        " title_en VARCHAR(200) NOT NULL DEFAULT '', body_en TEXT NOT NULL DEFAULT '',"
        " created_at TIMESTAMPTZ NOT NULL,"
        " CHECK (title_zh <> '' OR title_en <> ''))",
        # a project's updates, newest first, a keyset page at a time (page and feed)
        "CREATE INDEX notify_project_update_tender ON notify_project_update (tender, id)",
        "CREATE INDEX notify_project_update_contract ON notify_project_update (contract, id)",
        "CREATE TABLE notify_project_update_photo ("
        f" id {serial} PRIMARY KEY,"
        " project_update INTEGER NOT NULL REFERENCES notify_project_update (id)"
        " ON DELETE RESTRICT,"
        " position INTEGER NOT NULL, alt VARCHAR(300) NOT NULL,"
        " filename VARCHAR(200) NOT NULL, kind VARCHAR(8) NOT NULL,"
        " content_type VARCHAR(100) NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,"
        f" size INTEGER NOT NULL, sha256 VARCHAR(64) NOT NULL, content {blob} NOT NULL,"
        " CHECK (alt <> ''), CHECK (width > 0 AND height > 0))",
        "CREATE UNIQUE INDEX notify_project_update_photo_position"
        " ON notify_project_update_photo (project_update, position)",
        "CREATE VIEW notify_v_project_update AS SELECT u.id, u.tender, u.contract,"
        " u.organization, u.title_zh, u.body_zh, u.title_en, u.body_en, u.created_at"
        " FROM notify_project_update u WHERE u.tender IN (SELECT id FROM market_v_tender)",
        "CREATE VIEW notify_v_project_update_photo AS SELECT p.id, p.project_update,"
        " p.position, p.alt, p.content_type, p.width, p.height, p.size, p.sha256"
        " FROM notify_project_update_photo p"
        " WHERE p.project_update IN (SELECT id FROM notify_v_project_update)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notify", description=DESCRIPTION)
    manager.add_raw(_tables)
    return manager


async def _tables():
    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        statements = _statements("SERIAL", "BYTEA")
    else:
        statements = _statements("INTEGER", "BLOB")
    for statement in statements:
        await engine.run_ddl(statement)
