"""HTTP shapes for assessments and needs."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from connecting_families.http_params import BoundedId, Ref, Version

Text = Annotated[str, Meta(max_length=200)]


class AssessmentCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Start an assessment, for the whole family or one child (`subject_person_id`)."""

    started_on: dt.date
    assessment_ref: Ref | None = None
    subject_person_id: BoundedId | None = None
    lead_professional: Text | None = None
    agency: Text | None = None


LateReasonCode = Literal[
    "key_worker_availability", "family_availability", "awaiting_other_agency", "other"
]


class AssessmentCompletion(msgspec.Struct, forbid_unknown_fields=True):
    """Complete an assessment. One completed after `due_by` says why: `late_reason_code`, and
    for "other" the reason in words (`late_reason`); words alone are taken as "other"."""

    version: Version
    completed_on: dt.date
    late_reason_code: LateReasonCode | None = None
    late_reason: Annotated[str, Meta(max_length=2000)] | None = None
    # Why it is completed without the family's current consent (where the programme allows it).
    no_consent_reason: Annotated[str, Meta(max_length=2000)] | None = None


ContentText = Annotated[str, Meta(max_length=5000)]
HeadlineText = Annotated[str, Meta(max_length=1000)]
Headline = Annotated[str, Meta(min_length=1, max_length=64)]


class AssessmentContentUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """The assessment's content, saved as a draft until it is completed. `headline_needs`:
    a short text for each headline of the programme's rule set (headline → text)."""

    version: Version
    family_view: ContentText | None = None
    strengths: ContentText | None = None
    headline_needs: dict[Headline, HeadlineText] = {}
    child_voice: ContentText | None = None
    analysis: ContentText | None = None


class AssessmentContent(msgspec.Struct):
    family_view: str | None
    strengths: str | None
    headline_needs: dict[str, str]
    child_voice: str | None
    analysis: str | None


class AssessmentSignOff(msgspec.Struct, forbid_unknown_fields=True):
    version: Version


# Why a team manager sends work back to the key worker, not signed off.
SendBackReason = Annotated[str, Meta(min_length=1, max_length=1000)]


class AssessmentSendBack(msgspec.Struct, forbid_unknown_fields=True):
    """The version of the completed assessment that was read, and why it goes back."""

    version: Version
    reason: SendBackReason


class Assessment(msgspec.Struct):
    assessment_ref: str
    family_id: int
    subject_person_id: int | None
    started_on: dt.date
    completed_on: dt.date | None
    lead_professional: str | None
    agency: str | None
    due_by: dt.date
    working_days_taken: int | None
    within_timescale: bool | None
    late_reason_code: LateReasonCode | None
    late_reason: str | None
    signed_off_by: str | None
    signed_off_at: dt.datetime | None
    content: AssessmentContent
    # draft, sent_back, completed, completed_late or signed_off
    status: str
    version: int
    # The last time a team manager sent it back, not signed off: who, when and why.
    sent_back_by: str | None = None
    sent_back_at: dt.datetime | None = None
    sent_back_reason: str | None = None


class NeedCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A need under one of the programme's headlines, for the family or one member."""

    headline: Annotated[str, Meta(min_length=1, max_length=64)]
    identified_on: dt.date
    need_ref: Ref | None = None
    person_id: BoundedId | None = None
    evidence: Annotated[str, Meta(max_length=5000)] | None = None


class NeedOutcome(msgspec.Struct, forbid_unknown_fields=True):
    version: Version
    outcome: Literal["achieved", "not_achieved"]
    outcome_on: dt.date


class Need(msgspec.Struct):
    need_ref: str
    family_id: int
    person_id: int | None
    headline: str
    identified_on: dt.date
    evidence: str | None
    outcome: str | None
    outcome_on: dt.date | None
    version: int
