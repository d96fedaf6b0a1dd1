"""tf2012, rule by rule, boundaries included (`shared/domain/programme-rules.md`)."""

from __future__ import annotations

from datetime import date as d
from datetime import timedelta
from decimal import Decimal

import pytest

from connecting_families.domain.verdict import Verdict
from connecting_families.hooks.host import PluginHost
from connecting_families.testing import FamilyBuilder, verdict_of

A = d(2013, 1, 1)
D = d(2014, 1, 1)
HOST = PluginHost()


def verdict(family: FamilyBuilder, as_of: d = D, **config: object) -> Verdict:
    return verdict_of("tf2012", family.build(), as_of, config, HOST)


def family_with_child(attached: d | None = A, **options: object) -> tuple[FamilyBuilder, int]:
    family = FamilyBuilder(attached_on=attached, **options)  # type: ignore[arg-type]
    return family, family.child("C1", born=d(2000, 1, 1))


# --- identification at A: crime_asb -------------------------------------------------------


@pytest.mark.parametrize(
    ("offence_on", "flag"),
    [
        (d(2012, 1, 1), True),  # the first day of [A - 12 months, A)
        (d(2012, 12, 31), True),
        (d(2013, 1, 1), False),  # A itself is outside the window
        (d(2011, 12, 31), False),
    ],
)
def test_crime_flag_window(offence_on: d, flag: bool) -> None:
    """A minor's offence counts in [A - 12 months, A)."""
    family, child = family_with_child()
    family.offence(child, offence_on)
    assert verdict(family).flags["crime_asb"] is flag


@pytest.mark.parametrize(
    ("offence_on", "flag"),
    [(d(2012, 5, 31), True), (d(2012, 6, 1), False)],  # 18 on 2012-06-01
)
def test_an_offence_on_the_18th_birthday_is_not_a_minors(offence_on: d, flag: bool) -> None:
    """Age is taken on the offence date: on the 18th birthday the offender is an adult."""
    family = FamilyBuilder(attached_on=A)
    teen = family.child("T1", born=d(1994, 6, 1))
    family.offence(teen, offence_on)
    assert verdict(family).flags["crime_asb"] is flag


def test_a_29_february_birthday_comes_on_1_march() -> None:
    """Born 1996-02-29: still 17 on 2014-02-28, 18 on 2014-03-01."""
    family = FamilyBuilder(attached_on=A)
    teen = family.child("T1", born=d(1995, 2, 28))
    leap = family.child("T2", born=d(1996, 2, 29))
    family.offence(teen, d(2013, 2, 27))
    family.offence(leap, d(2014, 2, 28))
    evidence = family.build()
    members = {m.person_ref: m for m in evidence.members}
    assert members["T1"].is_child_on(d(2013, 2, 27))
    assert members["T2"].is_child_on(d(2014, 2, 28))
    assert not members["T2"].is_child_on(d(2014, 3, 1))


@pytest.mark.parametrize(
    ("joined", "left", "flag"),
    [
        (d(2012, 6, 1), None, True),
        (d(2012, 8, 1), None, False),  # joined after the offence
        (None, d(2012, 7, 1), False),  # left on the offence date: no longer a member
        (None, d(2012, 7, 2), True),
    ],
)
def test_offences_count_while_a_member(joined: d | None, left: d | None, flag: bool) -> None:
    """An offence counts for the family when its person was a member on the offence date."""
    family = FamilyBuilder(attached_on=A)
    child = family.child("C1", born=d(2000, 1, 1), joined_on=joined, left_on=left)
    family.offence(child, d(2012, 7, 1))
    assert verdict(family).flags["crime_asb"] is flag


def test_household_asb_always_counts() -> None:
    """A family-level ASB row (no person) in the window flags crime_asb."""
    family = FamilyBuilder(attached_on=A)
    family.asb(d(2012, 3, 1))
    assert verdict(family).flags["crime_asb"] is True


# --- identification: education and work ---------------------------------------------------


@pytest.mark.parametrize(
    ("possible", "unauthorised", "flag"),
    [(100, 15, True), (1000, 149, False), (0, 0, False)],  # exactly 15%, just under, none
)
def test_education_flag_absence_threshold(possible: int, unauthorised: int, flag: bool) -> None:
    """Unauthorised absence of at least 15% of possible sessions (integer arithmetic)."""
    family, child = family_with_child()
    family.attendance(
        child, d(2012, 9, 1), d(2012, 12, 20), possible=possible, unauthorised=unauthorised
    )
    assert verdict(family).flags["education"] is flag


