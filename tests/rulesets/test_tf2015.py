"""tf2015: outcome plans from configuration, built-in criteria, eligibility and routes."""

from __future__ import annotations

import copy
from datetime import date as d
from decimal import Decimal
from typing import Any

import pytest
from cf_rulesets.tf2015 import DEFAULT_PLAN

from connecting_families.domain.claims import near_miss, worth
from connecting_families.domain.verdict import Verdict
from connecting_families.hooks.host import PluginHost
from connecting_families.testing import FamilyBuilder, verdict_of

A = d(2016, 1, 1)
D = d(2017, 6, 1)
HOST = PluginHost()


def verdict(family: FamilyBuilder, as_of: d = D, **config: Any) -> Verdict:
    return verdict_of("tf2015", family.build(), as_of, config, HOST)


def crime_family() -> tuple[FamilyBuilder, int]:
    """A child with two offences in the year before A: crime_asb is present."""
    family = FamilyBuilder(attached_on=A)
    child = family.child("C1", born=d(2004, 1, 1))
    family.offence(child, d(2015, 8, 1))
    family.offence(child, d(2015, 9, 1))
    return family, child


def test_a_headline_is_present_through_an_indicator() -> None:
    family, _ = crime_family()
    result = verdict(family)
    assert result.flags["crime_asb"] is True
    assert result.criterion("crime_asb:offences_in_window").measured == {"count": 2}


@pytest.mark.parametrize(
    ("identified", "present"), [(d(2016, 4, 1), True), (d(2016, 4, 2), False)]
)
def test_a_need_identified_within_three_months_makes_a_headline_present(
    identified: d, present: bool
) -> None:
    """A need with the headline identified on or before A + 3 months."""
    family, _ = crime_family()
    family.need("health", identified)
    assert verdict(family).flags["health"] is present


def test_eligible_with_two_headlines_and_a_child() -> None:
    family, _ = crime_family()
    assert verdict(family).eligible is False  # one headline
    family.need("health", d(2016, 2, 1))
    assert verdict(family).eligible is True
    family.records["members"][0] = family.records["members"][0].__class__(
        1, "C1", d(1997, 1, 1), "child"
    )
    assert verdict(family).eligible is False  # 18 at A: no child


def test_sustained_progress_needs_every_present_headline() -> None:
    """Offending fell (the relevant crime measure) and the health need was achieved."""
    family, _ = crime_family()
    need = family.need("health", d(2016, 2, 1), outcome="achieved", outcome_on=d(2017, 1, 1))
    result = verdict(family)
    assert result.criterion("crime_asb:offending_reduced").met is True
    assert result.criterion("crime_asb:asb_reduced").relevant is False  # no ASB: does not count
    assert result.route("sustained_progress").met is True
    assert result.route("sustained_progress").amount_gbp == Decimal("800.00")
    assert result.criterion("health:need_outcome_achieved").evidence["needs"] == (need,)
    family.records["needs"].clear()
    family.need("health", d(2016, 2, 1))
    assert verdict(family).route("sustained_progress").met is False


def test_a_council_can_change_its_plan_without_code() -> None:
    """Progress rule `any`, and a different reduction percentage, from configuration."""
    family, child = crime_family()
    family.need("health", d(2016, 2, 1), outcome="achieved", outcome_on=d(2017, 1, 1))
    family.offence(child, d(2017, 3, 1))  # one offence in the latest 6 months: a 50% fall
    plan = copy.deepcopy(DEFAULT_PLAN)
    assert verdict(family, outcome_plan=plan).route("sustained_progress").met is True
    plan["crime_asb"]["progress"][0]["percent"] = 60
    assert verdict(family, outcome_plan=plan).route("sustained_progress").met is False
    plan["crime_asb"]["progress"].append({"criterion": "no_offences", "months": 1})
    plan["crime_asb"]["progress_rule"] = "any"
    assert verdict(family, outcome_plan=plan).route("sustained_progress").met is True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"criterion": "magic"},
            "outcome_plan.crime_asb.progress\\[0\\].criterion: 'magic' is not",
        ),
        (
            {"criterion": "offending_reduced", "percent": 150, "months": 6},
            "progress\\[0\\].percent: must be",
        ),
        ({"criterion": "offending_reduced", "months": 6}, "progress\\[0\\].percent: is required"),
    ],
)
def test_a_bad_plan_is_refused_naming_the_field(change: dict[str, Any], message: str) -> None:
    plan = copy.deepcopy(DEFAULT_PLAN)
    plan["crime_asb"]["progress"][0] = change
    family, _ = crime_family()
    with pytest.raises(ValueError, match=message):
        verdict(family, outcome_plan=plan)


