"""HTTP shapes for family meetings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import Meta

from connecting_families.http_params import MAX_ID

MAX_ATTENDEES_LENGTH = 2000
MAX_PLAN_LENGTH = 20_000
PersonId = Annotated[int, Meta(ge=1, le=MAX_ID)]


class FamilyMeetingCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A meeting as it was held: its `kind` (fgdm, a family group decision-making meeting, or
    family_network, a family network meeting), the day, who came (`attendees`, as typed, and
    optionally the household members who came by person id, `members_present`), the plan the
    family agreed (`agreed_plan`), and the date of the next meeting (`next_on`, optional, not
    before `held_on`)."""

    kind: Annotated[str, Meta(min_length=1, max_length=32)]
    held_on: dt.date
    attendees: Annotated[str, Meta(max_length=MAX_ATTENDEES_LENGTH)]
    agreed_plan: Annotated[str, Meta(max_length=MAX_PLAN_LENGTH)]
    next_on: dt.date | None = None
    members_present: Annotated[list[PersonId], Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )


class FamilyMeeting(msgspec.Struct):
    id: int
    family_id: int
    kind: str
    # The kind in words: "Family group decision-making meeting" or "Family network meeting".
    kind_name: str
    held_on: dt.date
    attendees: str
    # The household members who came, by person id.
    members_present: list[int]
    agreed_plan: str
    next_on: dt.date | None
    recorded_by: str
    recorded_at: dt.datetime
