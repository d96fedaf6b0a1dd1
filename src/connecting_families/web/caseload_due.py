"""What is due on a caseload page's families: each one's next review and what is overdue.

Read for the families the page lists only, in two queries, unchecked and unaudited: the
listing (`FamilyService.list_families`) has checked and audited those families already. A
family's overdue items are those due before its judging day (`dates.judging_day`): today, or
its programme's last day once it has ended.
"""

from __future__ import annotations

import datetime as dt

import attrs

from connecting_families.plans.tables import FamilyPlan, PlanAction


@attrs.frozen
class Due:
    """An overdue review or action, as the caseload lists it."""

    description: str
    due_on: dt.date


@attrs.frozen
class CaseloadDue:
    next_reviews: dict[int, dt.date]
    overdue: dict[int, list[Due]]


async def due_on_caseload(judged_on: dict[int, dt.date]) -> CaseloadDue:
    """The next review and the overdue reviews and actions of each family in `judged_on`
    (family id -> its judging day), of its plans that are not closed."""
    ids = sorted(judged_on) or [0]
    plans = await FamilyPlan.select(
        FamilyPlan.id, FamilyPlan.family, FamilyPlan.next_review_on
    ).where(FamilyPlan.family.is_in(ids), FamilyPlan.status != "closed")
    plan_family = {plan["id"]: plan["family"] for plan in plans}
    latest = max(judged_on.values(), default=dt.date.min)
    actions = await PlanAction.select(
        PlanAction.id,
        PlanAction.description,
        PlanAction.due_on,
        PlanAction.goal.plan.as_alias("plan"),
    ).where(
        PlanAction.goal.plan.is_in(sorted(plan_family) or [0]),
        PlanAction.completed_on.is_null(),
        PlanAction.due_on < latest,
    )
    reviews: dict[int, dt.date] = {}
    # (due, reviews before actions, id): the order the overdue list had before.
    found: dict[int, list[tuple[dt.date, int, int, Due]]] = {}
    for plan in plans:
        family, on = plan["family"], plan["next_review_on"]
        if on is None:
            continue
        reviews[family] = min(on, reviews.get(family, on))
        if on < judged_on[family]:
            found.setdefault(family, []).append((on, 0, plan["id"], Due("plan review", on)))
    for action in actions:
        family = plan_family[action["plan"]]
        if action["due_on"] < judged_on[family]:
            due = Due(action["description"], action["due_on"])
            found.setdefault(family, []).append((action["due_on"], 1, action["id"], due))
    return CaseloadDue(
        next_reviews=reviews,
        overdue={family: [item[-1] for item in sorted(items)] for family, items in found.items()},
    )