def test_education_flag_counts_periods_by_their_end() -> None:
    """A period ending on A is outside [A - 12 months, A)."""
    family, child = family_with_child()
    family.attendance(child, d(2012, 9, 1), A, possible=100, unauthorised=50)
    assert verdict(family).flags["education"] is False


@pytest.mark.parametrize(
    ("exclusions", "flag"),
    [
        (["permanent"], True),
        (["fixed", "fixed", "fixed"], True),
        (["fixed", "fixed"], False),
    ],
)
def test_education_flag_exclusions(exclusions: list[str], flag: bool) -> None:
    """A permanent exclusion, or three fixed ones, in the window."""
    family, child = family_with_child()
    for number, kind in enumerate(exclusions):
        family.exclusion(child, d(2012, 3, 1 + number), kind)
    assert verdict(family).flags["education"] is flag


def test_education_flag_looks_at_children_at_attachment() -> None:
    """A member who turned 18 before A is not a child at A."""
    family = FamilyBuilder(attached_on=A)
    young_adult = family.child("Y1", born=d(1994, 12, 1))
    family.exclusion(young_adult, d(2012, 3, 1), "permanent")
    assert verdict(family).flags["education"] is False


@pytest.mark.parametrize(
    ("start", "end", "flag"),
    [
        (d(2012, 1, 1), None, True),
        (d(2012, 1, 1), A, True),
        (d(2012, 1, 1), d(2012, 12, 31), False),
    ],
)
def test_work_flag_needs_a_spell_covering_attachment(start: d, end: d | None, flag: bool) -> None:
    """An adult's out-of-work benefit spell covers A when start ≤ A ≤ end (or no end)."""
    family = FamilyBuilder(attached_on=A)
    adult = family.adult("A1")
    family.benefit(adult, "ESA", start, end)
    assert verdict(family).flags["work"] is flag


@pytest.mark.parametrize(
    ("flags", "local_filter", "eligible"),
    [(3, False, True), (2, False, False), (2, True, True), (1, True, False)],
)
def test_eligibility(flags: int, local_filter: bool, eligible: bool) -> None:
    """All three flags, or two and the local filter."""
    family = FamilyBuilder(attached_on=A, local_filter=local_filter)
    child = family.child("C1", born=d(2000, 1, 1))
    adult = family.adult("A1")
    family.offence(child, d(2012, 5, 1))
    if flags >= 2:
        family.benefit(adult, "JSA", d(2012, 1, 1))
    if flags >= 3:
        family.exclusion(child, d(2012, 5, 1), "permanent")
    assert verdict(family).eligible is eligible


# --- results at D ---------------------------------------------------------------------------


def _offences(family: FamilyBuilder, child: int, before: int, after: int) -> None:
    for n in range(before):
        family.offence(child, d(2012, 7, 1 + n % 28))
    for n in range(after):
        family.offence(child, d(2013, 7, 1 + n % 28))


@pytest.mark.parametrize(
    ("before", "after", "met"),
    [(100, 67, True), (100, 68, False), (3, 2, True), (3, 3, False), (0, 0, False)],
)
def test_youth_crime_reduction_of_33_percent(before: int, after: int, met: bool) -> None:
    """Met when 100 x count(Q) ≤ 67 x count(P): exactly a third less is enough."""
    family, child = family_with_child()
    _offences(family, child, before, after)
    result = verdict(family).criterion("youth_crime")
    assert (result.relevant, result.met) == (before > 0, met)
    assert result.measured == {"before": before, "after": after}


@pytest.mark.parametrize(("before", "after", "met"), [(5, 2, True), (5, 3, False), (10, 4, True)])
def test_asb_reduction_of_60_percent(before: int, after: int, met: bool) -> None:
    """Met when 100 x count(Q) ≤ 40 x count(P)."""
    family = FamilyBuilder(attached_on=A)
    for n in range(before):
        family.asb(d(2012, 8, 1 + n))
    for n in range(after):
        family.asb(d(2013, 8, 1 + n))
    assert verdict(family).criterion("asb").met is met


@pytest.mark.parametrize(("as_of", "met"), [(d(2013, 6, 30), False), (d(2013, 7, 1), True)])
def test_results_are_measurable_six_months_after_attachment(as_of: d, met: bool) -> None:
    """D - 6 months must be on or after A."""
    family, child = family_with_child()
    family.offence(child, d(2012, 9, 1))
    assert verdict(family, as_of).criterion("youth_crime").met is met


