from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-29T19:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "donations remember the client that started them and the page's language"


def _varchar(length: int, index: bool) -> dict:
    return {
        "length": length,
        "default": "",
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": index,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="donors", description=DESCRIPTION)
    for name, length, index in (("client_key", 64, True), ("lang", 8, False)):
        manager.add_column(
            table_class_name="Donation",
            tablename="donors_donation",
            column_name=name,
            db_column_name=name,
            column_class_name="Varchar",
            column_class=Varchar,
            params=_varchar(length, index),
            schema=None,
        )
    return manager
