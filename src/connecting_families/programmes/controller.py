"""Programme routes (administrators create; programme managers and admins change)."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from connecting_families.access.caller import Caller
from connecting_families.access.policy import (
    ADMIN_ONLY,
    PROGRAMME_MANAGE,
    PROGRAMME_READ,
    Principal,
)
from connecting_families.audit.service import Actor
from connecting_families.hooks.host import PluginHost
from connecting_families.http_params import CodeParam, sent_fields, to_schema
from connecting_families.programmes.schemas import (
    Programme,
    ProgrammeCreate,
    ProgrammeSettings,
    ProgrammeUpdate,
)
from connecting_families.programmes.service import ProgrammeDraft, ProgrammeService, rate_target
from connecting_families.programmes.settings import ProgrammeSettingsService, settings_schema


class ProgrammeController(Controller):
    path = "/api/v1/programmes"
    tags = ["programmes"]

    @get(opt={"access": PROGRAMME_READ})
    async def list_programmes(
        self,
        programmes: NamedDependency[ProgrammeService],
        principal: NamedDependency[Principal],
    ) -> list[Programme]:
        """The programmes you work in (all of them, for an administrator).

        Args:
            programmes: The programme service.
            principal: The signed-in caller.
        """
        return to_schema(await programmes.list_programmes(principal), list[Programme])

    @post(opt={"access": ADMIN_ONLY})
    async def create_programme(
        self,
        programmes: NamedDependency[ProgrammeService],
        actor: NamedDependency[Actor],
        data: JSONBody[ProgrammeCreate],
    ) -> Programme:
        """Create a programme on one of the installed rule sets.

        Args:
            programmes: The programme service.
            actor: The caller, for the audit log.
            data: The programme.
        """
        draft = ProgrammeDraft(
            code=data.code,
            name=data.name,
            local_authority=data.local_authority,
            ruleset_id=data.ruleset_id,
            ruleset_config=data.ruleset_config,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            target_families=data.target_families,
            assessment_timescale_days=data.assessment_timescale_days,
            assessment_rate_target=rate_target(data.assessment_rate_target),
            child_population=data.child_population,
            assessment_without_consent=data.assessment_without_consent,
            contact_decision_days=data.contact_decision_days,
        )
        return to_schema(await programmes.create_programme(actor, draft), Programme)

    @get("/{code:str}", opt={"access": PROGRAMME_READ})
    async def get_programme(
        self,
        programmes: NamedDependency[ProgrammeService],
        principal: NamedDependency[Principal],
        code: CodeParam,
    ) -> Programme:
        """One programme.

        Args:
            programmes: The programme service.
            principal: The signed-in caller.
            code: The programme's code.
        """
        return to_schema(await programmes.get_programme(principal, code), Programme)

    @patch("/{code:str}", opt={"access": PROGRAMME_MANAGE})
    async def update_programme(
        self,
        programmes: NamedDependency[ProgrammeService],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        code: CodeParam,
        data: JSONBody[ProgrammeUpdate],
    ) -> Programme:
        """Change a programme's details, targets or configuration; 409 if `version` is stale.

        Args:
            programmes: The programme service.
            principal: The signed-in caller (an admin, or a manager of this programme).
            actor: The caller, for the audit log.
            code: The programme's code.
            data: The version you read and the fields you change.
        """
        updated = await programmes.update_programme(
            principal, actor, code, data.version, sent_fields(data)
        )
        return to_schema(updated, Programme)

    @get("/{code:str}/settings", opt={"access": PROGRAMME_MANAGE})
    async def get_programme_settings(
        self,
        programmes: NamedDependency[ProgrammeService],
        plugins: NamedDependency[PluginHost],
        caller: NamedDependency[Caller],
        code: CodeParam,
    ) -> ProgrammeSettings:
        """The programme's rule-set configuration in full, as its settings page shows it.

        Every setting with the programme's value and the rule set's default (`overrides` are
        what the programme changed; a `PATCH` of `ruleset_config` replaces them), the outcome
        plan as it applies (tf2015: the default plan for each headline not changed), and the
        criteria a plan may name with their parameters.

        Args:
            programmes: The programme service.
            plugins: The plugin host (the rule sets and criteria).
            caller: The signed-in caller (an admin, or a manager of this programme).
            code: The programme's code.
        """
        service = ProgrammeSettingsService(programmes, plugins)
        return settings_schema(await service.settings(caller, code))
