"""The actions of a family's plan: the form to add one to a goal (what, who, by when), and
"Mark as done", one button beside each action on the plan page that records today; refused
(the action changed since the page was shown), the plan page comes back saying why.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide

from connecting_families.access.policy import FAMILY_WRITE, Principal
from connecting_families.audit.service import Actor
from connecting_families.domain.dates import today
from connecting_families.errors import DomainError
from connecting_families.http_params import RecordId
from connecting_families.plans.schemas import (
    ActionCreate,
    ActionUpdate,
)
from connecting_families.plans.service import (
    action_owners_of,
    plans_of,
)
from connecting_families.web.family_form_labels import typed
from connecting_families.web.family_pages import (
    FamilyHeader,
    FamilyPageServices,
    provide_family_page,
)
from connecting_families.web.family_plan import (
    closed_family,
    find_goal,
    find_plan,
    plan_view,
)
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    form_values,
    read,
    refused,
)
from connecting_families.web.templating import page

ACTION_LABELS = {
    "description": "What will be done",
    "owner": "Worker who will do it",
    "owner_text": "Someone else who will do it",
    "due_on": "Due date",
}
DONE_LABELS = {"version": "Version of the action", "completed_on": "Date done"}


class ActionPages(Controller):
    """The actions of a family's plan."""

    include_in_schema = False
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @get(
        "/families/{family_id:int}/plans/{plan_id:int}/goals/{goal_id:int}/actions/new",
        opt={"access": FAMILY_WRITE},
    )
    async def action_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        plan_id: RecordId,
        goal_id: RecordId,
    ) -> Response[Any]:
        """The form to add an action to a goal: what, who (a worker of the programme, or
        someone else) and by when.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            plan_id: The plan.
            goal_id: The goal.
        """
        header = await family_page.open(principal, actor, family_id, "plan")
        if not header.may_add:
            return closed_family(family_id)
        context = await action_form_context(header, plan_id, goal_id)
        return page("family/action_form.html", **context, form=Form())

    @post(
        "/families/{family_id:int}/plans/{plan_id:int}/goals/{goal_id:int}/actions",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(ACTION_LABELS)},
    )
    async def add_action(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        plan_id: RecordId,
        goal_id: RecordId,
    ) -> Response[Any]:
        """Add an action to a goal; the service checks its owner works in the programme.

        Args:
            request: The form post.
            family_page: What the page reads, and the plan service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            plan_id: The plan.
            goal_id: The goal.
        """
        values = await form_values(request)
        try:
            data = read(values, ActionCreate, ACTION_LABELS)
            await family_page.plans.add_action(
                principal,
                actor,
                family_id,
                plan_id,
                goal_id,
                description=data.description,
                owner=data.owner,
                owner_text=data.owner_text,
                due_on=data.due_on,
            )
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "plan")
            context = await action_form_context(header, plan_id, goal_id)
            return refused(error, values, ACTION_LABELS, "family/action_form.html", **context)
        return accepted(f"/families/{family_id}/plan", "action")

    @post(
        "/families/{family_id:int}/plans/{plan_id:int}/actions/{action_id:int}/done",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(DONE_LABELS)},
    )
    async def mark_done(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        plan_id: RecordId,
        action_id: RecordId,
    ) -> Response[Any]:
        """Mark an action done today, if it is still as the page showed it (its version).

        Args:
            request: The form post: the action's version.
            family_page: What the page reads, and the plan service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            plan_id: The plan.
            action_id: The action.
        """
        values = await form_values(request)
        try:
            sent = {"version": values.get("version", "")}
            data = read(sent, ActionUpdate, DONE_LABELS, completed_on=today().isoformat())
            await family_page.plans.update_action(
                principal,
                actor,
                family_id,
                plan_id,
                action_id,
                data.version,
                {"completed_on": data.completed_on},
            )
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "plan")
            view = await plan_view(header)
            return refused(
                error,
                values,
                DONE_LABELS,
                "family/plan.html",
                **header.context(),
                **view.context(),
            )
        return accepted(f"/families/{family_id}/plan", "done")


async def action_form_context(header: FamilyHeader, plan_id: int, goal_id: int) -> dict[str, Any]:
    """The action form's page: the goal it is for, and the workers who may own it."""
    plan = find_plan(await plans_of(header.family.id, plan_id), plan_id)
    number, goal = find_goal(plan, goal_id)
    owners = [(o.username, o.display_name) for o in await action_owners_of(header.family.id)]
    return {
        **header.context(),
        "plan": plan,
        "goal": goal,
        "goal_number": number,
        "owners": owners,
    }


SAVED.update(
    {
        "action": "The action was added to the plan.",
        "done": "The action was marked as done.",
    }
)
