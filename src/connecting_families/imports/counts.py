"""What an import's write did to the rows of its file."""

from __future__ import annotations

import attrs


@attrs.define
class Counts:
    """What a write did (or, in a dry run, would do) to the rows of a file."""

    inserted: int = 0
    superseded: int = 0
    unchanged: int = 0
