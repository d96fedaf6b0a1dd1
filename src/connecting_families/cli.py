"""The `connecting-families` command (also `python -m connecting_families`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from connecting_families import __version__
from connecting_families.database.engine import (
    AnyEngine,
    close_database,
    create_engine,
    open_database,
    use_engine,
)
from connecting_families.database.migrations import migrate, migration_status, rollback
from connecting_families.settings import Settings, SettingsError

T = TypeVar("T")

# Requests still running this long after SIGTERM are cancelled, so shutdown is bounded.
GRACEFUL_SHUTDOWN_SECONDS = 3


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result: int = args.command(settings, args)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="connecting-families",
        description="Case management and payment-by-results for early help family programmes.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web service")
    serve.add_argument("--host", help="address to listen on (default: CF_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: CF_PORT or 8000)")
    serve.set_defaults(command=cmd_serve)

    version = commands.add_parser("version", help="print the version")
    version.set_defaults(command=cmd_version)

    db = commands.add_parser("db", help="database migrations").add_subparsers(
        title="db commands", metavar="COMMAND", required=True
    )
    db.add_parser("migrate", help="apply pending migrations").set_defaults(command=cmd_db_migrate)
    db.add_parser("status", help="list migrations and whether each is applied").set_defaults(
        command=cmd_db_status
    )
    back = db.add_parser("rollback", help="reverse the latest migrations")
    back.add_argument("--steps", type=int, default=1, help="how many to reverse (default 1)")
    back.set_defaults(command=cmd_db_rollback)

    demo = commands.add_parser("demo", help="demonstration data").add_subparsers(
        title="demo commands", metavar="COMMAND", required=True
    )
    demo.add_parser("load", help="load the demo programme if it is not there").set_defaults(
        command=cmd_demo_load
    )
    return parser


def _with_database(settings: Settings, work: Callable[[AnyEngine], Awaitable[T]]) -> T:
    async def run() -> T:
        engine = create_engine(settings.database)
        use_engine(engine)
        await open_database(engine)
        try:
            return await work(engine)
        finally:
            await close_database(engine)

    return asyncio.run(run())


def cmd_version(settings: Settings, args: argparse.Namespace) -> int:
    print(__version__)
    return 0


def cmd_db_migrate(settings: Settings, args: argparse.Namespace) -> int:
    applied = _with_database(settings, migrate)
    for migration_id in applied:
        print(f"applied {migration_id}")
    print(f"{len(applied)} migration(s) applied; the database is up to date.")
    return 0


def cmd_db_status(settings: Settings, args: argparse.Namespace) -> int:
    async def status(engine: AnyEngine) -> int:
        states = await migration_status()
        for state in states:
            print(f"{'applied' if state.applied else 'pending'}  {state.migration_id}")
        pending = sum(not s.applied for s in states)
        print(f"{settings.database.kind}: {len(states) - pending} applied, {pending} pending")
        return 1 if pending else 0

    return _with_database(settings, status)


def cmd_db_rollback(settings: Settings, args: argparse.Namespace) -> int:
    if args.steps < 1:
        print("error: --steps must be at least 1", file=sys.stderr)
        return 2
    reversed_ids = _with_database(settings, lambda engine: rollback(engine, args.steps))
    for migration_id in reversed_ids:
        print(f"reversed {migration_id}")
    return 0


def cmd_demo_load(settings: Settings, args: argparse.Namespace) -> int:
    from connecting_families.demo import load_demo

    async def load(engine: AnyEngine) -> str:
        if settings.database.kind == "sqlite":
            await migrate(engine)
        return await load_demo(engine)

    print(_with_database(settings, load))
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from connecting_families.app import create_app
    from connecting_families.request_log import configure_logging

    configure_logging(settings.log_level)

    async def prepare(engine: AnyEngine) -> list[str]:
        if settings.database.kind == "sqlite":
            # The embedded database looks after itself; a server database is migrated
            # deliberately, with `db migrate`, by whoever runs it.
            await migrate(engine)
        return [s.migration_id for s in await migration_status() if not s.applied]

    pending = _with_database(settings, prepare)
    if pending:
        print(
            f"error: {len(pending)} migration(s) are not applied to the database; "
            "run `connecting-families db migrate` first",
            file=sys.stderr,
        )
        return 1

    config = uvicorn.Config(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port if args.port is not None else settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    uvicorn.Server(config).run()
    return 0
