"""The outcome plan editor (tf2015): a headline's indicators and progress measures, one
headline a page, starting from the plan as it applies (the rule set's default plan where the
programme has not changed it), then "check your changes", then saved.

Without JavaScript: adding a criterion is a button that shows the form again with the new
criterion's parameters to fill in; nothing is saved until the changes are confirmed. The plan
is checked by the rule set, as the API's `PATCH` checks it, and each problem is shown beside
the parameter it is about. Only the headlines that differ from the default plan are stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

import attrs
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import PROGRAMME_MANAGE
from connecting_families.domain.rules import NAME, Criterion
from connecting_families.errors import DomainError, Invalid, NotFound, field_error
from connecting_families.http_params import CodeParam
from connecting_families.programmes.settings import (
    OUTCOME_PLAN,
    PLAN_SECTIONS,
    ProgrammeSettings,
    ProgrammeSettingsService,
)
from connecting_families.web.family_form_labels import NumberedLabels
from connecting_families.web.forms import (
    FORM_LABELS,
    SAVED,
    Form,
    accepted,
    form_values,
    refused,
    whole_number,
)
from connecting_families.web.programme_settings import SETTINGS_DEPENDENCIES, settings_path
from connecting_families.web.templating import humanise, page, path_segment

SAVED["programme-plan"] = "The outcome plan was saved."
SECTION_WORDS = {"indicators": "indicator", "progress": "progress measure"}
# `progress[0].percent` from the rule set, after `ruleset_config.outcome_plan.<headline>.`
_ITEM_FIELD = re.compile(r"^(indicators|progress)\[([0-9]+)\]\.(.+)$")
MOST_ITEMS = 20
# A rule set's headline, as its names are (`domain.rules.NAME`).
HeadlineParam = Annotated[str, PathParameter(min_length=1, max_length=64, pattern=NAME.pattern)]
PLAN_PATH = "/programmes/{code:str}/settings/outcome-plan/{headline:str}"
NOT_CHANGED = "You have not changed the plan for this headline. Change it, or go back."


@attrs.frozen
class EditorItem:
    """One criterion in the editor: its fields are `<section>-<index>-<parameter>`."""

    section: str
    index: int
    criterion: str
    description: str
    parameters: tuple[tuple[str, str], ...]

    @property
    def prefix(self) -> str:
        return f"{self.section}-{self.index}"

    @property
    def title(self) -> str:
        return f"{SECTION_WORDS[self.section].capitalize()} {self.index + 1}"


def parameter_label(section: str, index: int, parameter: str) -> str:
    return f"{humanise(parameter)} of {SECTION_WORDS[section]} {index + 1}"


def entry_values(entry: Mapping[str, Any]) -> dict[str, str]:
    """A headline's plan entry as the editor's fields."""
    values = {"progress_rule": str(entry.get("progress_rule", "all"))}
    for section in PLAN_SECTIONS:
        items = entry.get(section) or []
        values[f"{section}-count"] = str(len(items))
        for index, item in enumerate(items):
            values[f"{section}-{index}-criterion"] = str(item.get("criterion", ""))
            for name, value in item.items():
                if name != "criterion":
                    values[f"{section}-{index}-{name}"] = str(value)
    return values


def _count(values: Mapping[str, str], section: str) -> int:
    return min(whole_number(values.get(f"{section}-count")) or 0, MOST_ITEMS)


def editor_items(
    values: Mapping[str, str], criteria: Mapping[str, Criterion]
) -> dict[str, list[EditorItem]]:
    """The criteria the editor shows, by section, from its fields."""
    shown: dict[str, list[EditorItem]] = {}
    for section in PLAN_SECTIONS:
        shown[section] = []
        for index in range(_count(values, section)):
            name = values.get(f"{section}-{index}-criterion", "")
            criterion = criteria.get(name)
            description = criterion.description if criterion else name
            for parameter in criterion.parameters if criterion else ():
                typed_in = values.get(f"{section}-{index}-{parameter}") or parameter
                description = description.replace(f"`{parameter}`", typed_in)
            shown[section].append(
                EditorItem(
                    section=section,
                    index=index,
                    criterion=name,
                    description=description.replace("`", ""),
                    parameters=tuple(criterion.parameters.items()) if criterion else (),
                )
            )
    return shown


def typed(text: str) -> Any:
    """A parameter as typed: a whole number, a number, or a name (the criterion checks it)."""
    if re.fullmatch(r"-?[0-9]{1,9}", text):
        return int(text)
    if re.fullmatch(r"-?[0-9]{1,9}\.[0-9]{1,9}", text):
        return float(text)
    return text


def read_entry(
    values: Mapping[str, str], criteria: Mapping[str, Criterion]
) -> tuple[dict[str, Any], dict[str, list[int]]]:
    """The headline's plan entry the editor asks for, and for each section the editor's index
    of each criterion kept (a removed one leaves a gap)."""
    entry: dict[str, Any] = {"progress_rule": values.get("progress_rule", "")}
    kept: dict[str, list[int]] = {}
    for section, items in editor_items(values, criteria).items():
        entry[section], kept[section] = [], []
        for item in items:
            if values.get(f"{item.prefix}-remove"):
                continue
            chosen: dict[str, Any] = {"criterion": item.criterion}
            for parameter, _ in item.parameters:
                if text := values.get(f"{item.prefix}-{parameter}", ""):
                    chosen[parameter] = typed(text)
            entry[section].append(chosen)
            kept[section].append(item.index)
    return entry, kept


def editor_labels(values: Mapping[str, str], criteria: Mapping[str, Criterion]) -> dict[str, str]:
    labels = {"progress_rule": "How progress is shown"}
    for items in editor_items(values, criteria).values():
        for item in items:
            for parameter, _ in item.parameters:
                labels[f"{item.prefix}-{parameter}"] = parameter_label(
                    item.section, item.index, parameter
                )
    labels |= {
        f"add-{section}": f"The {SECTION_WORDS[section]} to add" for section in PLAN_SECTIONS
    }
    return labels


def placed(error: DomainError, headline: str, kept: dict[str, list[int]]) -> DomainError:
    """The rule set's errors about the headline's plan beside the editor's fields."""
    where = f"ruleset_config.{OUTCOME_PLAN}.{headline}."
    for problem in error.errors:
        field = str(problem.get("field", "")).removeprefix(where)
        if found := _ITEM_FIELD.match(field):
            section, number, parameter = found.groups()
            index = kept[section][int(number)] if int(number) < len(kept[section]) else 0
            field = f"{section}-{index}-{parameter}"
        problem["field"] = field
    return error


