"""Piccolo's PostgreSQL engine, made to recover by itself when PostgreSQL restarts."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

# How long giving a connection back to the pool (its reset) may take before it is ended.
POSTGRES_RELEASE_TIMEOUT_SECONDS = 5.0


def connection_broken(exc: BaseException | None) -> bool:
    """Whether a PostgreSQL connection that raised `exc` may be unusable: lost, shut down by
    the server, left by asyncpg mid-operation after a lost connection, or cancelled mid-wait.

    An error the server reports about a statement, or one of the service's own, leaves the
    connection fine.
    """
    return isinstance(
        exc,
        asyncpg.exceptions.PostgresConnectionError
        | asyncpg.exceptions.OperatorInterventionError
        | asyncpg.exceptions.InterfaceError
        | asyncpg.exceptions.InternalClientError
        | OSError
        | TimeoutError
        | asyncio.CancelledError,
    )


async def _give_back(engine: PostgresEngine, connection: Any, broken: bool) -> None:
    """Return a connection to the pool, or end it if it may be broken.

    A broken connection is terminated, never reset: resetting one that asyncpg left
    mid-operation when its server went away waits for an answer that never comes. The pool
    opens a new connection in its place.
    """
    if broken:
        connection.terminate()
    elif engine.pool:
        # The work on it is done: if its reset fails or hangs (a reset sent as the server
        # went away was seen to wait for ever), asyncpg ends it and the answer stands.
        with contextlib.suppress(Exception):
            await engine.pool.release(connection, timeout=POSTGRES_RELEASE_TIMEOUT_SECONDS)
    else:
        await connection.close()


class ReleasingPostgresTransaction(PostgresTransaction):
    """Piccolo's PostgreSQL transaction, always giving its connection back.

    Piccolo's own keeps the connection when `BEGIN`, `COMMIT` or `ROLLBACK` fails, as they do
    when PostgreSQL restarts: ten such and the pool is empty, and every request, `/health`
    and shutdown wait on it for ever. Here a failed connection is terminated (the server
    rolls back what it had begun) and the pool replaces it.
    """

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()  # type: ignore[no-untyped-call]
        try:
            self.transaction = self.connection.transaction()
            await self.begin()  # type: ignore[no-untyped-call]
        except BaseException:
            await _give_back(self.engine, self.connection, broken=True)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        broken = connection_broken(exception)
        try:
            if broken:
                pass  # the connection is ended below, which rolls the transaction back
            elif exception:
                if not self._rolled_back:
                    await self.rollback()  # type: ignore[no-untyped-call]
            elif not self._committed and not self._rolled_back:
                await self.commit()  # type: ignore[no-untyped-call]
        except BaseException:
            broken = True
            raise
        finally:
            self.engine.current_transaction.reset(self.context)
            await _give_back(self.engine, self.connection, broken)
        return exception is None


class ReleasingPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine, giving a broken connection back to the pool ended, so the
    pool replaces it and the service recovers by itself once PostgreSQL is back."""

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return ReleasingPostgresTransaction(engine=self, allow_nested=allow_nested)

    async def _run_in_pool(self, query: str, args: Sequence[Any] | None = None) -> Any:
        if not self.pool:
            raise ValueError("A pool isn't currently running.")
        connection = await self.pool.acquire()
        try:
            response = await connection.fetch(query, *(args or ()))
        except BaseException as exc:
            await _give_back(self, connection, connection_broken(exc))
            raise
        await _give_back(self, connection, broken=False)
        return response
