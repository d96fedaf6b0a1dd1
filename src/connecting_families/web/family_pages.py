"""A key worker's pages: the caseload, the family page and the forms on it.

Every form posts to its own address. Accepted, it goes back to the family page (a redirect, or
`HX-Redirect` when HTMX sent it), so the verdict shown is judged afresh. Refused, the form is
shown again with the user's values and a message beside each field: the whole page without
JavaScript, only the form when HTMX sent it.
"""

from __future__ import annotations

from typing import Any

import attrs
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.plugins.htmx import ClientRedirect, HTMXRequest
from litestar.response import Redirect, Template

from connecting_families.access.policy import (
    FAMILY_READ,
    FAMILY_WRITE,
    OWN_CASELOAD,
    Principal,
)
from connecting_families.assessments.schemas import NeedOutcome
from connecting_families.assessments.service import AssessmentService
from connecting_families.audit.service import Actor
from connecting_families.domain.dates import today
from connecting_families.errors import DomainError, Invalid, NotFound
from connecting_families.evaluation.service import EvaluationService
from connecting_families.evidence.recording import SINGLE_KINDS, EvidenceRecorder
from connecting_families.evidence.service import EvidenceService
from connecting_families.families.allocation import AllocationService
from connecting_families.families.members import MemberService
from connecting_families.families.notes import NOTE_KINDS, NoteDraft, NoteService
from connecting_families.families.schemas import NoteCreate
from connecting_families.families.service import FamilyFilters, FamilyService
from connecting_families.http_params import RecordId, RefParam
from connecting_families.imports.cells import OneOf, parse_date
from connecting_families.imports.kinds import KINDS
from connecting_families.plans.schemas import ActionCreate, ReviewCreate
from connecting_families.plans.service import RATINGS, PlanService, ProgressDraft
from connecting_families.web.explain import explain
from connecting_families.web.forms import Form, form_values, read
from connecting_families.web.templating import humanise, page


@attrs.frozen
class EvidenceField:
    """One column of an evidence kind, as a form field."""

    name: str
    required: bool
    type: str  # text, date or select
    choices: tuple[str, ...] = ()


def evidence_fields(kind: str) -> list[EvidenceField]:
    """The columns a key worker fills in for one item of `kind`: the subject is chosen from
    the family's members (or the household), so the partners' identifiers are left out."""
    fields = []
    for column in KINDS[kind].columns:
        if column.name in ("upn", "ni_number", "family_ref", "person_ref"):
            continue
        if isinstance(column.parse, OneOf):
            choices = column.parse.codes
            fields.append(EvidenceField(column.name, column.required, "select", choices))
        elif column.parse is parse_date:
            fields.append(EvidenceField(column.name, column.required, "date"))
        else:
            fields.append(EvidenceField(column.name, column.required, "text"))
    return fields


@attrs.define
class FamilyPageServices:
    """What the family page reads, gathered once per request."""

    families: FamilyService
    members: MemberService
    allocations: AllocationService
    assessments: AssessmentService
    plans: PlanService
    notes: NoteService
    evidence: EvidenceService
    evaluation: EvaluationService

    async def context(self, principal: Principal, actor: Actor, family_id: int) -> dict[str, Any]:
        on = today()
        family = await self.families.get_family(principal, actor, family_id)
        verdict = await self.evaluation.family_verdict(principal, actor, family_id, on, None)
        members = await self.members.list_members(principal, actor, family_id)
        return {
            "family": family,
            "members": members,
            "current_members": [m for m in members if m.current],
            "allocations": await self.allocations.history(principal, actor, family_id),
            "assessments": await self.assessments.list_assessments(principal, actor, family_id),
            "needs": await self.assessments.list_needs(principal, actor, family_id),
            "plans": await self.plans.list_plans(principal, actor, family_id),
            "notes": await self.notes.list_notes(principal, actor, family_id),
            "timeline": await self.evidence.timeline(principal, actor, family_id, None),
            "verdict": verdict,
            "explained": explain(verdict),
            "today": on,
            "note_kinds": [(kind, humanise(kind)) for kind in NOTE_KINDS],
            "ratings": [(rating, humanise(rating)) for rating in RATINGS],
            "evidence_kinds": SINGLE_KINDS,
            "evidence_fields": {kind: evidence_fields(kind) for kind in SINGLE_KINDS},
            "blank": Form(),
        }


def provide_family_page(
    families: NamedDependency[FamilyService],
    members: NamedDependency[MemberService],
    allocations: NamedDependency[AllocationService],
    assessments: NamedDependency[AssessmentService],
    plans: NamedDependency[PlanService],
    notes: NamedDependency[NoteService],
    evidence: NamedDependency[EvidenceService],
    evaluation: NamedDependency[EvaluationService],
) -> FamilyPageServices:
    return FamilyPageServices(
        families, members, allocations, assessments, plans, notes, evidence, evaluation
    )


