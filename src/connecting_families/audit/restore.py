"""What a restore takes out of the audit log: the entries written since the backup was made.

A restore puts the backup's log back, so every entry written after the backup goes with the
rest of the database. The restore's own entry (written into the restored log) says which:
how many, their ids and times, and the chain head it replaced, so the gap is on the record
and the replaced head can still be checked against a copy kept elsewhere.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from connecting_families.audit.chain import instant_text
from connecting_families.database.engine import AnyEngine
from connecting_families.errors import Unavailable
from connecting_families.settings import DatabaseUrl


def _sqlite_last_id(source: Path) -> int | None:
    """The last audit entry's id in a SQLite backup; None if it has no log to read."""
    try:
        connection = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        row = connection.execute("SELECT max(id) FROM audit_event").fetchone()
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    return int(row[0]) if row and row[0] is not None else 0


def _postgres_last_id(source: Path) -> int | None:
    """The last audit entry's id in a pg_dump archive: its rows, as pg_restore prints them
    (streamed, so a long log is never held whole); None if they cannot be read."""
    from connecting_families.database.backup import _pg_tool

    try:
        argv = [_pg_tool("pg_restore"), "--data-only", "--table=audit_event", "--file=-"]
        process = subprocess.Popen(
            [*argv, str(source)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
    except (OSError, Unavailable):  # no tool to read it: the restore itself will say so
        return None
    assert process.stdout is not None
    last: int | None = None
    id_column: int | None = None
    for line in process.stdout:
        if id_column is None:
            if line.startswith("COPY ") and "audit_event" in line and "(" in line:
                columns = line[line.index("(") + 1 : line.index(")")].split(", ")
                id_column = [c.strip('"') for c in columns].index("id")
                last = 0
            continue
        if line.startswith("\\."):
            break
        value = line.split("\t")[id_column]
        last = max(last or 0, int(value))
    process.stdout.close()
    return last if process.wait() == 0 else None


async def _has_log(engine: AnyEngine) -> bool:
    if isinstance(engine, SQLiteEngine):
        sql = "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = {}"
    else:
        sql = (
            "SELECT count(*) AS n FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name = {}"
        )
    return bool((await engine.run_querystring(QueryString(sql, "audit_event")))[0]["n"])


async def entries_a_restore_removes(
    engine: AnyEngine, database: DatabaseUrl, source: Path
) -> dict[str, Any] | None:
    """The entries now in the log that restoring `source` takes out (those after the
    backup's last), and the head it replaces; None when the backup's log cannot be read (the
    restore itself refuses such a file)."""
    read = _sqlite_last_id if database.kind == "sqlite" else _postgres_last_id
    backup_last = await asyncio.to_thread(read, source)
    if backup_last is None:
        return None
    if not await _has_log(engine):
        return {"count": 0}  # a new database: nothing to remove
    rows = await engine.run_querystring(
        QueryString(
            "SELECT count(*) AS n, min(id) AS first_id, max(id) AS last_id,"
            " min(occurred_at) AS first_at, max(occurred_at) AS last_at"
            " FROM audit_event WHERE id > {}",
            backup_last,
        )
    )
    head = await engine.run_querystring(
        QueryString("SELECT id, seq, hash FROM audit_event ORDER BY id DESC LIMIT 1")
    )
    summary = rows[0]
    removed: dict[str, Any] = {"count": int(summary["n"])}
    if removed["count"]:
        removed |= {
            "first_id": int(summary["first_id"]),
            "last_id": int(summary["last_id"]),
            "first_at": instant_text(summary["first_at"]),
            "last_at": instant_text(summary["last_at"]),
        }
    if head:
        removed["replaced_head"] = {
            "id": head[0]["id"],
            "seq": head[0]["seq"],
            "hash": head[0]["hash"],
        }
    return removed
