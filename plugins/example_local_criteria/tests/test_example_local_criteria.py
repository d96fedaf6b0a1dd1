"""The example plugin's own tests, as its author would write them, with the test kit."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date as d
from typing import Any

import cf_example_local_criteria as plugin
import pytest
from cf_rulesets.tf2015 import DEFAULT_PLAN

from connecting_families.domain.verdict import Verdict
from connecting_families.hooks.host import PluginHost
from connecting_families.testing import FamilyBuilder

pytest_plugins = ["connecting_families.pytest_plugin"]

A = d(2016, 1, 1)


@pytest.fixture
def cf_plugins() -> list[Any]:
    """tf2015 and this plugin alone: the tests pass or fail on this plugin's code."""
    return ["tf2015", plugin]


def family(before: list[int], after: list[int]) -> FamilyBuilder:
    """Two headlines present (crime and domestic abuse); monthly incident counts around A."""
    builder = FamilyBuilder(attached_on=A)
    child = builder.child("C1", born=d(2005, 1, 1))
    builder.offence(child, d(2015, 9, 1))
    builder.need("domestic_abuse", d(2016, 1, 15))
    for month, count in enumerate(before, start=7):
        builder.observation(plugin.MEASURE, count, d(2015, month, 1))
    for month, count in enumerate(after, start=1):
        builder.observation(plugin.MEASURE, count, d(2017, month, 1))
    return builder


@pytest.mark.parametrize(
    ("before", "after", "met"),
    [([2, 2], [1, 1], True), ([2, 2], [1, 2], False), ([0, 0], [0, 0], False)],
)
def test_the_criterion_halves(before: list[int], after: list[int], met: bool) -> None:
    """50% over 6 months: 4 incidents before attachment, at most 2 in the latest 6 months."""
    result = plugin.judge(
        family(before, after).build(), A, d(2017, 6, 1), {"percent": 50, "months": 6}
    )
    assert result.met is met
    assert result.relevant is (sum(before) > 0)


def test_it_is_found_as_an_installed_plugin() -> None:
    """Among everything installed, as the service loads it."""
    host = PluginHost()
    assert "domestic_abuse_incidents_reduced" in host.criteria()
    assert plugin.MEASURE in host.measures()
    listed = {p.name: p for p in host.plugins()}["example_local_criteria"]
    assert listed.criteria == ("domestic_abuse_incidents_reduced",)


def test_a_tf2015_plan_names_it_and_the_verdict_explains_it(
    cf_verdict_of: Callable[..., Verdict],
) -> None:
    plan = copy.deepcopy(DEFAULT_PLAN)
    plan["domestic_abuse"]["progress"] = [
        {"criterion": "domestic_abuse_incidents_reduced", "percent": 50, "months": 6}
    ]
    verdict = cf_verdict_of(
        "tf2015", family([2, 2], [1, 0]).build(), d(2017, 6, 1), {"outcome_plan": plan}
    )
    explained = verdict.criterion("domestic_abuse:domestic_abuse_incidents_reduced")
    assert (explained.met, explained.measured) == (True, {"before": 4.0, "after": 1.0})
    assert len(explained.evidence["observations"]) == 4


def test_a_bad_parameter_is_refused(cf_verdict_of: Callable[..., Verdict]) -> None:
    plan = copy.deepcopy(DEFAULT_PLAN)
    plan["domestic_abuse"]["progress"] = [
        {"criterion": "domestic_abuse_incidents_reduced", "percent": 0, "months": 6}
    ]
    with pytest.raises(ValueError, match=r"progress\[0\]\.percent: must be a whole number"):
        cf_verdict_of("tf2015", family([1], [1]).build(), d(2017, 6, 1), {"outcome_plan": plan})
