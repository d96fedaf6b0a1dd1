"""Every CSV file the service writes (evaluations, totals, the monthly report, the claim
return), written so that a spreadsheet opening it runs nothing.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel
and its kin (CSV injection), so every text cell beginning so gets a leading `'`, as OWASP's
"CSV Injection" page advises; cells are quoted by RFC 4180 (a cell holding a comma, a quote or
a line break is quoted, its quotes doubled). Whether a cell is text is decided by its
column's kind, never by the look of the value: a reversal's `-1000.00` in an amount column
stays a number, a ward called `-2+3` is neutralised. A value that is not of its number,
date or flag column's type is written as text, so nothing reaches a spreadsheet unchecked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Literal

CellKind = Literal["text", "number", "date", "flag"]
Columns = Sequence[tuple[str, CellKind]]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A number as the service formats one (a count, `12.50`, `-1000.00`), and an ISO date or month.
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}(-[0-9]{2})?")


def neutralised(text: str) -> str:
    """`text` as a spreadsheet shows it, never as a formula it runs."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(kind: CellKind, value: Any) -> str:
    """The value as written: a number, date or flag as it is, text neutralised."""
    if value is None:
        return ""
    if kind == "number" and (
        (isinstance(value, int | float | Decimal) and not isinstance(value, bool))
        or (isinstance(value, str) and _NUMBER.fullmatch(value))
    ):
        return str(value)
    if kind == "date" and (
        isinstance(value, dt.date) or (isinstance(value, str) and _DATE.fullmatch(value))
    ):
        return value.isoformat() if isinstance(value, dt.date) else value
    if kind == "flag" and isinstance(value, bool):
        return str(value)
    return _quoted(neutralised(str(value)))


def _quoted(text: str) -> str:
    """`text` as one RFC 4180 field. Not the `csv` module's: with `\n` line ends it leaves a
    carriage return unquoted, which a spreadsheet reads as the start of a new row."""
    if any(special in text for special in (",", '"', "\r", "\n")):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_text(columns: Columns, rows: Iterable[Sequence[Any]]) -> str:
    """A header row of the columns' names, then `rows`, each cell written by its column's kind.

    Lines end in `\n`, not RFC 4180's CRLF: the claim return's line ends are part of its
    contract, and every reader takes either.
    """
    kinds = [kind for _, kind in columns]
    lines = [",".join(_quoted(neutralised(name)) for name, _ in columns)]
    lines.extend(
        ",".join(_cell(kind, value) for kind, value in zip(kinds, row, strict=True))
        for row in rows
    )
    return "".join(line + "\n" for line in lines)