def test_continuous_employment_is_a_route() -> None:
    family, _ = crime_family()
    family.need("health", d(2016, 2, 1))
    adult = family.adult("A1")
    family.benefit(adult, "ESA", d(2015, 1, 1))
    family.job(adult, d(2016, 3, 1), d(2016, 8, 29))  # 182 days: 26 weeks
    result = verdict(family)
    assert result.route("continuous_employment").met is True
    assert result.turned_around is True


def offended_again_with_health_achieved() -> FamilyBuilder:
    """Crime and health present: the health need is achieved, but offending did not fall (two
    offences before attachment, two in the latest six months)."""
    family, child = crime_family()
    family.offence(child, d(2017, 3, 1))
    family.offence(child, d(2017, 4, 1))
    family.need("health", d(2016, 2, 1), outcome="achieved", outcome_on=d(2017, 1, 1))
    return family


def test_the_measures_of_a_headline_not_present_are_not_judged() -> None:
    """Education is not present: its measures are neither relevant nor met, and say why."""
    result = verdict(offended_again_with_health_achieved())
    assert result.flags["education"] is False
    for name in ("education:unauthorised_absence_below", "education:exclusions_below"):
        measure = result.criterion(name)
        assert (measure.relevant, measure.met) == (False, False)
        assert measure.reason == "not judged: the headline is not present"
    # A present headline's measures are judged as before.
    assert result.criterion("crime_asb:offending_reduced").relevant is True


def test_a_family_failing_one_progress_measure_is_a_near_miss() -> None:
    """The one measure failed is named, not the headline it rests on, an indicator that did
    not hold, or a measure of a headline the family does not have."""
    ruleset = HOST.ruleset("tf2015")
    assert ruleset is not None
    result = verdict(offended_again_with_health_achieved())
    assert near_miss(result, ruleset.failing) == {
        "family_ref": result.family_ref,
        "criterion": "crime_asb:offending_reduced",
        "measured": {"before": 2, "after": 2},
        "thresholds": {"reduction_percent": 33},
        "reason": "",
    }


def test_a_family_failing_two_progress_measures_is_not_a_near_miss() -> None:
    """The health need is not achieved either: two measures fail."""
    ruleset = HOST.ruleset("tf2015")
    assert ruleset is not None
    family = offended_again_with_health_achieved()
    family.records["needs"].clear()
    family.need("health", d(2016, 2, 1))
    assert near_miss(verdict(family), ruleset.failing) is None


def test_a_headline_with_no_relevant_measure_is_itself_the_near_miss() -> None:
    """Crime is present through offences 10 months before attachment, outside the 6 months
    its measures compare: none is relevant, so the headline is what the family misses."""
    ruleset = HOST.ruleset("tf2015")
    assert ruleset is not None
    family = FamilyBuilder(attached_on=A)
    child = family.child("C1", born=d(2004, 1, 1))
    family.offence(child, d(2015, 3, 1))
    family.need("health", d(2016, 2, 1), outcome="achieved", outcome_on=d(2017, 1, 1))
    miss = near_miss(verdict(family), ruleset.failing)
    assert miss is not None
    assert miss["criterion"] == "crime_asb"


def test_version_2_is_judged_again_as_it_was_made() -> None:
    """tf2015@2 stays registered and still judges an absent headline's measures, so a claim
    made under it verifies unchanged."""
    old = verdict_of("tf2015@2", offended_again_with_health_achieved().build(), D, {}, HOST)
    assert old.ruleset == "tf2015@2"
    assert old.criterion("education:unauthorised_absence_below").relevant is True
    assert "progress_not_met" not in old.criterion("crime_asb").measured


def test_a_family_meeting_both_routes_is_worth_its_one_claim() -> None:
    """Both routes met: worth £800 once, exactly the claim's one line."""
    ruleset = HOST.ruleset("tf2015")
    assert ruleset is not None
    family, _ = crime_family()
    family.need("health", d(2016, 2, 1), outcome="achieved", outcome_on=d(2017, 1, 1))
    adult = family.adult("A1")
    family.benefit(adult, "JSA", d(2015, 1, 1), d(2016, 2, 28))  # worklessness ended
    family.job(adult, d(2016, 3, 1))  # and in work since: 13 weeks after JSA
    result = verdict(family)
    assert result.routes_met == ("sustained_progress", "continuous_employment")
    assert worth(result, ruleset.claimable) == {"sustained_progress": 80000}
    assert list(worth(result, ruleset.claimable).items()) == ruleset.claimable(result, {})
