"""A family's plan: its goals, each linked to a need, the actions for them with an owner and a
due date, and the reviews with each goal's progress; and the forms that make and change it.

Every form is a page of its own and works as `web/forms.py` says, except "Mark as done": one
button beside its action on the plan page, which records today (a refused one comes back to
the plan page saying why). The plan of a closed family is shown as closed, without its forms.
"""

from __future__ import annotations

import re
from typing import Any

import attrs
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Redirect, Template

from connecting_families.access.policy import FAMILY_READ, FAMILY_WRITE, Principal
from connecting_families.assessments.service import NeedRecord, needs_of
from connecting_families.audit.service import Actor
from connecting_families.domain.dates import today
from connecting_families.errors import DomainError, Invalid, NotFound, field_error
from connecting_families.families.closures import standing_closure_of
from connecting_families.http_params import RecordId
from connecting_families.plans.schemas import (
    ActionCreate,
    ActionUpdate,
    GoalCreate,
    PlanCreate,
    ProgressCreate,
    ReviewCreate,
)
from connecting_families.plans.service import (
    RATINGS,
    GoalDraft,
    GoalRecord,
    PlanRecord,
    ProgressDraft,
    action_owners_of,
    plans_of,
)
from connecting_families.web.family_pages import (
    FamilyHeader,
    FamilyPageServices,
    provide_family_page,
)
from connecting_families.web.forms import (
    SAVED,
    Form,
    accepted,
    form_values,
    read,
    read_all,
    refused,
)
from connecting_families.web.templating import day, humanise, page

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
ACTION_LABELS = {
    "description": "What will be done",
    "owner": "Worker who will do it",
    "owner_text": "Someone else who will do it",
    "due_on": "Due date",
}
DONE_LABELS = {"version": "Version of the action", "completed_on": "Date done"}
REVIEW_LABELS = {
    "reviewed_on": "Date of the review",
    "summary": "What was agreed",
    "next_review_on": "Date of the next review",
}
_PROGRESS_GOAL = re.compile(r"^progress-(\d{1,3})-goal_id$")


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


def _plan(plans: list[PlanRecord], plan_id: int) -> PlanRecord:
    plan = next((plan for plan in plans if plan.id == plan_id), None)
    if plan is None:
        raise NotFound(f"This family has no plan {plan_id}.")
    return plan


def _goal(plan: PlanRecord, goal_id: int) -> tuple[int, GoalRecord]:
    """The goal and its number in the plan (1 for the first), as the page numbers them."""
    for number, goal in enumerate(plan.goals, start=1):
        if goal.id == goal_id:
            return number, goal
    raise NotFound(f"Plan {plan.id} has no goal {goal_id}.")


def need_choices(needs: list[NeedRecord]) -> list[tuple[str, str]]:
    """The family's needs as radios: the headline in words and when it was identified."""
    choices = [
        (need.need_ref, f"{humanise(need.headline)}, identified {day(need.identified_on)}")
        for need in needs
    ]
    return [*choices, (NO_NEED, "It does not meet a recorded need")]


@attrs.frozen
class ReviewProgress:
    """A review form's progress on the goals, read: what the service takes, and the form's
    number of each entry's goal, so that the service's errors land beside the right goal."""

    drafts: tuple[ProgressDraft, ...]
    numbers: tuple[int, ...]
    problems: tuple[dict[str, str], ...]


def review_progress(values: dict[str, str]) -> ReviewProgress:
    """Each goal's progress from the review form (`progress-N-goal_id`, `-rating`,
    `-comment`; N numbers the plan's goals). A goal neither rated nor commented on is left
    out; a comment without a rating is refused beside the rating, and kept."""
    drafts: list[ProgressDraft] = []
    numbers: list[int] = []
    problems: list[dict[str, str]] = []
    found = sorted(int(m.group(1)) for name in values if (m := _PROGRESS_GOAL.match(name)))
    for number in found:
        prefix = f"progress-{number}-"
        rating, comment = values.get(prefix + "rating", ""), values.get(prefix + "comment", "")
        if not rating and not comment:
            continue
        if not rating:
            message = f"Select the progress on goal {number}, or remove the comment on it"
            problems.append(field_error(prefix + "rating", message))
            continue
        labels = {"rating": f"Progress on goal {number}", "comment": f"Comment on goal {number}"}
        entry = {"goal_id": values[prefix + "goal_id"], "rating": rating, "comment": comment}
        try:
            progress = read(entry, ProgressCreate, {**labels, "goal_id": f"Goal {number}"})
        except Invalid as error:
            problems += [
                field_error(prefix + str(p.get("field")), str(p.get("message")))
                for p in error.errors
            ]
            continue
        drafts.append(ProgressDraft(progress.goal_id, progress.rating, progress.comment))
        numbers.append(number)
    return ReviewProgress(tuple(drafts), tuple(numbers), tuple(problems))


