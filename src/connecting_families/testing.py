"""Helpers for plugin authors' tests: a family's evidence in a few lines, and a verdict on it.

    from connecting_families.testing import FamilyBuilder, verdict_of

    family = FamilyBuilder(attached_on=date(2013, 1, 1))
    kid = family.child("C1", born=date(2005, 1, 1))
    family.offence(kid, date(2012, 9, 1))
    verdict = verdict_of("tf2012", family.build(), as_of=date(2014, 1, 1))
    assert verdict.flags["crime_asb"]

Ids of people and rows are numbered from 1 in the order they are added.

A test that judges with plugins names the plugins it loads, so that it passes or fails on
their code alone, whatever else is installed beside it:

    host = plugin_host("tf2015", cf_my_council)   # an installed plugin's name, or a module
    verdict = verdict_of("tf2015", family.build(), as_of, plugins=("tf2015", cf_my_council))

The pytest plugin (`connecting_families.pytest_plugin`) gives the same as fixtures.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import itertools
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

from connecting_families.domain import evidence as ev
from connecting_families.domain.rules import RuleSet
from connecting_families.domain.verdict import Verdict
from connecting_families.hooks import hookspecs
from connecting_families.hooks.host import PluginHost

# A plugin a test names: an installed plugin's name (its entry point in the group
# `connecting_families`, e.g. "tf2015"), or the plugin itself (a module or an object with
# hook implementations), registered under its module's name.
PluginName = str | ModuleType | object


class PluginProblems(AssertionError):
    """The plugin host reported problems: a test of plugins fails on any of them, since the
    service would leave the plugin out (or part of it) and go on."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("the plugin host reported problems:\n  " + "\n  ".join(self.problems))


class FamilyBuilder:
    """Builds a `FamilyEvidence`; each method adds one member or record and returns its id."""

    def __init__(
        self,
        *,
        attached_on: dt.date | None,
        identified_on: dt.date | None = None,
        closed_on: dt.date | None = None,
        family_ref: str = "F1",
        local_filter: bool = False,
        expectant_parent: bool = False,
    ) -> None:
        self.family: dict[str, Any] = {
            "family_id": 1,
            "family_ref": family_ref,
            "identified_on": identified_on or attached_on or dt.date(2000, 1, 1),
            "attached_on": attached_on,
            "closed_on": closed_on,
            "local_filter": local_filter,
            "expectant_parent": expectant_parent,
        }
        self.records: dict[str, list[Any]] = {
            name: []
            for name in (
                "members",
                "attendance",
                "exclusions",
                "offences",
                "asb",
                "benefits",
                "employment",
                "work_programme",
                "needs",
                "observations",
            )
        }
        self._ids = itertools.count(1)

    def _add(self, kind: str, value: Any) -> int:
        self.records[kind].append(value)
        return int(value.id if hasattr(value, "id") else value.person_id)

    def member(
        self,
        ref: str,
        *,
        born: dt.date,
        role: str,
        joined_on: dt.date | None = None,
        left_on: dt.date | None = None,
    ) -> int:
        return self._add(
            "members",
            ev.Member(next(self._ids), ref, born, role, joined_on=joined_on, left_on=left_on),
        )

    def child(self, ref: str, *, born: dt.date, **dates: dt.date | None) -> int:
        return self.member(ref, born=born, role="child", **dates)

    def adult(
        self, ref: str, *, born: dt.date = dt.date(1980, 1, 1), **dates: dt.date | None
    ) -> int:
        return self.member(ref, born=born, role="adult", **dates)

    def offence(self, person: int, on: dt.date) -> int:
        return self._add("offences", ev.Offence(next(self._ids), person, on))

    def asb(self, on: dt.date, person: int | None = None, kind: str = "incident") -> int:
        return self._add("asb", ev.AntisocialBehaviour(next(self._ids), on, kind, person))

    def attendance(
        self, person: int, start: dt.date, end: dt.date, *, possible: int, unauthorised: int
    ) -> int:
        row = ev.Attendance(next(self._ids), person, start, end, possible, unauthorised)
        return self._add("attendance", row)

    def exclusion(self, person: int, on: dt.date, kind: str = "fixed") -> int:
        return self._add("exclusions", ev.Exclusion(next(self._ids), person, on, kind))

    def benefit(
        self, person: int, benefit: str, start: dt.date, end: dt.date | None = None
    ) -> int:
        return self._add("benefits", ev.BenefitSpell(next(self._ids), person, benefit, start, end))

    def job(self, person: int, start: dt.date, end: dt.date | None = None) -> int:
        return self._add("employment", ev.EmploymentSpell(next(self._ids), person, start, end))

    def work_programme(
        self, person: int, start: dt.date, provision: str = "work_programme"
    ) -> int:
        row = ev.WorkProgrammeStart(next(self._ids), person, provision, start)
        return self._add("work_programme", row)

    def need(
        self,
        headline: str,
        identified_on: dt.date,
        *,
        outcome: str | None = None,
        outcome_on: dt.date | None = None,
        person: int | None = None,
    ) -> int:
        row = ev.Need(next(self._ids), headline, identified_on, outcome, outcome_on, person)
        return self._add("needs", row)

    def observation(
        self,
        measure: str,
        value: float | str,
        on: dt.date,
        person: int | None = None,
    ) -> int:
        number = float(value) if isinstance(value, int | float) else None
        row = ev.Observation(
            next(self._ids), measure, str(value), number, observed_on=on, person_id=person
        )
        return self._add("observations", row)

    def build(self, known_at: dt.datetime | None = None) -> ev.FamilyEvidence:
        records: dict[str, Any] = {kind: tuple(rows) for kind, rows in self.records.items()}
        return ev.FamilyEvidence(**self.family, known_at=known_at, **records)


