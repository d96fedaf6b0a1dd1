"""An administrator's pages for teams (create, rename, members and manager) and for creating
a programme (through the programmes' own service, as the API does)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import ADMIN_ONLY
from connecting_families.accounts import repository as repo
from connecting_families.accounts.teams import TeamService
from connecting_families.errors import DomainError
from connecting_families.hooks.host import PluginHost
from connecting_families.http_params import RecordId
from connecting_families.programmes.schemas import ProgrammeCreate
from connecting_families.programmes.service import ProgrammeDraft, ProgrammeService
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    chosen,
    form_values,
    read,
    refused,
)
from connecting_families.web.templating import page

TEAM_LABELS = {"name": "Team name", "programme": "Programme"}
MEMBER_LABELS = {"name": "Team name", "members": "Members", "manager": "Manager"}
PROGRAMME_LABELS = {
    "code": "Programme code",
    "name": "Programme name",
    "local_authority": "Local authority",
    "ruleset_id": "Rule set",
    "starts_on": "Start date",
    "ends_on": "End date",
    "target_families": "Target number of families",
}

SAVED.update(
    {
        "team-created": "The team was created.",
        "team-changed": "The team was changed.",
        "programme-created": "The programme was created.",
    }
)


async def programme_options() -> list[tuple[str, str]]:
    return [(code, f"{name} ({code})") for code, name in await repo.programme_codes()]


async def team_context(team_admin: TeamService, caller: Caller, team_id: int) -> dict[str, Any]:
    team = await team_admin.get_team(caller, team_id)
    everyone = await repo.users()
    return {
        "team": team,
        "member_options": [
            (user.username, f"{user.display_name} ({user.username})")
            for user in everyone
            if user.is_active or user.username in team.members
        ],
    }


class AdminTeamPages(Controller):
    """Teams and new programmes, for administrators."""

    include_in_schema = False

    @get("/admin/teams", opt={"access": ADMIN_ONLY})
    async def teams_page(
        self, team_admin: NamedDependency[TeamService], caller: NamedDependency[Caller]
    ) -> Template:
        """Every team, with its members and manager.

        Args:
            team_admin: The team service.
            caller: The signed-in administrator.
        """
        return page("admin/teams.html", teams=await team_admin.list_teams(caller))

    @get("/admin/teams/new", opt={"access": ADMIN_ONLY})
    async def new_team_form(self) -> Template:
        """The form for a new team."""
        return page(
            "admin/team_new.html", form=Form(), programme_options=await programme_options()
        )

    @post("/admin/teams", opt={"access": ADMIN_ONLY, FORM_LABELS: TEAM_LABELS})
    async def create_team(
        self,
        request: Request[Any, Any, Any],
        team_admin: NamedDependency[TeamService],
        caller: NamedDependency[Caller],
    ) -> Response[Any]:
        """Create the team, then go on to choose its members.

        Args:
            request: The form post.
            team_admin: The team service.
            caller: The signed-in administrator.
        """
        values = await form_values(request)
        try:
            team = await team_admin.create_team(
                caller, values.get("name", ""), values.get("programme") or None
            )
        except DomainError as error:
            options = await programme_options()
            return refused(
                error, values, TEAM_LABELS, "admin/team_new.html", programme_options=options
            )
        return accepted(f"/admin/teams/{team.id}", "team-created")

    @get("/admin/teams/{team_id:int}", opt={"access": ADMIN_ONLY})
    async def team_form(
        self,
        team_admin: NamedDependency[TeamService],
        caller: NamedDependency[Caller],
        team_id: RecordId,
    ) -> Template:
        """The team: its name, members and manager, as one form.

        Args:
            team_admin: The team service.
            caller: The signed-in administrator.
            team_id: The team.
        """
        context = await team_context(team_admin, caller, team_id)
        team = context["team"]
        values = {
            "name": team.name,
            "members": "\n".join(team.members),
            "manager": team.managers[0] if team.managers else "",
        }
        return page("admin/team.html", **context, form=Form(values=values))

    @post("/admin/teams/{team_id:int}", opt={"access": ADMIN_ONLY, FORM_LABELS: MEMBER_LABELS})
    async def update_team(
        self,
        request: Request[Any, Any, Any],
        team_admin: NamedDependency[TeamService],
        caller: NamedDependency[Caller],
        team_id: RecordId,
    ) -> Response[Any]:
        """Rename the team and set its members and manager.

        Args:
            request: The form post.
            team_admin: The team service.
            caller: The signed-in administrator.
            team_id: The team.
        """
        values = await form_values(request)
        members = chosen(values, "members")
        manager = values.get("manager") or None
        try:
            await team_admin.update_team(
                caller, team_id, name=values.get("name", ""), members=members, manager=manager
            )
        except DomainError as error:
            context = await team_context(team_admin, caller, team_id)
            return refused(error, values, MEMBER_LABELS, "admin/team.html", **context)
        return accepted(f"/admin/teams/{team_id}", "team-changed")

    @get("/admin/programmes/new", opt={"access": ADMIN_ONLY})
    async def new_programme_form(self, plugins: NamedDependency[PluginHost]) -> Template:
        """The form for a new programme.

        Args:
            plugins: The installed rule sets.
        """
        return page("admin/programme_new.html", form=Form(), rulesets=_rulesets(plugins))

    @post("/admin/programmes", opt={"access": ADMIN_ONLY, FORM_LABELS: PROGRAMME_LABELS})
    async def create_programme(
        self,
        request: Request[Any, Any, Any],
        programmes: NamedDependency[ProgrammeService],
        plugins: NamedDependency[PluginHost],
        caller: NamedDependency[Caller],
    ) -> Response[Any]:
        """Create the programme.

        Args:
            request: The form post.
            programmes: The programme service.
            plugins: The installed rule sets.
            caller: The signed-in administrator.
        """
        values = await form_values(request)
        try:
            data = read(values, ProgrammeCreate, PROGRAMME_LABELS)
            draft = ProgrammeDraft(
                code=data.code,
                name=data.name,
                local_authority=data.local_authority,
                ruleset_id=data.ruleset_id,
                starts_on=data.starts_on,
                ends_on=data.ends_on,
                target_families=data.target_families,
            )
            await programmes.create_programme(caller.actor, draft)
        except DomainError as error:
            return refused(
                error,
                values,
                PROGRAMME_LABELS,
                "admin/programme_new.html",
                rulesets=_rulesets(plugins),
            )
        return accepted("/admin", "programme-created")


def _rulesets(plugins: PluginHost) -> list[tuple[str, str]]:
    return [(ruleset_id, ruleset_id) for ruleset_id in plugins.ruleset_ids()]
