"""Caseload views: a key worker's own, and a team manager's view of the team."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from connecting_families.access.policy import OWN_CASELOAD, TEAM_CASELOADS, Principal
from connecting_families.audit.service import Actor
from connecting_families.families.allocation import AllocationService
from connecting_families.families.schemas import TeamCaseloads, WorkerCaseload
from connecting_families.http_params import RecordId, to_schema


class CaseloadController(Controller):
    path = "/api/v1"
    tags = ["caseloads"]

    @get("/caseload", opt={"access": OWN_CASELOAD})
    async def get_my_caseload(
        self,
        allocations: NamedDependency[AllocationService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
    ) -> WorkerCaseload:
        """Your caseload: how many families, by status, and their open needs.

        Args:
            allocations: The allocation service.
            principal: The signed-in key worker.
            actor: The caller, for the audit log.
        """
        return to_schema(await allocations.my_caseload(principal, actor), WorkerCaseload)

    @get("/teams/{team_id:int}/caseloads", opt={"access": TEAM_CASELOADS})
    async def get_team_caseloads(
        self,
        allocations: NamedDependency[AllocationService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        team_id: RecordId,
    ) -> TeamCaseloads:
        """Each key worker of the team with their families and open needs (the weight).

        Args:
            allocations: The allocation service.
            principal: The signed-in team or programme manager.
            actor: The caller, for the audit log.
            team_id: The team.
        """
        loads = await allocations.team_caseloads(principal, actor, team_id)
        return to_schema(loads, TeamCaseloads)
