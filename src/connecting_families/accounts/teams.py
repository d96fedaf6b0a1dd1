"""Teams as administrators manage them: create, rename, members and manager.

A team's manager is a member who holds the team manager role: that pair is what the access
policy reads (a team manager sees the families of their team), so no separate column could
disagree with it. Making someone the manager puts them in the team and gives them the role.
"""

from __future__ import annotations

from collections.abc import Sequence

from connecting_families.access.caller import Caller
from connecting_families.access.policy import TEAM_MANAGER
from connecting_families.accounts import repository as repo
from connecting_families.accounts.repository import TeamSummary
from connecting_families.accounts.users import require_admin
from connecting_families.audit.service import record
from connecting_families.database.engine import AnyEngine, write_transaction
from connecting_families.errors import Conflict, Invalid, NotFound, field_error


def _name_problems(name: str) -> list[dict[str, str]]:
    if not name:
        return [field_error("name", "must not be empty")]
    if len(name) > 100:
        return [field_error("name", "must be 100 characters or fewer")]
    return []


class TeamService:
    """Teams of key workers under a team manager."""

    def __init__(self, engine: AnyEngine) -> None:
        self.engine = engine

    async def list_teams(self, caller: Caller) -> list[TeamSummary]:
        require_admin(caller)
        return await repo.teams()

    async def get_team(self, caller: Caller, team_id: int) -> TeamSummary:
        require_admin(caller)
        found = await repo.teams(team_id)
        if not found:
            raise NotFound("There is no such team.")
        return found[0]

    async def create_team(self, caller: Caller, name: str, programme: str | None) -> TeamSummary:
        require_admin(caller)
        name = name.strip()
        problems = _name_problems(name)
        known = await repo.programme_ids([programme] if programme else [])
        if programme and programme not in known:
            problems.append(field_error("programme", "Select a programme from the list"))
        if problems:
            raise Invalid("The team was not created; see errors.", errors=problems)
        async with write_transaction(self.engine):
            await self._name_free(name)
            team_id = await repo.insert_team(name, known.get(programme or ""))
            await record(caller.actor, "team.create", "team", team_id)
        return await self.get_team(caller, team_id)

    async def update_team(
        self,
        caller: Caller,
        team_id: int,
        *,
        name: str | None = None,
        members: Sequence[str] | None = None,
        manager: str | None = None,
    ) -> TeamSummary:
        """Rename the team and/or make its members exactly `members` (others leave it), with
        `manager`, one of them, given the team manager role. Every problem is named at once,
        and nothing is changed unless all is right."""
        current = await self.get_team(caller, team_id)
        problems = []
        if name is not None:
            name = name.strip()
            problems += _name_problems(name)
        known = {user.username: user.id for user in await repo.users()}
        if members is not None:
            if set(members) - set(known):
                problems.append(field_error("members", "Select members from the list"))
            if manager and manager not in members:
                problems.append(field_error("manager", "The manager must be one of the members"))
        if problems:
            raise Invalid("The team was not changed; see errors.", errors=problems)
        async with write_transaction(self.engine):
            if name is not None and name != current.name:
                await self._name_free(name)
                await repo.rename_team(team_id, name)
                await record(caller.actor, "team.rename", "team", team_id)
            if members is not None:
                await repo.move_members(team_id, [known[member] for member in members])
                if manager:
                    await repo.add_role(known[manager], TEAM_MANAGER)
                await record(
                    caller.actor,
                    "team.set_members",
                    "team",
                    team_id,
                    detail={"members": len(set(members)), "manager": manager is not None},
                )
        return await self.get_team(caller, team_id)

    async def _name_free(self, name: str) -> None:
        if await repo.team_id_of(name) is not None:
            raise Conflict(
                "A team of that name exists already.",
                errors=[field_error("name", "is already the name of another team")],
            )
