"""The Piccolo app: its tables and where its migrations live (`migrations/` at the root)."""

from piccolo.conf.apps import AppConfig

from connecting_families.database.migrations import APP_NAME, MIGRATIONS_DIR
from connecting_families.database.registry import TABLES

APP_CONFIG = AppConfig(
    app_name=APP_NAME,
    migrations_folder_path=str(MIGRATIONS_DIR),
    table_classes=list(TABLES),
    migration_dependencies=[],
    commands=[],
)
