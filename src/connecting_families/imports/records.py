"""Validating and writing the rows of an append-and-supersede kind.

The rows are compared with the live rows by natural key: new keys are inserted, changed rows
supersede their live version (which stays, with `superseded_at` set), the rest are counted
unchanged. Writes go to the driver in chunks, so a long import can show its progress.

(Validating one chunk while the driver writes the previous one was tried: CPython's GIL makes
the two threads take turns row by row, and the whole was slower.)
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterator
from typing import Any

from piccolo.columns import Date

from connecting_families.database.bulk import Bulk
from connecting_families.database.registry import TABLES
from connecting_families.imports.counts import Counts
from connecting_families.imports.kinds import RecordedKind, key_of
from connecting_families.imports.reader import CsvFile
from connecting_families.imports.references import References

# Validated rows: (line, the table values).
Validated = list[tuple[int, dict[str, Any]]]
Progress = Callable[[str, int, int | None], None]
CHUNK_ROWS = 20_000


def validated_chunks(
    kind: RecordedKind, csv_file: CsvFile, refs: References, progress: Progress
) -> Iterator[Validated]:
    """The file's good rows, a chunk at a time; bad rows and repeated keys are problems."""
    first_line: dict[Any, int] = {}
    build = kind.build
    natural_key = key_of(kind)
    chunk: Validated = []
    done = 0
    for row in csv_file.rows():
        values = build(row, refs)
        if values is None:
            continue
        earlier = first_line.setdefault(natural_key(values), row.line)
        if earlier != row.line:
            refs.problems.add(
                row.line, None, f"repeats line {earlier} (the same {kind.key_label})"
            )
            continue
        chunk.append((row.line, values))
        if len(chunk) == CHUNK_ROWS:
            done += len(chunk)
            progress("validate", done, None)
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def fields_of(kind: RecordedKind) -> tuple[str, ...]:
    """The columns a file of `kind` sets: its natural key, then the others."""
    return tuple(dict.fromkeys((*kind.key, *kind.values)))


async def live_rows(
    bulk: Bulk, kind: RecordedKind, programme_id: int, subject: tuple[str, Any] | None = None
) -> dict[Any, dict[str, Any]]:
    """The live rows of the kind's table in the programme (or of one subject), by natural key.

    `subject` is a column and a value (a person, a family or a reference): one record's
    neighbours.
    """
    names = ("id", "version", *fields_of(kind), *kind.carried)
    columns = ", ".join(f'"{name}"' for name in names)
    sql = f'SELECT {columns} FROM "{kind.table}"'  # noqa: S608 - names from the kind, not input
    sql += " WHERE programme = {} AND superseded_at IS NULL"
    params: list[Any] = [programme_id]
    if subject is not None:
        sql += f' AND "{subject[0]}" = {{}}'
        params.append(subject[1])
    rows = await bulk.fetch(sql, *params)
    natural_key = key_of(kind)
    return {natural_key(row): row for row in rows}


def _subject(row: dict[str, Any], columns: tuple[str | None, ...]) -> tuple[Any, Any]:
    """A row's (person, family), None for a column its kind does not have."""
    person, family = (None if c is None else row[c] for c in columns)
    return person, family


def _date_positions(table_name: str, fields: tuple[str, ...]) -> list[int]:
    table = next(t for t in TABLES if t._meta.tablename == table_name)
    return [
        position
        for position, name in enumerate(fields)
        if type(table._meta.get_column_by_name(name)) is Date
    ]


class RecordWriter:
    """Compares chunks of rows with the live rows and writes (or, not `write`, counts) them."""

    def __init__(
        self,
        bulk: Bulk,
        kind: RecordedKind,
        programme_id: int,
        *,
        run_id: int | None,
        user_id: int | None,
        write: bool,
        progress: Progress,
    ) -> None:
        self.bulk = bulk
        self.kind = kind
        self.programme_id = programme_id
        self.run_id = run_id
        self.user_id = user_id
        self.write = write
        self.progress = progress
        self.counts = Counts()
        self.now = dt.datetime.now(dt.UTC)
        self.live: dict[Any, dict[str, Any]] = {}
        self.written = 0
        # Corrections that gave a record another person or household: (the superseded
        # row's id, its (person, family), the new (person, family)), for the audit log.
        self.moves: list[tuple[int, tuple[Any, Any], tuple[Any, Any]]] = []
        fields = fields_of(kind)
        self._subject = tuple(c if c in fields else None for c in ("person", "family"))
        # (itemgetter of one name gives a value, not a tuple; every kind sets several.)
        assert len(fields) > 1
        self._values_of = operator.itemgetter(*fields)
        # SQLite stores dates as ISO text; giving it text skips an adapter call per value.
        self._date_positions = [] if bulk.postgres else _date_positions(kind.table, fields)
        self._date_text: dict[dt.date, str] = {}
        self._natural_key = key_of(kind)
        self.columns = (
            "programme",
            "recorded_at",
            "import_run",
            "recorded_by",
            "version",
            *fields,
            *kind.carried,
        )

    async def load(self, subject: tuple[str, Any] | None = None) -> None:
        self.live = await live_rows(self.bulk, self.kind, self.programme_id, subject)

    async def add(self, chunk: Validated) -> list[int]:
        """Compare `chunk` and write it; returns the ids of the rows it supersedes."""
        kind, counts = self.kind, self.counts
        recorded_at = self.bulk.instant(self.now)
        superseded: list[int] = []
        inserts: list[tuple[Any, ...]] = []
        for _, values in chunk:
            current = self.live.get(self._natural_key(values))
            if current is None:
                version = 1
                carried: tuple[Any, ...] = (None,) * len(kind.carried)
                counts.inserted += 1
            elif all(current[column] == values[column] for column in kind.values):
                counts.unchanged += 1
                continue
            else:
                version = current["version"] + 1
                carried = tuple(current[column] for column in kind.carried)
                superseded.append(current["id"])
                counts.superseded += 1
                was, now = _subject(current, self._subject), _subject(values, self._subject)
                if was != now:
                    self.moves.append((current["id"], was, now))
            row = self._values_of(values)
            if self._date_positions:
                row = self._dates_as_text(row)
            inserts.append(
                (
                    self.programme_id,
                    recorded_at,
                    self.run_id,
                    self.user_id,
                    version,
                    *row,
                    *carried,
                )
            )
        if self.write:
            await self.bulk.supersede(self.kind.table, superseded, self.now)
            for start in range(0, len(inserts), CHUNK_ROWS):
                part = inserts[start : start + CHUNK_ROWS]
                await self.bulk.insert(self.kind.table, self.columns, part)
                self.written += len(part)
                self.progress("write", self.written, len(inserts))
        return superseded

    def _dates_as_text(self, row: tuple[Any, ...]) -> list[Any]:
        values = list(row)
        texts = self._date_text
        for position in self._date_positions:
            date = values[position]
            if date is not None:
                text = texts.get(date)
                if text is None:
                    text = texts[date] = date.isoformat()
                values[position] = text
        return values
