"""A family's assessments not yet completed, with the day each is due by.

For the family's summary page ("an assessment due or overdue"): one query. Unchecked and
unaudited: the caller has checked the family's scope and audited its read.
"""

from __future__ import annotations

import datetime as dt

import attrs
from piccolo.querystring import QueryString

from connecting_families.database.engine import read_by_key
from connecting_families.domain import dates


@attrs.frozen
class AssessmentDue:
    assessment_ref: str
    started_on: dt.date
    due_by: dt.date


_OPEN_SQL = """
SELECT a.assessment_ref, a.started_on, p.assessment_timescale_days AS timescale
FROM assessment a JOIN programme p ON p.id = a.programme
WHERE a.family = {} AND a.superseded_at IS NULL AND a.completed_on IS NULL
"""


async def assessments_due_of(family_id: int) -> list[AssessmentDue]:
    """The family's open (not completed) assessments, the one due first first; each is due
    its programme's timescale in working days after it started."""
    rows = await read_by_key(QueryString(_OPEN_SQL, family_id))
    due = [
        AssessmentDue(
            row["assessment_ref"],
            row["started_on"],
            dates.add_working_days(row["started_on"], row["timescale"]),
        )
        for row in rows
    ]
    return sorted(due, key=lambda item: item.due_by)
