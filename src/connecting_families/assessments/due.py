"""A family's assessments not yet completed, with the day each is due by.

For the family's summary page ("an assessment due or overdue"): one query. Unchecked and
unaudited: the caller has checked the family's scope and audited its read.
"""

from __future__ import annotations

import datetime as dt

import attrs

from connecting_families.assessments.tables import Assessment
from connecting_families.domain import dates


@attrs.frozen
class AssessmentDue:
    assessment_ref: str
    started_on: dt.date
    due_by: dt.date


async def assessments_due_of(family_id: int) -> list[AssessmentDue]:
    """The family's open (not completed) assessments, the one due first first; each is due
    its programme's timescale in working days after it started."""
    rows = await Assessment.select(
        Assessment.assessment_ref,
        Assessment.started_on,
        Assessment.programme.assessment_timescale_days.as_alias("timescale"),
    ).where(
        Assessment.family == family_id,
        Assessment.superseded_at.is_null(),
        Assessment.completed_on.is_null(),
    )
    due = [
        AssessmentDue(
            row["assessment_ref"],
            row["started_on"],
            dates.add_working_days(row["started_on"], row["timescale"]),
        )
        for row in rows
    ]
    return sorted(due, key=lambda item: item.due_by)
