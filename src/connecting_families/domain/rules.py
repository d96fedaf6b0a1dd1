"""What a plugin registers: rule sets and reusable criteria (and measures, in `measures.py`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from connecting_families.domain.claims import Claimable, Failing, once_per_route, relevant_not_met
from connecting_families.domain.evidence import FamilyEvidence
from connecting_families.domain.measures import Measure
from connecting_families.domain.verdict import CriterionResult, Verdict

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# A problem with a configuration: (the field, what is wrong with it).
ConfigProblem = tuple[str, str]


def _valid_name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not NAME.match(value):
        raise ValueError(f"{attribute.name} {value!r} must be lower_snake_case, at most 64 chars")


def no_config_problems(config: Mapping[str, Any], context: RuleContext) -> list[ConfigProblem]:
    return []


@attrs.frozen
class RuleContext:
    """What a rule set may use besides the evidence: the registered criteria and measures.

    Attributes:
        criteria: Every registered `Criterion`, by name.
        measures: Every declared `Measure`, by key.
    """

    criteria: Mapping[str, Criterion] = attrs.Factory(dict)
    measures: Mapping[str, Measure] = attrs.Factory(dict)


# (a criterion's result, each member's name by person ref) -> what the criterion still needs to
# be met, as one sentence for the result page ("Sam Smith needs 3 more weeks in work: 23 of 26
# weeks by 3 Dec 2026"); "" when there is nothing to add to its description.
StillNeeded = Callable[[CriterionResult, Mapping[str, str]], str]


def nothing_needed(result: CriterionResult, names: Mapping[str, str]) -> str:
    return ""


# (evidence, as_of, configuration with defaults applied, context) -> verdict
Evaluate = Callable[[FamilyEvidence, dt.date, Mapping[str, Any], RuleContext], Verdict]
CheckConfig = Callable[[Mapping[str, Any], RuleContext], list[ConfigProblem]]
# (defaults, a programme's overrides) -> the configuration the rule set judges with
Configure = Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]


def each_setting_replaced(
    defaults: Mapping[str, Any], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """The defaults with each setting a programme names replaced, whole."""
    return {**defaults, **overrides}


@attrs.frozen
class RuleSet:
    """A whole set of programme rules: identification, results, routes and payments.

    `evaluate` must be pure: the same evidence, date and configuration give the same verdict.
    A change of behaviour is a new `version`, so old claims re-run under the old one.

    Attributes:
        id: The rule set's name, which programmes are set up with (lower_snake_case).
        version: Its version: a new one for any change of behaviour.
        name: Its name in words.
        headlines: The headlines a key worker records needs against.
        routes: The routes to a result payment, in order (the order `one_claim_per_family`
            takes the first of).
        defaults: Every setting with its default: a programme's configuration may name only
            these.
        evaluate: ``(evidence, as_of, configuration, context) -> Verdict``, pure; the
            configuration has the defaults applied (`configuration`).
        check_config: ``(configuration, context) -> problems``: each problem is
            ``(field path, message)``; none means the configuration is good.
        claimable: ``(verdict, earlier) -> lines``: which met routes a new claim may hold,
            given the routes of the family's earlier live claim lines.
        descriptions: Each criterion's and route's description in words, by name, for the
            result page.
        route_names: Each route's short name ("Continuous employment").
        route_criteria: The criteria each route rests on, by route.
        still_needed: ``(result, names) -> sentence``: what a criterion not met still needs.
        configure: ``(defaults, overrides) -> configuration``: how a programme's overrides
            apply (by default each setting named replaces the default whole).
        setting_labels: Each setting's name in words, for the settings page.
        setting_descriptions: Each setting described in a sentence.
        failing: ``(verdict) -> criteria``: the criteria a family fails on its way to a
            result, which near misses count (by default every relevant criterion not met).
    """

    id: str = attrs.field(validator=_valid_name)
    version: int
    name: str
    headlines: tuple[str, ...]
    routes: tuple[str, ...]
    defaults: Mapping[str, Any]
    evaluate: Evaluate
    check_config: CheckConfig = no_config_problems
    # Which met routes a new claim may hold, given the family's earlier live claim lines.
    claimable: Claimable = once_per_route
    # The words of the result page (`web/explain.py`): each criterion's description by its
    # name, the criteria each route rests on, and what a criterion not met still needs.
    descriptions: Mapping[str, str] = attrs.field(factory=dict)
    # Each route's short name, for the claim pages' tables and headings ("Continuous
    # employment"); a route without one is shown by its name in words.
    route_names: Mapping[str, str] = attrs.field(factory=dict)
    route_criteria: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    still_needed: StillNeeded = nothing_needed
    # How a programme's overrides apply to the defaults: by default each setting named
    # replaces the default whole; a rule set with nested settings (tf2015's outcome plan) may
    # merge them part by part. It is part of the rule set's behaviour: changing it is a new
    # `version`.
    configure: Configure = each_setting_replaced
    # Each setting of `defaults` named and described in words, for the programme's settings
    # page (a setting without a label is shown by its name).
    setting_labels: Mapping[str, str] = attrs.field(factory=dict)
    setting_descriptions: Mapping[str, str] = attrs.field(factory=dict)
    # The criteria a family fails on its way to a result, for near misses (a family failing
    # exactly one): by default every relevant criterion not met; a rule set whose verdicts
    # also hold identifying or summing-up results (tf2015's indicators and headlines) names
    # only those a result waits on.
    failing: Failing = relevant_not_met

    @property
    def key(self) -> str:
        """`id@version`, as verdicts and claims record it."""
        return f"{self.id}@{self.version}"

    def configuration(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The defaults with a programme's overrides applied."""
        return self.configure(self.defaults, overrides)

    def config_problems(
        self, overrides: Mapping[str, Any], context: RuleContext
    ) -> list[ConfigProblem]:
        """What is wrong with a programme's overrides: each setting that is not one of
        `defaults`, else what `check_config` finds in the merged configuration."""
        unknown = [
            (name, f"is not a setting of rule set {self.key}")
            for name in overrides
            if name not in self.defaults
        ]
        return unknown or self.check_config(self.configuration(overrides), context)


