"""A family's plan: its goals, each linked to a need, the actions for them with an owner and a
due date, and the reviews with each goal's progress (the plan page); and the forms that make
the plan and add its goals. The actions' forms are in `family_plan_actions`, the reviews' in
`family_plan_reviews`.

Every form is a page of its own and works as `web/forms.py` says. The plan of a closed family
is shown as closed, without its forms; a form's address then leads back to the plan page.
"""

from __future__ import annotations

from typing import Any

import attrs
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect, Template

from connecting_families.access.policy import FAMILY_READ, FAMILY_WRITE, Principal
from connecting_families.assessments.records import NeedRecord, needs_of
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError, NotFound, field_error
from connecting_families.families.closures import standing_closure_of
from connecting_families.http_params import RecordId
from connecting_families.plans.schemas import (
    GoalCreate,
    PlanCreate,
)
from connecting_families.plans.service import (
    RATINGS,
    GoalDraft,
    GoalRecord,
    PlanRecord,
    action_owners_of,
    plans_of,
)
from connecting_families.web.family_form_labels import typed
from connecting_families.web.family_pages import (
    FamilyHeader,
    FamilyPageServices,
    provide_family_page,
)
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    form_values,
    read,
    read_all,
    refused,
)
from connecting_families.web.templating import day, headline_words, page

# A review's progress on a goal, in the words the page uses.
RATING_WORDS = {
    "none": "No progress",
    "some": "Some progress",
    "good": "Good progress",
    "achieved": "Achieved",
}
assert set(RATING_WORDS) == set(RATINGS)
# Chosen on the goal form for a goal that meets no recorded need: not a ref (refs start with a
# letter or digit), so never a need's own.
NO_NEED = "_none"
NO_NEED_CHOSEN = "Select the need this goal meets"

PLAN_LABELS = {
    "agreed_on": "Date the plan was agreed with the family",
    "next_review_on": "Date of the first review",
}
GOAL_LABELS = {
    "description": "Goal",
    "need_ref": "Need this goal meets",
    "target_on": "Target date",
}


@attrs.frozen
class PlanView:
    """What the plan page shows besides the layout: the plans, the workers by name, and the
    family's closure when it is closed."""

    plans: list[PlanRecord]
    owners: dict[str, str]
    closure: Any

    def context(self) -> dict[str, Any]:
        return {
            "plans": self.plans,
            "owner_names": self.owners,
            "closure": self.closure,
            "rating_words": RATING_WORDS,
        }


async def plan_view(header: FamilyHeader) -> PlanView:
    """The plan page's records, read unchecked once `header` is open: four small queries."""
    family_id = header.family.id
    owners = {owner.username: owner.display_name for owner in await action_owners_of(family_id)}
    closed = header.family.status == "closed"
    return PlanView(
        plans=await plans_of(family_id),
        owners=owners,
        closure=await standing_closure_of(family_id) if closed else None,
    )


def find_plan(plans: list[PlanRecord], plan_id: int) -> PlanRecord:
    plan = next((plan for plan in plans if plan.id == plan_id), None)
    if plan is None:
        raise NotFound(f"This family has no plan {plan_id}.")
    return plan


def find_goal(plan: PlanRecord, goal_id: int) -> tuple[int, GoalRecord]:
    """The goal and its number in the plan (1 for the first), as the page numbers them."""
    for number, goal in enumerate(plan.goals, start=1):
        if goal.id == goal_id:
            return number, goal
    raise NotFound(f"Plan {plan.id} has no goal {goal_id}.")


def need_choices(needs: list[NeedRecord]) -> list[tuple[str, str]]:
    """The family's needs as radios: the headline in words and when it was identified."""
    choices = [
        (need.need_ref, f"{headline_words(need.headline)}, identified {day(need.identified_on)}")
        for need in needs
    ]
    return [*choices, (NO_NEED, "It does not meet a recorded need")]


class PlanPages(Controller):
    """The plan section of a family's record, and its forms."""

    include_in_schema = False
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @get("/families/{family_id:int}/plan", opt={"access": FAMILY_READ})
    async def plan_page(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The family's plan: goals, actions with who does them and when, and the reviews.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await family_page.open(principal, actor, family_id, "plan")
        view = await plan_view(header)
        return page("family/plan.html", **header.context(), **view.context(), form=Form())

    @get("/families/{family_id:int}/plan/new", opt={"access": FAMILY_WRITE})
    async def plan_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """The form to make the family's plan.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await family_page.open(principal, actor, family_id, "plan")
        if not header.may_add:
            return closed_family(family_id)
        return page("family/plan_form.html", **header.context(), form=Form())

    @post(
        "/families/{family_id:int}/plans",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(PLAN_LABELS)},
    )
    async def create_plan(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """Make the family's plan: a draft until it is agreed with the family.

        Args:
            request: The form post.
            family_page: What the page reads, and the plan service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        try:
            data = read(values, PlanCreate, PLAN_LABELS)
            await family_page.plans.create_plan(
                principal,
                actor,
                family_id,
                agreed_on=data.agreed_on,
                next_review_on=data.next_review_on,
                goals=[],
            )
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "plan")
            return refused(error, values, PLAN_LABELS, "family/plan_form.html", **header.context())
        return accepted(f"/families/{family_id}/plan", "plan")

    # Goals ---------------------------------------------------------------------------------

    @get("/families/{family_id:int}/plans/{plan_id:int}/goals/new", opt={"access": FAMILY_WRITE})
    async def goal_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        plan_id: RecordId,
    ) -> Response[Any]:
        """The form to add a goal to the plan, linked to one of the family's needs.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            plan_id: The plan.
        """
        header = await family_page.open(principal, actor, family_id, "plan")
        if not header.may_add:
            return closed_family(family_id)
        context = await goal_form_context(header, plan_id)
        return page("family/goal_form.html", **context, form=Form())

    @post(
        "/families/{family_id:int}/plans/{plan_id:int}/goals",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(GOAL_LABELS)},
    )
    async def add_goal(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        plan_id: RecordId,
    ) -> Response[Any]:
        """Add a goal to the plan; the service checks its need is one of the family's.

        Args:
            request: The form post.
            family_page: What the page reads, and the plan service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            plan_id: The plan.
        """
        values = await form_values(request)
        sent = {k: v for k, v in values.items() if not (k == "need_ref" and v == NO_NEED)}
        try:
            unanswered = (
                [] if values.get("need_ref") else [field_error("need_ref", NO_NEED_CHOSEN)]
            )
            data = read_all(sent, GoalCreate, GOAL_LABELS, unanswered)
            goal = GoalDraft(
                description=data.description, need_ref=data.need_ref, target_on=data.target_on
            )
            await family_page.plans.add_goal(principal, actor, family_id, plan_id, goal)
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "plan")
            context = await goal_form_context(header, plan_id)
            return refused(error, values, GOAL_LABELS, "family/goal_form.html", **context)
        return accepted(f"/families/{family_id}/plan", "goal")


def closed_family(family_id: int) -> Redirect:
    """A closed family's form asked for: its plan page, which says the family is closed."""
    return Redirect(f"/families/{family_id}/plan", status_code=303)


async def goal_form_context(header: FamilyHeader, plan_id: int) -> dict[str, Any]:
    """The goal form's page: the plan, and the family's needs to choose from."""
    plan = find_plan(await plans_of(header.family.id, plan_id), plan_id)
    needs = await needs_of(header.family.id)
    return {**header.context(), "plan": plan, "need_choices": need_choices(needs)}


SAVED.update(
    {
        "plan": "The plan was made. Add its goals next.",
        "goal": "The goal was added to the plan.",
    }
)
