"""The rule set's settings of a programme: a form of its numbers and amounts, then "check your
changes" (they change which families are eligible or turned around), then saved.

The form is read into the whole configuration (the defaults with the programme's overrides);
what is stored is only what differs from the defaults (`programmes.settings.overrides_of`),
checked by the rule set as the API's `PATCH` checks it.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from connecting_families.access.caller import Caller
from connecting_families.access.policy import PROGRAMME_MANAGE
from connecting_families.errors import DomainError, Invalid, field_error
from connecting_families.http_params import CodeParam
from connecting_families.programmes.settings import ProgrammeSettings, ProgrammeSettingsService
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
from connecting_families.web.templating import humanise, page

SAVED["programme-rules"] = "The rule set's settings were saved."
# The rule set's settings page's own fields (its settings' fields are named by the settings).
DECISION = "decision"
NOTHING_CHANGED = "You have not changed any setting. Change one, or go back to the settings."


def rules_labels(settings: ProgrammeSettings) -> dict[str, str]:
    return {s.name: s.label for s in settings.settings if s.editable}


# The settings are the rule set's own, known once the handler reads the programme: a 403 page
# (before it) names each by its words, and leaves out the version and the button pressed.
TYPED_RULES_LABELS = NumberedLabels(
    {}, ((re.compile(r"(?!version$|decision$)([a-z][a-z0-9_]{0,63})"), humanise),)
)


def typed_value(text: str, default: Any) -> Any:
    """A setting as typed, in its default's kind: a whole number for a number (anything
    else is given to the rule set as typed, for it to refuse by name), text for an amount."""
    if isinstance(default, int) and text.lstrip("-").isascii() and text.lstrip("-").isdigit():
        return int(text)
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            return text
    return text


def read_rules(values: dict[str, str], settings: ProgrammeSettings) -> dict[str, Any]:
    """The whole configuration the form asks for; `Invalid` for each setting left blank."""
    labels = rules_labels(settings)
    config = {s.name: s.value for s in settings.settings}
    problems = []
    for setting in settings.settings:
        if not setting.editable:
            continue
        text = values.get(setting.name, "")
        if not text:
            label = labels[setting.name]
            problems.append(field_error(setting.name, f"Enter {label[:1].lower()}{label[1:]}"))
        config[setting.name] = typed_value(text, setting.default)
    if problems:
        raise Invalid("The form was refused; see the message beside each field.", errors=problems)
    return config


def by_field(error: DomainError, prefix: str = "ruleset_config.") -> DomainError:
    """The service's errors about the configuration beside the form's fields."""
    for problem in error.errors:
        problem["field"] = str(problem.get("field", "")).removeprefix(prefix)
    return error


def form_of(settings: ProgrammeSettings) -> Form:
    values = {s.name: str(s.value) for s in settings.settings if s.editable}
    return Form(values={**values, "version": str(settings.programme.version)})


class RuleSetSettingsPages(Controller):
    """The rule set's settings: the form, the check of the changes, and saving them."""

    include_in_schema = False
    dependencies = SETTINGS_DEPENDENCIES

    @get("/programmes/{code:str}/settings/rules", opt={"access": PROGRAMME_MANAGE})
    async def rules_form(
        self,
        programme_settings: NamedDependency[ProgrammeSettingsService],
        caller: NamedDependency[Caller],
        code: CodeParam,
    ) -> Template:
        """The rule set's numbers and amounts for this programme, each with its default.

        Args:
            programme_settings: The settings service.
            caller: The signed-in caller.
            code: The programme.
        """
        settings = await programme_settings.settings(caller, code)
        return page(
            "programme/settings_rules.html", code=code, settings=settings, form=form_of(settings)
        )

    @post(
        "/programmes/{code:str}/settings/rules",
        opt={"access": PROGRAMME_MANAGE, FORM_LABELS: TYPED_RULES_LABELS},
    )
    async def change_rules(
        self,
        request: Request[Any, Any, Any],
        programme_settings: NamedDependency[ProgrammeSettingsService],
        caller: NamedDependency[Caller],
        code: CodeParam,
    ) -> Response[Any]:
        """Check the changes (the page to confirm them), or save them once confirmed.

        Args:
            request: The form post: each setting, the version, and `decision` (`save` once
                the changes are confirmed, `change` to go back to the form).
            programme_settings: The settings service.
            caller: The signed-in caller.
            code: The programme.
        """
        values = await form_values(request)
        settings = await programme_settings.settings(caller, code)
        labels = rules_labels(settings)
        context: dict[str, Any] = {"code": code, "settings": settings}
        if values.get(DECISION) == "change":
            return page("programme/settings_rules.html", **context, form=Form(values=values))
        try:
            config = read_rules(values, settings)
            overrides = programme_settings.overrides_for(settings.programme, config)
            if overrides == settings.programme.ruleset_config:
                raise Invalid(NOTHING_CHANGED)
            changes = {"ruleset_config": overrides}
            await programme_settings.check_change(caller, code, changes)
            if values.get(DECISION) == "save":
                version = whole_number(values.get("version")) or 0
                await programme_settings.change(caller, code, version, changes)
                return accepted(settings_path(code), "programme-rules")
        except DomainError as error:
            if error.status_code == 409:
                # Changed by someone else meanwhile: sent again, the form is for the latest.
                values["version"] = str(settings.programme.version)
            return refused(
                by_field(error), values, labels, "programme/settings_rules.html", **context
            )
        after = programme_settings.described(settings.programme, overrides)
        changed = [
            (labels[s.name], before.value, s.value)
            for s, before in zip(after.settings, settings.settings, strict=True)
            if s.name in labels and s.value != before.value
        ]
        return page(
            "programme/settings_confirm.html",
            **context,
            action=settings_path(code, "rules"),
            changed=changed,
            hidden=values,
            plan=None,
        )
