from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Serial
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.table import Table


class ClaimLine(Table, tablename="claim_line", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name=None,
        secret=False,
    )


ID = "2026-11-22T18:19:35:193578"
VERSION = "1.38.0"
DESCRIPTION = "A reversal line names the submitted line whose money it gives back"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="connecting_families", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="ClaimLine",
        tablename="claim_line",
        column_name="reverses",
        db_column_name="reverses",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": ClaimLine,
            "on_delete": OnDelete.restrict,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    async def drop_index():
        # SQLite cannot drop a column that an index still names.
        await engine_finder().run_ddl('DROP INDEX IF EXISTS "claim_line_reverses"')

    manager.add_raw_backwards(drop_index)
    return manager
