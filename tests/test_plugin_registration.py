"""Safe registration: a plugin's mistake is named and the plugin left out; the host starts.

The plugins here are fake distributions on the path (`fake_plugins`), found by the host through
`importlib.metadata` exactly as installed ones are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from connecting_families.cli import main
from connecting_families.hooks.hookspecs import hookimpl
from connecting_families.hooks.host import PluginHost

from conftest import TEST_SECRET
from fake_plugins import FakePackages
from import_cases import FAMILIES
from serve_process import Server

MISSPELT = """
    from connecting_families.hooks.hookspecs import hookimpl

    @hookimpl
    def cf_register_criterion(register):
        raise AssertionError("never called")
"""

UNMARKED = """
    from connecting_families.domain.rules import Criterion

    def cf_register_criteria(register):
        register(Criterion(name="forgotten", description="", parameters={}, judge=None))
"""

# A rule set judging every family turned around, under another package's name.
IMPOSTOR = """
    import attrs
    from cf_rulesets import tf2012
    from connecting_families.hooks.hookspecs import hookimpl

    def everyone(evidence, as_of, config, context):
        verdict = tf2012.RULESET.evaluate(evidence, as_of, config, context)
        return attrs.evolve(verdict, eligible=True, turned_around=True)

    @hookimpl
    def cf_register_rulesets(register):
        register(attrs.evolve(tf2012.RULESET, id="{id}", version={version},
                              name="Impostor", evaluate=everyone))
"""


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePackages:
    return FakePackages(tmp_path / "site", monkeypatch)


def test_a_misspelt_hook_is_named_with_the_hook_it_meant_and_the_plugin_left_out(
    packages: FakePackages,
) -> None:
    """`cf_register_criterion`: the plugin is named, with "did you mean"; the rest load."""
    packages.add("cf-council", {"council": MISSPELT})
    host = PluginHost()
    assert host.problems == [
        "plugin 'council' is left out: it implements no such hook 'cf_register_criterion' "
        "(did you mean 'cf_register_criteria'?)"
    ]
    assert "council" not in {p.name for p in host.plugins()}
    assert host.ruleset("tf2012") is not None
    assert "offending_reduced" in host.criteria()


def test_a_module_with_hookimpl_forgotten_is_named_not_listed_as_registering_nothing(
    packages: FakePackages,
) -> None:
    """A plugin implementing no hook is a problem naming the unmarked function."""
    packages.add("cf-council", {"council": UNMARKED})
    host = PluginHost()
    assert host.problems == [
        "plugin 'council' is left out: it implements no hook: "
        "is @hookimpl missing from cf_register_criteria?"
    ]
    assert "council" not in {p.name for p in host.plugins()}
    assert "forgotten" not in host.criteria()


def test_one_hook_left_unmarked_is_reported_and_the_others_still_work(
    packages: FakePackages,
) -> None:
    """Half marked: the marked hook registers, the unmarked one is named."""
    source = (
        UNMARKED
        + """
    from connecting_families.evidence.measures import Measure
    from connecting_families.hooks.hookspecs import hookimpl

    @hookimpl
    def cf_register_measures(register):
        register(Measure(key="council_score", type="number", description="0-10"))
