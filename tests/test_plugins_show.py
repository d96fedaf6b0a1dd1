"""`connecting-families plugins show NAME`: a rule set, criterion or measure, in words or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from connecting_families.cli import main
from connecting_families.hooks import describe
from connecting_families.hooks.host import PluginHost
from connecting_families.plugin import RuleSet, hookimpl


@pytest.fixture(autouse=True)
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No database is opened: `plugins show` reads only the installed plugins."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CF_DATABASE_URL", raising=False)
    monkeypatch.delenv("CF_DISABLED_PLUGINS", raising=False)


def show(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["plugins", "show", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_rule_set_is_shown_with_its_whole_configuration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every default (a nested plan whole, with every headline), headlines and routes."""
    code, out, err = show(capsys, "tf2015", "--json")
    assert (code, err) == (0, "")
    shown = json.loads(out)
    ruleset = PluginHost().ruleset("tf2015")
    assert ruleset is not None
    assert (shown["kind"], shown["key"], shown["plugin"]) == ("ruleset", ruleset.key, "tf2015")
    assert shown["configuration"] == json.loads(json.dumps(ruleset.configuration({})))
    assert set(shown["configuration"]["outcome_plan"]) == set(ruleset.headlines)
    assert [h["headline"] for h in shown["headlines"]] == list(ruleset.headlines)
    assert [r["route"] for r in shown["routes"]] == list(ruleset.routes)
    assert shown["claimable"]["function"] == "one_claim_per_family"
    setting = next(s for s in shown["settings"] if s["setting"] == "min_headlines")
    assert (setting["label"], setting["default"]) == ("Headlines needed to be eligible", 2)


def test_a_rule_set_is_shown_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    """The text names each route with what it rests on, and each setting with its default."""
    code, out, _ = show(capsys, "tf2012@1")
    assert code == 0
    assert out.startswith("rule set tf2012@1 (plugin tf2012)\n")
    assert (
        "    crime_asb_education: Crime, anti-social behaviour and school "
        "(criteria: youth_crime, asb, education)\n"
    ) in out
    assert "    youth_crime_reduction_percent: Fall in youth crime\n" in out
    assert (
        "      The fall in offending that meets the youth crime result, in percent\n      33\n"
        in out
    )
    assert "  overrides: each_setting_replaced: The defaults with each setting" in out


def test_a_criterion_is_shown_with_its_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = show(capsys, "offending_reduced")
    assert code == 0
    assert out.splitlines() == [
        "criterion offending_reduced (plugin tf2015)",
        "  offences in the latest window fell `percent`% from before attachment",
        "  parameters:",
        "    percent  a whole percentage, 0-100",
        "    months   the window's length in calendar months",
    ]
    code, out, _ = show(capsys, "domestic_abuse_incidents_reduced", "--json")
    assert json.loads(out) == {
        "kind": "criterion",
        "name": "domestic_abuse_incidents_reduced",
        "plugin": "example_local_criteria",
        "description": "police-reported domestic abuse incidents down by `percent`% over "
        "`months` months",
        "parameters": {"percent": "the fall needed, 1-100", "months": "the window, in months"},
    }


def test_a_measure_is_shown_with_its_type_and_range(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = show(capsys, "domestic_abuse_incidents")
    assert code == 0
    assert out.splitlines()[2:] == ["  type: number", "  at least 0"]


@pytest.mark.parametrize("name", ["tf1999", "tf2015@99", "nothing_at_all", "\x1b[31mred"])
def test_an_unknown_name_exits_1_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """Nothing on standard output, one line saying what to run instead, the name escaped."""
    code, out, err = show(capsys, name)
    assert (code, out) == (1, "")
    assert err == (
        f"error: no installed rule set, criterion or measure is named {name!r}; "
        "`connecting-families plugins list` lists what is installed\n"
    )
    assert "\x1b" not in err


def test_a_disabled_plugin_is_not_shown(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """CF_DISABLED_PLUGINS hides its rule sets from `show` as from every other command."""
    monkeypatch.setenv("CF_DISABLED_PLUGINS", "tf2012")
    assert show(capsys, "tf2012")[0] == 1
    assert show(capsys, "sf2022")[0] == 0


def _no_merge(defaults: object, overrides: object) -> dict[str, object]:
    raise KeyError("outcome_plan")


class BadMerge:
    """A rule set whose merge of the configuration raises: a plugin author's bug."""

    @hookimpl
    def cf_register_rulesets(self, register: Callable[[RuleSet], None]) -> None:
        tf2012 = PluginHost().ruleset("tf2012")
        assert tf2012 is not None
        register(attrs.evolve(tf2012, id="badmerge", configure=_no_merge))


def test_a_rule_set_that_raises_while_described_is_named_not_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 1, the plugin and the error class named on one line."""

    def host_with_bad_merge(disabled: frozenset[str]) -> PluginHost:
        host = PluginHost(disabled)
        host.register(BadMerge(), "badmerge")
        return host

    monkeypatch.setattr(describe, "PluginHost", host_with_bad_merge)
    code, out, err = show(capsys, "badmerge")
    assert (code, out) == (1, "")
    assert err == (
        "error: plugin 'badmerge' failed while badmerge@1 was described: "
        "KeyError: 'outcome_plan'\n"
    )
