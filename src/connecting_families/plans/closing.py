"""A family's plans close with the family, and open again if its closure is sent back.

A closed family has no plan in force: closing the family closes its open plans and remembers
which closure closed them (`FamilyPlan.closed_with`), so that a team manager sending the
closure back opens those plans again as they were (active once agreed, otherwise a draft),
and leaves closed the plans a key worker had closed before. A reopening after a signed-off
closure does not: the family's new episode of work gets a plan of its own."""

from __future__ import annotations

import datetime as dt

from connecting_families.plans.tables import FamilyPlan


async def close_plans_with(family_id: int, closure_id: int) -> None:
    """Close the family's plans that are not closed, as closed by the closure `closure_id`.
    Unchecked: the caller writes to the family within its transaction."""
    await FamilyPlan.update(
        {
            FamilyPlan.status: "closed",
            FamilyPlan.closed_with: closure_id,
            FamilyPlan.updated_at: dt.datetime.now(dt.UTC),
            FamilyPlan.version: FamilyPlan.version + 1,
        }
    ).where(FamilyPlan.family == family_id, FamilyPlan.status != "closed")


async def reopen_plans_closed_with(family_id: int, closure_id: int) -> None:
    """Open again the family's plans that the closure `closure_id` closed: active if agreed,
    a draft if not. Unchecked, as `close_plans_with`."""
    closed = FamilyPlan.family == family_id, FamilyPlan.closed_with == closure_id
    for status, agreed in (
        ("active", FamilyPlan.agreed_on.is_not_null()),
        ("draft", FamilyPlan.agreed_on.is_null()),
    ):
        await FamilyPlan.update(
            {
                FamilyPlan.status: status,
                FamilyPlan.closed_with: None,
                FamilyPlan.updated_at: dt.datetime.now(dt.UTC),
                FamilyPlan.version: FamilyPlan.version + 1,
            }
        ).where(*closed, agreed)
