"""Apply, inspect and reverse the Piccolo migrations in `migrations/`.

Piccolo's own commands print as they go and record a migration outside the transaction that
applied it; here each migration and its record commit together, so a crash never leaves a
schema change that the database does not know it has.
"""

from __future__ import annotations

import io
import logging
from contextlib import redirect_stdout

import attrs
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import MigrationModule

from connecting_families.database.engine import AnyEngine, write_transaction
from connecting_families.piccolo_app import APP_CONFIG, APP_NAME

log = logging.getLogger(__name__)


@attrs.frozen
class MigrationState:
    """One migration and whether it has been applied to the database."""

    migration_id: str
    applied: bool


def _modules() -> dict[str, MigrationModule]:
    return BaseMigrationManager().get_migration_modules(APP_CONFIG.resolved_migrations_folder_path)


async def _applied_ids() -> list[str]:
    await Migration.create_table(if_not_exists=True).run()  # type: ignore[no-untyped-call]
    return list(await Migration.get_migrations_which_ran(app_name=APP_NAME))


async def migration_status() -> list[MigrationState]:
    """Every migration known to the code, oldest first, with whether it has been applied."""
    applied = set(await _applied_ids())
    return [MigrationState(i, i in applied) for i in sorted(_modules())]


async def _run(engine: AnyEngine, module: MigrationModule, *, backwards: bool) -> None:
    # A Piccolo migration describes both directions in the manager `forwards()` returns.
    manager = await module.forwards()
    if not isinstance(manager, MigrationManager):
        return
    # Piccolo prints progress to stdout; the CLI reports for it.
    with redirect_stdout(io.StringIO()):
        await manager.run(backwards=backwards)


async def migrate(engine: AnyEngine) -> list[str]:
    """Apply every pending migration in order; returns the ids applied (none when current)."""
    modules = _modules()
    pending = sorted(set(modules) - set(await _applied_ids()))
    for migration_id in pending:
        async with write_transaction(engine):
            await _run(engine, modules[migration_id], backwards=False)
            await Migration.insert(Migration(name=migration_id, app_name=APP_NAME)).run()
        log.info("migration applied", extra={"migration": migration_id})
    return pending


async def rollback(engine: AnyEngine, steps: int | None = None) -> list[str]:
    """Reverse the latest `steps` applied migrations (all when None); returns their ids."""
    modules = _modules()
    applied = sorted(await _applied_ids(), reverse=True)
    chosen = applied if steps is None else applied[:steps]
    for migration_id in chosen:
        async with write_transaction(engine):
            await _run(engine, modules[migration_id], backwards=True)
            await (
                Migration.delete()
                .where((Migration.name == migration_id) & (Migration.app_name == APP_NAME))
                .run()
            )
        log.info("migration reversed", extra={"migration": migration_id})
    return chosen
