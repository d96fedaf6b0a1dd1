"""The forms of a family's record still shown on their section's page: a need's outcome, an
action and a review. Refused, the section's page comes back with what was
typed and a message beside each field; accepted, it goes back to its section with a banner.
(Each moves to a page of its own, in its section's module, as the notes' form has.)
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, post
from litestar.di import NamedDependency, Provide
from litestar.plugins.htmx import ClientRedirect, HTMXRequest
from litestar.response import Redirect

from connecting_families.access.policy import FAMILY_WRITE, Principal
from connecting_families.assessments.schemas import NeedOutcome
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError, NotFound
from connecting_families.http_params import RecordId, RefParam
from connecting_families.plans.schemas import ActionCreate, ReviewCreate
from connecting_families.plans.service import ProgressDraft
from connecting_families.web.family_pages import FamilyPageServices, provide_family_page
from connecting_families.web.forms import Form, form_values, read
from connecting_families.web.templating import page


class FamilyForms(Controller):
    """What a key worker records from the family page."""

    include_in_schema = False
    request_class = HTMXRequest
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @post("/families/{family_id:int}/needs/{need_ref:str}/outcome", opt={"access": FAMILY_WRITE})
    async def record_outcome(
        self,
        request: HTMXRequest,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        need_ref: RefParam,
    ) -> Response[Any]:
        """Record whether a need's outcome was achieved, and when.

        Args:
            request: The form post.
            family_page: What the page reads, and the assessment service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            need_ref: The need.
        """
        values = await form_values(request)
        try:
            data = read(values, NeedOutcome)
            await family_page.assessments.record_outcome(
                principal,
                actor,
                family_id,
                need_ref,
                version=data.version,
                outcome=data.outcome,
                outcome_on=data.outcome_on,
            )
        except DomainError as error:
            return await _refused(
                request,
                family_page,
                principal,
                actor,
                family_id,
                f"outcome-{need_ref}",
                values,
                error,
            )
        return _accepted(request, family_id, "outcome")

    @post(
        "/families/{family_id:int}/plans/{plan_id:int}/goals/{goal_id:int}/actions",
        opt={"access": FAMILY_WRITE},
    )
    async def add_action(
        self,
        request: HTMXRequest,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        plan_id: RecordId,
        goal_id: RecordId,
    ) -> Response[Any]:
        """Add an action to a goal of the plan.

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
            data = read(values, ActionCreate)
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
            return await _refused(
                request,
                family_page,
                principal,
                actor,
                family_id,
                f"action-{goal_id}",
                values,
                error,
            )
        return _accepted(request, family_id, "action")

    @post("/families/{family_id:int}/plans/{plan_id:int}/reviews", opt={"access": FAMILY_WRITE})
    async def add_review(
        self,
        request: HTMXRequest,
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
        progress = _progress(values)
        try:
            data = read(
                {k: v for k, v in values.items() if not k.startswith("progress-")},
                ReviewCreate,
                progress=progress,
            )
            await family_page.plans.add_review(
                principal,
                actor,
                family_id,
                plan_id,
                reviewed_on=data.reviewed_on,
                summary=data.summary,
                next_review_on=data.next_review_on,
                progress=[ProgressDraft(p.goal_id, p.rating, p.comment) for p in data.progress],
            )
        except DomainError as error:
            return await _refused(
                request,
                family_page,
                principal,
                actor,
                family_id,
                f"review-{plan_id}",
                values,
                error,
            )
        return _accepted(request, family_id, "review")


# Which template shows each form, by the first part of its key.
FORM_TEMPLATES = {
    "outcome": "family/outcome_form.html",
    "action": "family/action_form.html",
    "review": "family/review_form.html",
}


# The section each form belongs to, by the first part of its key (until each has its own page).
FORM_SECTIONS = {
    "outcome": "assessments",
    "action": "plan",
    "review": "plan",
}


def _accepted(request: HTMXRequest, family_id: int, what: str) -> Response[Any]:
    target = f"/families/{family_id}/{FORM_SECTIONS[what]}?saved={what}"
    if request.htmx:
        return ClientRedirect(redirect_to=target)
    return Redirect(target, status_code=303)


def _progress(values: dict[str, str]) -> list[dict[str, str]]:
    """A review's progress on each goal rated or commented on; a comment without a rating is
    sent on, so that it is refused beside the rating rather than lost."""
    goals = {
        name.split("-")[1]
        for name, value in values.items()
        if name.startswith("progress-") and value and len(name.split("-")) == 3
    }
    progress = []
    for goal in sorted(goals):
        entry = {"goal_id": goal, "comment": values.get(f"progress-{goal}-comment", "")}
        if rating := values.get(f"progress-{goal}-rating"):
            entry["rating"] = rating
        progress.append(entry)
    return progress


def _subject_of(context: dict[str, Any], what: str, which: str) -> dict[str, Any] | None:
    """The need, plan or goal a refused form belongs to, for showing it alone; None when the
    family has no such record."""
    if what == "outcome":
        need = next((n for n in context["needs"] if n.need_ref == which), None)
        return {"need": need} if need else None
    if what == "review":
        plan = next((p for p in context["plans"] if str(p.id) == which), None)
        return {"plan": plan} if plan else None
    if what == "action":
        goals = ({"plan": p, "goal": g} for p in context["plans"] for g in p.goals)
        return next((found for found in goals if str(found["goal"].id) == which), None)
    return {}


async def _refused(
    request: HTMXRequest,
    family_page: FamilyPageServices,
    principal: Principal,
    actor: Actor,
    family_id: int,
    key: str,
    values: dict[str, str],
    error: DomainError,
) -> Response[Any]:
    """The page (or, for HTMX, only the form) again, with what was typed and what is wrong."""
    if error.status_code not in (409, 422):
        raise error  # not about the form: the error page says it
    form = Form.refusing(values, error)
    context = await family_page.context(principal, actor, family_id)
    what, _, which = key.partition("-")
    subject = _subject_of(context, what, which)
    if subject is None:
        raise NotFound(f"This family has no {what} form {which!r}.")
    if request.htmx:
        return page(
            FORM_TEMPLATES[what], status=error.status_code, **context, **subject, form=form
        )
    template = f"family/{FORM_SECTIONS[what]}.html"
    return page(template, status=error.status_code, **context, forms={key: form})
