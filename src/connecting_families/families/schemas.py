"""HTTP shapes for families. Request shapes refuse unknown fields: no mass assignment."""

from __future__ import annotations

import datetime as dt

import msgspec

from connecting_families.families import service


class FamilySummary(msgspec.Struct):
    id: int
    family_ref: str
    programme: str
    status: str
    ward: str | None

    @classmethod
    def from_value(cls, value: service.FamilySummary) -> FamilySummary:
        return cls(
            id=value.id,
            family_ref=value.family_ref,
            programme=value.programme_code,
            status=value.status,
            ward=value.ward,
        )


class Family(msgspec.Struct):
    id: int
    family_ref: str
    programme: str
    status: str
    ward: str | None
    postcode: str | None
    identified_on: dt.date
    attached_on: dt.date | None
    closed_on: dt.date | None
    closure_reason: str | None
    key_worker: str | None
    member_count: int

    @classmethod
    def from_value(cls, value: service.FamilyDetail) -> Family:
        return cls(
            id=value.summary.id,
            family_ref=value.summary.family_ref,
            programme=value.summary.programme_code,
            status=value.summary.status,
            ward=value.summary.ward,
            postcode=value.postcode,
            identified_on=value.identified_on,
            attached_on=value.attached_on,
            closed_on=value.closed_on,
            closure_reason=value.closure_reason,
            key_worker=value.key_worker,
            member_count=value.member_count,
        )


class NoteCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A case note: what happened, when, and what kind of contact it was."""

    occurred_on: dt.date
    body: str = msgspec.field()
    kind: str = "visit"


class Note(msgspec.Struct):
    id: int
    family_id: int
    kind: str
    occurred_on: dt.date
    body: str
    author: str

    @classmethod
    def from_value(cls, value: service.Note) -> Note:
        return cls(
            id=value.id,
            family_id=value.family_id,
            kind=value.kind,
            occurred_on=value.occurred_on,
            body=value.body,
            author=value.author,
        )
