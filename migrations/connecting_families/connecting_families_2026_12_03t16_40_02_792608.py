from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T16:40:02:792608"
VERSION = "1.38.0"
DESCRIPTION = "import runs count the problems of a refused file"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="connecting_families", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="ImportRun",
        tablename="import_run",
        column_name="problems",
        db_column_name="problems",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
