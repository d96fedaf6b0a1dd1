"""HTTP shapes of imports."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec


class ImportResult(msgspec.Struct):
    kind: str
    programme: str
    file_name: str
    sha256: str
    dry_run: bool
    rows: int
    inserted: int
    superseded: int
    unchanged: int
    # The import run the rows link to (none for a dry run).
    import_run: int | None
    # Seconds spent validating, writing and in all.
    seconds: dict[str, float]
    summary: str


class ImportRun(msgspec.Struct):
    id: int
    kind: str
    file_name: str
    sha256: str
    # `imports.tables.RUN_STATUSES`: completed, or refused (nothing was written).
    status: Literal["running", "completed", "refused"]
    started_at: dt.datetime
    finished_at: dt.datetime | None
    rows_total: int
    rows_inserted: int
    rows_superseded: int
    rows_unchanged: int
    performed_by: str | None
    # How many problems refused the file (0 for a completed import).
    problems: int
