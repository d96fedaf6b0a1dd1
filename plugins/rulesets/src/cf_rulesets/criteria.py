"""The built-in criteria that configurable outcome plans (tf2015) name.

Each criterion judges a family on a date `on` (the as-of date for a progress measure, the
attachment date for an indicator), `attached` being the family's attachment date. Windows of
`months` end at `on`: `[on - months, on)`. Periods of attendance are those that started on or
after `attached` and ended by `on`, latest first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from cf_rulesets.common import out_of_work_adults, read_further
from connecting_families.plugin import (
    Attendance,
    ConfigProblem,
    Criterion,
    CriterionResult,
    FamilyEvidence,
    Member,
    Window,
    months_before,
)

Params = Mapping[str, Any]


def _whole(name: str, low: int, high: int) -> Callable[[Params], list[ConfigProblem]]:
    def check(params: Params) -> list[ConfigProblem]:
        value = params[name]
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return []
        return [(name, f"must be a whole number from {low} to {high}")]

    return check


def _checks(
    *checks: Callable[[Params], list[ConfigProblem]],
) -> Callable[[Params], list[ConfigProblem]]:
    return lambda params: [problem for check in checks for problem in check(params)]


def _number(name: str) -> Callable[[Params], list[ConfigProblem]]:
    def check(params: Params) -> list[ConfigProblem]:
        value = params[name]
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [(name, "must be a number")]

    return check


def _text(name: str) -> Callable[[Params], list[ConfigProblem]]:
    def check(params: Params) -> list[ConfigProblem]:
        return [] if isinstance(params[name], str) and params[name] else [(name, "must be a name")]

    return check


PERCENT = "a whole percentage, 0-100"
MONTHS = "the window's length in calendar months"
PERIODS = "how many of the latest attendance periods"


def _window(on: dt.date, months: int) -> Window:
    return Window(months_before(on, months), on)


def _member_offences(evidence: FamilyEvidence, window: Window) -> list[int]:
    return [
        o.id
        for o in evidence.offences
        if o.offence_date in window and evidence.was_member_on(o.person_id, o.offence_date)
    ]


def _asb(evidence: FamilyEvidence, window: Window) -> list[int]:
    return [
        a.id
        for a in evidence.asb
        if a.incident_date in window and evidence.was_member_on(a.person_id, a.incident_date)
    ]


def _reduced(
    name: str, count: Callable[[FamilyEvidence, Window], list[int]], kind: str
) -> Criterion:
    def judge(
        evidence: FamilyEvidence, attached: dt.date, on: dt.date, params: Params
    ) -> CriterionResult:
        months, percent = params["months"], params["percent"]
        before, after = _window(attached, months), _window(on, months)
        earlier, later = count(evidence, before), count(evidence, after)
        measurable = after.start >= attached
        return CriterionResult(
            name=name,
            relevant=bool(earlier),
            met=bool(earlier)
            and measurable
            and 100 * len(later) <= (100 - percent) * len(earlier),
            measured={"before": len(earlier), "after": len(later)},
            thresholds={"reduction_percent": percent},
            windows={"before": before, "after": after},
            evidence={kind: tuple(earlier + later)},
            reason="" if measurable else "not measurable yet: too soon after attachment",
        )

    return Criterion(
        name=name,
        description=f"{kind} in the latest window fell `percent`% from before attachment",
        parameters={"percent": PERCENT, "months": MONTHS},
        judge=judge,
        check=_checks(_whole("percent", 0, 100), _whole("months", 1, 60)),
    )


def _in_window(
    name: str, count: Callable[[FamilyEvidence, Window], list[int]], kind: str
) -> Criterion:
    def judge(
        evidence: FamilyEvidence, attached: dt.date, on: dt.date, params: Params
    ) -> CriterionResult:
        window = _window(on, params["months"])
        found = count(evidence, window)
        return CriterionResult(
            name=name,
            relevant=True,
            met=len(found) >= params["count"],
            measured={"count": len(found)},
            thresholds={"at_least": params["count"]},
            windows={"window": window},
            evidence={kind: tuple(found)},
        )

    return Criterion(
        name=name,
        description=f"at least `count` {kind} of members (or the household) in the window",
        parameters={"count": "the least number", "months": MONTHS},
        judge=judge,
        check=_checks(_whole("count", 1, 1000), _whole("months", 1, 60)),
    )


def _no_offences(
    evidence: FamilyEvidence, attached: dt.date, on: dt.date, params: Params
) -> CriterionResult:
    window = _window(on, params["months"])
    found = _member_offences(evidence, window)
    measurable = window.start >= attached
    return CriterionResult(
        name="no_offences",
        relevant=True,
        met=measurable and not found,
        measured={"offences": len(found)},
        windows={"window": window},
        evidence={"offences": tuple(found)},
        reason="" if measurable else "not measurable yet: too soon after attachment",
    )


def _latest_periods(
    evidence: FamilyEvidence, child: Member, attached: dt.date, on: dt.date, n: int
) -> list[Attendance]:
    periods = [
        a
        for a in evidence.attendance
        if a.person_id == child.person_id and a.period_start >= attached and a.period_end <= on
    ]
    return (
        sorted(periods, key=lambda a: (a.period_end, a.period_start))[-n:]
        if len(periods) >= n
        else []
    )


ChildTest = Callable[[list[Attendance], FamilyEvidence, Member, dt.date, dt.date, Params], bool]
Judge = Callable[[FamilyEvidence, dt.date, dt.date, Params], CriterionResult]


def _per_child(name: str, test: ChildTest) -> Judge:
    """Met when every child with enough periods passes `test`, and at least one has."""

    def judge(
        evidence: FamilyEvidence, attached: dt.date, on: dt.date, params: Params
    ) -> CriterionResult:
        results: dict[str, bool] = {}
        used: list[int] = []
        for child in evidence.children_on(on):
            periods = _latest_periods(evidence, child, attached, on, params["periods"])
            if periods:
                results[child.person_ref] = test(periods, evidence, child, attached, on, params)
                used += [a.id for a in periods]
        return CriterionResult(
            name=name,
            relevant=True,
            met=bool(results) and all(results.values()),
            measured={"children": results},
            thresholds=dict(params),
            evidence={"attendance": tuple(used)},
            reason=read_further(
                evidence,
                {"attendance": used},
                "" if results else "no child has enough attendance periods yet",
            ),
        )

    return judge


def _attendance_at_least(
    periods: list[Attendance],
    evidence: FamilyEvidence,
    child: Member,
    attached: dt.date,
    on: dt.date,
    params: Params,
) -> bool:
    possible = sum(a.possible_sessions for a in periods)
    absent = sum(
        a.unauthorised_absence_sessions + (a.authorised_absence_sessions or 0) for a in periods
    )
    return possible > 0 and 100 * (possible - absent) >= params["percent"] * possible


def _absence_below(
    periods: list[Attendance],
    evidence: FamilyEvidence,
    child: Member,
    attached: dt.date,
    on: dt.date,
    params: Params,
) -> bool:
    possible = sum(a.possible_sessions for a in periods)
    unauthorised = sum(a.unauthorised_absence_sessions for a in periods)
    return possible > 0 and 100 * unauthorised < params["percent"] * possible


def _exclusions_below(
    periods: list[Attendance],
    evidence: FamilyEvidence,
    child: Member,
    attached: dt.date,
    on: dt.date,
    params: Params,
) -> bool:
    first = min(a.period_start for a in periods)
    mine = [e for e in evidence.exclusions if e.person_id == child.person_id]
    fixed = [e for e in mine if e.kind == "fixed" and first <= e.start_date <= on]
    permanent = [e for e in mine if e.kind == "permanent" and attached <= e.start_date <= on]
    return len(fixed) < params["count"] and not permanent


def _benefit_ended(
    evidence: FamilyEvidence, attached: dt.date, on: dt.date, params: Params
) -> CriterionResult:
    claimants = out_of_work_adults(evidence, attached)
    covering = [
        (adult.person_ref, s.id)
        for adult, _ in claimants
        for s in evidence.benefits
        if s.person_id == adult.person_id and s.covers(on)
    ]
    still = list(dict.fromkeys(ref for ref, _ in covering))
    return CriterionResult(
        name="out_of_work_benefit_ended",
        relevant=bool(claimants),
        met=bool(claimants) and not still,
        measured={"claimants_at_attachment": len(claimants), "still_claiming": still},
        evidence={"benefits": tuple(s.id for _, spells in claimants for s in spells)},
        reason=read_further(evidence, {"benefits": [i for _, i in covering]}),
    )


def _need_achieved(
    evidence: FamilyEvidence, attached: dt.date, on: dt.date, params: Params
) -> CriterionResult:
    needs = [
        n for n in evidence.needs if n.headline == params["headline"] and n.identified_on <= on
    ]
    achieved = [
        n
        for n in needs
        if n.outcome == "achieved" and n.outcome_on is not None and n.outcome_on <= on
    ]
    return CriterionResult(
        name="need_outcome_achieved",
        relevant=bool(needs),
        met=bool(needs) and len(achieved) == len(needs),
        measured={"needs": len(needs), "achieved": len(achieved)},
        thresholds={"headline": params["headline"]},
        evidence={"needs": tuple(n.id for n in needs)},
    )


def _observations(evidence: FamilyEvidence, measure: str, window: Window) -> list[Any]:
    return sorted(
        (
            o
            for o in evidence.observations
            if o.measure == measure and o.numeric_value is not None and o.on in window
        ),
        key=lambda o: (o.on, o.id),
    )


def _observation_compared(name: str, above: bool) -> Criterion:
    def judge(
        evidence: FamilyEvidence, attached: dt.date, on: dt.date, params: Params
    ) -> CriterionResult:
        window = Window(months_before(on, params["months"]), on + dt.timedelta(days=1))
        found = _observations(evidence, params["measure"], window)
        latest = found[-1].numeric_value if found else None
        threshold = params["threshold"]
        met = latest is not None and (latest > threshold if above else latest < threshold)
        return CriterionResult(
            name=name,
            relevant=bool(found),
            met=met,
            measured={"latest": latest},
            thresholds={"measure": params["measure"], "threshold": threshold},
            windows={"window": window},
            evidence={"observations": tuple(o.id for o in found)},
            reason="" if found else "no observation of the measure in the window",
        )

    return Criterion(
        name=name,
        description=f"the latest `measure` is {'above' if above else 'below'} `threshold`",
        parameters={"measure": "a measure key", "threshold": "a number", "months": MONTHS},
        judge=judge,
        check=_checks(_text("measure"), _number("threshold"), _whole("months", 1, 60)),
    )


def _observation_reduced(
    evidence: FamilyEvidence, attached: dt.date, on: dt.date, params: Params
) -> CriterionResult:
    before_window, after_window = (
        _window(attached, params["months"]),
        _window(on, params["months"]),
    )
    before = _observations(evidence, params["measure"], before_window)
    after = _observations(evidence, params["measure"], after_window)
    total_before = sum(o.numeric_value for o in before)
    total_after = sum(o.numeric_value for o in after)
    relevant = bool(before) and total_before > 0
    return CriterionResult(
        name="observation_reduced",
        relevant=relevant,
        met=relevant
        and bool(after)
        and 100 * total_after <= (100 - params["percent"]) * total_before,
        measured={"before": total_before, "after": total_after},
        thresholds={"measure": params["measure"], "reduction_percent": params["percent"]},
        windows={"before": before_window, "after": after_window},
        evidence={"observations": tuple(o.id for o in before + after)},
    )


def _on_benefit(
    evidence: FamilyEvidence, attached: dt.date, on: dt.date, params: Params
) -> CriterionResult:
    claimants = out_of_work_adults(evidence, on)
    return CriterionResult(
        name="on_out_of_work_benefit",
        relevant=True,
        met=bool(claimants),
        measured={"claimants": [adult.person_ref for adult, _ in claimants]},
        evidence={"benefits": tuple(s.id for _, spells in claimants for s in spells)},
    )


def _absence_at_least(
    evidence: FamilyEvidence, attached: dt.date, on: dt.date, params: Params
) -> CriterionResult:
    """An indicator: a child's unauthorised absence over periods ending in the year to `on`."""
    window = _window(on, 12)
    flagged, used = [], []
    for child in evidence.children_on(on):
        periods = [
            a
            for a in evidence.attendance
            if a.person_id == child.person_id and a.period_end in window
        ]
        possible = sum(a.possible_sessions for a in periods)
        unauthorised = sum(a.unauthorised_absence_sessions for a in periods)
        if possible and 100 * unauthorised >= params["percent"] * possible:
            flagged.append(child.person_ref)
            used += [a.id for a in periods]
    return CriterionResult(
        name="unauthorised_absence_at_least",
        relevant=True,
        met=bool(flagged),
        measured={"children": flagged},
        thresholds={"percent": params["percent"]},
        windows={"window": window},
        evidence={"attendance": tuple(used)},
        reason=read_further(evidence, {"attendance": used}),
    )


