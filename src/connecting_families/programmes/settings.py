"""A programme's settings as a programme manager reads them: its figures, and its rule set's
configuration in full (every setting with its default, not only the programme's overrides),
with the descriptions and parameters of the criteria an outcome plan may name.

Changes go through `ProgrammeService.update_programme`, as the API's do, so the pages and the
API check a change in the same way; this module adds what a page needs around it: a change
checked without being saved (for "check your answers"), and the overrides a whole
configuration comes to (only what differs from the rule set's defaults is stored, so a later
default is not hidden by a copy of the old one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from connecting_families.access.caller import Caller
from connecting_families.domain.rules import RuleSet
from connecting_families.errors import Invalid, Unavailable
from connecting_families.hooks.host import PluginHost
from connecting_families.programmes import schemas
from connecting_families.programmes.service import ProgrammeRecord, ProgrammeService

# The setting of a rule set that holds an outcome plan (tf2015's), edited on its own pages.
OUTCOME_PLAN = "outcome_plan"
PLAN_SECTIONS = ("indicators", "progress")


@attrs.frozen
class Setting:
    """One setting of the rule set: the programme's value, and the rule set's default."""

    name: str
    label: str
    description: str
    value: Any
    default: Any

    @property
    def changed(self) -> bool:
        return bool(self.value != self.default)

    @property
    def editable(self) -> bool:
        """A single number or amount, changed on the rule set's page (a table or a plan is
        shown, and a plan changed on its own pages)."""
        return isinstance(self.default, int | float | str) and not isinstance(self.default, bool)


@attrs.frozen
class PlanItem:
    """One criterion of an outcome plan's headline, with the parameters the plan gives it."""

    criterion: str
    description: str
    parameters: tuple[tuple[str, Any], ...]

    @property
    def text(self) -> str:
        """The criterion's description with the plan's parameters in it: "offences in the
        latest window fell 33% from before attachment"; its name when it has none."""
        text = self.description or self.criterion.replace("_", " ")
        for name, value in self.parameters:
            text = text.replace(f"`{name}`", str(value))
        return text[:1].upper() + text[1:]


@attrs.frozen
class PlanHeadline:
    """A headline of the outcome plan: what identifies it, and what shows progress."""

    headline: str
    indicators: tuple[PlanItem, ...]
    progress: tuple[PlanItem, ...]
    progress_rule: str
    changed: bool


@attrs.frozen
class CriterionInfo:
    """A registered criterion an outcome plan may name: what it tests and its parameters."""

    name: str
    description: str
    parameters: tuple[tuple[str, str], ...]


@attrs.frozen
class ProgrammeSettings:
    """Everything the settings pages show of one programme."""

    programme: ProgrammeRecord
    ruleset_key: str
    ruleset_name: str
    headlines: tuple[str, ...]
    routes: tuple[str, ...]
    settings: tuple[Setting, ...]
    outcome_plan: tuple[PlanHeadline, ...]
    criteria: tuple[CriterionInfo, ...]

    @property
    def has_outcome_plan(self) -> bool:
        return bool(self.outcome_plan)

    def setting(self, name: str) -> Setting:
        return next(s for s in self.settings if s.name == name)

    def headline(self, headline: str) -> PlanHeadline | None:
        return next((h for h in self.outcome_plan if h.headline == headline), None)


def settings_schema(settings: ProgrammeSettings) -> schemas.ProgrammeSettings:
    """The settings as the API answers them."""

    def item(i: PlanItem) -> schemas.PlanItem:
        return schemas.PlanItem(i.criterion, i.description, dict(i.parameters))

    return schemas.ProgrammeSettings(
        code=settings.programme.code,
        version=settings.programme.version,
        ruleset=settings.ruleset_key,
        ruleset_name=settings.ruleset_name,
        overrides=settings.programme.ruleset_config,
        settings=[
            schemas.RuleSetSetting(s.name, s.label, s.description, s.value, s.default, s.changed)
            for s in settings.settings
        ],
        outcome_plan=[
            schemas.PlanHeadline(
                h.headline,
                [item(i) for i in h.indicators],
                [item(i) for i in h.progress],
                h.progress_rule,
                h.changed,
            )
            for h in settings.outcome_plan
        ],
        criteria=[
            schemas.CriterionInfo(c.name, c.description, dict(c.parameters))
            for c in settings.criteria
        ],
    )


def overrides_of(defaults: Mapping[str, Any], configuration: Mapping[str, Any]) -> dict[str, Any]:
    """The overrides that `configuration` (a whole one) comes to: each setting that differs
    from its default, and of an outcome plan only the headlines that differ (a rule set that
    merges its plan, as tf2015's does, fills the others in again from its defaults)."""
    overrides: dict[str, Any] = {}
    for name, value in configuration.items():
        default = defaults.get(name)
        if value == default:
            continue
        if name == OUTCOME_PLAN and isinstance(value, dict) and isinstance(default, dict):
            value = {h: entry for h, entry in value.items() if entry != default.get(h)}
        overrides[name] = value
    return overrides