@pytest.mark.parametrize(("offence_on", "counted"), [(d(2013, 2, 28), 1), (d(2013, 2, 27), 0)])
def test_windows_clamp_to_the_end_of_the_month(offence_on: d, counted: int) -> None:
    """A = 2013-08-31: the pre-window starts 2013-02-28."""
    family, child = family_with_child(attached=d(2013, 8, 31))
    family.offence(child, offence_on)
    result = verdict(family, d(2014, 9, 1)).criterion("youth_crime")
    assert result.measured["before"] == counted
    assert result.windows["before"].start == d(2013, 2, 28)


def _terms(family: FamilyBuilder, child: int, absences: list[tuple[int, int]]) -> None:
    starts = [d(2013, 1, 7), d(2013, 4, 15), d(2013, 9, 2), d(2014, 1, 6), d(2014, 4, 22)]
    for (possible, unauthorised), start in zip(absences, starts, strict=False):
        family.attendance(
            child,
            start,
            d(start.year, start.month + 2, 28),
            possible=possible,
            unauthorised=unauthorised,
        )


def _education_family(absences: list[tuple[int, int]]) -> tuple[FamilyBuilder, int]:
    family, child = family_with_child()
    family.exclusion(child, d(2012, 5, 1), "permanent")  # the education flag at A
    _terms(family, child, absences)
    return family, child


@pytest.mark.parametrize(
    ("absences", "met"),
    [
        ([(100, 14), (100, 14), (100, 14)], True),
        ([(100, 15), (100, 15), (100, 15)], False),  # exactly 15% is not under 15%
        ([(100, 50), (100, 10), (100, 10), (100, 10)], True),  # only the latest 3 count
        ([(100, 0), (100, 0)], False),  # two periods: not enough
    ],
)
def test_education_result(absences: list[tuple[int, int]], met: bool) -> None:
    """Over the latest 3 periods since A, unauthorised absence under 15%."""
    family, _ = _education_family(absences)
    result = verdict(family, d(2014, 9, 1)).criterion("education")
    assert (result.relevant, result.met) == (True, met)


def test_education_result_fails_with_fixed_exclusions_in_the_periods() -> None:
    """Three fixed exclusions since the first of the latest 3 periods fail the result."""
    family, child = _education_family([(100, 0), (100, 0), (100, 0)])
    for day in (10, 11, 12):
        family.exclusion(child, d(2013, 5, day), "fixed")
    assert verdict(family, d(2014, 9, 1)).criterion("education").met is False


def test_education_result_fails_with_a_permanent_exclusion_after_attachment() -> None:
    family, child = _education_family([(100, 0), (100, 0), (100, 0)])
    family.exclusion(child, d(2013, 2, 1), "permanent")
    assert verdict(family, d(2014, 9, 1)).criterion("education").met is False


def test_a_child_who_turned_18_is_not_assessed() -> None:
    """Children on D: a member who is 18 by D is left out of the education result."""
    family = FamilyBuilder(attached_on=A)
    older = family.child("C0", born=d(1996, 3, 1))
    family.exclusion(older, d(2012, 5, 1), "permanent")
    _terms(family, older, [(100, 90), (100, 90), (100, 90)])
    result = verdict(family, d(2014, 9, 1)).criterion("education")
    assert (result.relevant, result.met, result.measured["assessed"]) == (True, False, 0)


# --- employment and progress to work ------------------------------------------------------


@pytest.mark.parametrize(
    ("benefit", "days", "met"),
    [("JSA", 91, True), ("JSA", 90, False), ("ESA", 182, True), ("ESA", 181, False)],
)
def test_continuous_employment_13_or_26_weeks(benefit: str, days: int, met: bool) -> None:
    """13 weeks (91 days counting both ends) for JSA, 26 weeks otherwise."""
    family = FamilyBuilder(attached_on=A)
    adult = family.adult("A1")
    family.benefit(adult, benefit, d(2012, 1, 1))
    start = d(2013, 2, 1)
    family.job(adult, start, start.fromordinal(start.toordinal() + days - 1))
    result = verdict(family).criterion("continuous_employment")
    assert result.met is met


