from pathlib import Path

from piccolo.conf.apps import AppConfig

CURRENT_DIRECTORY = Path(__file__).parent

APP_CONFIG = AppConfig(
    app_name="bids",
    migrations_folder_path=str(CURRENT_DIRECTORY / "piccolo_migrations"),
    table_classes=[],
    migration_dependencies=["market.piccolo_app"],
    commands=[],
)