"""
    )
    packages.add("cf-council", {"council": source})
    host = PluginHost()
    assert "council_score" in host.measures()
    assert host.problems == [
        "plugin 'council': cf_register_criteria is not marked @hookimpl, so it is never called"
    ]


@pytest.mark.parametrize("distribution", ["aaa-impostor", "zzz-impostor"])
def test_an_impostor_of_a_built_in_id_and_version_loses_whatever_its_name(
    packages: FakePackages, distribution: str
) -> None:
    """`tf2012@1` from another package is refused, sorted before or after the real one."""
    packages.add(distribution, {"better_tf2012": IMPOSTOR.format(id="tf2012", version=1)})
    host = PluginHost()
    ruleset = host.ruleset("tf2012@1")
    assert ruleset is not None
    assert ruleset.name != "Impostor"
    assert host.problems == [
        "plugin 'better_tf2012' registered 'tf2012@1', refused: "
        "the rule set 'tf2012' belongs to 'connecting-families-rulesets'"
    ]
    listed = {p.name: p for p in host.plugins()}
    assert listed["tf2012"].rulesets == ("tf2012@1",)
    assert listed["better_tf2012"].rulesets == ()


def test_an_impostor_taking_a_built_in_plugins_name_is_left_out(packages: FakePackages) -> None:
    """An entry point named `tf2012` in another package does not replace the built-in one."""
    packages.add("aaa-impostor", {"tf2012": IMPOSTOR.format(id="tf2012", version=1)})
    host = PluginHost()
    ruleset = host.ruleset("tf2012@1")
    assert ruleset is not None
    assert ruleset.name != "Impostor"
    assert host.problems == [
        "plugin 'tf2012' of 'aaa-impostor' is left out: "
        "'connecting-families-rulesets' has a plugin of that name"
    ]


def test_a_higher_version_of_a_built_in_from_another_package_is_refused(
    packages: FakePackages,
) -> None:
    """`tf2015@9` from another package: refused, so `tf2015` is still the built-in `@3`."""
    packages.add("cf-newer", {"tf2015_next": IMPOSTOR.format(id="tf2015", version=9)})
    host = PluginHost()
    assert host.ruleset("tf2015@9") is None
    latest = host.ruleset("tf2015")
    assert latest is not None
    assert latest.key == "tf2015@3"
    assert any("'tf2015@9', refused" in problem for problem in host.problems)


def test_an_id_shipped_by_two_packages_is_used_by_neither(packages: FakePackages) -> None:
    """Neither `council@1` nor `council@2` judges: the host cannot tell which is the real one."""
    packages.add("cf-council", {"council": IMPOSTOR.format(id="council", version=1)})
    packages.add("cf-other", {"other": IMPOSTOR.format(id="council", version=2)})
    host = PluginHost()
    assert host.ruleset("council") is None
    assert sorted(host.problems) == [
        f"plugin {name!r} registered {key!r}, but the rule set 'council' is shipped by more "
        "than one package; neither is used until one is disabled"
        for name, key in (("council", "council@1"), ("other", "council@2"))
    ]
    # Disabling one gives the id to the other.
    assert PluginHost(["other"]).ruleset("council") is not None


def test_a_package_may_ship_several_versions_of_its_own_id(packages: FakePackages) -> None:
    """`council@1` and `council@2` from one package: both registered, nothing reported."""
    one, two = IMPOSTOR.format(id="council", version=1), IMPOSTOR.format(id="council", version=2)
    packages.add("cf-council", {"council": one, "council_next": two})
    host = PluginHost()
    assert host.problems == []
    assert {"council@1", "council@2"} <= set(host.rulesets())


def test_a_built_in_plugin_registered_by_hand_keeps_its_rule_sets() -> None:
    """The test kit registers installed plugins by hand: they belong to their package still."""
    from cf_rulesets import tf2015

    host = PluginHost(load_installed=False)
    host.register(tf2015, "tf2015")
    assert host.problems == []
    assert {"tf2015@1", "tf2015@2", "tf2015@3"} <= set(host.rulesets())


class HandImpostor:
    """A test's own object registering a built-in id: no package ships it, so it is refused."""

    @hookimpl
    def cf_register_rulesets(self, register: Any) -> None:
        from cf_rulesets import tf2012

        register(attrs.evolve(tf2012.RULESET, name="Impostor"))


def test_an_impostor_registered_by_hand_is_refused_too() -> None:
    """`tf2012@1` from an object of a test module loses to the built-in package's."""
    host = PluginHost()
    host.register(HandImpostor(), "hand")
    ruleset = host.ruleset("tf2012@1")
    assert ruleset is not None
    assert ruleset.name != "Impostor"
    assert any("plugin 'hand' registered 'tf2012@1', refused" in p for p in host.problems)


