"""Assessment and need routes of one family."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from connecting_families.access.caller import Caller
from connecting_families.access.policy import FAMILY_READ, FAMILY_SIGN_OFF, FAMILY_WRITE, Principal
from connecting_families.assessments.records import AssessmentContent
from connecting_families.assessments.schemas import (
    Assessment,
    AssessmentCompletion,
    AssessmentContentUpdate,
    AssessmentCreate,
    AssessmentSendBack,
    AssessmentSignOff,
    Need,
    NeedCreate,
    NeedOutcome,
)
from connecting_families.assessments.service import AssessmentService
from connecting_families.audit.service import Actor
from connecting_families.http_params import RecordId, RefParam, to_schema


class AssessmentController(Controller):
    path = "/api/v1/families/{family_id:int}"
    tags = ["assessments"]

    @get("/assessments", opt={"access": FAMILY_READ})
    async def list_assessments(
        self,
        assessments: NamedDependency[AssessmentService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> list[Assessment]:
        """The family's assessments, with when each is due and whether it was on time.

        Args:
            assessments: The assessment service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await assessments.list_assessments(principal, actor, family_id)
        return to_schema(values, list[Assessment])

    @post("/assessments", opt={"access": FAMILY_WRITE})
    async def start_assessment(
        self,
        assessments: NamedDependency[AssessmentService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        data: JSONBody[AssessmentCreate],
    ) -> Assessment:
        """Start an early help assessment (CAF/EHA).

        Args:
            assessments: The assessment service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            data: When it started, who leads it, and for whom.
        """
        value = await assessments.start(
            principal,
            actor,
            family_id,
            started_on=data.started_on,
            assessment_ref=data.assessment_ref,
            subject_person_id=data.subject_person_id,
            lead_professional=data.lead_professional,
            agency=data.agency,
        )
        return to_schema(value, Assessment)

    @put("/assessments/{assessment_ref:str}/content", opt={"access": FAMILY_WRITE})
    async def save_assessment_content(
        self,
        assessments: NamedDependency[AssessmentService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        assessment_ref: RefParam,
        data: JSONBody[AssessmentContentUpdate],
    ) -> Assessment:
        """Save an assessment's content as a draft (as often as needed until it is complete).

        Args:
            assessments: The assessment service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            assessment_ref: The assessment.
            data: Its version and the whole content (a part left out is saved blank).
        """
        value = await assessments.save_content(
            principal,
            actor,
            family_id,
            assessment_ref,
            version=data.version,
            content=AssessmentContent(
                family_view=data.family_view,
                strengths=data.strengths,
                headline_needs=dict(data.headline_needs),
                child_voice=data.child_voice,
                analysis=data.analysis,
            ),
        )
        return to_schema(value, Assessment)

    @post(
        "/assessments/{assessment_ref:str}/complete", opt={"access": FAMILY_WRITE}, status_code=200
    )
    async def complete_assessment(
        self,
        assessments: NamedDependency[AssessmentService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        assessment_ref: RefParam,
        data: JSONBody[AssessmentCompletion],
    ) -> Assessment:
        """Complete an assessment; a late one needs `late_reason_code` (and, for "other",
        `late_reason`).

        Args:
            assessments: The assessment service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            assessment_ref: The assessment.
            data: Its version, the completion date and, when late, why.
        """
        value = await assessments.complete(
            principal,
            actor,
            family_id,
            assessment_ref,
            version=data.version,
            completed_on=data.completed_on,
            late_reason=data.late_reason,
            no_consent_reason=data.no_consent_reason,
            late_reason_code=data.late_reason_code,
        )
        return to_schema(value, Assessment)

    @post(
        "/assessments/{assessment_ref:str}/sign-off",
        opt={"access": FAMILY_SIGN_OFF},
        status_code=200,
    )
    async def sign_off_assessment(
        self,
        assessments: NamedDependency[AssessmentService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        assessment_ref: RefParam,
        data: JSONBody[AssessmentSignOff],
    ) -> Assessment:
        """A team manager signs off a completed assessment.

        Args:
            assessments: The assessment service.
            principal: The signed-in team manager.
            actor: The caller, for the audit log.
            family_id: The family.
            assessment_ref: The assessment.
            data: Its version.
        """
        value = await assessments.sign_off(
            principal, actor, family_id, assessment_ref, data.version
        )
        return to_schema(value, Assessment)

    @post(
        "/assessments/{assessment_ref:str}/send-back",
        opt={"access": FAMILY_SIGN_OFF},
        status_code=200,
    )
    async def send_back_assessment(
        self,
        assessments: NamedDependency[AssessmentService],
        caller: NamedDependency[Caller],
        family_id: RecordId,
        assessment_ref: RefParam,
        data: JSONBody[AssessmentSendBack],
    ) -> Assessment:
        """A team manager sends a completed assessment back to the key worker, not signed off,
        with a reason; it is a draft again. 409 if it is signed off, or not completed.

        Args:
            assessments: The assessment service.
            caller: The signed-in team manager.
            family_id: The family.
            assessment_ref: The assessment.
            data: Its version, and why it goes back.
        """
        value = await assessments.send_back(
            caller, family_id, assessment_ref, version=data.version, reason=data.reason
        )
        return to_schema(value, Assessment)

    @get("/needs", opt={"access": FAMILY_READ})
    async def list_needs(
        self,
        assessments: NamedDependency[AssessmentService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> list[Need]:
        """The family's needs and their outcomes.

        Args:
            assessments: The assessment service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        return to_schema(await assessments.list_needs(principal, actor, family_id), list[Need])

    @post("/needs", opt={"access": FAMILY_WRITE})
    async def add_need(
        self,
        assessments: NamedDependency[AssessmentService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        data: JSONBody[NeedCreate],
    ) -> Need:
        """Record a need under one of the programme's headline problems or outcomes.

        Args:
            assessments: The assessment service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            data: The need.
        """
        value = await assessments.add_need(
            principal,
            actor,
            family_id,
            headline=data.headline,
            identified_on=data.identified_on,
            need_ref=data.need_ref,
            person_id=data.person_id,
            evidence=data.evidence,
        )
        return to_schema(value, Need)

    @post("/needs/{need_ref:str}/outcome", opt={"access": FAMILY_WRITE}, status_code=200)
    async def record_need_outcome(
        self,
        assessments: NamedDependency[AssessmentService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        need_ref: RefParam,
        data: JSONBody[NeedOutcome],
    ) -> Need:
        """Record whether the need's outcome was achieved, and when.

        Args:
            assessments: The assessment service.
            principal: The signed-in caller.
            actor: The caller, for the audit log.
            family_id: The family.
            need_ref: The need.
            data: Its version, the outcome and its date.
        """
        value = await assessments.record_outcome(
            principal,
            actor,
            family_id,
            need_ref,
            version=data.version,
            outcome=data.outcome,
            outcome_on=data.outcome_on,
        )
        return to_schema(value, Need)
