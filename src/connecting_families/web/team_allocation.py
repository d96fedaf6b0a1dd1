"""Allocating a family to a key worker of the team, or reallocating it: a form page of its own,
linked from the team page and from a key worker's caseload.

A reallocation asks why: the allocation service refuses one without a reason, for the API and
this page alike, and the page words that refusal as the Design System does.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from connecting_families.access.policy import FAMILY_ALLOCATE, Principal
from connecting_families.audit.service import Actor
from connecting_families.errors import DomainError, Invalid, field_error
from connecting_families.families.allocation import AllocationService
from connecting_families.families.schemas import AllocationCreate
from connecting_families.families.service import FamilyRecord, FamilyService
from connecting_families.http_params import RecordId
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

SAVED.update({"allocation": "The family was allocated."})

# The allocation form's fields as the page labels them.
ALLOCATION_LABELS = {"key_worker": "Key worker", "reason": "Reason"}
# A reallocation's reason left blank, as the Design System words it.
NO_REASON = "Enter why the family is being reallocated"


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


def worded_refusal(error: DomainError) -> DomainError:
    """The service's refusal of a reallocation without a reason, in the page's words."""
    for problem in error.errors:
        if problem.get("field") == "reason" and str(problem.get("message")).startswith(
            "must not be empty"
        ):
            problem["message"] = NO_REASON
    return error


class AllocationPages(Controller):
    """The allocation form and its post."""

    include_in_schema = False

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
        """Allocate the family to a key worker, or reallocate it (which needs a reason).

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
            error = worded_refusal(error)
            return refused(error, values, ALLOCATION_LABELS, "team_allocation.html", **context)
        target = f"/team?team={team}" if team else "/team"
        return accepted(target, "allocation")


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
