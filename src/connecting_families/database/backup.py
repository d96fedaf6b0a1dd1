"""Backing up and restoring the whole database: `connecting-families backup FILE` and
`connecting-families restore FILE`.

SQLite is copied with its online backup API, so a running service can go on reading and
writing while the copy is made, and the copy is a consistent snapshot. PostgreSQL is dumped
with `pg_dump` in its custom format and restored with `pg_restore` in a single transaction.
Either way the file is written beside its final name and renamed when complete, so a backup
that failed half-way never looks like a good one, and a restore either restores everything
or nothing.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from connecting_families.database.engine import SQLITE_BUSY_TIMEOUT_SECONDS, AnyEngine
from connecting_families.errors import Invalid, Unavailable
from connecting_families.settings import DatabaseUrl

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Tables whose rows mean a database is in use: restoring over them needs `--replace`.
IN_USE_TABLES = ("programme", "family", "app_user")


def backup_database(database: DatabaseUrl, target: Path) -> int:
    """Write a backup of `database` to `target`; its size in bytes.

    It opens its own connection: a database that does not exist is an error, not created.
    """
    if target.exists():
        raise Invalid(f"{target} already exists; choose a new file name for the backup.")
    if not target.parent.is_dir():
        raise Invalid(f"{target.parent} is not a directory.")
    partial = target.with_name(f".{target.name}.partial")
    # Made by the owner alone before anything is written into it (pg_dump keeps the mode).
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        if database.kind == "sqlite":
            assert database.sqlite_path is not None
            _sqlite_backup(database.sqlite_path, partial)
        else:
            _pg_dump(database, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


async def restore_database(
    engine: AnyEngine, database: DatabaseUrl, source: Path, *, replace: bool
) -> dict[str, int]:
    """Replace the contents of `database` with the backup in `source`; the rows of the
    tables in `IN_USE_TABLES` it held before.

    Refused, and nothing changed, when the file is not a backup for this kind of database, or
    when the database already holds records and `replace` is not set.
    """
    await asyncio.to_thread(_check_backup_file, database, source)
    replaced = await rows_in_use(engine)
    if any(replaced.values()) and not replace:
        counts = ", ".join(f"{count} {table}" for table, count in replaced.items() if count)
        raise Invalid(
            f"The database already holds records ({counts} rows); restoring would replace "
            "them. Add --replace to do so."
        )
    if database.kind == "sqlite":
        assert database.sqlite_path is not None
        await asyncio.to_thread(_sqlite_restore, source, database.sqlite_path)
    else:
        await asyncio.to_thread(_pg_restore, database, source)
    return replaced


async def rows_in_use(engine: AnyEngine) -> dict[str, int]:
    """How many rows each table of `IN_USE_TABLES` holds; none for a new database."""
    if isinstance(engine, SQLiteEngine):
        exists = "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = {}"
    else:
        exists = (
            "SELECT count(*) AS n FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name = {}"
        )
    counts = {}
    for table in IN_USE_TABLES:
        found = await engine.run_querystring(QueryString(exists, table))
        if found[0]["n"]:
            rows = await engine.run_querystring(
                QueryString(f'SELECT count(*) AS n FROM "{table}"')  # noqa: S608 (a constant)
            )
            counts[table] = int(rows[0]["n"])
    return counts


def _check_backup_file(database: DatabaseUrl, source: Path) -> None:
    try:
        with source.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise Invalid(f"Cannot read {source}: {exc.strerror}.") from exc
    kind = (
        "sqlite"
        if head.startswith(SQLITE_MAGIC)
        else "postgresql"
        if head.startswith(PG_DUMP_MAGIC)
        else None
    )
    if kind is None:
        raise Invalid(f"{source} is not a backup made by `connecting-families backup`.")
    if kind != database.kind:
        raise Invalid(
            f"{source} is a backup of a {kind} database; this service uses {database.kind}. "
            "Restore it into a database of the same kind."
        )
    if kind == "sqlite":
        try:
            with closing(_sqlite_open(source, read_only=True, immutable=True)) as connection:
                check = connection.execute("PRAGMA quick_check").fetchone()[0]
                has_migrations = connection.execute(
                    "SELECT count(*) FROM sqlite_master"
                    " WHERE type = 'table' AND name = 'migration'"
                ).fetchone()[0]
        except sqlite3.DatabaseError as exc:
            check = str(exc)
        if check != "ok":
            raise Invalid(f"{source} is damaged (SQLite's check says: {check}); not restored.")
        if not has_migrations:
            raise Invalid(f"{source} is a SQLite database but not one of this service's.")


def _sqlite_open(
    path: Path, *, read_only: bool = False, immutable: bool = False
) -> sqlite3.Connection:
    """`immutable`: a file nothing else writes (a backup), read without locks, so that no
    -wal or -shm file is left beside it."""
    mode = "ro" if read_only else "rw"
    unchanging = "&immutable=1" if immutable else ""
    try:
        return sqlite3.connect(
            f"file:{quote(str(path))}?mode={mode}{unchanging}",
            uri=True,
            timeout=SQLITE_BUSY_TIMEOUT_SECONDS,
        )
    except sqlite3.OperationalError as exc:
        raise Invalid(f"Cannot open the SQLite database {path}: {exc}.") from exc


def _sqlite_backup(path: Path, target: Path) -> None:
    if not path.exists():
        raise Invalid(f"There is no database at {path} to back up.")
    try:
        with (
            closing(_sqlite_open(path, read_only=True)) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
            check = copy.execute("PRAGMA quick_check").fetchone()[0]
            # A backup is a file on its own: not in WAL mode, so no reader makes a -wal.
            copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.OperationalError as exc:
        raise Unavailable(f"The backup failed: {exc}. Nothing was written to the file.") from exc
    if check != "ok":
        raise Unavailable(f"The copy did not pass SQLite's check ({check}); not kept.")


def _sqlite_restore(source: Path, path: Path) -> None:
    try:
        with (
            closing(_sqlite_open(source, read_only=True, immutable=True)) as backup_file,
            closing(sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)) as live,
        ):
            # The backup API replaces every page of `live` in one transaction: other
            # connections see the old database or the restored one, never a mixture.
            backup_file.backup(live)
    except sqlite3.OperationalError as exc:
        raise Unavailable(f"The restore failed: {exc}. The database was not changed.") from exc


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if not candidates:
        raise Unavailable(
            f"{name} is not installed; install PostgreSQL's client programs "
            "(Debian: postgresql-client) of the server's version or newer."
        )
    return candidates[0]


def _pg_connection(database: DatabaseUrl) -> tuple[str, dict[str, str]]:
    """The address without its password (which would show in the process list) and an
    environment that carries the password instead."""
    parts = urlsplit(database.url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
    netloc = parts.hostname or ""
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return parts._replace(scheme="postgresql", netloc=netloc).geturl(), env


def _run_pg(database: DatabaseUrl, argv: list[str], what: str) -> None:
    dsn, env = _pg_connection(database)
    result = subprocess.run(
        [_pg_tool(argv[0]), *argv[1:], f"--dbname={dsn}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        message = " ".join(line.strip() for line in result.stderr.splitlines() if line.strip())
        raise Unavailable(f"{what} failed ({argv[0]} said: {message}). Nothing was changed.")


def _pg_dump(database: DatabaseUrl, target: Path) -> None:
    _run_pg(
        database,
        ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"],
        "The backup",
    )


def _pg_restore(database: DatabaseUrl, source: Path) -> None:
    _run_pg(
        database,
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            str(source),
        ],
        "The restore",
    )
