"""HTTP shapes of evidence and the timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec


class TimelineEntry(msgspec.Struct):
    on: dt.date
    # The record's kind: an import kind (attendance, offences, …, assessments, needs) or note.
    kind: str
    id: int
    person_id: int | None
    person_ref: str | None
    details: dict[str, Any]
    recorded_at: dt.datetime


class EvidenceRecorded(msgspec.Struct):
    kind: str
    # inserted, superseded (it corrected the live record of the same key) or unchanged.
    outcome: str
    record: dict[str, Any]
