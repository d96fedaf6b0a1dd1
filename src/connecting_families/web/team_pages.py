"""A team manager's pages: the team's caseloads, allocation, and the sign-off queue.

Allocation is a form page of its own, linked from the team page; the sign-offs are buttons
on the team page, which a refusal (a stale version, 409) shows again with the reason on top.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from connecting_families.access.policy import (
    FAMILY_ALLOCATE,
    FAMILY_SIGN_OFF,
    TEAM_CASELOADS,
    TEAM_MANAGER,
    Principal,
)
from connecting_families.accounts.tables import Team
from connecting_families.assessments.service import AssessmentService
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError, Invalid, field_error
from connecting_families.families.allocation import AllocationService
from connecting_families.families.closures import ClosureService
from connecting_families.families.schemas import AllocationCreate
from connecting_families.families.service import FamilyFilters, FamilyRecord, FamilyService
from connecting_families.http_params import RecordId, RefParam
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
from connecting_families.web.templating import page

SAVED.update(
    {
        "allocation": "The family was allocated.",
        "sign-off": "The assessment was signed off.",
        "closure": "The closure was signed off.",
    }
)


# The allocation form's fields as the team page labels them.
ALLOCATION_LABELS = {"key_worker": "Key worker", "reason": "Reason"}


def read_allocation(values: dict[str, str]) -> AllocationCreate:
    """The allocation form as the API's type; a key worker not chosen is "Select …", as the
    Design System words a select left blank, beside any other field that is wrong."""
    problems = []
    if not values.get("key_worker"):
        problems.append(field_error("key_worker", "Select a key worker"))
    fields = {name: values.get(name, "") for name in ALLOCATION_LABELS}
    try:
        data = read(
            {**fields, "key_worker": fields["key_worker"] or "-"},
            AllocationCreate,
            ALLOCATION_LABELS,
        )
    except Invalid as error:
        problems += error.errors
    if problems:
        raise Invalid("The form was refused; see the message beside each field.", errors=problems)
    return data


class TeamPages(Controller):
    """The team page and the two things a team manager does from it."""

    include_in_schema = False

    @get("/team", opt={"access": TEAM_CASELOADS})
    async def team_page(
        self,
        families: NamedDependency[FamilyService],
        allocations: NamedDependency[AllocationService],
        assessments: NamedDependency[AssessmentService],
        closures: NamedDependency[ClosureService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        team: FromQuery[int | None] = None,
    ) -> Template:
        """The team's key workers and their caseloads, its families, the families waiting
        for a key worker, and the assessments waiting for sign-off.

        Args:
            families: The family service.
            allocations: The allocation service.
            assessments: The assessment service.
            closures: The closure service.
            principal: The signed-in team or programme manager.
            actor: The caller, for the audit log.
            team: The team (a team manager's own team when not given).
        """
        context = await team_context(
            families,
            allocations,
            assessments,
            closures,
            principal,
            actor,
            team or principal.team_id,
        )
        return page("team.html", **context, form=Form())

    @get("/families/{family_id:int}/allocation/new", opt={"access": FAMILY_ALLOCATE})
    async def allocation_form(
        self,
        families: NamedDependency[FamilyService],
        allocations: NamedDependency[AllocationService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        team: FromQuery[int | None] = None,
    ) -> Template:
        """The form to allocate a family to a key worker of the team, or to reallocate it.

        Args:
            families: The family service.
            allocations: The allocation service.
            principal: The signed-in manager.
            actor: The caller, for the audit log.
            family_id: The family.
            team: The team whose key workers are offered (the manager's own when not given).
        """
        context = await allocation_context(
            families, allocations, principal, actor, family_id, team or principal.team_id
        )
        family: FamilyRecord = context["family"]
        return page(
            "team_allocation.html",
            **context,
            form=Form(values={"key_worker": family.key_worker or ""}),
        )

    @post(
        "/families/{family_id:int}/allocation",
        opt={"access": FAMILY_ALLOCATE, FORM_LABELS: ALLOCATION_LABELS},
    )
    async def allocate(
        self,
        request: Request[Any, Any, Any],
        families: NamedDependency[FamilyService],
        allocations: NamedDependency[AllocationService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
    ) -> Response[Any]:
        """Allocate the family to a key worker (or reallocate it), with a reason.

        Args:
            request: The form post: key_worker, reason and the team shown.
            families: The family service.
            allocations: The allocation service.
            principal: The signed-in manager.
            actor: The caller, for the audit log.
            family_id: The family.
        """
        values = await form_values(request)
        team = whole_number(values.get("team")) or principal.team_id
        try:
            data = read_allocation(values)
            await allocations.allocate(principal, actor, family_id, data.key_worker, data.reason)
        except DomainError as error:
            context = await allocation_context(
                families, allocations, principal, actor, family_id, team
            )
            return refused(error, values, ALLOCATION_LABELS, "team_allocation.html", **context)
        return accepted(_team_address(team), "allocation")

    @post(
        "/families/{family_id:int}/assessments/{assessment_ref:str}/sign-off",
        opt={"access": FAMILY_SIGN_OFF, FORM_LABELS: {}},
    )
    async def sign_off_assessment(
        self,
        request: Request[Any, Any, Any],
        families: NamedDependency[FamilyService],
        allocations: NamedDependency[AllocationService],
        assessments: NamedDependency[AssessmentService],
        closures: NamedDependency[ClosureService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        assessment_ref: RefParam,
    ) -> Response[Any]:
        """Sign off a completed assessment.

        Args:
            request: The form post: the version of the assessment that was shown.
            families: The family service.
            allocations: The allocation service.
            assessments: The assessment service.
            closures: The closure service.
            principal: The signed-in team manager.
            actor: The caller, for the audit log.
            family_id: The family.
            assessment_ref: The assessment.
        """
        values = await form_values(request)
        version = whole_number(values.get("version")) or 0
        try:
            await assessments.sign_off(principal, actor, family_id, assessment_ref, version)
        except DomainError as error:
            context = await team_context(
                families, allocations, assessments, closures, principal, actor, principal.team_id
            )
            return refused(error, {}, {}, "team.html", **context)
        return accepted(_team_address(principal.team_id), "sign-off")

    @post(
        "/families/{family_id:int}/closures/{closure_id:int}/sign-off",
        opt={"access": FAMILY_SIGN_OFF, FORM_LABELS: {}},
    )
    async def sign_off_closure(
        self,
        families: NamedDependency[FamilyService],
        allocations: NamedDependency[AllocationService],
        assessments: NamedDependency[AssessmentService],
        closures: NamedDependency[ClosureService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        family_id: RecordId,
        closure_id: RecordId,
    ) -> Response[Any]:
        """Sign off a family's closure.

        Args:
            families: The family service.
            allocations: The allocation service.
            assessments: The assessment service.
            closures: The closure service.
            principal: The signed-in team manager.
            actor: The caller, for the audit log.
            family_id: The family.
            closure_id: The closure.
        """
        try:
            await closures.sign_off(principal, actor, family_id, closure_id)
        except DomainError as error:
            context = await team_context(
                families, allocations, assessments, closures, principal, actor, principal.team_id
            )
            return refused(error, {}, {}, "team.html", **context)
        return accepted(_team_address(principal.team_id), "closure")


def _team_address(team: int | None) -> str:
    return f"/team?team={team}" if team else "/team"


async def allocation_context(
    families: FamilyService,
    allocations: AllocationService,
    principal: Principal,
    actor: Actor,
    family_id: int,
    team_id: int | None,
) -> dict[str, Any]:
    """The allocation form's page: the family (read through its scope check, audited) and
    the team's key workers to choose from."""
    family = await families.get_family(principal, actor, family_id)
    workers: list[tuple[str, str]] = []
    if team_id is not None:
        caseloads = await allocations.team_caseloads(principal, actor, team_id)
        workers = [(w.username, w.display_name) for w in caseloads.workers]
    return {"family": family, "team_id": team_id, "workers": workers}


async def team_context(
    families: FamilyService,
    allocations: AllocationService,
    assessments: AssessmentService,
    closures: ClosureService,
    principal: Principal,
    actor: Actor,
    team_id: int | None,
) -> dict[str, Any]:
    """What the team page shows; without a team, the teams the caller may choose from."""
    if team_id is None:
        teams = await Team.select(Team.id, Team.name).where(
            Team.programme.is_in(sorted(principal.programme_ids) or [0])
        )
        return {"team": None, "teams": teams}
    caseloads = await allocations.team_caseloads(principal, actor, team_id)
    team_families = await families.list_families(
        principal, actor, FamilyFilters(team_id=team_id, sort="family_ref", limit=200)
    )
    waiting = await families.list_families(
        principal, actor, FamilyFilters(unallocated=True, sort="family_ref", limit=200)
    )
    # Only a team manager signs off; a programme manager looking at a team is not offered it.
    signs_off = TEAM_MANAGER in principal.roles
    return {
        "team": caseloads,
        "teams": [],
        "workers": [(w.username, w.display_name) for w in caseloads.workers],
        "team_families": team_families.families,
        "unallocated": waiting.families,
        "signs_off": signs_off,
        "awaiting": await assessments.awaiting_sign_off(principal, actor) if signs_off else [],
        "closures": await closures.awaiting_sign_off(principal, actor) if signs_off else [],
    }
