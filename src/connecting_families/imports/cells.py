"""Reading one cell of an import file, by the common rules of the data-exchange spec.

A parser takes the cell's text (never empty: an empty cell is "no value" and never reaches a
parser) and returns the value, or raises `CellError` with a message that names what is wrong
without repeating the cell, which may hold personal data.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable
from typing import Any

# The rules a measure's values share live in domain/ (measures are what plugins use); the
# import's columns read them from here with the rest.
from connecting_families.domain.cells import CellError as CellError
from connecting_families.domain.cells import parse_boolean as parse_boolean
from connecting_families.domain.cells import parse_number as parse_number
from connecting_families.domain.refs import REF_MAX_LENGTH, ref_problem
from connecting_families.families.members import NI_NUMBER, UPN

Parser = Callable[[str], Any]

MAX_REF_LENGTH = REF_MAX_LENGTH
MAX_COUNT = 2**31 - 1
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@functools.lru_cache(maxsize=8192)
def parse_date(text: str) -> dt.date:
    """A date written `YYYY-MM-DD`. Cached: partner files repeat the same few dates."""
    if not ISO_DATE.match(text):
        raise CellError("is not a date written YYYY-MM-DD")
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise CellError("is not a real date") from None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise CellError("is outside the years 1900 to 2100")
    return value


@functools.lru_cache(maxsize=4096)
def parse_count(text: str) -> int:
    """A whole number ≥ 0. Cached: counts of sessions are small numbers that repeat."""
    if not (text.isascii() and text.isdigit()):
        raise CellError("is not a whole number of 0 or more")
    # Measured before `int()`, which refuses a string of more than 4,300 digits.
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(MAX_COUNT)) or int(digits) > MAX_COUNT:
        raise CellError("is too large")
    return int(digits)


def parse_hours(text: str) -> float:
    """Hours in a week: a number from 0 to 168."""
    try:
        value = float(text)
    except ValueError:
        raise CellError("is not a number") from None
    if not (math.isfinite(value) and 0 <= value <= 168):
        raise CellError("is not a number of hours from 0 to 168")
    return value


def parse_ref(text: str, length: int = MAX_REF_LENGTH) -> str:
    """An authority's identifier, by the one grammar of refs (`domain/refs.py`)."""
    if len(text) > length:
        raise CellError(f"is longer than {length} characters")
    if text != text.strip():
        raise CellError("has a leading or trailing space")
    if problem := ref_problem(text, length):
        # The grammar's words, never the cell's: a ref may identify a person.
        raise CellError(problem)
    return text


def ref_up_to(length: int) -> Parser:
    """An identifier, as `parse_ref`, for a column at most `length` characters wide."""

    def parse(text: str) -> str:
        return parse_ref(text, length)

    return parse


def parse_upn(text: str) -> str:
    value = text.strip().upper()
    if not UPN.match(value):
        raise CellError("is not a unique pupil number (13 characters, a letter first)")
    return value


def parse_ni_number(text: str) -> str:
    # Without any whitespace: the pattern's `$` would let a trailing newline through.
    value = "".join(text.split()).upper()
    if not NI_NUMBER.match(value):
        raise CellError("is not a National Insurance number (like AB123456C)")
    return value


class OneOf:
    """A code from a fixed list, matched case-insensitively and stored as listed."""

    def __init__(self, *codes: str) -> None:
        self.codes = codes
        self._by_lower = {code.lower(): code for code in codes}

    def __call__(self, text: str) -> str:
        code = self._by_lower.get(text.strip().lower())
        if code is None:
            # Codes are not personal data, so the message may quote the cell.
            raise CellError(f"is {text[:40]!r}, not one of {', '.join(self.codes)}")
        return code


def one_of(*codes: str) -> OneOf:
    """A parser of one of `codes`; pages offer `codes` as the choices."""
    return OneOf(*codes)


def text_up_to(length: int) -> Parser:
    """Free text, trimmed, at most `length` characters (never silently cut)."""

    def parse(text: str) -> str | None:
        value = text.strip()
        if not value:
            return None
        if len(value) > length:
            raise CellError(f"is longer than {length} characters")
        return value

    return parse
