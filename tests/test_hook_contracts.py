"""Each hook through the path a plugin author relies on: a test per hook, named after it.

`test_hooks.py` fails when a hook has no test whose name holds the hook's name; these are the
tests of the registration hooks and of `cf_check_claim_line`'s typed line (`test_claims.py`
has the claim and verdict hooks through a whole claim).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import httpx
import pytest
from litestar import Litestar

from connecting_families.audit.service import Actor
from connecting_families.errors import Invalid
from connecting_families.hooks.host import PluginHost
from connecting_families.imports.service import ImportRequest, ImportService
from connecting_families.plugin import (
    ClaimLineCheck,
    Criterion,
    CriterionResult,
    FamilyEvidence,
    Measure,
    RouteResult,
    RuleContext,
    RuleSet,
    Verdict,
    hookimpl,
)
from connecting_families.testing import FamilyBuilder, verdict_of

from access_world import build_world
from import_cases import FAMILIES, PEOPLE

A = dt.date(2016, 1, 1)
LINE = ClaimLineCheck(
    family_ref="FAM-1", route="sustained_progress", amount_pence=80_000, as_of=A, ruleset="x@1"
)
VERDICT = Verdict(ruleset="x@1", family_ref="FAM-1", as_of=A, known_at=None, evaluated=True)


class Wellbeing:
    """A council's plugin declaring one measure: a wellbeing score from 0 to 10."""

    @hookimpl
    def cf_register_measures(self, register: Callable[[Measure], None]) -> None:
        register(Measure(key="wellbeing_score", type="number", description="0-10", maximum=10))


