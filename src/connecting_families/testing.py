"""Helpers for plugin authors' tests: a family's evidence in a few lines, and a verdict on it.

    from connecting_families.testing import FamilyBuilder, verdict_of

    family = FamilyBuilder(attached_on=date(2013, 1, 1))
    kid = family.child("C1", born=date(2005, 1, 1))
    family.offence(kid, date(2012, 9, 1))
    verdict = verdict_of("tf2012", family.build(), as_of=date(2014, 1, 1))
    assert verdict.flags["crime_asb"]

Ids of people and rows are numbered from 1 in the order they are added.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from typing import Any

from connecting_families.domain import evidence as ev
from connecting_families.domain.rules import RuleSet
from connecting_families.domain.verdict import Verdict
from connecting_families.hooks.host import PluginHost


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


def verdict_of(
    ruleset: str | RuleSet,
    evidence: ev.FamilyEvidence,
    as_of: dt.date,
    config: Mapping[str, Any] | None = None,
    host: PluginHost | None = None,
) -> Verdict:
    """The verdict of an installed rule set (or one given directly) on `evidence`.

    The configuration is checked as a programme's would be: a bad one raises `ValueError`
    naming the field.
    """
    host = host or PluginHost()
    chosen = host.ruleset(ruleset) if isinstance(ruleset, str) else ruleset
    if chosen is None:
        raise LookupError(f"no rule set {ruleset!r} is installed")
    context = host.context()
    problems = chosen.config_problems(config or {}, context)
    if problems:
        raise ValueError("; ".join(f"{field}: {message}" for field, message in problems))
    return chosen.evaluate(evidence, as_of, chosen.configuration(config or {}), context)
