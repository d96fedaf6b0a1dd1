"""Set-based reads and writes through the database driver, inside Piccolo's transaction.

Piccolo row objects manage about 17,000 rows a second; an import of a school census is
millions of rows. So the rows of an import go through the driver of the transaction's own
connection: `executemany` on SQLite, `COPY` on PostgreSQL. Both run in the same transaction
as everything else the import writes, so the whole file still commits or rolls back as one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from piccolo.engine.postgres import PostgresTransaction

# Rows per write, so a long import can show its progress.
CHUNK_ROWS = 50_000


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def driver_sql(template: str, *, postgres: bool) -> str:
    """`template` with its `{}` placeholders written the driver's way (`?` or `$1, $2, …`)."""
    if not postgres:
        return template.replace("{}", "?")
    parts = template.split("{}")
    return "".join(
        part + (f"${number}" if number < len(parts) else "")
        for number, part in enumerate(parts, start=1)
    )


class Bulk:
    """The driver connection under an open Piccolo transaction (SQLite or PostgreSQL)."""

    def __init__(self, transaction: Any) -> None:
        self.connection = transaction.connection
        self.postgres = isinstance(transaction, PostgresTransaction)

    def _sql(self, template: str) -> str:
        return driver_sql(template, postgres=self.postgres)

    def instant(self, at: dt.datetime) -> Any:
        """`at` as the driver takes it fastest: SQLite gets the text Piccolo would write."""
        if self.postgres:
            return at
        return str(at.astimezone(dt.UTC))

    def day(self, day: dt.date) -> Any:
        """`day` as the driver compares it with a date column: ISO text on SQLite."""
        return day if self.postgres else day.isoformat()

    async def fetch(self, template: str, *params: Any) -> list[dict[str, Any]]:
        sql = self._sql(template)
        if self.postgres:
            return [dict(record) for record in await self.connection.fetch(sql, *params)]
        cursor = await self.connection.execute(sql, params)
        rows = await cursor.fetchall()
        await cursor.close()
        return list(rows)

    def plain(self, alias: str, columns: Sequence[str]) -> str:
        """A select list of `alias`'s `columns`, read as the driver reads them natively.

        On SQLite a unary `+` (which changes no value) hides each column's declared type, so
        Piccolo's converters, a Python call per value, leave it alone: dates stay ISO text,
        for the caller to parse. PostgreSQL's driver decodes every type itself.
        """
        sign = "" if self.postgres else "+"
        return ", ".join(f"{sign}{alias}.{_quoted(column)}" for column in columns)

    async def rows(self, template: str, *params: Any) -> Sequence[Sequence[Any]]:
        """Like `fetch`, but each row a sequence in the order of the select list."""
        sql = self._sql(template)
        if self.postgres:
            rows: Sequence[Sequence[Any]] = await self.connection.fetch(sql, *params)
            return rows
        cursor = await self.connection.execute(sql, params)
        cursor.row_factory = None
        result: Sequence[Sequence[Any]] = await cursor.fetchall()
        await cursor.close()
        return result

    async def insert(
        self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert `rows` (tuples in the order of `columns`) into `table`."""
        if not rows:
            return
        if self.postgres:
            await self.connection.copy_records_to_table(table, records=rows, columns=list(columns))
            return
        names = ", ".join(_quoted(column) for column in columns)
        marks = ", ".join("?" for _ in columns)
        await self.connection.executemany(
            f"INSERT INTO {_quoted(table)} ({names}) VALUES ({marks})",  # noqa: S608
            rows,
        )

    async def supersede(self, table: str, ids: list[int], at: dt.datetime) -> None:
        """Mark the live rows `ids` of `table` superseded at `at`."""
        if not ids:
            return
        if self.postgres:
            await self.connection.execute(
                f"UPDATE {_quoted(table)} SET superseded_at = $1 WHERE id = ANY($2::bigint[])",  # noqa: S608
                at,
                ids,
            )
            return
        await self.connection.executemany(
            f"UPDATE {_quoted(table)} SET superseded_at = ? WHERE id = ?",  # noqa: S608
            [(at, row_id) for row_id in ids],
        )
