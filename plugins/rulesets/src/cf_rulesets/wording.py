"""The built-in rule sets' words for the result page: what each criterion is, in the words of
`shared/domain/programme-rules.md`, and what one not met still needs, in one sentence.

Pure functions of a criterion's result (what it measured, against what, over which windows):
the host shows them in place of the criterion's key (`RuleSet.descriptions`,
`RuleSet.still_needed`), with each person ref as the member's name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from connecting_families.plugin import CriterionResult

# By criterion name, and by route name for a route that is not itself a criterion.
TF2012_DESCRIPTIONS = {
    "crime_asb_education": "crime, anti-social behaviour and school: every result that "
    "applies to the family met",
    "identify_crime_asb": "a child's offence or the family's anti-social behaviour in the "
    "12 months before attachment",
    "identify_education": "a child excluded, or often absent from school without leave, in "
    "the 12 months before attachment",
    "identify_work": "an adult on an out-of-work benefit at attachment",
    "youth_crime": "children's offences down by a third since attachment",
    "asb": "the family's anti-social behaviour down by 60% since attachment",
    "education": "every child in school: unauthorised absence under 15% over the latest 3 "
    "attendance periods, fewer than 3 fixed exclusions and none permanent",
    "continuous_employment": "an adult who was on an out-of-work benefit in continuous work "
    "for 26 weeks (13 on Jobseeker's Allowance)",
    "progress_to_work": "an adult who was on an out-of-work benefit started on the Work Programme",
}
TF2012_ROUTES = {
    "crime_asb_education": ("youth_crime", "asb", "education"),
    "continuous_employment": ("continuous_employment",),
    "progress_to_work": ("progress_to_work",),
}


def _day(on: dt.date) -> str:
    return f"{on.day} {on:%b %Y}"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _employment(result: CriterionResult, names: Mapping[str, str]) -> str:
    """The job nearest to lasting long enough: "Sam Smith needs 3 more weeks in work: 23 of
    26 weeks by 3 Dec 2026"."""
    spells = result.measured.get("spells") or {}
    window = result.windows.get("after_attachment")
    by = _day(window.end - dt.timedelta(days=1)) if window else ""
    if not spells:
        weeks = result.thresholds.get("employment_weeks", 26)
        return (
            "needs an adult who was on an out-of-work benefit to start work and stay in "
            f"work for {weeks} weeks"
        )
    key, best = max(spells.items(), key=lambda item: item[1]["days"] / item[1]["weeks_needed"])
    person = key.partition(":")[0]
    who = names.get(person, person)
    done = best["days"] // 7
    more = best["weeks_needed"] - done
    return (
        f"{who} needs {_plural(more, 'more week')} in work: "
        f"{done} of {best['weeks_needed']} weeks by {by}"
    )


def _reduction(result: CriterionResult, what: str) -> str:
    """At most how many in the latest window would make the fall."""
    before, after = result.measured.get("before", 0), result.measured.get("after", 0)
    percent = result.thresholds.get("reduction_percent", result.thresholds.get("percent", 0))
    if result.reason:  # not measurable yet
        return f"{result.reason}; then needs a fall of {percent}% from {before} {what}"
    allowed = (100 - percent) * before // 100
    return (
        f"needs at most {_plural(allowed, what.removesuffix('s'), what)} in the latest "
        f"window: {after} against {before} before attachment"
    )


def _education(result: CriterionResult, names: Mapping[str, str]) -> str:
    needed = result.thresholds.get("attendance_periods", 3)
    percent = result.thresholds.get("unauthorised_absence_percent", 15)
    said = []
    for ref, child in (result.measured.get("children") or {}).items():
        if child.get("met"):
            continue
        who = names.get(ref, ref)
        periods = child.get("periods", 0)
        if periods < needed:
            said.append(f"{who} needs {_plural(needed - periods, 'more attendance period')}")
            continue
        possible = child.get("possible_sessions") or 0
        absent = child.get("unauthorised_absence_sessions", 0)
        share = round(100 * absent / possible) if possible else 0
        if share >= percent:
            said.append(
                f"{who}'s unauthorised absence needs to fall under {percent}% (now {share}%)"
            )
        fixed = result.thresholds.get("fixed_exclusions", 3)
        if child.get("fixed_exclusions", 0) >= fixed:
            said.append(f"{who} needs fewer than {fixed} fixed exclusions")
        if child.get("permanent_exclusions"):
            said.append(f"{who} was permanently excluded, so this result cannot be met")
    if not said:
        return f"needs a child with {needed} attendance periods since attachment"
    return "; ".join(said)


STILL_NEEDED: dict[str, Callable[[CriterionResult, Mapping[str, str]], str]] = {
    "continuous_employment": _employment,
    "youth_crime": lambda result, names: _reduction(result, "offences"),
    "asb": lambda result, names: _reduction(result, "incidents"),
    "education": _education,
    "progress_to_work": lambda result, names: (
        "needs an adult who was on an out-of-work benefit to start on the Work Programme"
    ),
}


def still_needed(result: CriterionResult, names: Mapping[str, str]) -> str:
    """What a tf2012-style criterion not met still needs; "" for one it has no words for."""
    found = STILL_NEEDED.get(result.name)
    return found(result, names) if found else ""
