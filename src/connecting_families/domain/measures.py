"""Observation measures: the keys of `observations.csv`, declared by plugins.

A plugin declares each measure it judges (a wellbeing score, rent arrears, a health visitor's
check) with the type of its values; an import refuses a measure nobody declared and a value of
the wrong type.
"""

from __future__ import annotations

import math
import re
from typing import Literal

import attrs

from connecting_families.domain.cells import CellError, parse_boolean, parse_number

MeasureType = Literal["number", "boolean", "code"]
KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _valid_key(instance: object, attribute: object, value: str) -> None:
    if not KEY.match(value):
        raise ValueError(f"measure key {value!r} must be lower_snake_case, at most 64 characters")


@attrs.frozen
class Measure:
    """One measure a plugin declares; `parse` turns a cell into (stored text, number).

    Attributes:
        key: The measure's name in `observations.csv` (lower_snake_case, at most 64).
        type: ``number``, ``boolean`` (stored as true/false, numerically 1/0) or ``code``.
        description: What it measures, in words.
        codes: The codes a ``code`` measure accepts.
        minimum: The least value a ``number`` accepts (None: no least).
        maximum: The greatest value a ``number`` accepts (None: no greatest).
        unit: The unit a number is in, in words (``incidents``, ``£``).
    """

    key: str = attrs.field(validator=_valid_key)
    type: MeasureType
    description: str
    codes: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    unit: str | None = None

    def parse(self, text: str) -> tuple[str, float | None]:
        """The value as stored (canonical text) and as a number where it is one."""
        if self.type == "boolean":
            flag = parse_boolean(text)
            return ("true" if flag else "false"), float(flag)
        if self.type == "code":
            code = text.strip()
            if code not in self.codes:
                raise CellError(f"is not a code of measure {self.key} ({', '.join(self.codes)})")
            return code, None
        number = parse_number(text)
        if self.minimum is not None and number < self.minimum:
            raise CellError(f"is below {self.minimum:g}, the least value of measure {self.key}")
        if self.maximum is not None and number > self.maximum:
            raise CellError(f"is above {self.maximum:g}, the greatest value of measure {self.key}")
        return _number_text(number), number


def _number_text(number: float) -> str:
    """12 for 12.0, 12.5 for 12.5: the same value always stored the same way."""
    if math.isfinite(number) and number == int(number) and abs(number) < 2**53:
        return str(int(number))
    return repr(number)
