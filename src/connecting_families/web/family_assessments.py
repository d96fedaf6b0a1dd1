"""A family's assessments and needs: the section, an assessment's own page, and the forms to
start one, save its content as a draft, complete it (late: why, from a fixed list), record a
need under a headline of the programme's rule set, and record a need's outcome.

Each page is read as `web/family_pages.py` says: `FamilyPageServices.open` checks the scope
and audits the read once, then the section's records are read unchecked (`records.…_of`).
Each form works as `web/forms.py` says (a page of its own; refused, the same page again with
every error by its label; accepted, a redirect to the page that shows the result).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from connecting_families.access.policy import FAMILY_READ, FAMILY_WRITE, Principal
from connecting_families.assessments.records import (
    CONTENT_LIMIT,
    HEADLINE_LIMIT,
    LATE_REASONS,
    AssessmentContent,
    AssessmentRecord,
    NeedRecord,
    assessment_of,
    assessments_of,
    need_of,
    needs_of,
)
from connecting_families.assessments.schemas import (
    AssessmentCompletion,
    AssessmentContentUpdate,
    AssessmentCreate,
    NeedCreate,
    NeedOutcome,
)
from connecting_families.audit.service import Actor
from connecting_families.domain.dates import today
from connecting_families.errors import DomainError, Forbidden, Invalid, NotFound
from connecting_families.families.members import Member
from connecting_families.http_params import RecordId, RefParam
from connecting_families.web.family_form_labels import NumberedLabels, typed
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
    refused,
)
from connecting_families.web.templating import headline_words, page, path_segment

SECTION = "assessments"

STATUS_TAGS = {
    "draft": ("Draft", "govuk-tag--grey"),
    "sent_back": ("Sent back", "govuk-tag--red"),
    "completed": ("Completed", "govuk-tag--blue"),
    "completed_late": ("Completed late", "govuk-tag--yellow"),
    "signed_off": ("Signed off", "govuk-tag--green"),
}

START_LABELS = {
    "started_on": "Date the assessment started",
    "subject_person_id": "Who the assessment is for",
    "lead_professional": "Lead professional",
    "agency": "Agency of the lead professional",
}
CONTENT_LABELS = {
    "family_view": "The family's own view",
    "strengths": "Strengths",
    "child_voice": "The child's voice",
    "analysis": "Key worker's analysis",
}
COMPLETE_LABELS = {
    "completed_on": "Date the assessment was completed",
    "late_reason_code": "Reason the assessment was late",
    "late_reason": "Details of the reason",
}
NEED_LABELS = {
    "headline": "Headline",
    "identified_on": "Date the need was identified",
    "person_id": "Who the need is about",
    "evidence": "Description",
}
OUTCOME_LABELS = {"outcome": "Outcome", "outcome_on": "Date of the outcome"}
# A headline's text on the content form posts as `headline_needs-<headline>`: the service
# names it `headline_needs.<headline>`, which the form mechanism reads as that field.
HEADLINE_FIELD = "headline_needs-"


@attrs.frozen
class HeadlineNeeds:
    """One headline of the rule set, in words, and the family's needs under it."""

    headline: str
    words: str
    needs: list[NeedRecord]


def needs_by_headline(headlines: tuple[str, ...], needs: list[NeedRecord]) -> list[HeadlineNeeds]:
    """The needs under each headline, in the rule set's order; a need under a headline the rule
    set no longer has (an import's, an older version's) is shown under its own at the end."""
    others = [n.headline for n in needs if n.headline not in headlines]
    return [
        HeadlineNeeds(h, headline_words(h), [n for n in needs if n.headline == h])
        for h in (*headlines, *dict.fromkeys(others))
    ]


def content_labels(headlines: tuple[str, ...]) -> dict[str, str]:
    """The content form's labels: its fixed parts, and one field per headline."""
    return {
        **CONTENT_LABELS,
        **{f"{HEADLINE_FIELD}{h}": f"Needs: {headline_words(h)}" for h in headlines},
    }


# The content form's labels as its route declares them: each headline's field is named by the
# headline's words, as `content_labels` names it on the page.
TYPED_CONTENT_LABELS = NumberedLabels(
    CONTENT_LABELS,
    ((re.compile(re.escape(HEADLINE_FIELD) + r"(.+)"), lambda h: f"Needs: {headline_words(h)}"),),
)


