"""The reviews of a family's plan: the form to record one, with progress on each goal (a
rating and a comment), what was agreed and when the next review is. The plan page shows each
review's ratings and comments afterwards.
"""

from __future__ import annotations

import re
from typing import Any

import attrs
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide

from connecting_families.access.policy import FAMILY_WRITE, Principal
from connecting_families.audit.service import Actor
from connecting_families.domain.dates import today
from connecting_families.errors import DomainError, Invalid, field_error
from connecting_families.http_params import RecordId
from connecting_families.plans.schemas import (
    ProgressCreate,
    ReviewCreate,
)
from connecting_families.plans.service import (
    PlanRecord,
    ProgressDraft,
    plans_of,
)
from connecting_families.web.family_form_labels import NumberedLabels
from connecting_families.web.family_pages import (
    FamilyHeader,
    FamilyPageServices,
    provide_family_page,
)
from connecting_families.web.family_plan import RATING_WORDS, closed_family, find_plan
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
from connecting_families.web.templating import page

REVIEW_LABELS = {
    "reviewed_on": "Date of the review",
    "summary": "What was agreed",
    "next_review_on": "Date of the next review",
}
_PROGRESS_GOAL = re.compile(r"^progress-(\d{1,3})-goal_id$")


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


# The review form's labels as its route declares them, each goal's fields by its number.
TYPED_REVIEW_LABELS = NumberedLabels(
    REVIEW_LABELS,
    (
        (re.compile(r"progress-(\d{1,3})-rating"), lambda n: f"Progress on goal {n}"),
        (re.compile(r"progress-(\d{1,3})-comment"), lambda n: f"Comment on goal {n}"),
    ),
)


class ReviewPages(Controller):
    """The reviews of a family's plan."""

    include_in_schema = False
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

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

    @post(
        "/families/{family_id:int}/plans/{plan_id:int}/reviews",
        opt={"access": FAMILY_WRITE, FORM_LABELS: TYPED_REVIEW_LABELS},
    )
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


async def review_form_context(header: FamilyHeader, plan_id: int) -> dict[str, Any]:
    """The review form's page: the plan and its goals, and the ratings in words."""
    plan = find_plan(await plans_of(header.family.id, plan_id), plan_id)
    return {**header.context(), "plan": plan, "ratings": list(RATING_WORDS.items())}


SAVED["review"] = "The review was recorded."