def test_a_disabled_plugin_registered_by_hand_is_left_out_quietly() -> None:
    """CF_DISABLED_PLUGINS blocks a plugin registered by hand too, and that is no problem."""
    host = PluginHost(["council"], load_installed=False)
    host.register(object(), "council")
    assert host.problems == []
    assert host.plugins() == []


def test_plugins_list_exits_1_naming_each_problem(
    packages: FakePackages, capsys: pytest.CaptureFixture[str]
) -> None:
    """A misspelt hook: listed on stderr, exit 1, no traceback."""
    packages.add("cf-council", {"council": MISSPELT})
    assert main(["plugins", "list"]) == 1
    out, err = capsys.readouterr()
    assert "tf2012 0.1.0" in out
    assert "problem: plugin 'council' is left out" in err
    assert "Traceback" not in out + err


def test_plugins_list_json_gives_plugins_and_problems(
    packages: FakePackages, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--json`: each plugin with its package, version and registrations; the problems."""
    packages.add("cf-council", {"council": UNMARKED}, version="2.3")
    assert main(["plugins", "list", "--json"]) == 1
    listing = json.loads(capsys.readouterr().out)
    tf2015 = next(p for p in listing["plugins"] if p["name"] == "tf2015")
    assert tf2015["distribution"] == "connecting-families-rulesets"
    assert tf2015["rulesets"] == ["tf2015@1", "tf2015@2", "tf2015@3"]
    assert listing["disabled"] == []
    assert listing["problems"] == [
        "plugin 'council' is left out: it implements no hook: "
        "is @hookimpl missing from cf_register_criteria?"
    ]


def test_plugins_list_exits_0_when_all_is_well(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The installed plugins alone have no problem; a disabled one is listed as disabled."""
    monkeypatch.setenv("CF_DISABLED_PLUGINS", "sf2022")
    assert main(["plugins", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["problems"] == []
    assert listing["disabled"] == ["sf2022"]


def test_import_and_evaluate_go_on_with_a_misspelt_plugin_installed(
    packages: FakePackages,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The commands other than `plugins list` work as before; the plugin is only left out."""
    packages.add("cf-council", {"council": MISSPELT})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CF_DATABASE_URL", database_url)
    monkeypatch.setenv("CF_SECRET_KEY", TEST_SECRET)
    assert main(["programme", "create", "P1", "--name", "P1", "--ruleset", "tf2012"]) == 0
    families = tmp_path / "families.csv"
    families.write_text(FAMILIES.replace("kw_own", ""))
    assert main(["import", "families", str(families), "--programme", "P1"]) == 0
    assert main(["evaluate", "--programme", "P1", "--as-of", "2014-06-01"]) == 0
    out, err = capsys.readouterr()
    assert "P1 on tf2012@1, as of 2014-06-01" in out
    assert "Traceback" not in out + err


RAISES_ON_IMPORT = """
    raise RuntimeError("the council's plugin is broken")
"""


@pytest.mark.alone
def test_serve_starts_and_answers_with_broken_plugins_installed(
    packages: FakePackages, tmp_path: Path
) -> None:
    """A misspelt hook, a forgotten @hookimpl, a module that raises and an impostor: `serve`
    starts, answers, and its log names each plugin, without a traceback."""
    packages.add("cf-misspelt", {"misspelt": MISSPELT})
    packages.add("cf-unmarked", {"unmarked": UNMARKED})
    packages.add("cf-raises", {"raises": RAISES_ON_IMPORT})
    packages.add("aaa-impostor", {"better_tf2012": IMPOSTOR.format(id="tf2012", version=1)})
    log = tmp_path / "serve.log"
    server = Server(f"sqlite:///{tmp_path / 'serve.sqlite3'}", tmp_path, log_path=log)
    try:
        server.wait_ready()
        assert httpx.get(f"{server.url}/health/live", timeout=10).status_code == 200
        assert httpx.get(f"{server.url}/sign-in", timeout=10).status_code == 200
    finally:
        server.kill()
    text = log.read_text()
    for name in ("misspelt", "unmarked", "raises"):
        assert f"plugin '{name}'" in text
    assert "Traceback" not in text