def changed_settings(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The names of the settings (and `outcome_plan.<headline>`s) that differ."""
    names = []
    for name in sorted({*before, *after}):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and name == OUTCOME_PLAN:
            names += [f"{name}.{h}" for h in sorted({*old, *new}) if old.get(h) != new.get(h)]
        else:
            names.append(name)
    return names


class ProgrammeSettingsService:
    """The settings pages' and the settings API's reads, and their checked changes."""

    def __init__(self, programmes: ProgrammeService, plugins: PluginHost) -> None:
        self.programmes = programmes
        self.plugins = plugins

    def _ruleset(self, record: ProgrammeRecord) -> RuleSet:
        ruleset = self.plugins.ruleset(record.ruleset_id)
        if ruleset is None:
            raise Unavailable(
                f"The rule set {record.ruleset_id!r} is not installed (or its plugin is disabled)."
            )
        return ruleset

    async def settings(self, caller: Caller, code: str) -> ProgrammeSettings:
        """The programme's settings in full; `NotFound` for a programme not the caller's."""
        record = await self.programmes.get_programme(caller.principal, code)
        return self.described(record)

    def described(
        self, record: ProgrammeRecord, overrides: Mapping[str, Any] | None = None
    ) -> ProgrammeSettings:
        """`record`'s settings, or as they would be with `overrides` instead of its own."""
        ruleset = self._ruleset(record)
        own = record.ruleset_config if overrides is None else overrides
        config = ruleset.configuration(own)
        labels, words = ruleset.setting_labels, ruleset.setting_descriptions
        settings = tuple(
            Setting(
                name,
                labels.get(name) or name.replace("_", " ").capitalize(),
                words.get(name, ""),
                config.get(name),
                default,
            )
            for name, default in ruleset.defaults.items()
        )
        criteria = self.plugins.criteria()
        plan = config.get(OUTCOME_PLAN)
        default_plan = ruleset.defaults.get(OUTCOME_PLAN)
        headlines: list[PlanHeadline] = []
        if isinstance(plan, dict) and isinstance(default_plan, dict):
            # In the rule set's order of its headlines, whatever order the programme named them.
            order = {h: n for n, h in enumerate(ruleset.headlines)}
            for headline, entry in sorted(plan.items(), key=lambda i: order.get(i[0], len(order))):
                if not isinstance(entry, dict):
                    continue
                items = {
                    section: tuple(_plan_item(i, criteria) for i in entry.get(section) or [])
                    for section in PLAN_SECTIONS
                }
                headlines.append(
                    PlanHeadline(
                        headline=headline,
                        indicators=items["indicators"],
                        progress=items["progress"],
                        progress_rule=str(entry.get("progress_rule", "all")),
                        changed=entry != default_plan.get(headline),
                    )
                )
        return ProgrammeSettings(
            programme=record,
            ruleset_key=ruleset.key,
            ruleset_name=ruleset.name,
            headlines=ruleset.headlines,
            routes=ruleset.routes,
            settings=settings,
            outcome_plan=tuple(headlines),
            criteria=tuple(
                CriterionInfo(c.name, c.description, tuple(c.parameters.items()))
                for _, c in sorted(criteria.items())
            )
            if headlines
            else (),
        )

    def configuration(self, record: ProgrammeRecord) -> dict[str, Any]:
        """The programme's whole configuration: the rule set's defaults with its overrides."""
        return self._ruleset(record).configuration(record.ruleset_config)

    def overrides_for(
        self, record: ProgrammeRecord, configuration: Mapping[str, Any]
    ) -> dict[str, Any]:
        """What to store for `record` to be configured as `configuration` (a whole one)."""
        return overrides_of(self._ruleset(record).defaults, configuration)

    async def check_change(self, caller: Caller, code: str, changes: dict[str, Any]) -> None:
        """`Invalid`, naming each field, if `changes` would be refused; nothing is saved."""
        await self.programmes.check_change(caller.principal, code, changes)

    async def change(
        self, caller: Caller, code: str, version: int, changes: dict[str, Any]
    ) -> ProgrammeRecord:
        """Save `changes`, as `PATCH /api/v1/programmes/{code}` does (and audited so)."""
        if caller.principal is None:
            raise Invalid("Programme settings are changed by a signed-in user.")
        return await self.programmes.update_programme(
            caller.principal, caller.actor, code, version, changes
        )


def _plan_item(item: Any, criteria: Mapping[str, Any]) -> PlanItem:
    if not isinstance(item, dict):
        return PlanItem(str(item), "", ())
    name = str(item.get("criterion", ""))
    criterion = criteria.get(name)
    return PlanItem(
        criterion=name,
        description=criterion.description if criterion else "",
        parameters=tuple((k, v) for k, v in item.items() if k != "criterion"),
    )