async def test_cf_register_measures_decides_what_an_observations_import_accepts(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    """A declared measure's values are imported and checked; without its plugin, refused."""
    await build_world(app.state.accounts)
    with_plugin = PluginHost(load_installed=False)
    with_plugin.register(Wellbeing(), "wellbeing")
    service = ImportService(app.state.engine, 1_000_000, with_plugin)
    operator = Actor.operator("tests")

    def request(kind: str, text: str) -> ImportRequest:
        return ImportRequest(
            kind=kind, programme_code="P1", data=text.encode(), file_name=f"{kind}.csv"
        )

    await service.run(None, operator, request("families", FAMILIES))
    await service.run(None, operator, request("people", PEOPLE))
    header = "person_ref,family_ref,measure,observed_on,period_start,period_end,value\n"
    good = header + "C1,,wellbeing_score,2013-03-01,,,6\n"
    assert (await service.run(None, operator, request("observations", good))).inserted == 1
    too_high = header + "C1,,wellbeing_score,2013-03-02,,,11\n"
    with pytest.raises(Invalid) as refused:
        await service.run(None, operator, request("observations", too_high))
    assert "is above 10" in refused.value.errors[0]["text"]
    without = ImportService(app.state.engine, 1_000_000, PluginHost(load_installed=False))
    with pytest.raises(Invalid) as undeclared:
        await without.run(None, operator, request("observations", good))
    assert "is not a measure declared by an installed plugin" in undeclared.value.errors[0]["text"]


def _attended_school(
    evidence: FamilyEvidence, attached: dt.date, on: dt.date, params: Mapping[str, Any]
) -> CriterionResult:
    """Met when the family has any attendance record: enough to see it judged."""
    return CriterionResult(
        name="attended_school",
        relevant=True,
        met=bool(evidence.attendance),
        measured={"records": len(evidence.attendance)},
        thresholds={"at_least": params["at_least"]},
    )


class SchoolCriterion:
    @hookimpl
    def cf_register_criteria(self, register: Callable[[Criterion], None]) -> None:
        register(
            Criterion(
                name="attended_school",
                description="at least `at_least` attendance records",
                parameters={"at_least": "how many records"},
                judge=_attended_school,
            )
        )


def test_cf_register_criteria_lets_a_tf2015_plan_name_a_plugins_criterion() -> None:
    """A plan naming the plugin's criterion is accepted, and the verdict holds its result."""
    from cf_rulesets.tf2015 import DEFAULT_PLAN

    host = PluginHost()
    host.register(SchoolCriterion(), "school")
    plan = copy.deepcopy(DEFAULT_PLAN)
    plan["education"]["progress"] = [{"criterion": "attended_school", "at_least": 1}]
    builder = FamilyBuilder(attached_on=A)
    child = builder.child("C1", born=dt.date(2005, 1, 1))
    # A quarter of sessions missed before attachment: the education headline is present.
    builder.attendance(
        child, dt.date(2015, 9, 1), dt.date(2015, 12, 20), possible=120, unauthorised=30
    )
    verdict = verdict_of(
        "tf2015", builder.build(), dt.date(2017, 1, 1), {"outcome_plan": plan}, host=host
    )
    result = verdict.criterion("education:attended_school")
    assert (result.relevant, result.met, result.measured) == (True, True, {"records": 1})
    missing = copy.deepcopy(plan)
    missing["education"]["progress"] = [{"criterion": "attended_school"}]
    with pytest.raises(ValueError, match=r"at_least: is required"):
        verdict_of("tf2015", builder.build(), A, {"outcome_plan": missing}, host=host)


def _always_turned_around(
    evidence: FamilyEvidence, as_of: dt.date, config: Mapping[str, Any], context: RuleContext
) -> Verdict:
    return Verdict(
        ruleset="council2024@1",
        family_ref=evidence.family_ref,
        as_of=as_of,
        known_at=evidence.known_at,
        evaluated=True,
        eligible=True,
        routes=(RouteResult("helped", met=True, amount_gbp=Decimal(config["fee_gbp"])),),
        turned_around=True,
    )


class CouncilRules:
    @hookimpl
    def cf_register_rulesets(self, register: Callable[[RuleSet], None]) -> None:
        register(
            RuleSet(
                id="council2024",
                version=1,
                name="A council's own programme",
                headlines=("housing",),
                routes=("helped",),
                defaults={"fee_gbp": "500.00"},
                evaluate=_always_turned_around,
            )
        )


def test_cf_register_rulesets_makes_a_rule_set_a_programme_can_name() -> None:
    """The registered rule set is found by id, judges with its defaults and a programme's
    overrides, and refuses a setting it does not have."""
    host = PluginHost()
    host.register(CouncilRules(), "council-rules")
    assert "council2024" in host.ruleset_ids()
    assert host.headlines("council2024") == ("housing",)
    evidence = FamilyBuilder(attached_on=A).build()
    verdict = verdict_of("council2024", evidence, A, host=host)
    assert verdict.route("helped").amount_gbp == Decimal("500.00")
    assert verdict_of("council2024", evidence, A, {"fee_gbp": "700"}, host=host).route(
        "helped"
    ).amount_gbp == Decimal("700")
    with pytest.raises(ValueError, match="fee: is not a setting of rule set council2024@1"):
        verdict_of("council2024", evidence, A, {"fee": "1"}, host=host)


class Cap:
    """Holds back a line over £1,000 (reading the typed line), and one plugin that answers
    with a string, as an author's slip would."""

    @hookimpl
    def cf_check_claim_line(self, line: ClaimLineCheck, verdict: Verdict) -> list[str] | None:
        return ["over the local cap of £1,000"] if line.amount_gbp > 1000 else None


class Careless:
    @hookimpl
    def cf_check_claim_line(self, line: ClaimLineCheck, verdict: Verdict) -> Any:
        return "needs a letter"


def test_cf_check_claim_line_gets_a_typed_line() -> None:
    """The line is a frozen value with the amount exact in pence and in pounds."""
    host = PluginHost(load_installed=False)
    host.register(Cap(), "cap")
    assert host.check_claim_line(LINE, VERDICT) == []
    dearer = ClaimLineCheck(
        family_ref="FAM-1", route="helped", amount_pence=100_001, as_of=A, ruleset="x@1"
    )
    assert dearer.amount_gbp == Decimal("1000.01")
    assert host.check_claim_line(dearer, VERDICT) == ["over the local cap of £1,000"]


def test_cf_check_claim_line_answering_a_string_holds_the_line_and_names_the_plugin() -> None:
    """A string is not taken letter by letter: the line is held back, the plugin named."""
    host = PluginHost(load_installed=False)
    host.register(Careless(), "careless")
    assert host.check_claim_line(LINE, VERDICT) == ["plugin careless could not check this line"]
    assert host.problems == [
        "plugin 'careless' failed in cf_check_claim_line: "
        "TypeError: returned str, not a list of messages"
    ]