def _renumbered(error: DomainError, numbers: tuple[int, ...]) -> DomainError:
    """The service's errors about `progress[i]` as the form's `progress-N-` fields."""
    for problem in error.errors:
        field = str(problem.get("field") or "")
        if match := re.match(r"^progress\[(\d+)\]\.(\w+)$", field):
            index, name = int(match.group(1)), match.group(2)
            if index < len(numbers):
                problem["field"] = f"progress-{numbers[index]}-{name}"
                problem["message"] = _progress_message(numbers[index], name, problem)
    return error


def _progress_message(number: int, name: str, problem: dict[str, Any]) -> str:
    message = str(problem.get("message") or "")
    if name == "rating":
        return f"Select the progress on goal {number}"
    return message if message[:1].isupper() else f"Goal {number} {message}"


def review_labels(plan: PlanRecord) -> dict[str, str]:
    labels = dict(REVIEW_LABELS)
    for number, _ in enumerate(plan.goals, start=1):
        labels[f"progress-{number}-rating"] = f"Progress on goal {number}"
        labels[f"progress-{number}-comment"] = f"Comment on goal {number}"
    return labels


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

    # The plan ------------------------------------------------------------------------------

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

    @post("/families/{family_id:int}/plans", opt={"access": FAMILY_WRITE})
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

    @post("/families/{family_id:int}/plans/{plan_id:int}/goals", opt={"access": FAMILY_WRITE})
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

    # Actions -------------------------------------------------------------------------------

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
        opt={"access": FAMILY_WRITE},
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
        opt={"access": FAMILY_WRITE},
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

    # Reviews -------------------------------------------------------------------------------

    @get("/families/{family_id:int}/plans/{plan_id:int}/reviews/new", opt={"access": FAMILY_WRITE})
    async def review_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        plan_id: RecordId,
    ) -> Response[Any]:
        """The form to record a review of the plan: progress on each goal, what was agreed
        and when the next review is.

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
        context = await review_form_context(header, plan_id)
        form = Form(values={"reviewed_on": today().isoformat()})
        return page("family/review_form.html", **context, form=form)

    @post("/families/{family_id:int}/plans/{plan_id:int}/reviews", opt={"access": FAMILY_WRITE})
    async def add_review(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        plan_id: RecordId,
    ) -> Response[Any]:
        """Record a review of the plan: progress on each goal and the next review date.

        Args:
            request: The form post.
            family_page: What the page reads, and the plan service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            plan_id: The plan.
        """
        values = await form_values(request)
        progress = review_progress(values)
        try:
            review = {k: v for k, v in values.items() if not k.startswith("progress-")}
            data = read_all(review, ReviewCreate, REVIEW_LABELS, list(progress.problems))
            await family_page.plans.add_review(
                principal,
                actor,
                family_id,
                plan_id,
                reviewed_on=data.reviewed_on,
                summary=data.summary,
                next_review_on=data.next_review_on,
                progress=list(progress.drafts),
            )
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "plan")
            context = await review_form_context(header, plan_id)
            labels = review_labels(context["plan"])
            error = _renumbered(error, progress.numbers)
            return refused(error, values, labels, "family/review_form.html", **context)
        return accepted(f"/families/{family_id}/plan", "review")


def closed_family(family_id: int) -> Redirect:
    """A closed family's form asked for: its plan page, which says the family is closed."""
    return Redirect(f"/families/{family_id}/plan", status_code=303)


async def goal_form_context(header: FamilyHeader, plan_id: int) -> dict[str, Any]:
    """The goal form's page: the plan, and the family's needs to choose from."""
    plan = _plan(await plans_of(header.family.id, plan_id), plan_id)
    needs = await needs_of(header.family.id)
    return {**header.context(), "plan": plan, "need_choices": need_choices(needs)}


async def action_form_context(header: FamilyHeader, plan_id: int, goal_id: int) -> dict[str, Any]:
    """The action form's page: the goal it is for, and the workers who may own it."""
    plan = _plan(await plans_of(header.family.id, plan_id), plan_id)
    number, goal = _goal(plan, goal_id)
    owners = [(o.username, o.display_name) for o in await action_owners_of(header.family.id)]
    return {
        **header.context(),
        "plan": plan,
        "goal": goal,
        "goal_number": number,
        "owners": owners,
    }


async def review_form_context(header: FamilyHeader, plan_id: int) -> dict[str, Any]:
    """The review form's page: the plan and its goals, and the ratings in words."""
    plan = _plan(await plans_of(header.family.id, plan_id), plan_id)
    return {**header.context(), "plan": plan, "ratings": list(RATING_WORDS.items())}


SAVED.update(
    {
        "plan": "The plan was made. Add its goals next.",
        "goal": "The goal was added to the plan.",
        "action": "The action was added to the plan.",
        "done": "The action was marked as done.",
        "review": "The review was recorded.",
    }
)