def test_an_ongoing_job_is_measured_to_the_as_of_date() -> None:
    family = FamilyBuilder(attached_on=A)
    adult = family.adult("A1")
    family.benefit(adult, "ESA", d(2012, 1, 1))
    family.job(adult, d(2013, 3, 1))
    assert verdict(family, d(2013, 8, 29)).criterion("continuous_employment").met is True
    assert verdict(family, d(2013, 8, 28)).criterion("continuous_employment").met is False


@pytest.mark.parametrize(("start", "met"), [(A, True), (D, True), (d(2012, 12, 31), False)])
def test_progress_to_work_between_attachment_and_as_of(start: d, met: bool) -> None:
    family = FamilyBuilder(attached_on=A)
    adult = family.adult("A1")
    family.benefit(adult, "IS", d(2012, 1, 1))
    family.work_programme(adult, start)
    assert verdict(family).criterion("progress_to_work").met is met


# --- routes, payments, not evaluated, configuration ---------------------------------------


def _turned_around(attached: d) -> FamilyBuilder:
    """Eligible (crime, work and the local filter), with a youth crime result met later."""
    family = FamilyBuilder(attached_on=attached, local_filter=True)
    child = family.child("C1", born=d(2000, 1, 1))
    adult = family.adult("A1")
    family.benefit(adult, "JSA", d(2011, 1, 1))
    family.offence(child, attached - timedelta(days=30))
    return family


@pytest.mark.parametrize(
    ("attached", "amount", "payable"),
    [
        (d(2012, 3, 1), "700.00", True),  # before April 2012: the 2012/13 row
        (d(2013, 3, 31), "700.00", True),
        (d(2013, 4, 1), "1500.00", True),
        (d(2014, 4, 1), "2300.00", True),
        (d(2015, 4, 1), "0.00", False),  # after March 2015: not payable
    ],
)
def test_crime_asb_education_is_paid_by_the_financial_year_of_attachment(
    attached: d, amount: str, payable: bool
) -> None:
    family = _turned_around(attached)
    result = verdict(family, attached.replace(year=attached.year + 2))
    route = result.route("crime_asb_education")
    assert result.eligible
    assert route.met
    assert route.amount_gbp == Decimal(amount)
    assert ("not payable" in route.reason) is not payable


def test_turned_around_needs_eligibility() -> None:
    family = _turned_around(A)
    assert verdict(family, D.replace(year=2015)).turned_around is True
    family.records["benefits"].clear()
    result = verdict(family, D.replace(year=2015))
    assert (result.eligible, result.turned_around) == (False, False)
    assert result.route("crime_asb_education").reason == "the family is not eligible"


@pytest.mark.parametrize(
    ("attached", "reason"), [(None, "no attached_on"), (d(2014, 2, 1), "after")]
)
def test_a_family_not_yet_attached_is_not_evaluated(attached: d | None, reason: str) -> None:
    family, _ = family_with_child(attached=attached)
    result = verdict(family)
    assert result.evaluated is False
    assert reason in result.reason


def test_a_programme_can_change_the_thresholds() -> None:
    """youth_crime_reduction_percent = 50 makes a one-third reduction fail."""
    family, child = family_with_child()
    _offences(family, child, 3, 2)
    assert verdict(family).criterion("youth_crime").met is True
    assert verdict(family, youth_crime_reduction_percent=50).criterion("youth_crime").met is False


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"asb_reduction_percent": 150}, "asb_reduction_percent: must be a whole percentage"),
        ({"attendence_periods": 3}, "attendence_periods: is not a setting of rule set tf2012@1"),
        ({"payments": {"2012": {"attachment_fee": "-1"}}}, "payments.2012.attachment_fee"),
    ],
)
def test_a_bad_configuration_is_refused_naming_the_field(
    config: dict[str, object], message: str
) -> None:
    family, _ = family_with_child()
    with pytest.raises(ValueError, match=message):
        verdict(family, **config)


def test_the_verdict_explains_itself_and_round_trips_as_json() -> None:
    """Each criterion says what it measured, against what, over which windows, from which rows."""
    family, child = family_with_child()
    offence = family.offence(child, d(2012, 9, 1))
    result = verdict(family)
    crime = result.criterion("youth_crime")
    assert crime.evidence["offences"] == (offence,)
    assert crime.thresholds == {"reduction_percent": 33}
    assert crime.windows["before"].start == d(2012, 7, 1)
    assert Verdict.from_json(result.to_json()) == result
    assert result.ruleset == "tf2012@1"
