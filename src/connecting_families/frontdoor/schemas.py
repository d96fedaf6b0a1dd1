"""HTTP shapes for the front door's contacts and decisions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import Meta

from connecting_families.http_params import MAX_ID, ProgrammeCode, Ref, Version

Code = Annotated[str, Meta(min_length=1, max_length=32)]
Words = Annotated[str, Meta(max_length=5000)]
Name = Annotated[str, Meta(max_length=100)]


class ContactPersonIn(msgspec.Struct, forbid_unknown_fields=True):
    """A person the contact is about: someone new, or (`person_id`) someone the programme
    knows. `create_anyway`: someone new who looks like someone known is someone else."""

    given_name: Name
    family_name: Name
    date_of_birth: dt.date
    role: Code
    person_id: Annotated[int, Meta(ge=1, le=MAX_ID)] | None = None
    create_anyway: bool = False


class ContactCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A contact as the front door received it. `kind`: contact or step_down; `channel`:
    phone, email, online, in_person or letter; `source`: school, police, health, family,
    other_council, social_care or other; `consent_to_share`: yes, no or not_known; `concerns`:
    headlines of the programme's rule set. About a family found (`family_id`) or the people
    named (`people`). A contact about a family closed within 12 months needs `repeat_reason`
    (significant_change, new_information, incident or other, which needs `repeat_detail`)."""

    programme: ProgrammeCode
    received_at: dt.datetime
    channel: Code
    source: Code
    consent_to_share: Code
    summary: Words
    kind: Code = "contact"
    source_name: Annotated[str, Meta(max_length=200)] | None = None
    family_id: Annotated[int, Meta(ge=1, le=MAX_ID)] | None = None
    people: Annotated[list[ContactPersonIn], Meta(max_length=30)] = msgspec.field(
        default_factory=list
    )
    concerns: Annotated[list[Code], Meta(max_length=20)] = msgspec.field(default_factory=list)
    social_care_ref: Ref | None = None
    repeat_reason: Code | None = None
    repeat_detail: Words | None = None


class DecisionCreate(msgspec.Struct, forbid_unknown_fields=True):
    """The decision, against the contact's `version`: no_further_action, advice,
    universal_services, family_help or step_up (which needs `social_care_ref`). A decision
    after `decide_by` needs `late_reason_code` (key_worker_availability, family_availability,
    awaiting_other_agency, or other with `late_reason`). `family_ref`: the reference of the
    family that family help creates, if it has none yet (one is made up if not given)."""

    version: Version
    decision: Code
    note: Words | None = None
    late_reason_code: Code | None = None
    late_reason: Words | None = None
    social_care_ref: Ref | None = None
    family_ref: Ref | None = None


class ContactPerson(msgspec.Struct):
    given_name: str
    family_name: str
    date_of_birth: dt.date
    role: str
    person_id: int | None


class Decision(msgspec.Struct):
    decision: str
    decided_at: dt.datetime
    decided_by: str
    note: str | None
    late_reason_code: str | None
    late_reason: str | None
    # Whether it was decided on or before `decide_by`.
    within_timescale: bool


class Contact(msgspec.Struct):
    id: int
    programme_id: int
    kind: str
    received_at: dt.datetime
    channel: str
    source: str
    source_name: str | None
    # The family it is about: found when it came, or brought in by family help.
    family_id: int | None
    concerns: list[str]
    consent_to_share: str
    summary: str
    social_care_ref: str | None
    # About a family whose involvement ended within the 12 months before it came.
    repeat: bool
    repeat_reason: str | None
    repeat_detail: str | None
    # The last day a decision is within the programme's timescale.
    decide_by: dt.date
    recorded_by: str
    recorded_at: dt.datetime
    people: list[ContactPerson]
    # None until it is decided.
    decision: Decision | None
    version: int
