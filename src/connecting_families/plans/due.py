"""What a family's plans have due: the next review and the actions past their date.

For the family's summary page, which shows what is due next in ten seconds: two small queries
instead of the whole plan (`PlanService`'s five). Unchecked and unaudited: the caller has
checked the family's scope and audited its read (`FamilyPageServices.open`).
"""

from __future__ import annotations

import datetime as dt

import attrs

from connecting_families.plans.tables import FamilyPlan, PlanAction


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


async def plans_due_of(family_id: int, on: dt.date) -> PlansDue:
    """The family's open plans' next review and the actions overdue on `on`."""
    plans = await FamilyPlan.select(FamilyPlan.id, FamilyPlan.next_review_on).where(
        FamilyPlan.family == family_id, FamilyPlan.status != "closed"
    )
    if not plans:
        return PlansDue(has_plan=False, next_review_on=None, overdue_actions=())
    reviews = [p["next_review_on"] for p in plans if p["next_review_on"] is not None]
    actions = (
        await PlanAction.select(
            PlanAction.goal.plan.as_alias("plan"), PlanAction.description, PlanAction.due_on
        )
        .where(
            PlanAction.goal.plan.is_in([p["id"] for p in plans]),
            PlanAction.completed_on.is_null(),
            PlanAction.due_on < on,
        )
        .order_by(PlanAction.due_on)
    )
    return PlansDue(
        has_plan=True,
        next_review_on=min(reviews) if reviews else None,
        overdue_actions=tuple(
            DueAction(a["plan"], a["description"], a["due_on"]) for a in actions
        ),
    )
