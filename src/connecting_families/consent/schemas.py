"""HTTP shapes for consent."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import Meta

from connecting_families.http_params import MAX_ID, Version

Code = Annotated[str, Meta(min_length=1, max_length=32)]


class ConsentCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Consent given by a current member of the household (`person_id`): how (`method`: in_person,
    phone, writing or electronic) and the kinds of agency it covers (`agencies`: school, health,
    police, housing, childrens_social_care, dwp, council; at least one)."""

    person_id: Annotated[int, Meta(ge=1, le=MAX_ID)]
    given_on: dt.date
    method: Code
    agencies: Annotated[list[Code], Meta(max_length=20)]


class ConsentWithdrawal(msgspec.Struct, forbid_unknown_fields=True):
    """The version of the consent you read, the date it was withdrawn, and why (optional)."""

    version: Version
    withdrawn_on: dt.date
    reason: Annotated[str, Meta(max_length=2000)] | None = None


class Consent(msgspec.Struct):
    id: int
    family_id: int
    # Who gave it: a member of the household.
    person_id: int
    given_on: dt.date
    method: str
    agencies: list[str]
    recorded_by: str
    recorded_at: dt.datetime
    withdrawn_on: dt.date | None
    withdrawn_reason: str | None
    withdrawn_recorded_by: str | None
    withdrawn_recorded_at: dt.datetime | None
    # Whether it is still in force (not withdrawn).
    current: bool
    version: int
