"""Assessments and needs as values, and the unchecked reads of one family's.

The `…_of` functions read without a scope check or an audit entry: they are for a caller that
has checked and audited its read of the family already (a family's page, through
`FamilyPageServices.open`, or the service's own checked methods).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs

from connecting_families.assessments.tables import Assessment, Need
from connecting_families.domain import dates

NEED_OUTCOMES = ("achieved", "not_achieved")

# Why an assessment was completed after its timescale, in the words a key worker chooses from.
# "other" needs the reason in words; with the others, words are an optional detail.
LATE_REASONS: dict[str, str] = {
    "key_worker_availability": "Key worker availability",
    "family_availability": "Family availability",
    "awaiting_other_agency": "Awaiting information from another agency",
    "other": "Other",
}

# The content's free-text parts, each at most this long (a headline's text is shorter).
CONTENT_LIMIT = 5000
HEADLINE_LIMIT = 1000


@attrs.frozen
class AssessmentContent:
    """What an assessment says: the family's own view, their strengths, the needs under each
    headline of the programme's rule set (headline → text), the child's voice, and the key
    worker's analysis. Every part may be blank while it is a draft."""

    family_view: str | None = None
    strengths: str | None = None
    headline_needs: dict[str, str] = attrs.Factory(dict)
    child_voice: str | None = None
    analysis: str | None = None


@attrs.frozen
class AssessmentRecord:
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
    late_reason_code: str | None
    late_reason: str | None
    signed_off_by: str | None
    signed_off_at: dt.datetime | None
    content: AssessmentContent
    version: int
    # The last time a team manager sent it back, not signed off: who, when and why.
    sent_back_by: str | None = None
    sent_back_at: dt.datetime | None = None
    sent_back_reason: str | None = None

    @property
    def status(self) -> str:
        """draft, sent_back, completed, completed_late or signed_off: what the assessment's
        tag says (sent back: a draft again, with the team manager's reason)."""
        if self.signed_off_at is not None:
            return "signed_off"
        if self.completed_on is None:
            return "sent_back" if self.sent_back_at is not None else "draft"
        return "completed" if self.within_timescale else "completed_late"

    @property
    def late_reason_words(self) -> str | None:
        """Why it was late, in words: the reason chosen, and its detail if any."""
        chosen = LATE_REASONS.get(self.late_reason_code or "")
        if chosen and self.late_reason and self.late_reason_code != "other":
            return f"{chosen}: {self.late_reason}"
        return self.late_reason or chosen


@attrs.frozen
class NeedRecord:
    need_ref: str
    family_id: int
    person_id: int | None
    headline: str
    identified_on: dt.date
    evidence: str | None
    outcome: str | None
    outcome_on: dt.date | None
    version: int


ASSESSMENT_COLUMNS = (
    Assessment.id,
    Assessment.programme,
    Assessment.family,
    Assessment.assessment_ref,
    Assessment.subject_person,
    Assessment.started_on,
    Assessment.completed_on,
    Assessment.lead_professional,
    Assessment.agency,
    Assessment.late_reason_code,
    Assessment.late_reason,
    Assessment.family_view,
    Assessment.strengths,
    Assessment.headline_needs,
    Assessment.child_voice,
    Assessment.analysis,
    Assessment.signed_off_by,
    Assessment.signed_off_by.username.as_alias("signed_off_by_username"),
    Assessment.signed_off_at,
    Assessment.version,
    Assessment.sent_back_by.username.as_alias("sent_back_by_username"),
    Assessment.sent_back_at,
    Assessment.sent_back_reason,
)
# With the programme's timescale, for a read that has no family row at hand.
_WITH_TIMESCALE = (
    *ASSESSMENT_COLUMNS,
    Assessment.programme.assessment_timescale_days.as_alias("timescale_days"),
)


def headline_needs(stored: object) -> dict[str, str]:
    """The JSON column as headline → text (a driver may give it as text or as a mapping)."""
    loaded = json.loads(stored) if isinstance(stored, str) else stored
    if not isinstance(loaded, dict):
        return {}
    return {str(key): str(value) for key, value in loaded.items() if value}


def assessment_from_row(row: dict[str, Any], timescale_days: int) -> AssessmentRecord:
    taken = (
        dates.working_days_between(row["started_on"], row["completed_on"])
        if row["completed_on"]
        else None
    )
    return AssessmentRecord(
        assessment_ref=row["assessment_ref"],
        family_id=row["family"],
        subject_person_id=row["subject_person"],
        started_on=row["started_on"],
        completed_on=row["completed_on"],
        lead_professional=row["lead_professional"],
        agency=row["agency"],
        due_by=dates.add_working_days(row["started_on"], timescale_days),
        working_days_taken=taken,
        within_timescale=None if taken is None else taken <= timescale_days,
        late_reason_code=row["late_reason_code"],
        late_reason=row["late_reason"],
        signed_off_by=row["signed_off_by_username"],
        signed_off_at=row["signed_off_at"],
        content=AssessmentContent(
            family_view=row["family_view"],
            strengths=row["strengths"],
            headline_needs=headline_needs(row["headline_needs"]),
            child_voice=row["child_voice"],
            analysis=row["analysis"],
        ),
        version=row["version"],
        sent_back_by=row["sent_back_by_username"],
        sent_back_at=row["sent_back_at"],
        sent_back_reason=row["sent_back_reason"],
    )


def need_from_row(row: dict[str, Any]) -> NeedRecord:
    return NeedRecord(
        need_ref=row["need_ref"],
        family_id=row["family"],
        person_id=row["person"],
        headline=row["headline"],
        identified_on=row["identified_on"],
        evidence=row["evidence"],
        outcome=row["outcome"],
        outcome_on=row["outcome_on"],
        version=row["version"],
    )


async def assessments_of(family_id: int) -> list[AssessmentRecord]:
    """The family's current assessments, oldest start first; unchecked and unaudited."""
    rows = (
        await Assessment.select(*_WITH_TIMESCALE)
        .where(Assessment.family == family_id, Assessment.superseded_at.is_null())
        .order_by(Assessment.started_on)
        .order_by(Assessment.id)
    )
    return [assessment_from_row(row, row["timescale_days"]) for row in rows]


async def assessment_of(family_id: int, assessment_ref: str) -> AssessmentRecord | None:
    """One of the family's assessments by its reference, or None; unchecked and unaudited."""
    row = (
        await Assessment.select(*_WITH_TIMESCALE)
        .where(
            Assessment.family == family_id,
            Assessment.assessment_ref == assessment_ref,
            Assessment.superseded_at.is_null(),
        )
        .first()
    )
    return None if row is None else assessment_from_row(row, row["timescale_days"])


async def needs_of(family_id: int) -> list[NeedRecord]:
    """The family's current needs, oldest first; unchecked and unaudited."""
    rows = (
        await Need.select()
        .where(Need.family == family_id, Need.superseded_at.is_null())
        .order_by(Need.identified_on)
        .order_by(Need.id)
    )
    return [need_from_row(row) for row in rows]


async def need_of(family_id: int, need_ref: str) -> NeedRecord | None:
    """One of the family's needs by its reference, or None; unchecked and unaudited."""
    row = (
        await Need.select()
        .where(Need.family == family_id, Need.need_ref == need_ref, Need.superseded_at.is_null())
        .first()
    )
    return None if row is None else need_from_row(row)