# A 403 page names the editor's fields as its labels do, without the counts and the version.
TYPED_PLAN_LABELS = NumberedLabels(
    {"progress_rule": "How progress is shown"},
    (
        (
            re.compile(r"(indicators|progress)-(\d{1,3})-(?!remove$)([a-z_]{1,64})"),
            lambda section, index, parameter: parameter_label(section, int(index), parameter),
        ),
        (
            re.compile(r"add-(indicators|progress)"),
            lambda section: f"The {SECTION_WORDS[section]} to add",
        ),
    ),
)


class OutcomePlanPages(Controller):
    """One headline of the outcome plan: the editor, the check of the changes, saving them."""

    include_in_schema = False
    dependencies = SETTINGS_DEPENDENCIES

    async def _headline(
        self, service: ProgrammeSettingsService, caller: Caller, code: str, headline: str
    ) -> tuple[ProgrammeSettings, dict[str, Any]]:
        settings = await service.settings(caller, code)
        plan = service.configuration(settings.programme).get(OUTCOME_PLAN)
        if not isinstance(plan, dict) or not isinstance(plan.get(headline), dict):
            raise NotFound("This programme's outcome plan has no such headline.")
        return settings, plan

    def _editor(
        self, service: ProgrammeSettingsService, code: str, headline: str, form: Form
    ) -> dict[str, Any]:
        criteria = service.plugins.criteria()
        return {
            "code": code,
            "headline": headline,
            "form": form,
            "items": editor_items(form.values, criteria),
            "criteria": sorted((name, humanise(name)) for name in criteria),
            "section_words": SECTION_WORDS,
        }

    def _edited(
        self,
        service: ProgrammeSettingsService,
        settings: ProgrammeSettings,
        headline: str,
        values: dict[str, str],
        action: str,
    ) -> dict[str, str]:
        """The editor's fields after `action`: the headline's default plan (`default`), or a
        criterion added to a section (`add-<section>`, the criterion chosen in its select)."""
        if action == "default":
            record = attrs.evolve(settings.programme, ruleset_config={})
            default = service.configuration(record)[OUTCOME_PLAN][headline]
            return {**entry_values(default), "version": values.get("version", "")}
        section = action.removeprefix("add-")
        if section not in PLAN_SECTIONS:
            return values
        chosen = values.pop(action, "")
        if chosen not in service.plugins.criteria():
            message = f"Select the {SECTION_WORDS[section]} to add"
            raise Invalid(message, errors=[field_error(action, message)])
        index = _count(values, section)
        return {
            **values,
            f"{section}-count": str(index + 1),
            f"{section}-{index}-criterion": chosen,
        }

    @get(PLAN_PATH, opt={"access": PROGRAMME_MANAGE})
    async def plan_form(
        self,
        programme_settings: NamedDependency[ProgrammeSettingsService],
        caller: NamedDependency[Caller],
        code: CodeParam,
        headline: HeadlineParam,
    ) -> Template:
        """The headline's indicators and progress measures, as the programme's plan has them.

        Args:
            programme_settings: The settings service.
            caller: The signed-in caller.
            code: The programme.
            headline: The headline.
        """
        settings, plan = await self._headline(programme_settings, caller, code, headline)
        values = {**entry_values(plan[headline]), "version": str(settings.programme.version)}
        context = self._editor(programme_settings, code, headline, Form(values=values))
        return page("programme/settings_plan.html", **context)

    @post(PLAN_PATH, opt={"access": PROGRAMME_MANAGE, FORM_LABELS: TYPED_PLAN_LABELS})
    async def change_plan(
        self,
        request: Request[Any, Any, Any],
        programme_settings: NamedDependency[ProgrammeSettingsService],
        caller: NamedDependency[Caller],
        code: CodeParam,
        headline: HeadlineParam,
    ) -> Response[Any]:
        """Add a criterion, start again from the default, check the changes, or save them.

        Args:
            request: The form post: the editor's fields and `action` (`add-indicators`,
                `add-progress`, `default`) or `decision` (`save`, `change`).
            programme_settings: The settings service.
            caller: The signed-in caller.
            code: The programme.
            headline: The headline.
        """
        service = programme_settings
        settings, plan = await self._headline(service, caller, code, headline)
        values = await form_values(request)
        criteria = service.plugins.criteria()
        action, decision = values.pop("action", ""), values.pop("decision", "")
        if action or decision == "change":
            try:
                values = self._edited(service, settings, headline, values, action)
            except Invalid as error:
                labels = editor_labels(values, criteria)
                context = self._editor(service, code, headline, Form(values))
                return refused(error, values, labels, "programme/settings_plan.html", **context)
            context = self._editor(service, code, headline, Form(values))
            return page("programme/settings_plan.html", **context)
        entry, kept = read_entry(values, criteria)
        whole = {**service.configuration(settings.programme)}
        whole[OUTCOME_PLAN] = {**plan, headline: entry}
        overrides = service.overrides_for(settings.programme, whole)
        changes = {"ruleset_config": overrides}
        try:
            if overrides == settings.programme.ruleset_config:
                raise Invalid(NOT_CHANGED)
            await service.check_change(caller, code, changes)
            if decision == "save":
                version = whole_number(values.get("version")) or 0
                await service.change(caller, code, version, changes)
                return accepted(settings_path(code), "programme-plan")
        except DomainError as error:
            if error.status_code == 409:
                # Changed by someone else meanwhile: sent again, the form is for the latest.
                values["version"] = str(settings.programme.version)
            return refused(
                placed(error, headline, kept),
                values,
                editor_labels(values, criteria),
                "programme/settings_plan.html",
                **self._editor(service, code, headline, Form(values)),
            )
        before = settings.headline(headline)
        after = service.described(settings.programme, overrides).headline(headline)
        return page(
            "programme/settings_confirm.html",
            code=code,
            action=settings_path(code, f"outcome-plan/{path_segment(headline)}"),
            changed=[],
            hidden=values,
            plan={"before": before, "after": after},
        )
