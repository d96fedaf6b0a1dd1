"""The test kit for plugin authors (`connecting_families.pytest_plugin`), used as they would."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connecting_families.domain.verdict import Verdict
from connecting_families.hooks.host import PluginHost
from connecting_families.plugin import Criterion, CriterionResult, hookimpl
from connecting_families.testing import FamilyBuilder, PluginProblems, plugin_host, verdict_of
from connecting_families.testing_service import RequestRefused, TestService

pytest_plugins = ["connecting_families.pytest_plugin", "pytester"]

FAMILIES = (
    "family_ref,programme,identified_on,attached_on,local_filter\n"
    "FAM-1,P1,2013-01-10,2013-02-01,yes\n"
    "FAM-2,P1,2013-03-01,,\n"
)
PEOPLE = (
    "person_ref,family_ref,given_name,family_name,date_of_birth,role\n"
    "C1,FAM-1,Amy,Smith,2005-04-01,child\n"
    "A1,FAM-1,Cara,Smith,1980-02-02,adult\n"
    "D1,FAM-2,Dan,Jones,1975-05-05,adult\n"
)
OFFENCES = "person_ref,offence_ref,offence_date\nC1,OF-1,2012-10-01\nC1,OF-2,2012-11-01\n"
BENEFITS = "person_ref,benefit,start_date\nA1,JSA,2012-01-01\n"
WORK = "person_ref,provision,start_date\nA1,work_programme,2013-03-01\n"
JOBS = "person_ref,start_date,hours_per_week\nA1,2013-04-01,20\n"


def _always(evidence: Any, attached: dt.date, on: dt.date, params: Any) -> CriterionResult:
    return CriterionResult(name="kit_always_met", relevant=True, met=True)


class AlwaysMet:
    """A plugin registering one criterion."""

    @hookimpl
    def cf_register_criteria(self, register: Callable[[Criterion], None]) -> None:
        register(Criterion("kit_always_met", "always met", {}, _always))


class RaisesWhileRegistering:
    @hookimpl
    def cf_register_criteria(self, register: Callable[[Criterion], None]) -> None:
        raise RuntimeError("boom")


def test_a_host_loads_only_the_plugins_named() -> None:
    """Naming tf2015 leaves out every other installed plugin (the example's criterion too)."""
    host = plugin_host("tf2015", AlwaysMet())
    assert host.ruleset_ids() == ("tf2015",)
    assert "kit_always_met" in host.criteria()
    assert "offending_reduced" in host.criteria()
    assert "domestic_abuse_incidents_reduced" not in host.criteria()
    assert [p.name for p in host.plugins()] == ["test_test_kit.AlwaysMet", "tf2015"]


def test_a_plugin_that_fails_to_register_is_named() -> None:
    """The host's problem is raised, naming the plugin and the hook."""
    with pytest.raises(PluginProblems, match=r"RaisesWhileRegistering.*cf_register_criteria"):
        plugin_host("tf2015", RaisesWhileRegistering())


class Misspelt:
    @hookimpl
    def cf_register_criterion(self, register: Callable[[Criterion], None]) -> None:
        register(Criterion("kit_always_met", "always met", {}, _always))


class HookimplForgotten:
    def cf_register_criteria(self, register: Callable[[Criterion], None]) -> None:
        register(Criterion("kit_always_met", "always met", {}, _always))


@pytest.mark.parametrize(
    ("plugin", "named"),
    [(Misspelt(), r"Misspelt'.*cf_register_criterion"), (HookimplForgotten(), "@hookimpl")],
)
def test_a_plugin_whose_hooks_the_host_cannot_call_is_named(plugin: object, named: str) -> None:
    """A misspelt hook, or functions without @hookimpl: the test fails, saying which."""
    with pytest.raises(PluginProblems) as raised:
        plugin_host("tf2015", plugin)
    assert type(plugin).__name__ in str(raised.value)
    assert re.search(named, str(raised.value), re.S)


def test_a_name_not_installed_is_refused_with_the_installed_names() -> None:
    with pytest.raises(LookupError, match=r"no installed plugin is named 'tf2051'.*tf2015"):
        plugin_host("tf2051")


def test_verdict_of_judges_with_the_plugins_named_only() -> None:
    """A plan naming a criterion of a plugin not named is refused, as a programme's would be."""
    family = FamilyBuilder(attached_on=dt.date(2016, 1, 1))
    family.child("C1", born=dt.date(2005, 1, 1))
    family.need("health", dt.date(2016, 2, 1))  # tf2015 judges a headline's plan only if present
    plan = {"health": {"progress": [{"criterion": "kit_always_met"}]}}
    verdict = verdict_of(
        "tf2015",
        family.build(),
        dt.date(2017, 1, 1),
        {"outcome_plan": plan},
        plugins=("tf2015", AlwaysMet()),
    )
    assert verdict.criterion("health:kit_always_met").met
    with pytest.raises(ValueError, match=r"'kit_always_met' is not a registered criterion"):
        verdict_of(
            "tf2015",
            family.build(),
            dt.date(2017, 1, 1),
            {"outcome_plan": plan},
            plugins=["tf2015"],
        )


@pytest.mark.cf_plugins("tf2015", AlwaysMet())
def test_the_fixtures_share_the_host_named_by_the_marker(
    cf_host: PluginHost, cf_verdict_of: Callable[..., Verdict]
) -> None:
    family = FamilyBuilder(attached_on=dt.date(2016, 1, 1))
    family.need("health", dt.date(2016, 2, 1))
    plan = {"health": {"progress": [{"criterion": "kit_always_met"}]}}
    verdict = cf_verdict_of("tf2015", family.build(), dt.date(2017, 1, 1), {"outcome_plan": plan})
    assert verdict.criterion("health:kit_always_met").met
    assert set(cf_host.ruleset_ids()) == {"tf2015"}


def test_a_host_problem_fails_the_test_that_names_the_plugin(pytester: pytest.Pytester) -> None:
    """Registering fails the test at set-up; a hook raising during the test fails it as it
    ends; a test naming no plugins fails saying how to name them."""
    # The kit is loaded by `pytest_plugins`, after the marks are read: a project declares it.
    pytester.makeini(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        "markers =\n    cf_plugins: the plugins a test loads\n"
    )
    pytester.makepyfile(
        textwrap.dedent(
            """
            import pytest
            from connecting_families.plugin import hookimpl

            pytest_plugins = ["connecting_families.pytest_plugin"]

            class Broken:
                @hookimpl
                def cf_register_measures(self, register):
                    raise ValueError("no measure today")

            class Objects:
                @hookimpl
                def cf_check_claim_line(self, line, verdict):
                    raise KeyError("route")

            @pytest.mark.cf_plugins("tf2012", Broken())
            def test_broken_registration(cf_host):
                pass

            @pytest.mark.cf_plugins("tf2012", Objects())
            def test_broken_check(cf_host):
                cf_host.check_claim_line({}, None)

            def test_no_plugins_named(cf_host):
                pass
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=1, errors=3)
    result.stdout.fnmatch_lines(
        [
            "*problems while loading*",
            "*plugin '*.Broken' failed in cf_register_measures: ValueError: no measure today*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["*problems during the test*", "*Objects' failed in cf_check_claim_line: KeyError*"]
    )
    result.stdout.fnmatch_lines(
        ["*name the plugins this test loads with @pytest.mark.cf_plugins*"]
    )


@pytest.mark.cf_plugins("tf2012")
def test_the_service_imports_evaluates_explains_and_claims(cf_service: TestService) -> None:
    """A programme on tf2012: the evidence imported as CSVs, FAM-1 turned around by both
    routes, in words, and a claim of two lines."""
    cf_service.create_programme("P1", "tf2012")
    for kind, text in (
        ("families", FAMILIES),
        ("people", PEOPLE),
        ("offences", OFFENCES),
        ("benefits", BENEFITS),
        ("work_programme", WORK),
        ("employment", JOBS),
    ):
        assert cf_service.import_csv(kind, text)["rows"] == text.count("\n") - 1
    verdict = cf_service.verdict("FAM-1", "2014-03-01")
    assert (verdict["ruleset"], verdict["turned_around"]) == ("tf2012@1", True)
    totals = cf_service.evaluate_programme("2014-03-01")
    assert (totals["families"], totals["turned_around"]) == (2, 1)
    explained = cf_service.explanation("FAM-1", "2014-03-01")
    assert all(line.met for line in explained.routes)
    claim = cf_service.prepare_claim("2014-03-01")
    assert sorted(line["route"] for line in claim["lines"]) == [
        "crime_asb_education",
        "progress_to_work",
    ]


@pytest.mark.cf_plugins("tf2012")
def test_a_refused_import_fails_with_the_row_errors(cf_service: TestService) -> None:
    cf_service.create_programme("P1", "tf2012")
    with pytest.raises(RequestRefused, match=r"422.*line 2, column identified_on"):
        cf_service.import_csv("families", "family_ref,programme,identified_on\nF1,P1,soon\n")


@pytest.mark.cf_plugins("tf2015")
def test_a_programme_configuration_naming_an_absent_criterion_is_refused(
    cf_service: TestService,
) -> None:
    plan = {"health": {"progress": [{"criterion": "kit_always_met"}]}}
    with pytest.raises(RequestRefused, match=r"outcome_plan\.health\.progress\[0\]\.criterion"):
        cf_service.create_programme("P1", "tf2015", config={"outcome_plan": plan})


async def test_the_service_refuses_an_async_test_clearly(tmp_path: Path) -> None:
    """Its methods run their own event loop, which cannot run inside the test's."""
    with (
        pytest.raises(RuntimeError, match=r"synchronous: use it from a plain `def test_"),
        TestService.start(tmp_path, plugin_host("tf2012")),
    ):
        pass
    assert not (tmp_path / "service.sqlite3").exists()
