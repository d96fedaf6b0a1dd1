"""The audit log's hash chain: appending an entry to it, and walking it to find a broken link.

Each entry carries its place in the chain (`seq`, from 1), the hash of the entry before it
(`prev_hash`; `GENESIS` for the first) and its own `hash`: SHA-256 over its id and place,
`prev_hash`, its programme and the SHA-256 of a canonical serialisation of every other column
(`link_hash`). The triggers stop the application's own role
from changing the log; the chain is for whoever can get past them (a database administrator
who drops or disables the triggers): a changed, deleted or reordered entry breaks a link, and
`connecting-families audit verify` (`audit.verification`) names the first one.

What a chain cannot show by itself: entries cut off the end leave a shorter chain that is
whole. Only a head kept outside the database catches that: pass a head `verify` printed
earlier as `--anchor SEQ:HASH`. Likewise someone who rewrites an entry and recomputes the hash
of it and of every entry after it leaves a whole chain; the anchor catches that too, for every
entry up to the anchored one.

Appends take turns: the entry's id, place and previous hash are read and written under one
lock, in one statement (PostgreSQL: `cf_audit_append` takes a transaction-scoped advisory
lock, held to the end of the caller's transaction when there is one; SQLite: an INSERT holds
the one writer's lock), so two workers can never both follow the same entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from connecting_families.database.engine import (
    AnyEngine,
    PooledSQLiteEngine,
    write_transaction,
)

GENESIS = "0" * 64
# The advisory lock every append takes on PostgreSQL (`hashtext` of it, as `take_turns`).
CHAIN_LOCK = "audit_event chain"
# The columns the hash covers, in the order they are serialised (all but `hash` itself).
HASHED = (
    "id",
    "seq",
    "prev_hash",
    "occurred_at",
    "actor",
    "actor_name",
    "actor_role",
    "source",
    "action",
    "resource_type",
    "resource_id",
    "allowed",
    "detail",
    "programme",
)
COLUMNS = (*HASHED, "hash")
# The columns an entry's place in the chain decides.
PLACED = ("id", "seq", "prev_hash", "programme")
BIGINT_MAX = 2**63 - 1

# How an entry's programme is found from what it is about; any other kind of record has none
# (and so its entries are for administrators only, see `audit.service.search`).
PROGRAMME_OF = {
    "family": "SELECT programme FROM family WHERE id = {}",
    "contact": "SELECT programme FROM contact WHERE id = {}",
    "claim": "SELECT programme FROM claim WHERE id = {}",
    "team": "SELECT programme FROM team WHERE id = {}",
    "programme": "SELECT id FROM programme WHERE code = {}",
}


def instant_text(value: Any) -> str:
    """An instant as the chain serialises it: UTC, to the microsecond."""
    instant = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(instant, dt.datetime)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _detail(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def content_digest(entry: dict[str, Any]) -> str:
    """SHA-256 over the columns the writer gives (all but `PLACED` and `hash`), as stored.

    Values are normalised the same way whichever database gave them (SQLite's 0/1 for a
    boolean, text or a dict for JSON, text or a datetime for an instant), so an entry hashes
    the same as written and as read back on either.
    """
    canonical = [
        instant_text(entry["occurred_at"]),
        None if entry["actor"] is None else int(entry["actor"]),
        entry["actor_name"],
        entry["actor_role"],
        entry["source"],
        entry["action"],
        entry["resource_type"],
        entry["resource_id"],
        bool(entry["allowed"]),
        _detail(entry["detail"]),
    ]
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def link_hash(id_: int, seq: int, prev_hash: str, programme: int | None, content: str) -> str:
    """An entry's hash: over its place (id, seq, the previous hash), its programme and its
    `content_digest`. Simple enough text for the database to compute as well (PostgreSQL's
    `cf_audit_append`, SQLite's `cf_audit_link`)."""
    text = f"{int(id_)}|{int(seq)}|{prev_hash}|{'' if programme is None else int(programme)}"
    return hashlib.sha256(f"{text}|{content}".encode()).hexdigest()


def entry_hash(entry: dict[str, Any]) -> str:
    """The hash of one entry, over every column in `HASHED` as stored."""
    return link_hash(
        entry["id"], entry["seq"], entry["prev_hash"], entry["programme"], content_digest(entry)
    )


def _programme_query(resource_type: str, resource_id: str | None) -> tuple[str, list[Any]]:
    """A scalar subquery for the programme of the record an entry is about ("NULL" if none)."""
    sql = PROGRAMME_OF.get(resource_type)
    if sql is None or resource_id is None:
        return "NULL", []
    if resource_type != "programme":
        if not resource_id.isascii() or not resource_id.isdigit():
            return "NULL", []
        number = int(resource_id)
        if number > BIGINT_MAX:
            return "NULL", []
        return f"({sql})", [number]
    return f"({sql})", [resource_id]


async def append(engine: AnyEngine, entry: dict[str, Any]) -> None:
    """Append `entry` (every column but id, seq and the hashes) to the chain: one statement,
    in the caller's transaction if there is one.

    `entry["programme"]` None is looked up from the record the entry is about. On PostgreSQL
    the statement calls `cf_audit_append` (see the migration that chains the log), which takes
    the chain's advisory lock and only then reads the head: each statement of a function sees
    what was committed when it began, so the head it reads is the last appended, whose lock
    holder has committed. The lock lasts until the caller's transaction ends. On SQLite an
    INSERT holds the write lock from its start, so the head it reads is the last appended.
    """
    statement = _append_statement(entry, postgres=not isinstance(engine, SQLiteEngine))
    if engine.current_transaction.get() is None and isinstance(engine, PooledSQLiteEngine):
        # On the writer thread's own connection, which has the hash function registered.
        sql, args = statement.compile_string(engine_type="sqlite")
        await engine.run_on_writer(lambda connection: _run_with_link(connection, sql, args))
        return
    if isinstance(engine, SQLiteEngine):
        transaction = engine.current_transaction.get()
        if transaction is None:  # not the service's pooled engine: a transaction to hold it
            async with write_transaction(engine):
                await append(engine, entry)
            return
        # A caller's transaction has a connection of its own: register the function there.
        await transaction.connection.create_function(
            "cf_audit_link", 5, link_hash, deterministic=True
        )
    await engine.run_querystring(statement)


def _run_with_link(connection: sqlite3.Connection, sql: str, args: list[Any]) -> None:
    connection.create_function("cf_audit_link", 5, link_hash, deterministic=True)
    connection.execute(sql, args)


GIVEN = tuple(name for name in HASHED if name not in PLACED)


def _append_statement(entry: dict[str, Any], *, postgres: bool) -> QueryString:
    if entry["programme"] is None:
        programme_sql, args = _programme_query(entry["resource_type"], entry["resource_id"])
    else:
        programme_sql, args = "CAST({} AS INTEGER)", [entry["programme"]]
    values = [entry[name] for name in GIVEN]
    content = content_digest(entry)
    if postgres:
        return QueryString(
            f"SELECT cf_audit_append({', '.join('{}' for _ in GIVEN)}, {programme_sql}, {{}})",
            *values,
            *args,
            content,
        )
    return QueryString(
        f"INSERT INTO audit_event ({', '.join((*GIVEN, *PLACED, 'hash'))})"  # noqa: S608
        f" SELECT {', '.join('{}' for _ in GIVEN)}, n.id, n.seq, n.prev_hash, n.programme,"
        " cf_audit_link(n.id, n.seq, n.prev_hash, n.programme, {}) FROM"
        " (SELECT coalesce(h.id, 0) + 1 AS id, coalesce(h.seq, 0) + 1 AS seq,"
        f" coalesce(h.hash, '{GENESIS}') AS prev_hash, {programme_sql} AS programme"
        " FROM (SELECT 1 AS one) o LEFT JOIN"
        " (SELECT id, seq, hash FROM audit_event ORDER BY id DESC LIMIT 1) h ON 1 = 1) n",
        *values,
        content,
        *args,
    )
