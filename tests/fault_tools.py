"""Tools for the fault tests: the database seen from beside a running server, a way to make
a server's write transaction stall at a chosen row, and clients that keep a server busy."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import attrs
import httpx

from connecting_families.settings import DatabaseUrl

STALL_TRIGGER = "fault_stall"


def _sqlite_path(url: str) -> str | None:
    path = DatabaseUrl.parse(url).sqlite_path
    return None if path is None else str(path)


def _on_postgres(url: str, work: Callable[[asyncpg.Connection], Any]) -> Any:
    async def run() -> Any:
        connection = await asyncpg.connect(url)
        try:
            return await work(connection)
        finally:
            await connection.close()

    return asyncio.run(run())


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows of `sql`, read on a connection of the test's own."""
    path = _sqlite_path(url)
    if path is not None:
        connection = sqlite3.connect(path)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()

    async def fetch(connection: asyncpg.Connection) -> list[tuple[Any, ...]]:
        return [tuple(record) for record in await connection.fetch(sql)]

    result: list[tuple[Any, ...]] = _on_postgres(url, fetch)
    return result


def count(url: str, sql: str) -> int:
    return int(rows(url, sql)[0][0])


def execute(url: str, *statements: str) -> None:
    """Run `statements` on a connection of the test's own, committed."""
    path = _sqlite_path(url)
    if path is not None:
        connection = sqlite3.connect(path)
        try:
            for statement in statements:
                connection.execute(statement)
            connection.commit()
        finally:
            connection.close()
        return

    async def run(connection: asyncpg.Connection) -> None:
        for statement in statements:
            await connection.execute(statement)

    _on_postgres(url, run)


def insert_many(url: str, template: str, values: list[tuple[Any, ...]]) -> None:
    """Run `template` (`{}` for each parameter) once for each tuple of `values`."""
    path = _sqlite_path(url)
    if path is not None:
        connection = sqlite3.connect(path)
        try:
            with connection:
                connection.executemany(template.replace("{}", "?"), values)
        finally:
            connection.close()
        return
    numbered = template.split("{}")
    sql = "".join(
        part + (f"${n}" if n < len(numbered) else "") for n, part in enumerate(numbered, 1)
    )

    async def run(connection: asyncpg.Connection) -> None:
        await connection.executemany(sql, values)

    _on_postgres(url, run)


def integrity(url: str) -> str:
    """SQLite's own check of the whole file ('ok'), or 'ok' on PostgreSQL, which has none to
    ask for (its crash safety is the write-ahead log; the counts are what the tests check)."""
    if _sqlite_path(url) is None:
        return "ok"
    return "; ".join(str(row[0]) for row in rows(url, "PRAGMA integrity_check"))


def server_is_writing(url: str) -> bool:
    """Whether another connection is inside a write transaction that has written.

    SQLite: the write lock is held (our `BEGIN IMMEDIATE` is refused at once). PostgreSQL: a
    backend of this database has a transaction id, which only a write gives it.
    """
    path = _sqlite_path(url)
    if path is not None:
        connection = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                return True
            raise
        finally:
            connection.close()
    return (
        count(
            url,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL",
        )
        > 0
    )


def install_stall(url: str, table: str, when: str) -> None:
    """Make the insert of a `table` row matching `when` (a condition on NEW) hang.

    The server's write transaction stops there, with every earlier statement of it done, so
    a kill lands exactly mid-write. On PostgreSQL the trigger sleeps until `release_stall`
    (so the orphaned backend then goes on and finds its client gone, as after a real kill);
    on SQLite, which has no sleep, it counts a cross join that outlasts any test.
    """
    if _sqlite_path(url) is not None:
        execute(
            url,
            "CREATE TABLE fault_burn (x INTEGER)",
            "INSERT INTO fault_burn (x) VALUES " + ", ".join(f"({n})" for n in range(400)),  # noqa: S608
            f"CREATE TRIGGER {STALL_TRIGGER} AFTER INSERT ON {table} FOR EACH ROW"  # noqa: S608
            f" WHEN {when} BEGIN"
            " SELECT count(*) FROM fault_burn a, fault_burn b, fault_burn c, fault_burn d;"
            " END",
        )
        return
    execute(
        url,
        "CREATE TABLE fault_release (released boolean)",
        f"""CREATE FUNCTION {STALL_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            WHILE NOT EXISTS (SELECT 1 FROM fault_release) LOOP
                PERFORM pg_sleep(0.05);
            END LOOP;
            RETURN NEW;
        END $$""",  # noqa: S608
        f"CREATE TRIGGER {STALL_TRIGGER} AFTER INSERT ON {table} FOR EACH ROW"
        f" WHEN ({when}) EXECUTE FUNCTION {STALL_TRIGGER}()",
    )