# (evidence, attached_on, as_of, parameters) -> result
Judge = Callable[[FamilyEvidence, dt.date, dt.date, Mapping[str, Any]], CriterionResult]
CheckParameters = Callable[[Mapping[str, Any]], list[ConfigProblem]]


def no_parameter_problems(parameters: Mapping[str, Any]) -> list[ConfigProblem]:
    return []


@attrs.frozen
class Criterion:
    """A reusable test of a family, named in configurable outcome plans (tf2015).

    `parameters` documents each parameter; `check` validates a plan's values for them.

    Attributes:
        name: The name a plan gives it (lower_snake_case); the first registered wins.
        description: Its result in words, each parameter in backticks (`percent`) filled from
            the result's thresholds on the page.
        parameters: Each parameter a plan must give, with what it means in words.
        judge: ``(evidence, attached_on, as_of, parameters) -> CriterionResult``, pure.
        check: ``(parameters) -> problems``: each ``(parameter, message)``, run once every
            parameter is given and none is unknown.
        still_needed: ``(result, names) -> sentence``: what a result not met still needs.
    """

    name: str = attrs.field(validator=_valid_name)
    description: str
    parameters: Mapping[str, str]
    judge: Judge
    check: CheckParameters = no_parameter_problems
    # What a result of this criterion that is not met still needs, in a sentence; its
    # `description` names the result on the page, with each `parameter` in backticks filled
    # from the result's thresholds.
    still_needed: StillNeeded = nothing_needed

    def parameter_problems(self, parameters: Mapping[str, Any]) -> list[ConfigProblem]:
        """What is wrong with a plan's parameters: each missing or unknown one, and what
        `check` finds in those given, all at once."""
        missing = [(p, "is required") for p in self.parameters if p not in parameters]
        unknown = [
            (p, f"is not a parameter of {self.name}")
            for p in parameters
            if p not in self.parameters
        ]
        if unknown:
            return missing + unknown
        if not missing:
            return self.check(parameters)
        # The parameters given are checked too, so that every problem is named at once: the
        # check sees each missing one as None, and what it says of those is left out (they are
        # "required"). A check that cannot judge without them says nothing more.
        names = {name for name, _ in missing}
        try:
            found = self.check({**dict.fromkeys(names), **parameters})
        except (KeyError, TypeError, ValueError):
            found = []
        return missing + [(name, message) for name, message in found if name not in names]
