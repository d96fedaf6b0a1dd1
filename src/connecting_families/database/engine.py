"""Engines for SQLite and PostgreSQL, and the one way to open a write transaction."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString
from piccolo.table import Table

from connecting_families.database.registry import TABLES
from connecting_families.settings import DatabaseUrl

# How long a SQLite writer waits for another writer's lock before giving up.
SQLITE_BUSY_TIMEOUT_SECONDS = 10.0
POSTGRES_POOL_MIN = 1
POSTGRES_POOL_MAX = 10
PICCOLO_CONF_MODULE = "connecting_families.piccolo_conf"

AnyEngine = Engine[Any]

_installed: AnyEngine | None = None


def create_engine(database: DatabaseUrl) -> AnyEngine:
    """An engine for the configured database. It connects lazily, on first use."""
    if database.kind == "sqlite":
        assert database.sqlite_path is not None
        # sqlite3's `timeout` is its busy timeout.
        return SQLiteEngine(path=str(database.sqlite_path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return PostgresEngine(config={"dsn": database.url})


def database_url_of(engine: AnyEngine) -> str:
    """The address of `engine`'s database, for another process to open its own engine on."""
    if isinstance(engine, SQLiteEngine):
        return f"sqlite:///{Path(engine.path).resolve()}"
    assert isinstance(engine, PostgresEngine)
    return str(engine.config["dsn"])


def use_engine(engine: AnyEngine) -> None:
    """Make `engine` the one every table and Piccolo's migration machinery talks to.

    Piccolo binds a table to an engine at class level, so one process serves one database at
    a time; the app factory and the CLI call this before touching the database.
    """
    global _installed
    _installed = engine
    # Piccolo's migration manager looks its engine up through PICCOLO_CONF on every run.
    os.environ["PICCOLO_CONF"] = PICCOLO_CONF_MODULE
    tables: tuple[type[Table], ...] = (*TABLES, Migration)
    for table in tables:
        table._meta.db = engine


def installed_engine() -> AnyEngine | None:
    """The engine `use_engine()` installed, if any."""
    return _installed


def database_kind(engine: AnyEngine) -> str:
    """`sqlite` or `postgresql`, as `/health` reports it."""
    return "postgresql" if engine.engine_type == "postgres" else str(engine.engine_type)


async def open_database(engine: AnyEngine) -> None:
    """Prepare a connection to the database: WAL for SQLite, a pool for PostgreSQL."""
    if isinstance(engine, SQLiteEngine):
        # WAL lets readers go on while one writer writes; the mode is kept in the file.
        await engine.run_ddl("PRAGMA journal_mode=WAL")
    elif isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=POSTGRES_POOL_MIN, max_size=POSTGRES_POOL_MAX)


async def close_database(engine: AnyEngine) -> None:
    """Release what `open_database` opened."""
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


@asynccontextmanager
async def write_transaction(engine: AnyEngine) -> AsyncIterator[Any]:
    """A transaction for writing, on either engine.

    On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken at the start, so two writers
    queue on the busy timeout instead of one failing half-way with "database is locked".
    """
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate) as txn:
            yield txn
    else:
        async with engine.transaction() as txn:
            yield txn


async def take_turns(engine: AnyEngine, *keys: str) -> None:
    """Make write transactions that name the same keys run one after another.

    Call it first thing in a `write_transaction`. SQLite's IMMEDIATE transactions already
    take turns; PostgreSQL takes a transaction-scoped advisory lock per key (always in the
    order given, so two callers cannot deadlock).
    """
    if isinstance(engine, PostgresEngine):
        for key in keys:
            await engine.run_querystring(
                QueryString("SELECT pg_advisory_xact_lock(hashtext({}))", key)
            )


T = TypeVar("T")


def run_with_database(database: DatabaseUrl, work: Callable[[AnyEngine], Awaitable[T]]) -> T:
    """Run `work` (a command's) on an engine for `database`, opened and closed around it."""

    async def run() -> T:
        engine = create_engine(database)
        use_engine(engine)
        await open_database(engine)
        try:
            return await work(engine)
        finally:
            await close_database(engine)

    return asyncio.run(run())