def _criterion(
    name: str, description: str, parameters: dict[str, str], judge: Any, check: Any = None
) -> Criterion:
    if check is None:
        return Criterion(name=name, description=description, parameters=parameters, judge=judge)
    return Criterion(
        name=name, description=description, parameters=parameters, judge=judge, check=check
    )


BUILT_IN: tuple[Criterion, ...] = (
    _reduced("offending_reduced", _member_offences, "offences"),
    _reduced("asb_reduced", _asb, "asb"),
    _in_window("offences_in_window", _member_offences, "offences"),
    _in_window("asb_in_window", _asb, "asb"),
    _criterion(
        "no_offences",
        "no member offences in the window",
        {"months": MONTHS},
        _no_offences,
        _whole("months", 1, 60),
    ),
    _criterion(
        "attendance_at_least",
        "every child's attendance over its latest periods is at least `percent`%",
        {"percent": PERCENT, "periods": PERIODS},
        _per_child("attendance_at_least", _attendance_at_least),
        _checks(_whole("percent", 0, 100), _whole("periods", 1, 12)),
    ),
    _criterion(
        "unauthorised_absence_below",
        "every child's unauthorised absence over its latest periods is under `percent`%",
        {"percent": PERCENT, "periods": PERIODS},
        _per_child("unauthorised_absence_below", _absence_below),
        _checks(_whole("percent", 0, 100), _whole("periods", 1, 12)),
    ),
    _criterion(
        "exclusions_below",
        "fewer than `count` fixed exclusions since the latest periods began, none permanent",
        {"count": "the number to stay under", "periods": PERIODS},
        _per_child("exclusions_below", _exclusions_below),
        _checks(_whole("count", 1, 100), _whole("periods", 1, 12)),
    ),
    _criterion(
        "out_of_work_benefit_ended",
        "no adult claiming at attachment still claims",
        {},
        _benefit_ended,
    ),
    _criterion(
        "on_out_of_work_benefit", "an adult member is on an out-of-work benefit", {}, _on_benefit
    ),
    _criterion(
        "unauthorised_absence_at_least",
        "a child's unauthorised absence in the last 12 months is at least `percent`%",
        {"percent": PERCENT},
        _absence_at_least,
        _whole("percent", 0, 100),
    ),
    _criterion(
        "need_outcome_achieved",
        "every need under `headline` has the outcome achieved",
        {"headline": "a headline"},
        _need_achieved,
        _text("headline"),
    ),
    _observation_compared("observation_above", above=True),
    _observation_compared("observation_below", above=False),
    _criterion(
        "observation_reduced",
        "the total of `measure` in the latest window fell by `percent`% from before attachment",
        {"measure": "a measure key", "percent": PERCENT, "months": MONTHS},
        _observation_reduced,
        _checks(_text("measure"), _whole("percent", 0, 100), _whole("months", 1, 60)),
    ),
)
