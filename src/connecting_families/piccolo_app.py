"""The Piccolo app: its tables and where its migrations live (`migrations/` at the root)."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from connecting_families.database.registry import TABLES

APP_NAME = "connecting_families"
# The package is installed editable from the repository, so the root is three levels up.
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations" / APP_NAME

APP_CONFIG = AppConfig(
    app_name=APP_NAME,
    migrations_folder_path=str(MIGRATIONS_DIR),
    table_classes=list(TABLES),
    migration_dependencies=[],
    commands=[],
)
