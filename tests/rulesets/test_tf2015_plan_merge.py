"""tf2015: a programme's partial outcome plan is merged onto the default plan (version 2)."""

from __future__ import annotations

import copy
from datetime import date as d

from cf_rulesets.tf2015 import DEFAULT_PLAN

from connecting_families.domain.evidence import FamilyEvidence
from connecting_families.hooks.host import PluginHost
from connecting_families.testing import FamilyBuilder, verdict_of

A = d(2016, 1, 1)
D = d(2017, 6, 1)
HOST = PluginHost()
# A council changes how education shows progress, and names only that headline.
EDUCATION_ONLY = {
    "outcome_plan": {
        "education": {"progress": [{"criterion": "exclusions_below", "count": 2, "periods": 3}]}
    }
}


def two_headline_family() -> FamilyEvidence:
    """A child with two offences in the year before A, and a health need: two headlines."""
    family = FamilyBuilder(attached_on=A)
    child = family.child("C1", born=d(2004, 1, 1))
    family.offence(child, d(2015, 8, 1))
    family.offence(child, d(2015, 9, 1))
    family.need("health", d(2016, 2, 1))
    return family.build()


def test_a_plan_naming_one_headline_keeps_the_default_plan_of_the_others() -> None:
    """Crime and health stay in the plan, so a family with both is still eligible."""
    verdict = verdict_of("tf2015", two_headline_family(), D, EDUCATION_ONLY, HOST)
    assert verdict.ruleset == "tf2015@3"
    assert set(verdict.flags) == set(DEFAULT_PLAN)
    assert (verdict.flags["crime_asb"], verdict.flags["health"]) == (True, True)
    assert verdict.eligible is True


def test_a_headline_naming_one_part_keeps_its_other_parts() -> None:
    """Only the progress rule is named: the headline's default indicators still hold."""
    ruleset = HOST.ruleset("tf2015")
    assert ruleset is not None
    config = ruleset.configuration({"outcome_plan": {"crime_asb": {"progress_rule": "any"}}})
    crime = config["outcome_plan"]["crime_asb"]
    assert crime["progress_rule"] == "any"
    assert crime["indicators"] == DEFAULT_PLAN["crime_asb"]["indicators"]
    assert crime["progress"] == DEFAULT_PLAN["crime_asb"]["progress"]


def test_the_headline_named_is_changed_as_named() -> None:
    """Education's progress is the council's, not the default's."""
    ruleset = HOST.ruleset("tf2015")
    assert ruleset is not None
    education = ruleset.configuration(EDUCATION_ONLY)["outcome_plan"]["education"]
    assert education["progress"] == EDUCATION_ONLY["outcome_plan"]["education"]["progress"]
    assert education["indicators"] == DEFAULT_PLAN["education"]["indicators"]


def test_an_empty_list_in_a_plan_is_kept_empty() -> None:
    """No indicators for crime: it is present only through a need, as the council said."""
    plan = {"outcome_plan": {"crime_asb": {"indicators": []}}}
    verdict = verdict_of("tf2015", two_headline_family(), D, plan, HOST)
    assert verdict.flags["crime_asb"] is False
    assert verdict.eligible is False


def test_a_programmes_plan_never_changes_the_default_plan() -> None:
    """The configuration is a copy: changing it leaves the rule set's defaults as they were."""
    before = copy.deepcopy(DEFAULT_PLAN)
    ruleset = HOST.ruleset("tf2015")
    assert ruleset is not None
    config = ruleset.configuration(EDUCATION_ONLY)
    config["outcome_plan"]["health"]["progress"].clear()
    config["outcome_plan"]["crime_asb"]["progress"][0]["percent"] = 99
    assert before == DEFAULT_PLAN


def test_a_claim_made_under_version_1_is_judged_again_as_it_was_made() -> None:
    """tf2015@1 stays registered, replacing the plan whole as it did."""
    verdict = verdict_of("tf2015@1", two_headline_family(), D, EDUCATION_ONLY, HOST)
    assert verdict.ruleset == "tf2015@1"
    assert list(verdict.flags) == ["education"]
    assert verdict.eligible is False


def test_a_bad_part_of_a_partial_plan_is_refused_naming_its_field() -> None:
    """Merged, the plan is still checked: a wrong criterion is named where it was written."""
    plan = {"outcome_plan": {"health": {"progress": [{"criterion": "magic"}]}}}
    ruleset = HOST.ruleset("tf2015")
    assert ruleset is not None
    assert ruleset.config_problems(plan, HOST.context()) == [
        ("outcome_plan.health.progress[0].criterion", "'magic' is not a registered criterion")
    ]
