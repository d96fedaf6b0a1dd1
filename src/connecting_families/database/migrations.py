"""Apply, inspect and reverse the Piccolo migrations in `migrations/`.

Piccolo's own commands print as they go and record a migration outside the transaction that
applied it; here each migration and its record commit together, so a crash never leaves a
schema change that the database does not know it has.
"""

from __future__ import annotations

import importlib.util
import io
import logging
from contextlib import redirect_stdout
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.tables import Migration

from connecting_families.database.engine import AnyEngine, write_transaction

if TYPE_CHECKING:
    from piccolo.conf.apps import MigrationModule

log = logging.getLogger(__name__)

APP_NAME = "connecting_families"
# The package is installed editable from the repository, so the root is three levels up.
MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations" / APP_NAME


@attrs.frozen
class MigrationState:
    """One migration and whether it has been applied to the database."""

    migration_id: str
    applied: bool


@cache
def _modules() -> dict[str, MigrationModule]:
    """Each migration module in the folder by its `ID`, as Piccolo finds them.

    Not through Piccolo's finder: that comes with `piccolo.conf.apps`, which imports black
    (a tenth of a second of every `serve`, whose restart is promised in under 2 s). The
    files do not change while a process runs, so they are read once."""
    modules: dict[str, MigrationModule] = {}
    for path in sorted(MIGRATIONS_DIR.glob("*.py")):
        if path.name == "__init__.py":
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"not a migration module: {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules[module.ID] = module  # type: ignore[assignment]
    return modules


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
