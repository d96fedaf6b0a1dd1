"""A council's own outcome criterion: domestic abuse incidents reduced by N% over M months.

The police share a monthly count of domestic abuse incidents at each household as an
observation (`observations.csv`, measure `domestic_abuse_incidents`). This plugin declares the
measure, so imports accept it, and a criterion that a `tf2015` outcome plan can name:

    "domestic_abuse": {
        "indicators": [],
        "progress": [
            {"criterion": "domestic_abuse_incidents_reduced", "percent": 50, "months": 6}
        ],
        "progress_rule": "all"
    }
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from connecting_families.plugin import (
    ConfigProblem,
    Criterion,
    CriterionResult,
    FamilyEvidence,
    Measure,
    Window,
    hookimpl,
    months_before,
)

MEASURE = "domestic_abuse_incidents"


def _incidents(evidence: FamilyEvidence, window: Window) -> tuple[float, tuple[int, ...]]:
    """The incidents counted in observations dated in `window`, and those observations."""
    rows = [
        o
        for o in evidence.observations
        if o.measure == MEASURE and o.numeric_value is not None and o.on in window
    ]
    return sum(o.numeric_value or 0 for o in rows), tuple(o.id for o in rows)


def judge(
    evidence: FamilyEvidence, attached: dt.date, on: dt.date, params: Mapping[str, Any]
) -> CriterionResult:
    months, percent = params["months"], params["percent"]
    before = Window(months_before(attached, months), attached)
    after = Window(months_before(on, months), on)
    earlier, earlier_ids = _incidents(evidence, before)
    later, later_ids = _incidents(evidence, after)
    measurable = after.start >= attached
    return CriterionResult(
        name="domestic_abuse_incidents_reduced",
        relevant=earlier > 0,
        met=earlier > 0 and measurable and 100 * later <= (100 - percent) * earlier,
        measured={"before": earlier, "after": later},
        thresholds={"percent": percent, "months": months},
        windows={"before": before, "after": after},
        evidence={"observations": earlier_ids + later_ids},
        reason="" if measurable else "not measurable yet: too soon after attachment",
    )


def check(params: Mapping[str, Any]) -> list[ConfigProblem]:
    problems = []
    for name, low, high in (("percent", 1, 100), ("months", 1, 36)):
        value = params[name]
        if not (isinstance(value, int) and not isinstance(value, bool) and low <= value <= high):
            problems.append((name, f"must be a whole number from {low} to {high}"))
    return problems


def still_needed(result: CriterionResult, names: Mapping[str, str]) -> str:
    """What a result not met still needs, for the result page: at most how many incidents
    in the latest window would make the fall."""
    before, after = result.measured["before"], result.measured["after"]
    percent = result.thresholds["percent"]
    if result.reason:
        return f"{result.reason}; then needs a fall of {percent}% from {before:g} incidents"
    allowed = (100 - percent) * before / 100
    return (
        f"needs at most {allowed:g} domestic abuse incidents in the latest "
        f"{result.thresholds['months']} months: {after:g} against {before:g} before attachment"
    )


CRITERION = Criterion(
    name="domestic_abuse_incidents_reduced",
    description="police-reported domestic abuse incidents down by `percent`% over `months` months",
    parameters={"percent": "the fall needed, 1-100", "months": "the window, in months"},
    judge=judge,
    check=check,
    still_needed=still_needed,
)


@hookimpl
def cf_register_measures(register: Callable[[Measure], None]) -> None:
    register(
        Measure(
            key=MEASURE,
            type="number",
            description="domestic abuse incidents reported by the police in the period",
            minimum=0,
        )
    )


@hookimpl
def cf_register_criteria(register: Callable[[Criterion], None]) -> None:
    register(CRITERION)
