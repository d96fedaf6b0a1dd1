"""`connecting_families.plugin`, the one module plugin authors import from."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from connecting_families import plugin

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_SOURCES = sorted(ROOT.glob("plugins/*/src/*/**/*.py"))
assert len(PLUGIN_SOURCES) > 5, "the built-in plugins' sources were not found"


def test_every_name_it_promises_is_there() -> None:
    """Each name of `__all__` imports, and nothing an author may use is left out of it."""
    public = {name for name in vars(plugin) if not name.startswith("_") and name != "annotations"}
    assert set(plugin.__all__) == public
    for name in plugin.__all__:
        assert getattr(plugin, name) is not None


@pytest.mark.parametrize("path", PLUGIN_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_built_in_plugins_import_only_the_public_module(path: Path) -> None:
    """The built-in plugins are written as a third party's must be: from `plugin` alone."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    host_modules = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
        if (getattr(node, "module", None) or alias.name).startswith("connecting_families")
    ]
    assert set(host_modules) <= {"connecting_families.plugin"}


def test_the_public_module_brings_in_no_web_or_database_code() -> None:
    """A plugin (and its tests) import the pure domain and pluggy, never Litestar or Piccolo:
    judging stays pure, and a plugin's import is quick."""
    code = (
        "import sys, connecting_families.plugin, cf_rulesets.tf2015, cf_example_local_criteria\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'litestar', 'piccolo'}))\n"
        "print(sorted(m for m in sys.modules if m.startswith('connecting_families.')"
        " and not m.startswith(('connecting_families.domain', 'connecting_families.hooks'))))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert found == ["[]", "['connecting_families.plugin']"]


def test_measure_lives_in_the_domain_and_evidence_still_names_it() -> None:
    """Code (and plugins) written before the move still find `Measure` under `evidence/`."""
    from connecting_families.domain.measures import Measure
    from connecting_families.evidence.measures import Measure as Moved

    assert plugin.Measure is Measure is Moved
    assert Measure.__module__ == "connecting_families.domain.measures"