def wait_until_stalled(url: str, timeout: float) -> float:
    """Seconds until a server's write transaction is held at the stall; raises if it is not.

    PostgreSQL shows it: a backend with a transaction id sleeping in the trigger. SQLite does
    not, so: the write lock is held, and then long enough for any import or claim of these
    tests to reach its stalled row (each writes in well under a second once it has the lock).
    """
    started = time.monotonic()
    deadline = started + timeout
    postgres = _sqlite_path(url) is None
    while time.monotonic() < deadline:
        if postgres:
            stalled = count(
                url,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_xid IS NOT NULL AND wait_event = 'PgSleep'",
            )
            if stalled:
                return time.monotonic() - started
        elif server_is_writing(url):
            time.sleep(SQLITE_STALL_MARGIN_S)
            assert server_is_writing(url), "the write lock was released: the write finished"
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"no write transaction stalled within {timeout} s")


# How long after a SQLite writer took the lock it is surely stalled at its marked row.
SQLITE_STALL_MARGIN_S = 1.0


def release_stall(url: str) -> None:
    """Let a stalled PostgreSQL backend go on, wait until no backend of the database is left
    in a transaction, and drop the stall; on SQLite just drop it."""
    if _sqlite_path(url) is not None:
        execute(url, f"DROP TRIGGER {STALL_TRIGGER}", "DROP TABLE fault_burn")
        return
    execute(url, "INSERT INTO fault_release VALUES (true)")
    deadline = time.monotonic() + 20
    while count(
        url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL",
    ):
        assert time.monotonic() < deadline, "the orphaned transaction did not end"
        time.sleep(0.05)
    tables = rows(
        url,
        "SELECT event_object_table FROM information_schema.triggers"
        " WHERE trigger_name = 'fault_stall'",
    )
    execute(
        url,
        *(f"DROP TRIGGER {STALL_TRIGGER} ON {table}" for (table,) in set(tables)),
        f"DROP FUNCTION {STALL_TRIGGER}()",
        "DROP TABLE fault_release",
    )


@attrs.define
class Outcome:
    """One request of a load: when it was sent and answered, and how."""

    kind: str
    started: float
    took: float
    status: int | None  # None: the connection failed (`error` says how)
    error: str = ""
    detail: str = ""
    retry_after: str | None = None
    body: dict[str, Any] | None = None
    target: str = ""  # the server it was sent to
    content_type: str = ""


def send(client: httpx.Client, kind: str, method: str, url: str, **kwargs: Any) -> Outcome:
    """Send one request and describe what came back; a failed connection is an outcome too."""
    started = time.monotonic()
    target = url if url.startswith("http") else str(client.base_url)
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        return Outcome(
            kind,
            started,
            time.monotonic() - started,
            None,
            type(exc).__name__,
            target=target,
        )
    took = time.monotonic() - started
    body: Any = None
    if response.headers.get("content-type", "").endswith("json"):
        body = response.json()
    detail = body.get("detail", "") if isinstance(body, dict) else ""
    return Outcome(
        kind,
        started,
        took,
        response.status_code,
        detail=str(detail),
        retry_after=response.headers.get("retry-after"),
        body=body if isinstance(body, dict) else None,
        target=target,
        content_type=response.headers.get("content-type", ""),
    )


def tally(outcomes: list[Outcome]) -> Counter[str]:
    """How many requests ended each way, e.g. `{'201': 120, '503': 8, 'ConnectError': 3}`."""
    return Counter(str(o.status) if o.status is not None else o.error for o in outcomes)


@contextmanager
def load(
    workers: int, request: Callable[[int, int], Outcome], pause: float = 0.0
) -> Iterator[list[Outcome]]:
    """`workers` threads each calling `request(worker, n)` in a loop until the block ends."""
    outcomes: list[Outcome] = []
    stop = threading.Event()

    def work(worker: int) -> None:
        n = 0
        while not stop.is_set():
            outcomes.append(request(worker, n))
            n += 1
            if pause:
                time.sleep(pause)

    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in range(workers)]
    for thread in threads:
        thread.start()
    try:
        yield outcomes
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
