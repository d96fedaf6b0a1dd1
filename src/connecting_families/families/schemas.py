"""HTTP shapes for families, members, allocation and notes.

Request shapes refuse unknown fields, so nobody sets ids, owners, statuses or versions by
sending them (no mass assignment); PATCH shapes leave unsent fields UNSET.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from connecting_families.http_params import BoundedId, ProgrammeCode, Ref, Version

Name = Annotated[str, Meta(min_length=1, max_length=100)]
Postcode = Annotated[str, Meta(max_length=16)]
Ward = Annotated[str, Meta(max_length=100)]


class FamilyCreate(msgspec.Struct, forbid_unknown_fields=True):
    programme: ProgrammeCode
    family_ref: Ref
    identified_on: dt.date
    postcode: Postcode | None = None
    ward: Ward | None = None
    local_filter: bool = False
    expectant_parent: bool = False


class FamilyUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Send `version` (the one you read) and only the fields you change."""

    version: Version
    postcode: Postcode | UnsetType | None = UNSET
    ward: Ward | UnsetType | None = UNSET
    identified_on: dt.date | UnsetType = UNSET
    local_filter: bool | UnsetType = UNSET
    expectant_parent: bool | UnsetType = UNSET


class StatusChangeCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Attach, close (with a reason) or reopen the family, on a date."""

    version: Version
    status: Literal["attached", "closed", "reopened"]
    on: dt.date
    reason: Annotated[str, Meta(max_length=64)] | None = None


class FamilySummary(msgspec.Struct):
    id: int
    family_ref: str
    programme: str
    status: str
    ward: str | None
    postcode: str | None
    identified_on: dt.date
    key_worker: str | None


class FamilyPage(msgspec.Struct):
    """One page; pass `next_cursor` as `cursor` for the next (null on the last page)."""

    families: list[FamilySummary]
    next_cursor: str | None


class Family(msgspec.Struct):
    id: int
    family_ref: str
    programme: str
    status: str
    postcode: str | None
    ward: str | None
    identified_on: dt.date
    attached_on: dt.date | None
    closed_on: dt.date | None
    closure_reason: str | None
    local_filter: bool
    expectant_parent: bool
    key_worker: str | None
    team: str | None
    version: int


class PersonCreate(msgspec.Struct, forbid_unknown_fields=True):
    given_name: Name
    family_name: Name
    date_of_birth: dt.date
    person_ref: Ref | None = None
    sex: Literal["female", "male", "other", "unknown"] | None = None
    upn: Annotated[str, Meta(max_length=13)] | None = None
    ni_number: Annotated[str, Meta(max_length=9)] | None = None


class MemberCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Add someone known (`person_id`) or someone new (`person`) to the household.

    A new person who matches one already known is refused with 409 and the matches in
    families you may read (a match elsewhere is only said to be possible); send
    `create_anyway: true` when they really are someone else.
    """

    role: Literal["adult", "child"]
    joined_on: dt.date | None = None
    person_id: BoundedId | None = None
    person: PersonCreate | None = None
    create_anyway: bool = False


class MembershipEnd(msgspec.Struct, forbid_unknown_fields=True):
    version: Version
    left_on: dt.date


class PersonUpdate(msgspec.Struct, forbid_unknown_fields=True):
    version: Version
    given_name: Name | UnsetType = UNSET
    family_name: Name | UnsetType = UNSET
    date_of_birth: dt.date | UnsetType = UNSET
    sex: Literal["female", "male", "other", "unknown"] | UnsetType | None = UNSET
    upn: Annotated[str, Meta(max_length=13)] | UnsetType | None = UNSET
    ni_number: Annotated[str, Meta(max_length=9)] | UnsetType | None = UNSET


class Member(msgspec.Struct):
    membership_id: int
    person_id: int
    person_ref: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    sex: str | None
    upn: str | None
    ni_number: str | None
    role: str
    joined_on: dt.date | None
    left_on: dt.date | None
    current: bool
    membership_version: int
    person_version: int


class FamilyDetail(Family):
    """A family with its household's members, past and present."""

    members: list[Member]


class AllocationCreate(msgspec.Struct, forbid_unknown_fields=True):
    key_worker: Annotated[str, Meta(min_length=1, max_length=64)]
    reason: Annotated[str, Meta(max_length=1000)] | None = None


class Allocation(msgspec.Struct):
    id: int
    key_worker: str
    team: str | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    allocated_by: str | None
    reason: str | None


class WorkerCaseload(msgspec.Struct):
    username: str
    display_name: str
    families: int
    attached: int
    identified: int
    open_needs: int


class TeamCaseloads(msgspec.Struct):
    team_id: int
    team: str
    workers: list[WorkerCaseload]


class NoteCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A contact or note. To correct a note, write a new one with `corrects` set."""

    occurred_on: dt.date
    body: Annotated[str, Meta(min_length=1, max_length=20_000)]
    kind: Literal["visit", "phone", "meeting", "taf_meeting", "message", "other"] = "visit"
    attendees: Annotated[str, Meta(max_length=2000)] | None = None
    corrects: BoundedId | None = None


class Note(msgspec.Struct):
    id: int
    family_id: int
    kind: str
    occurred_on: dt.date
    attendees: str | None
    body: str
    author: str
    corrects: int | None
    created_at: dt.datetime


class Closure(msgspec.Struct):
    id: int
    family_id: int
    family_ref: str
    closed_on: dt.date
    reason: str | None
    closed_by: str | None
    signed_off_by: str | None
    signed_off_at: dt.datetime | None
    # Or sent back by a team manager, with why: the family was opened again.
    sent_back_by: str | None = None
    sent_back_at: dt.datetime | None = None
    sent_back_reason: str | None = None


class ClosureSendBack(msgspec.Struct, forbid_unknown_fields=True):
    """Why the closure goes back to the key worker, not signed off."""

    reason: Annotated[str, Meta(min_length=1, max_length=1000)]
