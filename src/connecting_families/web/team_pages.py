"""A team manager's pages: the team (caseloads with each key worker's overdue work, the
families waiting for a key worker, the team's families, and what waits for sign-off), and one
key worker's caseload, which opens onto their families.

Allocation is a form page of its own (`web/team_allocation.py`); each sign-off is a page that
shows what is signed, with a way to send it back (`web/sign_off_pages.py`,
`web/team_closure_sign_off.py`).
"""

from __future__ import annotations

from typing import Annotated, Any

import attrs
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter
from litestar.response import Template

from connecting_families.access.policy import TEAM_CASELOADS, TEAM_MANAGER, Principal
from connecting_families.assessments.service import AssessmentService
from connecting_families.audit.service import Actor
from connecting_families.domain.dates import today
from connecting_families.errors import NotFound
from connecting_families.families.allocation import AllocationService
from connecting_families.families.closures import ClosureService
from connecting_families.families.members import current_members_of
from connecting_families.families.service import FamilyFilters, FamilyService
from connecting_families.families.team_work import (
    LateAssessment,
    key_worker_named,
    late_assessments,
    teams_in,
)
from connecting_families.plans.service import OverdueItem, PlanService
from connecting_families.web.forms import Form
from connecting_families.web.templating import page

# A key worker's username in a path.
Username = Annotated[str, PathParameter(min_length=1, max_length=64)]


@attrs.frozen
class OverdueWork:
    """What one key worker has overdue: plan actions, plan reviews, and assessments not
    completed within their timescale."""

    actions: int = 0
    reviews: int = 0
    assessments: int = 0

    @property
    def any(self) -> bool:
        return bool(self.actions or self.reviews or self.assessments)


def overdue_by_worker(
    items: list[OverdueItem], late: list[LateAssessment]
) -> dict[str, OverdueWork]:
    """Each key worker's overdue work, counted from the plans' and the assessments'."""
    counts: dict[str, dict[str, int]] = {}
    for item in items:
        if item.key_worker:
            load = counts.setdefault(item.key_worker, {})
            kind = "actions" if item.kind == "action" else "reviews"
            load[kind] = load.get(kind, 0) + 1
    for assessment in late:
        load = counts.setdefault(assessment.key_worker, {})
        load["assessments"] = load.get("assessments", 0) + 1
    return {worker: OverdueWork(**load) for worker, load in counts.items()}


class TeamPages(Controller):
    """The team page and a key worker's caseload as their team manager sees it."""

    include_in_schema = False

    @get("/team", opt={"access": TEAM_CASELOADS})
    async def team_page(
        self,
        families: NamedDependency[FamilyService],
        allocations: NamedDependency[AllocationService],
        assessments: NamedDependency[AssessmentService],
        closures: NamedDependency[ClosureService],
        plans: NamedDependency[PlanService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        team: FromQuery[int | None] = None,
    ) -> Template:
        """The team's key workers with their caseloads and overdue work, its families, the
        families waiting for a key worker, and what waits for the team manager's sign-off.

        Args:
            families: The family service.
            allocations: The allocation service.
            assessments: The assessment service.
            closures: The closure service.
            plans: The plan service.
            principal: The signed-in team or programme manager.
            actor: The caller, for the audit log.
            team: The team (a team manager's own team when not given).
        """
        team_id = team or principal.team_id
        if team_id is None:
            return page("team.html", team=None, teams=await teams_in(principal.programme_ids))
        caseloads = await allocations.team_caseloads(principal, actor, team_id)
        team_families = await families.list_families(
            principal, actor, FamilyFilters(team_id=team_id, sort="family_ref", limit=200)
        )
        waiting = await families.list_families(
            principal, actor, FamilyFilters(unallocated=True, sort="family_ref", limit=200)
        )
        workers = [w.username for w in caseloads.workers]
        overdue = overdue_by_worker(
            await plans.overdue(principal, actor, team_id=team_id),
            await late_assessments(workers, today()),
        )
        # Only a team manager signs off; a programme manager looking at a team is not offered it.
        signs_off = TEAM_MANAGER in principal.roles
        return page(
            "team.html",
            team=caseloads,
            teams=[],
            overdue=overdue,
            team_families=team_families.families,
            unallocated=waiting.families,
            signs_off=signs_off,
            awaiting=await assessments.awaiting_sign_off(principal, actor) if signs_off else [],
            closures=await closures.awaiting_sign_off(principal, actor) if signs_off else [],
            form=Form(),
        )

    @get("/team/key-workers/{username:str}", opt={"access": TEAM_CASELOADS})
    async def worker_page(
        self,
        families: NamedDependency[FamilyService],
        allocations: NamedDependency[AllocationService],
        plans: NamedDependency[PlanService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        username: Username,
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        """One key worker's caseload: each family's people by name, its status, next review
        and overdue work (actions, reviews, assessments out of timescale), and a way to
        reallocate it.

        Args:
            families: The family service.
            allocations: The allocation service.
            plans: The plan service.
            principal: The signed-in team or programme manager.
            actor: The caller, for the audit log.
            username: The key worker.
            cursor: The next page of families.
        """
        worker = await key_worker_named(username)
        if worker is None or worker.team_id is None:
            raise NotFound("There is no such key worker in your teams.")
        # Refused (not found, audited) unless the worker's team is the caller's to see.
        team = await allocations.team_caseloads(principal, actor, worker.team_id)
        listed = await families.list_families(
            principal,
            actor,
            FamilyFilters(key_worker=username, sort="family_ref", cursor=cursor),
        )
        ids = [family.id for family in listed.families]
        on = today()
        overdue: dict[int, list[Any]] = {family_id: [] for family_id in ids}
        for item in await plans.overdue(principal, actor, key_worker=username):
            if item.family_id in overdue:
                overdue[item.family_id].append(item)
        late: dict[int, list[LateAssessment]] = {family_id: [] for family_id in ids}
        for assessment in await late_assessments([username], on, ids):
            late[assessment.family_id].append(assessment)
        reviews = await plans.next_reviews(principal, actor, ids)
        members = await current_members_of(ids)
        rows = [
            {
                "family": family,
                "members": members[family.id],
                "next_review": reviews.get(family.id),
                "overdue": sorted(overdue[family.id], key=lambda item: item.due_on),
                "late": late[family.id],
            }
            for family in listed.families
        ]
        load = next((w for w in team.workers if w.username == username), None)
        return page(
            "team/worker.html",
            worker=worker,
            load=load,
            team=team,
            rows=rows,
            today=on,
            next_cursor=listed.next_cursor,
        )
