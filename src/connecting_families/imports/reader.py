"""Reading an import file into typed rows, collecting every problem with its line and column.

The common rules of `shared/domain/data-exchange.md`: UTF-8 (a leading BOM is accepted), RFC 4180
CSV with one header row, column names matched case-insensitively after trimming, unknown columns
an error unless asked to ignore them, an empty cell is no value. Line numbers count the header as
line 1 and name the line a record starts on (a quoted cell may span lines).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from typing import Any

import attrs

from connecting_families.imports.cells import CellError, Parser

# A file with more problems than this is reported by its first ones and the total.
MAX_PROBLEMS_LISTED = 1000
# Records parsed together, column by column.
CHUNK_RECORDS = 5_000


@attrs.frozen
class Column:
    name: str
    parse: Parser
    required: bool = False


@attrs.frozen
class Problem:
    """One thing wrong with a file: `line N, column C: message`."""

    line: int
    column: str | None
    message: str

    @property
    def text(self) -> str:
        where = (
            f"line {self.line}"
            if self.column is None
            else f"line {self.line}, column {self.column}"
        )
        return f"{where}: {self.message}"


@attrs.define(eq=False)
class Problems:
    """The problems found so far; counts them all, keeps the first `MAX_PROBLEMS_LISTED`."""

    listed: list[Problem] = attrs.field(factory=list)
    total: int = 0

    def add(self, line: int, column: str | None, message: str) -> None:
        self.total += 1
        if len(self.listed) < MAX_PROBLEMS_LISTED:
            self.listed.append(Problem(line, column, message))

    def __bool__(self) -> bool:
        return self.total > 0


@attrs.define(slots=True)
class Row:
    """One record of the file, its cells parsed; absent and empty cells are None."""

    line: int
    values: dict[str, Any]


def decode(data: bytes, problems: Problems) -> str | None:
    """The file's text, or None (and a problem naming the line) when it is not UTF-8 text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        problems.add(line, None, "is not UTF-8 text (save the file as CSV UTF-8)")
        return None
    nul = text.find("\x00")
    if nul >= 0:
        # PostgreSQL cannot store one in text, and no cell needs one: both databases refuse.
        line = text.count("\n", 0, nul) + 1
        problems.add(line, None, "holds a NUL character, which no CSV text file has")
        return None
    return text


class CsvFile:
    """The rows of one import file, read against the columns its kind accepts."""

    def __init__(
        self,
        text: str,
        columns: tuple[Column, ...],
        problems: Problems,
        *,
        ignore_unknown_columns: bool = False,
    ) -> None:
        self.columns = columns
        self.problems = problems
        self._records = csv.reader(io.StringIO(text, newline=""), strict=True)
        self._line_of_next = 1
        self._lines: Iterator[tuple[int, list[str]]] = iter(())
        self.present: frozenset[str] = frozenset()
        self._positions: list[tuple[str, int, Parser, bool]] = []
        self._width = 0
        self._read_header(ignore_unknown_columns)

    def _records_with_lines(self) -> Iterator[tuple[int, list[str]]]:
        """The non-blank records and the line each starts on; bad CSV is a problem."""
        records = self._records
        while True:
            try:
                for record in records:
                    start = self._line_of_next
                    self._line_of_next = records.line_num + 1
                    if any(record) and (len(record) > 1 or record[0].strip()):
                        yield start, record
                return
            except csv.Error as error:
                self.problems.add(self._line_of_next, None, f"is not valid CSV ({error})")
                self._line_of_next = records.line_num + 1

    def _read_header(self, ignore_unknown: bool) -> None:
        self._lines = self._records_with_lines()
        first = next(self._lines, None)
        if first is None:
            self.problems.add(1, None, "the file is empty; it needs a header row")
            return
        line, header = first
        known = {column.name: column for column in self.columns}
        names = [raw_name.strip().lower() for raw_name in header]
        if not ignore_unknown and known.keys().isdisjoint(names):
            # Most likely the header row is missing and this is a row of data, which may be
            # personal: say so without repeating its cells as column names.
            self.problems.add(
                line,
                None,
                "names none of the columns of this file; the first line must be the header "
                "(is it missing, or is this another kind of file?)",
            )
            ignore_unknown = True
        seen: dict[str, int] = {}
        for position, name in enumerate(names):
            if name in seen:
                self.problems.add(line, name, "appears twice in the header")
            elif name in known:
                seen[name] = position
            elif not ignore_unknown:
                label = name or f"number {position + 1}"
                self.problems.add(
                    line,
                    label[:64],
                    "is not a column of this file (check its spelling, or ask to ignore "
                    "unknown columns)",
                )
        for column in self.columns:
            if column.required and column.name not in seen:
                self.problems.add(line, column.name, "is required but missing from the header")
        self.present = frozenset(seen)
        self._width = len(header)
        self._positions = [
            (column.name, seen[column.name], column.parse, column.required)
            for column in self.columns
            if column.name in seen
        ]

    def rows(self) -> Iterator[Row]:
        """Every record with its cells parsed; a bad cell is a problem and the row is skipped.

        Records are parsed a chunk at a time, column by column, which is several times faster
        in Python than cell by cell; a column with a bad or missing cell in the chunk is
        parsed again cell by cell to say where.
        """
        if self.problems:
            return
        while chunk := list(itertools.islice(self._lines, CHUNK_RECORDS)):
            yield from self._parse_chunk(chunk)

    def _parse_chunk(self, chunk: list[tuple[int, list[str]]]) -> Iterator[Row]:
        width = self._width
        good = [(line, record) for line, record in chunk if len(record) == width]
        if len(good) != len(chunk):
            for line, record in chunk:
                if len(record) != width:
                    self.problems.add(
                        line, None, f"has {len(record)} cells but the header has {width} columns"
                    )
        lines = [line for line, _ in good]
        bad_lines: set[int] = set()
        names = [column.name for column in self.columns if column.name not in self.present]
        columns: list[Any] = [(None,) * len(good) for _ in names]
        # The chunk's cells, column by column.
        cells_by_position = list(zip(*(record for _, record in good), strict=True))
        for name, position, parse, required in self._positions:
            cells = cells_by_position[position] if good else ()
            try:
                if "" in cells:
                    parsed = [parse(cell) if cell else None for cell in cells]
                else:
                    parsed = list(map(parse, cells))
                if required and None in parsed:
                    raise CellError("is required")
            except CellError:
                parsed = self._parse_cells(name, parse, required, lines, cells, bad_lines)
            names.append(name)
            columns.append(parsed)
        rows: Iterator[Row] = map(
            Row, lines, map(dict, map(zip, itertools.repeat(names), zip(*columns, strict=True)))
        )
        if bad_lines:
            rows = (row for row in rows if row.line not in bad_lines)
        yield from rows

    def _parse_cells(
        self,
        name: str,
        parse: Parser,
        required: bool,
        lines: list[int],
        cells: tuple[str, ...],
        bad_lines: set[int],
    ) -> list[Any]:
        """One column of a chunk, cell by cell, each problem with its line."""
        parsed: list[Any] = []
        for line, cell in zip(lines, cells, strict=True):
            value = None
            if cell and not cell.isspace():
                try:
                    value = parse(cell)
                except CellError as error:
                    self.problems.add(line, name, str(error))
                    bad_lines.add(line)
            if value is None and required and line not in bad_lines:
                self.problems.add(line, name, "is required")
                bad_lines.add(line)
            parsed.append(value)
        return parsed
