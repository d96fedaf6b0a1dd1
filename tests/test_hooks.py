"""The plugin host and the hookspecs themselves: documentation, tests, blocking and failures."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
from pathlib import Path
from typing import Any

import pytest

from connecting_families.domain.claims import ClaimLineCheck
from connecting_families.domain.measures import Measure
from connecting_families.domain.rules import Criterion
from connecting_families.domain.verdict import CriterionResult, Verdict
from connecting_families.hooks import hookspecs
from connecting_families.hooks.hookspecs import hookimpl
from connecting_families.hooks.host import PluginHost

ROOT = Path(__file__).resolve().parent.parent
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("cf_"))


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_documented(name: str) -> None:
    """A docstring stating the contract, a :param: line per argument and a versionadded."""
    hook = getattr(hookspecs, name)
    doc = inspect.getdoc(hook) or ""
    assert len(doc.splitlines()[0]) > 20, f"{name}: say what the hook is for"
    for parameter in inspect.signature(hook).parameters:
        assert f":param {parameter}:" in doc, f"{name}: document {parameter}"
    assert ".. versionadded::" in doc


def _tests_named_after(hook: str) -> list[str]:
    """The test functions (with an assert) whose name holds the hook's name."""
    found = []
    for path in [*ROOT.glob("tests/**/test_*.py"), *ROOT.glob("plugins/*/tests/test_*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and node.name.startswith("test_")
                and hook in node.name
                and any(isinstance(inner, ast.Assert) for inner in ast.walk(node))
            ):
                found.append(f"{path.name}::{node.name}")
    return found


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_test(name: str) -> None:
    """A test named after the hook (datasette's rule), not a mention of it in any file: a
    plugin defining every hook, as `Broken` below does, must not count as their tests."""
    assert _tests_named_after(name), f"no test is named test_…{name}…"


def test_a_hook_named_by_no_test_is_found_to_have_none() -> None:
    """The meta-test can fail: a hook named by no test has none."""
    assert _tests_named_after("cf_no_such_hook") == []
    assert (
        "test_hook_contracts.py::test_cf_register_rulesets_makes_a_rule_set_a_programme_can_name"
        in _tests_named_after("cf_register_rulesets")
    )


def _result(name: str) -> CriterionResult:
    return CriterionResult(name=name, relevant=True, met=True)


class Broken:
    """A plugin whose every hook raises."""

    @hookimpl
    def cf_register_measures(self, register: Any) -> None:
        raise RuntimeError("boom")

    @hookimpl
    def cf_register_criteria(self, register: Any) -> None:
        raise RuntimeError("boom")

    @hookimpl
    def cf_register_rulesets(self, register: Any) -> None:
        raise RuntimeError("boom")

    @hookimpl
    def cf_check_claim_line(self, line: ClaimLineCheck, verdict: Verdict) -> list[str]:
        raise RuntimeError("boom")

    @hookimpl
    def cf_verdict_changed(self, family_ref: str, before: Verdict | None, after: Verdict) -> None:
        raise RuntimeError("boom")


def line(pounds: int) -> ClaimLineCheck:
    return ClaimLineCheck(
        family_ref="F1", route="r", amount_pence=pounds * 100, as_of=VERDICT.as_of, ruleset="x@1"
    )


VERDICT = Verdict(
    ruleset="tf2012@1", family_ref="F1", as_of=dt.date(2014, 1, 1), known_at=None, evaluated=True
)


def test_a_failing_plugin_is_reported_by_name_and_the_rest_still_work() -> None:
    host = PluginHost()
    host.register(Broken(), "broken")
    assert host.ruleset("tf2012") is not None
    assert "offending_reduced" in host.criteria()
    host.measures()
    objections = host.check_claim_line(line(800), VERDICT)
    host.verdict_changed("F1", None, VERDICT)
    assert objections == ["plugin broken could not check this line"]
    failed = [p for p in host.problems if p.startswith("plugin 'broken' failed")]
    assert len(failed) == 5


def test_a_plugin_can_be_disabled_by_name() -> None:
    """CF_DISABLED_PLUGINS=tf2012 leaves the other rule sets."""
    host = PluginHost(["tf2012"])
    assert host.ruleset("tf2012") is None
    assert host.ruleset("sf2022") is not None
    assert "tf2012" not in {p.name for p in host.plugins()}


class Council:
    """A council's plugin using the hooks that tell and check."""

    def __init__(self) -> None:
        self.told: list[tuple[str, bool]] = []

    @hookimpl
    def cf_check_claim_line(self, line: ClaimLineCheck, verdict: Verdict) -> list[str]:
        return ["amount over the local cap"] if line.amount_gbp > 1000 else []

    @hookimpl
    def cf_verdict_changed(self, family_ref: str, before: Verdict | None, after: Verdict) -> None:
        self.told.append((family_ref, before is None))

    @hookimpl
    def cf_register_measures(self, register: Any) -> None:
        register(Measure(key="wellbeing_score", type="number", description="0-10"))
        register(Measure(key="wellbeing_score", type="number", description="again"))

    @hookimpl
    def cf_register_criteria(self, register: Any) -> None:
        register(
            Criterion(
                name="always",
                description="always met",
                parameters={},
                judge=lambda *_: _result("always"),
            )
        )


def test_claim_line_checks_and_verdict_changes_reach_plugins() -> None:
    host = PluginHost(load_installed=False)
    council = Council()
    host.register(council, "council")
    assert host.check_claim_line(line(1200), VERDICT) == ["amount over the local cap"]
    assert host.check_claim_line(line(800), VERDICT) == []
    host.verdict_changed("F1", None, VERDICT)
    assert council.told == [("F1", True)]


def test_a_second_registration_of_a_key_is_refused_and_reported() -> None:
    host = PluginHost(load_installed=False)
    host.register(Council(), "council")
    assert host.measures()["wellbeing_score"].description == "0-10"
    assert any("registered 'wellbeing_score' again" in p for p in host.problems)
    assert host.criteria()["always"].judge(None, None, None, {}).met  # type: ignore[arg-type]