def _installed(name: str) -> importlib.metadata.EntryPoint:
    found = importlib.metadata.entry_points(group=hookspecs.PROJECT, name=name)
    if not found:
        group = importlib.metadata.entry_points(group=hookspecs.PROJECT)
        installed = sorted(e.name for e in group)
        raise LookupError(
            f"no installed plugin is named {name!r} (installed: {', '.join(installed) or 'none'})"
        )
    return next(iter(found))


def _name_of(plugin: object) -> str:
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    return f"{type(plugin).__module__}.{type(plugin).__qualname__}"


def plugin_host(*plugins: PluginName, strict: bool = True) -> PluginHost:
    """A plugin host with only `plugins` in it: nothing else installed is loaded.

    Each is registered and asked at once for what it registers (rule sets, criteria,
    measures); with `strict`, any problem the host reports raises `PluginProblems` naming it.
    A name that is not installed raises `LookupError`.
    """
    host = PluginHost(load_installed=False)
    for plugin in plugins:
        entry_point = _installed(plugin) if isinstance(plugin, str) else None
        name = entry_point.name if entry_point else _name_of(plugin)
        try:
            loaded = entry_point.load() if entry_point else plugin
            host.register(loaded, name)
        except Exception as error:
            # What the service would report and leave out: an import error. A misspelt hook
            # or a forgotten @hookimpl the host itself reports (and leaves out), as it loads.
            problem = f"plugin {name!r} failed to load: {type(error).__name__}: {error}"
            host.problems.append(problem)
    host.rulesets(), host.criteria(), host.measures()
    if strict and host.problems:
        raise PluginProblems(host.problems)
    return host


def verdict_of(
    ruleset: str | RuleSet,
    evidence: ev.FamilyEvidence,
    as_of: dt.date,
    config: Mapping[str, Any] | None = None,
    host: PluginHost | None = None,
    *,
    plugins: Iterable[PluginName] | None = None,
) -> Verdict:
    """The verdict of a rule set (by id, or given directly) on `evidence`.

    The rule set and the criteria it names come from `host`, else from a host with only
    `plugins` in it (`plugin_host`), else from every installed plugin. The configuration is
    checked as a programme's would be: a bad one raises `ValueError` naming the field.
    """
    if host is None:
        host = plugin_host(*plugins) if plugins is not None else PluginHost()
    chosen = host.ruleset(ruleset) if isinstance(ruleset, str) else ruleset
    if chosen is None:
        raise LookupError(f"no rule set {ruleset!r} is installed")
    context = host.context()
    problems = chosen.config_problems(config or {}, context)
    if problems:
        raise ValueError("; ".join(f"{field}: {message}" for field, message in problems))
    return chosen.evaluate(evidence, as_of, chosen.configuration(config or {}), context)
