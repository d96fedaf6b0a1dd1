"""What a family's plans have due: the next review and the actions past their date.

For the family's summary page, which shows what is due next in ten seconds: one small query
instead of the whole plan (`PlanService`'s five). Unchecked and unaudited: the caller has
checked the family's scope and audited its read (`FamilyPageServices.open`).
"""

from __future__ import annotations

import datetime as dt

import attrs
from piccolo.querystring import QueryString

from connecting_families.database.engine import read_by_key


@attrs.frozen
class DueAction:
    """An action not yet done whose due date has passed."""

    plan_id: int
    description: str
    due_on: dt.date


@attrs.frozen
class PlansDue:
    """Whether the family has an open plan, its next review, and its overdue actions."""

    has_plan: bool
    next_review_on: dt.date | None
    overdue_actions: tuple[DueAction, ...]

    def review_overdue(self, on: dt.date) -> bool:
        return self.next_review_on is not None and self.next_review_on < on


# One plain statement, the open plans with each undone dated action (or none): the summary
# asks it on every read, and a read by key runs at once (`read_by_key`).
_DUE_SQL = """
SELECT p.id AS plan, p.next_review_on, a.description, a.due_on
FROM family_plan p
LEFT JOIN plan_goal g ON g.plan = p.id
LEFT JOIN plan_action a ON a.goal = g.id AND a.completed_on IS NULL AND a.due_on IS NOT NULL
WHERE p.family = {} AND p.status <> 'closed'
ORDER BY a.due_on
"""


async def plans_due_of(family_id: int, on: dt.date) -> PlansDue:
    """The family's open plans' next review and the actions overdue on `on`."""
    rows = await read_by_key(QueryString(_DUE_SQL, family_id))
    if not rows:
        return PlansDue(has_plan=False, next_review_on=None, overdue_actions=())
    reviews = [row["next_review_on"] for row in rows if row["next_review_on"] is not None]
    return PlansDue(
        has_plan=True,
        next_review_on=min(reviews) if reviews else None,
        overdue_actions=tuple(
            DueAction(row["plan"], row["description"], row["due_on"])
            for row in rows
            if row["due_on"] is not None and row["due_on"] < on
        ),
    )
