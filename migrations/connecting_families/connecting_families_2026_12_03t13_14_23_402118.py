"""An assessment's content (saved as a draft until completed) and the code of why it was late.

The next migration gives the late reasons already written their code. Backwards, the added
columns are dropped.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Text, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-03T13:14:23:402118"
VERSION = "1.38.0"
DESCRIPTION = "assessment content, and the late reason as a code from a fixed list"

TEXT_COLUMNS = ("family_view", "strengths", "child_voice", "analysis")


def _params(**extra):
    return {
        "default": None,
        "null": True,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **extra,
    }


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="connecting_families", description=DESCRIPTION
    )
    manager.add_column(
        table_class_name="Assessment",
        tablename="assessment",
        column_name="late_reason_code",
        db_column_name="late_reason_code",
        column_class_name="Varchar",
        column_class=Varchar,
        params=_params(length=32),
        schema=None,
    )
    for name in TEXT_COLUMNS:
        manager.add_column(
            table_class_name="Assessment",
            tablename="assessment",
            column_name=name,
            db_column_name=name,
            column_class_name="Text",
            column_class=Text,
            params=_params(),
            schema=None,
        )
    manager.add_column(
        table_class_name="Assessment",
        tablename="assessment",
        column_name="headline_needs",
        db_column_name="headline_needs",
        column_class_name="JSON",
        column_class=JSON,
        params=_params(),
        schema=None,
    )
    return manager
