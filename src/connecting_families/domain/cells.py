"""The common rules of a cell's text that imports and plugins' measures share.

Pure, like the rest of `domain/`: the import of partner files (`imports/cells.py`) reads every
other kind of cell, and a `Measure` reads an observation's value with these.
"""

from __future__ import annotations

import math

TRUE_WORDS = frozenset({"true", "yes", "1", "y"})
FALSE_WORDS = frozenset({"false", "no", "0", "n"})


class CellError(ValueError):
    """The cell's text is not a value of its column."""


def parse_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CellError("is not a number") from None
    if not math.isfinite(value):
        raise CellError("is not a finite number")
    return value


def parse_boolean(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError("is not one of true/false/yes/no/1/0/y/n")
