"""A programme's settings pages: the settings in full, and the programme's figures (target
families, the assessment timescale and rate target, the child population by year).

For a programme manager of the programme, and an administrator (`PROGRAMME_MANAGE`): the
settings hold no family data. The rule set's settings are in `programme_settings_rules`, and
tf2015's outcome plan in `programme_settings_plan`. Every change goes through the service the
API's `PATCH /api/v1/programmes/{code}` uses, read into the API's own type, so both refuse the
same things; the page names each field by its label, all at once.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import PROGRAMME_MANAGE
from connecting_families.errors import DomainError, Invalid, field_error
from connecting_families.hooks.host import PluginHost
from connecting_families.http_params import CodeParam, sent_fields
from connecting_families.programmes.schemas import Children, ProgrammeUpdate
from connecting_families.programmes.service import ProgrammeRecord, ProgrammeService
from connecting_families.programmes.settings import ProgrammeSettingsService
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
from connecting_families.web.programme_pages import abilities
from connecting_families.web.templating import page, path_segment

FIGURES_LABELS = {
    "target_families": "Target number of families",
    "assessment_timescale_days": "Assessment timescale",
    "contact_decision_days": "Contact decision timescale",
    "assessment_rate_target": "Target rate of assessments",
    "population_year": "Year to add",
    "population_children": "Children in the year to add",
}
# The programme's own figures come first in FIGURES_LABELS, the year to add after them.
OWN_FIELDS = 4
# A programme's years shown for their child population: at most this many (a programme with
# no end date shows the years recorded, and its first year).
MOST_YEARS = 30

SAVED["programme-figures"] = "The programme's figures were saved."


def provide_programme_settings(
    programmes: NamedDependency[ProgrammeService], plugins: NamedDependency[PluginHost]
) -> ProgrammeSettingsService:
    return ProgrammeSettingsService(programmes, plugins)


SETTINGS_DEPENDENCIES = {
    "programme_settings": Provide(provide_programme_settings, sync_to_thread=False)
}


def settings_path(code: str, part: str = "") -> str:
    return f"/programmes/{path_segment(code)}/settings{'/' + part if part else ''}"


def population_years(programme: ProgrammeRecord) -> list[str]:
    """The years whose child population the figures page asks for: those recorded, and each
    year the programme runs."""
    years = set(programme.child_population)
    if programme.starts_on:
        last = programme.ends_on.year if programme.ends_on else programme.starts_on.year
        first = programme.starts_on.year
        years |= {str(year) for year in range(first, min(last, first + MOST_YEARS - 1) + 1)}
    return sorted(years)


def children_label(year: str) -> str:
    return f"Children aged 0 to 17 in {year}"


def figures_labels(programme: ProgrammeRecord) -> dict[str, str]:
    """The figures form's labels, in its order: the years' fields between the rate and the
    year to add."""
    labels = dict(list(FIGURES_LABELS.items())[:OWN_FIELDS])
    labels.update({f"children-{y}": children_label(y) for y in population_years(programme)})
    labels.update(dict(list(FIGURES_LABELS.items())[OWN_FIELDS:]))
    return labels


def _number(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def figures_values(programme: ProgrammeRecord) -> dict[str, str]:
    values = {
        "version": str(programme.version),
        "target_families": _number(programme.target_families),
        "assessment_timescale_days": str(programme.assessment_timescale_days),
        "contact_decision_days": str(programme.contact_decision_days),
        "assessment_rate_target": _number(programme.assessment_rate_target),
    }
    for year in population_years(programme):
        values[f"children-{year}"] = _number(programme.child_population.get(year))
    return values


class YearsChildren(msgspec.Struct, forbid_unknown_fields=True):
    """One year's child population as the API takes it (`programmes.schemas.Population`)."""

    children: Children


