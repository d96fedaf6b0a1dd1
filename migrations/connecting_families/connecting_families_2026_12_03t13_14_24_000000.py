"""The late reasons written before the codes existed: each is "other", its words kept.

They were free text, so the monthly report counts them as before and the page shows them as
they were written. (Its own migration: Piccolo runs a migration's raw steps before its
columns are added.) Backwards, nothing: rolling the previous migration back drops the codes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T13:14:24:000000"
VERSION = "1.38.0"
DESCRIPTION = "earlier late reasons are 'other'"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="connecting_families", description=DESCRIPTION
    )

    async def earlier_reasons_are_other():
        await engine_finder().run_ddl(
            "UPDATE assessment SET late_reason_code = 'other' WHERE late_reason IS NOT NULL"
        )

    manager.add_raw(earlier_reasons_are_other)
    return manager
