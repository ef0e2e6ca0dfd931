"""ocds_funding_mark: processes whose funding changed since their last funding release
(opendata/ocds/funding.py). Unique on tender_id (the hook upserts on it)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigInt, Integer, Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-29T20:13:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "ocds_funding_mark: funding changes waiting for a batched OCDS release"


def _params(default: object, *, null: bool = False, unique: bool = False) -> dict[str, object]:
    return {
        "default": default,
        "null": null,
        "primary_key": False,
        "unique": unique,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="opendata", description=DESCRIPTION)
    manager.add_table(
        class_name="OcdsFundingMark", tablename="ocds_funding_mark", schema=None, columns=None
    )
    for name, column_class, params in (
        ("tender_id", Integer, _params(0, unique=True)),
        ("seq", BigInt, _params(0)),
        ("published_seq", BigInt, _params(0)),
        ("published_at", Timestamptz, _params(None, null=True)),
    ):
        manager.add_column(
            table_class_name="OcdsFundingMark",
            tablename="ocds_funding_mark",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