class FamilyPages(Controller):
    """My caseload and the family page, with the forms a key worker uses between visits."""

    include_in_schema = False
    request_class = HTMXRequest
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @get("/caseload", opt={"access": OWN_CASELOAD})
    async def caseload_page(
        self,
        families: NamedDependency[FamilyService],
        plans: NamedDependency[PlanService],
        evaluation: NamedDependency[EvaluationService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        """The signed-in key worker's families, with the next review, what is overdue and
        whether each is turned around today.

        Args:
            families: The family service.
            plans: The plan service.
            evaluation: The evaluation service.
            principal: The signed-in key worker.
            actor: The caller, for the audit log.
            cursor: The next page of families.
        """
        listed = await families.list_families(
            principal,
            actor,
            FamilyFilters(key_worker=principal.username, sort="family_ref", cursor=cursor),
        )
        overdue = await plans.overdue(principal, actor, key_worker=principal.username)
        on = today()
        rows = []
        for family in listed.families:
            family_plans = await plans.list_plans(principal, actor, family.id)
            reviews = [p.next_review_on for p in family_plans if p.status != "closed"]
            rows.append(
                {
                    "family": family,
                    "next_review": min((r for r in reviews if r), default=None),
                    "overdue": [item for item in overdue if item.family_id == family.id],
                    "verdict": await evaluation.family_verdict(
                        principal, actor, family.id, on, None
                    ),
                }
            )
        return page("caseload.html", rows=rows, next_cursor=listed.next_cursor, today=on)

    @get("/families/{family_id:int}", opt={"access": FAMILY_READ})
    async def family_page(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        saved: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
    ) -> Template:
        """Everything about one family, and why it is or is not yet turned around.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            saved: What was just saved, to say so.
            kind: The kind of evidence to show the fields of (pages without JavaScript).
        """
        context = await family_page.context(principal, actor, family_id)
        forms = {"evidence": Form(values={"evidence_kind": kind})} if kind in SINGLE_KINDS else {}
        return page("family.html", **context, forms=forms, saved=SAVED.get(saved or ""))

    @post("/families/{family_id:int}/notes", opt={"access": FAMILY_WRITE})
    async def add_note(
        self,
        request: HTMXRequest,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """Add a note of a visit or contact.

        Args:
            request: The form post.
            family_page: What the page reads, and the note service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        try:
            data = read(values, NoteCreate)
            draft = NoteDraft(
                kind=data.kind,
                occurred_on=data.occurred_on,
                body=data.body,
                attendees=data.attendees,
                corrects=data.corrects,
            )
            await family_page.notes.add_note(principal, actor, family_id, draft)
        except DomainError as error:
            return await _refused(
                request, family_page, principal, actor, family_id, "note", values, error
            )
        return _accepted(request, family_id, "note")

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

    @post("/families/{family_id:int}/evidence", opt={"access": FAMILY_WRITE})
    async def record_evidence(
        self,
        request: HTMXRequest,
        family_page: NamedDependency[FamilyPageServices],
        recorder: NamedDependency[EvidenceRecorder],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """Record one evidence item (a school period, an offence, a job, …) for the family.

        Args:
            request: The form post: the kind, then the kind's fields.
            family_page: What the page reads.
            recorder: The evidence recorder, which checks the item as an import row.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        # Not "kind": that is a column of some kinds (an ASB record's incident or intervention).
        kind = values.get("evidence_kind", "")
        try:
            if kind not in SINGLE_KINDS:
                raise_choose_kind()
            # Every field of the kind goes, blank or not, so a blank one is named as missing.
            fields = {field.name: values.get(field.name, "") for field in evidence_fields(kind)}
            if values.get("person_ref"):
                fields["person_ref"] = values["person_ref"]
            await recorder.record_one(principal, actor, family_id, kind, fields)
        except DomainError as error:
            return await _refused(
                request, family_page, principal, actor, family_id, "evidence", values, error
            )
        return _accepted(request, family_id, "evidence")

    @get("/families/{family_id:int}/evidence-fields", opt={"access": FAMILY_READ})
    async def evidence_form_fields(
        self,
        request: HTMXRequest,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        evidence_kind: FromQuery[str] = "",
    ) -> Response[Any]:
        """The fields of one evidence kind, for the evidence form (HTMX swaps them in).

        Args:
            request: The request; without HTMX, the family page is shown with the fields.
            family_page: What the page reads: the family's members.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            evidence_kind: The evidence kind chosen.
        """
        kind = evidence_kind
        members = await family_page.members.list_members(principal, actor, family_id)
        if not request.htmx:
            return Redirect(f"/families/{family_id}?kind={kind}#evidence")
        return page(
            "family/evidence_fields.html",
            kind=kind if kind in SINGLE_KINDS else "",
            fields=evidence_fields(kind) if kind in SINGLE_KINDS else [],
            current_members=[m for m in members if m.current],
            form=Form(values={"evidence_kind": kind}),
        )


SAVED = {
    "note": "The note was added.",
    "outcome": "The need's outcome was recorded.",
    "action": "The action was added to the plan.",
    "review": "The review was recorded.",
    "evidence": "The evidence was recorded.",
}

# Which template shows each form, by the first part of its key.
FORM_TEMPLATES = {
    "note": "family/note_form.html",
    "outcome": "family/outcome_form.html",
    "action": "family/action_form.html",
    "review": "family/review_form.html",
    "evidence": "family/evidence_form.html",
}


def raise_choose_kind() -> None:
    raise Invalid(
        "Choose the kind of evidence.",
        errors=[{"field": "evidence_kind", "message": "Choose the kind of evidence"}],
    )


def _accepted(request: HTMXRequest, family_id: int, what: str) -> Response[Any]:
    target = f"/families/{family_id}?saved={what}"
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
    return page("family.html", status=error.status_code, **context, forms={key: form}, saved=None)
