"""The plugin tutorial (`plugins/README.md`) runs as written: its code blocks make a package,
and that package's own tests pass against a plugin host with only tf2015 and the package."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from connecting_families.hooks import hookspecs
from connecting_families.hooks.host import PluginHost
from connecting_families.testing import plugin_host

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "plugins" / "README.md"
FENCE = re.compile(
    r"(?:<!-- (?P<tag>file: \S+|layout) -->\n)?```(?P<lang>\w*)\n(?P<code>.*?)```", re.S
)
# What a plugin's code may import of the service, and what its tests may besides.
PLUGIN_MODULES = {"connecting_families.plugin"}
TEST_MODULES = {
    *PLUGIN_MODULES,
    "connecting_families.testing",
    "connecting_families.testing_service",
    "connecting_families.pytest_plugin",
}


def blocks() -> list[re.Match[str]]:
    return list(FENCE.finditer(TUTORIAL.read_text(encoding="utf-8")))


def files() -> dict[str, str]:
    """Each file the tutorial writes, its blocks joined in order."""
    written: dict[str, list[str]] = {}
    for block in blocks():
        tag = block["tag"] or ""
        if tag.startswith("file: "):
            written.setdefault(tag.removeprefix("file: "), []).append(block["code"])
    return {path: "\n\n".join(parts) for path, parts in written.items()}


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tutorial's package, written as a reader would from its code blocks."""
    folder = tmp_path_factory.mktemp("tutorial") / "cf-rent-arrears"
    for path, text in files().items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def tutorial_module(package: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    monkeypatch.syspath_prepend(str(package / "src"))
    yield importlib.import_module("cf_rent_arrears")
    sys.modules.pop("cf_rent_arrears", None)


def test_every_code_block_is_part_of_the_package_or_a_command() -> None:
    """Python, TOML and JSON blocks each say which file they are; none leaves a gap."""
    for block in blocks():
        if block["lang"] in ("python", "toml", "json"):
            assert (block["tag"] or "").startswith("file: "), f"untagged: {block['code'][:60]!r}"
        if block["lang"] != "python":
            assert "..." not in block["code"], f"a gap left: {block['code'][:60]!r}"
    for path, text in files().items():
        if path.endswith(".py"):
            assert not gaps(text), f"{path}: `...` left to the reader on lines {gaps(text)}"


def gaps(source: str) -> list[int]:
    """The lines where `...` stands for code (not in a type such as `Callable[..., T]`)."""
    tree = ast.parse(source)
    in_types = {
        id(node)
        for subscript in ast.walk(tree)
        if isinstance(subscript, ast.Subscript)
        for node in ast.walk(subscript.slice)
    }
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value is Ellipsis and id(node) not in in_types
    ]


def test_the_layout_shown_is_the_package_written() -> None:
    layout = next(b for b in blocks() if b["tag"] == "layout")["code"]
    shown = {line.strip() for line in layout.splitlines()[1:] if line.strip()}
    assert shown == set(files()) - {"programme-config.json"}


def test_its_names_are_its_own() -> None:
    """Nothing installed has its plugin name, package, criterion or measure: its test can
    only pass on its own code."""
    installed = PluginHost()
    names = {e.name for e in importlib.metadata.entry_points(group=hookspecs.PROJECT)}
    project = tomllib.loads(files()["pyproject.toml"])["project"]
    assert project["entry-points"]["connecting_families"] == {"rent_arrears": "cf_rent_arrears"}
    assert "rent_arrears" not in names
    assert importlib.util.find_spec("cf_rent_arrears") is None
    assert "rent_arrears_reduced" not in installed.criteria()
    assert "rent_arrears_gbp" not in installed.measures()


def test_it_imports_only_the_public_module() -> None:
    for path, text in files().items():
        if not path.endswith(".py"):
            continue
        allowed = TEST_MODULES if path.startswith("tests/") else PLUGIN_MODULES
        used = set(re.findall(r"^(?:from|import) (connecting_families[\w.]*)", text, re.M))
        assert used <= allowed, f"{path} imports {used - allowed}"


def test_the_code_is_clean(package: Path) -> None:
    """No undefined name, unused import or other lint (ruff, as the suite's own code)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--isolated",
            "--select",
            "E,F,W,B,UP",
            "--line-length",
            "99",
            ".",
        ],
        cwd=package,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_programme_configuration_shown_is_accepted(tutorial_module: object) -> None:
    """It changes worklessness alone: the other headlines keep tf2015's default plan."""
    host = plugin_host("tf2015", tutorial_module)
    config = json.loads(files()["programme-config.json"])
    ruleset = host.ruleset("tf2015")
    assert ruleset is not None
    assert ruleset.config_problems(config, host.context()) == []
    plan = ruleset.configuration(config)["outcome_plan"]
    default = ruleset.defaults["outcome_plan"]
    assert {h: e for h, e in plan.items() if h != "worklessness"} == {
        h: e for h, e in default.items() if h != "worklessness"
    }
    assert [p["criterion"] for p in plan["worklessness"]["progress"]] == [
        "out_of_work_benefit_ended",
        "rent_arrears_reduced",
    ]


def test_its_own_tests_pass(package: Path) -> None:
    """The tutorial's tests, run as its reader runs them (`pytest` in the package)."""
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(package / "src"), *sys.path]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q"],
        cwd=package,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Four cases of the boundary test and five more: every one ran, none was skipped.
    assert re.search(r"\b9 passed\b", output), output
    assert "skipped" not in output
