"""Kept verdicts: one per family and day (the pages keep a new one over an older one)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-03T16:35:21:000000"
VERSION = "1.38.0"
DESCRIPTION = "one kept verdict per family and day"

INDEX = "uq_kept_verdict_family_day"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="connecting_families", description=DESCRIPTION
    )

    async def apply():
        await engine_finder().run_ddl(
            f'CREATE UNIQUE INDEX "{INDEX}" ON "kept_verdict" ("family", "as_of")'
        )

    async def reverse():
        await engine_finder().run_ddl(f'DROP INDEX IF EXISTS "{INDEX}"')

    manager.add_raw(apply)
    manager.add_raw_backwards(reverse)
    return manager
