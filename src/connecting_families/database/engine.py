"""Engines for SQLite and PostgreSQL, and the one way to open a write transaction."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory
from piccolo.querystring import QueryString
from piccolo.table import Table

from connecting_families.database.postgres import ReleasingPostgresEngine
from connecting_families.database.registry import TABLES
from connecting_families.settings import DatabaseUrl

# How long a SQLite writer waits for another writer's lock before giving up.
SQLITE_BUSY_TIMEOUT_SECONDS = 10.0
# Long-lived SQLite connections a process keeps for statements outside a transaction.
SQLITE_READERS = 4
POSTGRES_POOL_MIN = 1
POSTGRES_POOL_MAX = 10
PICCOLO_CONF_MODULE = "connecting_families.piccolo_conf"

AnyEngine = Engine[Any]
T = TypeVar("T")

_installed: AnyEngine | None = None


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, keeping its connections instead of opening one per statement.

    Piccolo opens a new connection (and a thread for it) for every statement outside a
    transaction, which caps a worker at a few hundred statements a second. Here such
    statements run on long-lived connections, one per thread of two executors: reads on
    `SQLITE_READERS` threads side by side (WAL lets them), and every other statement on one
    writer thread, so this process's writes queue here rather than on SQLite's lock with its
    sleeping busy handler. Transactions keep Piccolo's own connection each (one per
    transaction, as before).
    """

    def __init__(self, path: str, readers: int = SQLITE_READERS, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self.readers = readers
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._executors: tuple[ThreadPoolExecutor, ThreadPoolExecutor] | None = None

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> list[dict[str, Any]]:
        reads, writes = self._pools()
        is_read = query_type == "select" or query.lstrip()[:6].upper() == "SELECT"
        return await asyncio.get_running_loop().run_in_executor(
            reads if is_read else writes, self._execute, query, args or []
        )

    def _pools(self) -> tuple[ThreadPoolExecutor, ThreadPoolExecutor]:
        with self._lock:
            if self._executors is None:
                self._executors = (
                    ThreadPoolExecutor(self.readers, thread_name_prefix="sqlite-read"),
                    ThreadPoolExecutor(1, thread_name_prefix="sqlite-write"),
                )
            return self._executors

    async def run_on_writer(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` on the writer thread with its connection (autocommit): several
        statements, a `BEGIN IMMEDIATE … COMMIT` of its own among them, for one hand-off."""
        _, writes = self._pools()
        return await asyncio.get_running_loop().run_in_executor(
            writes, lambda: work(self._connection())
        )

    def _execute(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        """Run one statement on this thread's connection (autocommit, as Piccolo's are)."""
        cursor = self._connection().execute(query, args)
        try:
            rows: list[dict[str, Any]] = cursor.fetchall()
        finally:
            cursor.close()
        return rows

    def _connection(self) -> sqlite3.Connection:
        """This thread's kept connection, opened on first use."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            # Only this thread uses it; `close` closes it from another once the thread is idle.
            connection = sqlite3.connect(**self.connection_kwargs, check_same_thread=False)
            connection.row_factory = dict_factory
            connection.execute("PRAGMA foreign_keys = 1")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def read_by_key(self, querystring: QueryString) -> list[dict[str, Any]]:
        """Run a read of a few rows found by key, here on the calling thread.

        Such a read takes tens of microseconds, less than handing it to a thread and back
        costs; the event loop's thread keeps a connection of its own for them.
        """
        query, args = querystring.compile_string(engine_type=self.engine_type)
        return self._execute(query, args)

    def close(self) -> None:
        """Close every kept connection; the next statement opens new ones."""
        with self._lock:
            executors, self._executors = self._executors, None
            connections, self._connections = self._connections, []
            # Every thread, the event loop's too, opens a new connection on its next statement.
            self._local = threading.local()
        for executor in executors or ():
            executor.shutdown(wait=True)
        for connection in connections:
            connection.close()


def create_engine(database: DatabaseUrl) -> AnyEngine:
    """An engine for the configured database. It connects lazily, on first use."""
    if database.kind == "sqlite":
        assert database.sqlite_path is not None
        # sqlite3's `timeout` is its busy timeout.
        return PooledSQLiteEngine(
            path=str(database.sqlite_path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS
        )
    return ReleasingPostgresEngine(config={"dsn": database.url})


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
    elif isinstance(engine, PooledSQLiteEngine):
        await asyncio.to_thread(engine.close)


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


async def read_by_key(querystring: QueryString) -> list[dict[str, Any]]:
    """Rows of a read that finds a few rows by key (a primary key, a unique token, a family's
    members): on SQLite outside a transaction it runs at once on this thread (see
    `PooledSQLiteEngine.read_by_key`), anywhere else as any statement does."""
    engine = installed_engine()
    assert engine is not None, "use_engine() first"
    if isinstance(engine, PooledSQLiteEngine) and engine.current_transaction.get() is None:
        return engine.read_by_key(querystring)
    rows: list[dict[str, Any]] = await engine.run_querystring(querystring)
    return rows


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