class AssessmentPages(Controller):
    """The assessments and needs section of a family's record, and its forms."""

    include_in_schema = False
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @get("/families/{family_id:int}/assessments", opt={"access": FAMILY_READ})
    async def assessments_page(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The family's assessments with their status, and its needs by headline.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await family_page.open(principal, actor, family_id, SECTION)
        headlines = await family_page.assessments.headlines_of(family_id)
        return page(
            "family/assessments.html",
            **header.context(),
            assessments=await assessments_of(family_id),
            by_headline=needs_by_headline(headlines, await needs_of(family_id)),
            person_names={m.person_id: _name(m) for m in header.members},
            status_tags=STATUS_TAGS,
        )

    # Starting an assessment ---------------------------------------------------------------

    @get("/families/{family_id:int}/assessments/new", opt={"access": FAMILY_WRITE})
    async def start_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The form to start an assessment, with the date it started.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await _form_header(family_page, principal, actor, family_id)
        values = {"started_on": today().isoformat()}
        return page("family/assessment_start.html", **_start_context(header), form=Form(values))

    @post(
        "/families/{family_id:int}/assessments/new",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(START_LABELS)},
    )
    async def start_assessment(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """Start an assessment; then its own page, to record its content.

        Args:
            request: The form post.
            family_page: What the page reads, and the assessment service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        try:
            data = read(values, AssessmentCreate, START_LABELS)
            started = await family_page.assessments.start(
                principal,
                actor,
                family_id,
                started_on=data.started_on,
                subject_person_id=data.subject_person_id,
                lead_professional=data.lead_professional,
                agency=data.agency,
            )
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, SECTION)
            return refused(
                error,
                values,
                START_LABELS,
                "family/assessment_start.html",
                **_start_context(header),
            )
        return accepted(_address(family_id, started.assessment_ref), "assessment_started")

    # One assessment -----------------------------------------------------------------------

    @get("/families/{family_id:int}/assessments/{assessment_ref:str}", opt={"access": FAMILY_READ})
    async def assessment_page(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        assessment_ref: RefParam,
    ) -> Template:
        """One assessment: its content, its completion (and why it was late) and sign-off.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            assessment_ref: The assessment.
        """
        header = await family_page.open(principal, actor, family_id, SECTION)
        context = await _assessment_context(family_page, header, assessment_ref)
        return page("family/assessment.html", **context, status_tags=STATUS_TAGS)

    @get(
        "/families/{family_id:int}/assessments/{assessment_ref:str}/edit",
        opt={"access": FAMILY_WRITE},
    )
    async def content_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        assessment_ref: RefParam,
    ) -> Template:
        """The assessment's content as a form, to save as a draft.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            assessment_ref: The assessment.
        """
        header = await _form_header(family_page, principal, actor, family_id)
        context = await _assessment_context(family_page, header, assessment_ref)
        assessment: AssessmentRecord = context["assessment"]
        content = assessment.content
        values = {
            "version": str(assessment.version),
            **{name: getattr(content, name) or "" for name in CONTENT_LABELS},
            **{f"{HEADLINE_FIELD}{h}": t for h, t in content.headline_needs.items()},
        }
        return page("family/assessment_edit.html", **context, form=Form(values))

    @post(
        "/families/{family_id:int}/assessments/{assessment_ref:str}/edit",
        opt={"access": FAMILY_WRITE, FORM_LABELS: TYPED_CONTENT_LABELS},
    )
    async def save_content(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        assessment_ref: RefParam,
    ) -> Response[Any]:
        """Save the assessment's content as a draft (a stale form is refused, 409).

        Args:
            request: The form post.
            family_page: What the page reads, and the assessment service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            assessment_ref: The assessment.
        """
        values = await form_values(request)
        texts = {
            name.removeprefix(HEADLINE_FIELD): text
            for name, text in values.items()
            if name.startswith(HEADLINE_FIELD)
        }
        labels: Mapping[str, str] = CONTENT_LABELS
        try:
            # A headline's text is checked by the service, which names it by its headline.
            data = read(
                {k: v for k, v in values.items() if not k.startswith(HEADLINE_FIELD)},
                AssessmentContentUpdate,
                labels,
            )
            await family_page.assessments.save_content(
                principal,
                actor,
                family_id,
                assessment_ref,
                version=data.version,
                content=AssessmentContent(
                    family_view=data.family_view,
                    strengths=data.strengths,
                    headline_needs=texts,
                    child_voice=data.child_voice,
                    analysis=data.analysis,
                ),
            )
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, SECTION)
            context = await _assessment_context(family_page, header, assessment_ref)
            labels = content_labels(context["headlines"])
            return refused(error, values, labels, "family/assessment_edit.html", **context)
        return accepted(_address(family_id, assessment_ref), "assessment_saved")

    @get(
        "/families/{family_id:int}/assessments/{assessment_ref:str}/complete",
        opt={"access": FAMILY_WRITE},
    )
    async def complete_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        assessment_ref: RefParam,
    ) -> Template:
        """The form to complete an assessment: the date, and if late, why.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            assessment_ref: The assessment.
        """
        header = await _form_header(family_page, principal, actor, family_id)
        context = await _assessment_context(family_page, header, assessment_ref)
        values = {"version": str(context["assessment"].version)}
        return page("family/assessment_complete.html", **context, form=Form(values))

    @post(
        "/families/{family_id:int}/assessments/{assessment_ref:str}/complete",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(COMPLETE_LABELS)},
    )
    async def complete_assessment(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        assessment_ref: RefParam,
    ) -> Response[Any]:
        """Complete the assessment; a late one is refused without a reason from the list.

        Args:
            request: The form post.
            family_page: What the page reads, and the assessment service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            assessment_ref: The assessment.
        """
        values = await form_values(request)
        try:
            data = read(values, AssessmentCompletion, COMPLETE_LABELS)
            await family_page.assessments.complete(
                principal,
                actor,
                family_id,
                assessment_ref,
                version=data.version,
                completed_on=data.completed_on,
                # The page asks for the reason from the list; its words alone are not "other".
                late_reason_code=data.late_reason_code or "",
                late_reason=data.late_reason,
            )
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, SECTION)
            context = await _assessment_context(family_page, header, assessment_ref)
            return refused(
                error, values, COMPLETE_LABELS, "family/assessment_complete.html", **context
            )
        return accepted(_address(family_id, assessment_ref), "assessment_completed")

    # Needs ---------------------------------------------------------------------------------

    @get("/families/{family_id:int}/needs/new", opt={"access": FAMILY_WRITE})
    async def need_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Template:
        """The form to record a need under a headline of the programme's rule set.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        header = await _form_header(family_page, principal, actor, family_id)
        context = await _need_context(family_page, header)
        return page("family/need_form.html", **context, form=Form())

    @post(
        "/families/{family_id:int}/needs/new",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(NEED_LABELS)},
    )
    async def add_need(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """Record a need.

        Args:
            request: The form post.
            family_page: What the page reads, and the assessment service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        try:
            data = read_choosing(values, NeedCreate, NEED_LABELS, ("headline",))
            await family_page.assessments.add_need(
                principal,
                actor,
                family_id,
                headline=data.headline,
                identified_on=data.identified_on,
                person_id=data.person_id,
                evidence=data.evidence,
            )
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, SECTION)
            context = await _need_context(family_page, header)
            return refused(error, values, NEED_LABELS, "family/need_form.html", **context)
        return accepted(f"/families/{family_id}/{SECTION}", "need")

    @get("/families/{family_id:int}/needs/{need_ref:str}/outcome", opt={"access": FAMILY_WRITE})
    async def outcome_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        need_ref: RefParam,
    ) -> Template:
        """The form to record whether a need's outcome was achieved, and when.

        Args:
            family_page: What the page reads.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            need_ref: The need.
        """
        header = await _form_header(family_page, principal, actor, family_id)
        context = await _outcome_context(header, need_ref)
        need: NeedRecord = context["need"]
        values = {"version": str(need.version), "outcome": need.outcome or ""}
        if need.outcome_on:
            values["outcome_on"] = need.outcome_on.isoformat()
        return page("family/outcome_form.html", **context, form=Form(values))

    @post(
        "/families/{family_id:int}/needs/{need_ref:str}/outcome",
        opt={"access": FAMILY_WRITE, FORM_LABELS: typed(OUTCOME_LABELS)},
    )
    async def record_outcome(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        need_ref: RefParam,
    ) -> Response[Any]:
        """Record a need's outcome (a stale form is refused, 409).

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
            data = read_choosing(values, NeedOutcome, OUTCOME_LABELS, ("outcome",))
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
            header = await family_page.open(principal, actor, family_id, SECTION)
            context = await _outcome_context(header, need_ref)
            return refused(error, values, OUTCOME_LABELS, "family/outcome_form.html", **context)
        return accepted(f"/families/{family_id}/{SECTION}", "outcome")


T = TypeVar("T")


def read_choosing(
    values: dict[str, str], schema: type[T], labels: Mapping[str, str], choices: tuple[str, ...]
) -> T:
    """`forms.read`, where a choice left blank (radios: `choices`) is "Select …", as the
    Design System words it, not "Enter …"."""
    try:
        return read(values, schema, labels)
    except Invalid as error:
        for problem in error.errors:
            message = str(problem.get("message") or "")
            if problem.get("field") in choices and message.startswith("Enter "):
                problem["message"] = "Select " + message.removeprefix("Enter ")
        raise


async def _form_header(
    family_page: FamilyPageServices, principal: Principal, actor: Actor, family_id: int
) -> FamilyHeader:
    """The family of a form's page, refused (403, saying why) where its forms are not shown:
    a closed family takes nothing new."""
    header = await family_page.open(principal, actor, family_id, SECTION)
    if not header.may_add:
        raise Forbidden("The family's case is closed: nothing new can be recorded for it.")
    return header


def _address(family_id: int, assessment_ref: str) -> str:
    return f"/families/{family_id}/{SECTION}/{path_segment(assessment_ref)}"


def _name(member: Member) -> str:
    return f"{member.given_name} {member.family_name}"


def _start_context(header: FamilyHeader) -> dict[str, Any]:
    children = [m for m in header.current_members if m.role == "child"]
    return {
        **header.context(),
        "children": [(str(m.person_id), _name(m)) for m in children],
    }


async def _assessment_context(
    family_page: FamilyPageServices, header: FamilyHeader, assessment_ref: str
) -> dict[str, Any]:
    """An assessment's pages: the assessment, and the headlines of the programme's rule set
    (those its content has that the rule set no longer has, too)."""
    assessment = await assessment_of(header.family.id, assessment_ref)
    if assessment is None:
        raise NotFound(f"This family has no assessment {assessment_ref!r}.")
    headlines = await family_page.assessments.headlines_of(header.family.id)
    extra = tuple(h for h in assessment.content.headline_needs if h not in headlines)
    shown = (*headlines, *extra)
    subject = next(
        (_name(m) for m in header.members if m.person_id == assessment.subject_person_id), None
    )
    return {
        **header.context(),
        "assessment": assessment,
        "headlines": shown,
        "headline_words": {h: headline_words(h) for h in shown},
        "subject": subject,
        "late_reasons": list(LATE_REASONS.items()),
        "may_be_late": today() > assessment.due_by,
        "content_limit": CONTENT_LIMIT,
        "headline_limit": HEADLINE_LIMIT,
    }


async def _need_context(family_page: FamilyPageServices, header: FamilyHeader) -> dict[str, Any]:
    headlines = await family_page.assessments.headlines_of(header.family.id)
    return {
        **header.context(),
        "headline_options": [(h, headline_words(h)) for h in headlines],
        "people": [(str(m.person_id), _name(m)) for m in header.current_members],
    }


async def _outcome_context(header: FamilyHeader, need_ref: str) -> dict[str, Any]:
    need = await need_of(header.family.id, need_ref)
    if need is None:
        raise NotFound(f"This family has no need {need_ref!r}.")
    person = next((_name(m) for m in header.members if m.person_id == need.person_id), None)
    return {
        **header.context(),
        "need": need,
        "headline": headline_words(need.headline),
        "person": person,
        "outcomes": [("achieved", "Achieved"), ("not_achieved", "Not achieved")],
    }


SAVED.update(
    {
        "assessment_started": "The assessment was started.",
        "assessment_saved": "The draft of the assessment was saved.",
        "assessment_completed": "The assessment was completed.",
        "need": "The need was recorded.",
        "outcome": "The need's outcome was recorded.",
    }
)
