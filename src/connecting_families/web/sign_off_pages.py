"""Signing off an assessment, on a page that shows what is signed: the assessment's content,
its completion and why it was late, before the team manager signs it off, or sends it back to
the key worker with a reason (a page of its own). Sent back, the assessment is a draft again,
and its own page shows the key worker why (`family/assessment.html`).

The closures' sign-off works the same way (`web/team_closure_sign_off.py`).
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import FAMILY_SIGN_OFF, Principal
from connecting_families.assessments.records import assessment_of
from connecting_families.assessments.schemas import AssessmentSendBack
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError, Invalid, NotFound, field_error
from connecting_families.http_params import RecordId, RefParam
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
    whole_number,
)
from connecting_families.web.templating import headline_words, page, path_segment

SAVED.update(
    {
        "sign-off": "The assessment was signed off.",
        "assessment-sent-back": "The assessment was sent back to the key worker.",
    }
)

SEND_BACK_LABELS = {"reason": "Reason for sending it back"}
NO_REASON = "Enter a reason for sending it back"


def read_send_back(values: dict[str, str], schema: type[Any], **fixed: Any) -> Any:
    """A send-back form as the API's type; a reason left blank is asked for in the Design
    System's words."""
    if not values.get("reason"):
        raise Invalid(
            "The form was refused; see the message beside each field.",
            errors=[field_error("reason", NO_REASON)],
        )
    return read({"reason": values["reason"]}, schema, SEND_BACK_LABELS, **fixed)


async def assessment_sign_off_context(
    family_page: FamilyPageServices, header: FamilyHeader, assessment_ref: str
) -> dict[str, Any]:
    """What the sign-off pages show: the assessment, its content under the programme's
    headlines (and any its content has that the rule set no longer has), and whom it is for."""
    assessment = await assessment_of(header.family.id, assessment_ref)
    if assessment is None:
        raise NotFound(f"This family has no assessment {assessment_ref!r}.")
    headlines = await family_page.assessments.headlines_of(header.family.id)
    shown = (*headlines, *(h for h in assessment.content.headline_needs if h not in headlines))
    subject = next(
        (m.name for m in header.members if m.person_id == assessment.subject_person_id), None
    )
    base = f"/families/{header.family.id}/assessments/{path_segment(assessment_ref)}"
    return {
        **header.context(),
        "assessment": assessment,
        "headlines": shown,
        "headline_words": {h: headline_words(h) for h in shown},
        "subject": subject,
        "waiting": assessment.completed_on is not None and assessment.signed_off_at is None,
        "base": base,
    }


class AssessmentSignOffPages(Controller):
    """An assessment's sign-off page, its sign-off, and sending it back."""

    include_in_schema = False
    dependencies = {"family_page": Provide(provide_family_page, sync_to_thread=False)}

    @get(
        "/families/{family_id:int}/assessments/{assessment_ref:str}/sign-off",
        opt={"access": FAMILY_SIGN_OFF},
    )
    async def sign_off_page(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        assessment_ref: RefParam,
    ) -> Template:
        """The assessment as it would be signed off: its content and completion, with the
        buttons to sign it off or to send it back.

        Args:
            family_page: What the page reads.
            principal: The signed-in team manager.
            actor: The caller, for the audit log.
            family_id: The family.
            assessment_ref: The assessment.
        """
        header = await family_page.open(principal, actor, family_id, "assessments")
        context = await assessment_sign_off_context(family_page, header, assessment_ref)
        return page("team/assessment_sign_off.html", **context, form=Form())

    @post(
        "/families/{family_id:int}/assessments/{assessment_ref:str}/sign-off",
        opt={"access": FAMILY_SIGN_OFF, FORM_LABELS: {}},
    )
    async def sign_off_assessment(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        assessment_ref: RefParam,
    ) -> Response[Any]:
        """Sign off a completed assessment; a stale page (409) is shown again with why.

        Args:
            request: The form post: the version of the assessment that was shown.
            family_page: What the page reads, and the assessment service.
            principal: The signed-in team manager.
            actor: The caller, for the audit log.
            family_id: The family.
            assessment_ref: The assessment.
        """
        values = await form_values(request)
        version = whole_number(values.get("version")) or 0
        try:
            await family_page.assessments.sign_off(
                principal, actor, family_id, assessment_ref, version
            )
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "assessments")
            context = await assessment_sign_off_context(family_page, header, assessment_ref)
            return refused(error, {}, {}, "team/assessment_sign_off.html", **context)
        return accepted(_team(principal), "sign-off")

    @get(
        "/families/{family_id:int}/assessments/{assessment_ref:str}/send-back",
        opt={"access": FAMILY_SIGN_OFF},
    )
    async def send_back_form(
        self,
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        assessment_ref: RefParam,
    ) -> Template:
        """The form to send the assessment back to the key worker: why.

        Args:
            family_page: What the page reads.
            principal: The signed-in team manager.
            actor: The caller, for the audit log.
            family_id: The family.
            assessment_ref: The assessment.
        """
        header = await family_page.open(principal, actor, family_id, "assessments")
        context = await assessment_sign_off_context(family_page, header, assessment_ref)
        values = {"version": str(context["assessment"].version)}
        return page("team/assessment_send_back.html", **context, form=Form(values=values))

    @post(
        "/families/{family_id:int}/assessments/{assessment_ref:str}/send-back",
        opt={"access": FAMILY_SIGN_OFF, FORM_LABELS: SEND_BACK_LABELS},
    )
    async def send_back(
        self,
        request: Request[Any, Any, Any],
        family_page: NamedDependency[FamilyPageServices],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        caller: NamedDependency[Caller],
        family_id: RecordId,
        assessment_ref: RefParam,
    ) -> Response[Any]:
        """Send the assessment back to the key worker, not signed off, with a reason.

        Args:
            request: The form post: the reason, and the version that was shown.
            family_page: What the page reads, and the assessment service.
            principal: The signed-in team manager.
            actor: The caller, for the audit log.
            caller: The signed-in team manager, as the service takes them.
            family_id: The family.
            assessment_ref: The assessment.
        """
        values = await form_values(request)
        version = whole_number(values.get("version")) or 0
        try:
            data = read_send_back(values, AssessmentSendBack, version=version)
            await family_page.assessments.send_back(
                caller, family_id, assessment_ref, version=data.version, reason=data.reason
            )
        except DomainError as error:
            header = await family_page.open(principal, actor, family_id, "assessments")
            context = await assessment_sign_off_context(family_page, header, assessment_ref)
            template = "team/assessment_send_back.html"
            return refused(error, values, SEND_BACK_LABELS, template, **context)
        return accepted(_team(principal), "assessment-sent-back")


def _team(principal: Principal) -> str:
    return f"/team?team={principal.team_id}" if principal.team_id else "/team"
