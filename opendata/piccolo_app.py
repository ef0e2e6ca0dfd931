from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = Path(__file__).parent

APP_CONFIG = AppConfig(
    app_name="opendata",
    migrations_folder_path=str(CURRENT_DIRECTORY / "piccolo_migrations"),
    table_classes=table_finder(modules=["opendata.tables"], exclude_imported=True),
    migration_dependencies=["market.piccolo_app", "bids.piccolo_app", "donors.piccolo_app"],
    commands=[],
)

# Loading the app (piccolo_conf's registry does, in the web app, the CLI and the tests)
# registers the OCDS publisher with the audit chain: releases are written inside the
# transaction of the state change they publish.
from opendata.ocds.publish import register  # noqa: E402

register()
