from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T18:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "kept verdict runs are judged again: route facts now hold what a claim would pay"

# The runs are a cache that totals judge again when missing (`reports.verdicts`). Runs kept
# before this version summed every met route's amount, so a family meeting two routes paid
# once would be counted twice until the programme's evidence next changed. Nothing to undo.
STATEMENTS = ("DELETE FROM verdict_fact", "DELETE FROM verdict_family", "DELETE FROM verdict_run")


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="connecting_families", description=DESCRIPTION
    )

    async def apply():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    async def nothing():
        return None

    manager.add_raw(apply)
    manager.add_raw_backwards(nothing)
    return manager