def read_figures(values: dict[str, str], programme: ProgrammeRecord) -> ProgrammeUpdate:
    """The figures form as the API's `ProgrammeUpdate`; `Invalid` naming every wrong field.

    A blank target is no target; a year's blank population is left as it is (none recorded)."""
    labels = figures_labels(programme)
    problems: list[dict[str, Any]] = []
    population: dict[str, int] = {}
    years = {name: name.removeprefix("children-") for name in labels if name[:9] == "children-"}
    for name, year in years.items():
        if values.get(name):
            try:
                population[year] = read(
                    {"children": values[name]}, YearsChildren, {"children": labels[name]}
                ).children
            except Invalid as error:
                problems += [field_error(name, p["message"]) for p in error.errors]
    added_year, added = values.get("population_year", ""), values.get("population_children", "")
    if added_year or added:
        if not (added_year.isascii() and added_year.isdigit() and len(added_year) == 4):
            problems.append(
                field_error("population_year", "Year to add must be a year, like 2027")
            )
        try:
            count = read(
                {"children": added}, YearsChildren, {"children": labels["population_children"]}
            ).children
        except Invalid as error:
            problems += [field_error("population_children", p["message"]) for p in error.errors]
        else:
            population[added_year] = count
    fixed: dict[str, Any] = {"version": whole_number(values.get("version")) or 0}
    for optional in ("target_families", "assessment_rate_target"):
        if not values.get(optional):
            fixed[optional] = None  # blank: no target
    if population:
        fixed["child_population"] = population
    if not values.get("assessment_timescale_days"):
        # The API leaves it out to keep it as it is; the form always shows one.
        problems.append(field_error("assessment_timescale_days", "Enter assessment timescale"))
    if not values.get("contact_decision_days"):
        problems.append(field_error("contact_decision_days", "Enter contact decision timescale"))
    wanted = {name: values.get(name, "") for name in list(FIGURES_LABELS)[:OWN_FIELDS]}
    try:
        data = read(wanted, ProgrammeUpdate, labels, **fixed)
    except Invalid as error:
        problems = [*error.errors, *problems]
    else:
        if not problems:
            return data
    order = {name: index for index, name in enumerate(labels)}
    problems.sort(key=lambda p: order.get(str(p.get("field")), len(order)))
    raise Invalid("The form was refused; see the message beside each field.", errors=problems)


def placed(error: DomainError, added_year: str) -> DomainError:
    """The service's errors about a year's population, beside that year's field."""
    for problem in error.errors:
        field = str(problem.get("field", ""))
        if field.startswith("child_population."):
            year = field.removeprefix("child_population.")
            problem["field"] = "population_year" if year == added_year else f"children-{year}"
    return error


class ProgrammeSettingsPages(Controller):
    """The settings in full, and the figures."""

    include_in_schema = False
    dependencies = SETTINGS_DEPENDENCIES

    @get("/programmes/{code:str}/settings", opt={"access": PROGRAMME_MANAGE})
    async def settings_page(
        self,
        programme_settings: NamedDependency[ProgrammeSettingsService],
        caller: NamedDependency[Caller],
        code: CodeParam,
    ) -> Template:
        """The programme's figures and its rule set's settings in full, with their defaults.

        Args:
            programme_settings: The settings service.
            caller: The signed-in caller.
            code: The programme.
        """
        settings = await programme_settings.settings(caller, code)
        assert caller.principal is not None
        return page(
            "programme/settings.html",
            code=code,
            can=abilities(caller.principal),
            settings=settings,
            programme=settings.programme,
            years=population_years(settings.programme),
        )

    @get("/programmes/{code:str}/settings/figures", opt={"access": PROGRAMME_MANAGE})
    async def figures_form(
        self,
        programme_settings: NamedDependency[ProgrammeSettingsService],
        caller: NamedDependency[Caller],
        code: CodeParam,
    ) -> Template:
        """The form to change the programme's target, timescale, rate target and population.

        Args:
            programme_settings: The settings service.
            caller: The signed-in caller.
            code: The programme.
        """
        settings = await programme_settings.settings(caller, code)
        programme = settings.programme
        return page(
            "programme/settings_figures.html",
            code=code,
            programme=programme,
            years=population_years(programme),
            form=Form(values=figures_values(programme)),
        )

    @post(
        "/programmes/{code:str}/settings/figures",
        opt={"access": PROGRAMME_MANAGE, FORM_LABELS: FIGURES_LABELS},
    )
    async def change_figures(
        self,
        request: Request[Any, Any, Any],
        programme_settings: NamedDependency[ProgrammeSettingsService],
        caller: NamedDependency[Caller],
        code: CodeParam,
    ) -> Response[Any]:
        """Save the programme's figures; refused, the form again with every problem.

        Args:
            request: The form post.
            programme_settings: The settings service.
            caller: The signed-in caller.
            code: The programme.
        """
        values = await form_values(request)
        programme = (await programme_settings.settings(caller, code)).programme
        try:
            data = read_figures(values, programme)
            await programme_settings.change(caller, code, data.version, sent_fields(data))
        except DomainError as error:
            latest = (await programme_settings.settings(caller, code)).programme
            if error.status_code == 409:
                values["version"] = str(latest.version)
            return refused(
                placed(error, values.get("population_year", "")),
                values,
                figures_labels(programme),
                "programme/settings_figures.html",
                code=code,
                programme=latest,
                years=population_years(programme),
            )
        return accepted(settings_path(code), "programme-figures")
