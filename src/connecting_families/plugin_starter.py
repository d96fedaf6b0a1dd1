"""`connecting-families plugins new NAME`: a plugin package that passes its own test.

It writes what the tutorial (`plugins/README.md`) builds by hand: a `pyproject.toml` with
the entry point, a measure and a criterion a tf2015 outcome plan can name, a test using the
test kit, and a README. The names inside are made from NAME, so that the new plugin's names
are its own and its test passes or fails on its code alone.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import keyword
import re
import sys
from pathlib import Path
from typing import Any

from connecting_families.hooks import hookspecs
from connecting_families.settings import Settings

# A package name that is also a valid criterion and measure name once suffixed: lower case,
# as PEP 8 asks of packages, and short enough for `NAME_reduced` (64 characters at most).
NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
NAME_RULE = (
    "must be a Python package name: a lower-case letter, then lower-case letters, digits "
    "and underscores, at most 48 characters (e.g. cf_my_council)"
)


class StarterRefused(ValueError):
    """NAME or the folder cannot be used; the message says why."""


def add_new_command(plugins: Any) -> None:
    """`plugins new NAME [--dir PATH]`, under the `plugins` commands (their sub-parsers)."""
    new = plugins.add_parser(
        "new", help="write a new plugin package (entry point, criterion, test, README)"
    )
    new.add_argument("name", help="the package's name, e.g. cf_my_council")
    new.add_argument(
        "--dir",
        type=Path,
        default=Path(),
        help="the folder to write the package's folder in (default: here)",
    )
    new.set_defaults(command=cmd_plugins_new)


def cmd_plugins_new(settings: Settings, args: argparse.Namespace) -> int:
    try:
        folder = write_plugin(args.name, args.dir)
    except StarterRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    print(f"wrote the plugin {args.name} in {folder}")
    print(f"next: cd {folder} && pip install -e '.[test]' && pytest")
    return 0


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a new plugin package, or None."""
    if not NAME.fullmatch(name):
        return f"{name!r} {NAME_RULE}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"{name!r} is a Python keyword"
    plugins = {e.name for e in importlib.metadata.entry_points(group=hookspecs.PROJECT)}
    if name in plugins:
        return f"{name!r} is the name of an installed plugin"
    if importlib.util.find_spec(name) is not None:
        return f"a module named {name!r} is already installed; choose a name of its own"
    return None


def write_plugin(name: str, parent: Path) -> Path:
    """Write the package `name` in a new folder `parent/name`; returns that folder."""
    problem = name_problem(name)
    if problem:
        raise StarterRefused(problem)
    folder = parent / name
    if folder.exists():
        raise StarterRefused(f"{folder} already exists; choose another name or --dir")
    if not parent.is_dir():
        raise StarterRefused(f"{parent} is not a folder")
    files = _files(name)
    for path, text in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return folder


def _files(name: str) -> dict[str, str]:
    words = {"name": name, "project": name.replace("_", "-")}
    return {
        path: _fill(template, words)
        for path, template in (
            ("pyproject.toml", PYPROJECT),
            ("README.md", README),
            (f"src/{name}/__init__.py", MODULE),
            (f"tests/test_{name}.py", TEST),
        )
    }


def _fill(template: str, words: dict[str, Any]) -> str:
    """`template` with each `<<key>>` replaced (braces are left alone: the code has many)."""
    return re.sub(r"<<(\w+)>>", lambda found: str(words[found.group(1)]), template)


PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "<<project>>"
version = "0.1.0"
description = "A council's own outcome criterion for connecting_families"
requires-python = ">=3.11"
dependencies = ["connecting-families"]

[project.optional-dependencies]
test = ["connecting-families[testing]"]

# connecting_families finds plugins through this entry-point group; the name on the left is
# the plugin's name (`plugins list`, CF_DISABLED_PLUGINS).
[project.entry-points.connecting_families]
<<name>> = "<<name>>"

[tool.setuptools.packages.find]
where = ["src"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""

README = """\
# <<project>>

A plugin for connecting_families: a council's own observation measure, `<<name>>_count`,
and an outcome criterion, `<<name>>_reduced`, that a tf2015 programme's outcome plan can name:

```json
{"outcome_plan": {"health": {
  "progress": [{"criterion": "need_outcome_achieved", "headline": "health"},
               {"criterion": "<<name>>_reduced", "percent": 50, "months": 6}],
  "progress_rule": "any"}}}
```

Partners send the measure in `observations.csv`
(`family_ref,measure,observed_on,value`).

## Develop

```sh
pip install -e '.[test]'
pytest
```

The tests use the test kit of connecting_families (`connecting_families.pytest_plugin`):
they load only tf2015 and this plugin, so they pass or fail on this code alone. Change the
measure, the criterion and the tests in `src/<<name>>/` and `tests/` to your council's own;
the plugin guide of connecting_families (`plugins/README.md`) walks through each part.

## Use

Install the package beside the service, check `connecting-families plugins list` shows it,
and name the criterion in a programme's outcome plan as above.
"""

MODULE = '''\
"""A council's own measure and outcome criterion for connecting_families.

`<<name>>_count` is a count a partner sends each month in `observations.csv`;
`<<name>>_reduced` is met when the count in the latest `months` months is at least
`percent`% below the count in the `months` before attachment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from connecting_families.plugin import (
    ConfigProblem,
    Criterion,
    CriterionResult,
    FamilyEvidence,
    Measure,
    Window,
    hookimpl,
    months_before,
)

MEASURE = "<<name>>_count"
CRITERION = "<<name>>_reduced"


def counted(evidence: FamilyEvidence, window: Window) -> tuple[float, tuple[int, ...]]:
    """The total of the measure observed in `window` (half-open), and those rows' ids."""
    rows = [
        o
        for o in evidence.observations
        if o.measure == MEASURE and o.numeric_value is not None and o.on in window
    ]
    return sum(o.numeric_value or 0.0 for o in rows), tuple(o.id for o in rows)


def judge(
    evidence: FamilyEvidence, attached: dt.date, on: dt.date, params: Mapping[str, Any]
) -> CriterionResult:
    months, percent = params["months"], params["percent"]
    before = Window(months_before(attached, months), attached)
    latest = Window(months_before(on, months), on)
    earlier, earlier_ids = counted(evidence, before)
    later, later_ids = counted(evidence, latest)
    # The latest window must lie after attachment, or it would count what came before.
    measurable = latest.start >= attached
    return CriterionResult(
        name=CRITERION,
        relevant=earlier > 0,
        met=earlier > 0 and measurable and 100 * later <= (100 - percent) * earlier,
        measured={"before": earlier, "latest": later},
        thresholds={"percent": percent, "months": months},
        windows={"before": before, "latest": latest},
        evidence={"observations": earlier_ids + later_ids},
        reason="" if measurable else "not measurable yet: too soon after attachment",
    )


def check(params: Mapping[str, Any]) -> list[ConfigProblem]:
    problems = []
    for name, low, high in (("percent", 1, 100), ("months", 1, 24)):
        value = params[name]
        if not (isinstance(value, int) and not isinstance(value, bool) and low <= value <= high):
            problems.append((name, f"must be a whole number from {low} to {high}"))
    return problems


REDUCED = Criterion(
    name=CRITERION,
    description="<<name>> count down by `percent`% over `months` months",
    parameters={"percent": "the fall needed, 1-100", "months": "each window, 1-24 months"},
    judge=judge,
    check=check,
)


@hookimpl
def cf_register_measures(register: Callable[[Measure], None]) -> None:
    register(Measure(key=MEASURE, type="number", description="a count in the period", minimum=0))


@hookimpl
def cf_register_criteria(register: Callable[[Criterion], None]) -> None:
    register(REDUCED)
'''

TEST = '''\
"""<<name>>'s own tests, with the test kit of connecting_families."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

import <<name>> as plugin
from connecting_families.plugin import Verdict
from connecting_families.testing import FamilyBuilder
from connecting_families.testing_service import TestService

pytest_plugins = ["connecting_families.pytest_plugin"]

ATTACHED = dt.date(2016, 1, 1)
AS_OF = dt.date(2017, 6, 1)
REDUCED = {"criterion": plugin.CRITERION, "percent": 50, "months": 6}
# One headline changed: the built-in measure kept beside this plugin's, either one enough.
PLAN = {
    "health": {
        "progress": [{"criterion": "need_outcome_achieved", "headline": "health"}, REDUCED],
        "progress_rule": "any",
    }
}


@pytest.fixture
def cf_plugins() -> list[Any]:
    """The plugins these tests load: the tf2015 rule set and this plugin, nothing else."""
    return ["tf2015", plugin]


def family(before: list[int], latest: list[int]) -> FamilyBuilder:
    """Counts in the last months before attachment and in the months before AS_OF."""
    builder = FamilyBuilder(attached_on=ATTACHED)
    builder.child("C1", born=dt.date(2010, 1, 1))
    builder.need("health", dt.date(2016, 1, 15))
    for month, count in enumerate(before, start=12 - len(before) + 1):
        builder.observation(plugin.MEASURE, count, dt.date(2015, month, 1))
    for month, count in enumerate(latest, start=1):
        builder.observation(plugin.MEASURE, count, dt.date(2017, month, 1))
    return builder


@pytest.mark.parametrize(
    ("before", "latest", "met"),
    [([2, 2], [1, 1], True), ([2, 2], [1, 2], False), ([2, 2], [], True)],
)
def test_the_count_must_halve(before: list[int], latest: list[int], met: bool) -> None:
    result = plugin.judge(family(before, latest).build(), ATTACHED, AS_OF, REDUCED)
    assert (result.relevant, result.met) == (True, met)


def test_a_family_with_nothing_counted_is_not_relevant() -> None:
    result = plugin.judge(family([0], [0]).build(), ATTACHED, AS_OF, REDUCED)
    assert result.relevant is False


def test_a_tf2015_plan_names_it(cf_verdict_of: Callable[..., Verdict]) -> None:
    verdict = cf_verdict_of("tf2015", family([3], [1]).build(), AS_OF, {"outcome_plan": PLAN})
    result = verdict.criterion(f"health:{plugin.CRITERION}")
    assert (result.met, result.measured) == (True, {"before": 3.0, "latest": 1.0})


def test_a_bad_parameter_is_refused(cf_verdict_of: Callable[..., Verdict]) -> None:
    plan = {"health": {"progress": [{**REDUCED, "months": 0}]}}
    with pytest.raises(ValueError, match=r"health\\.progress\\[0\\]\\.months: must be a whole"):
        cf_verdict_of("tf2015", family([3], [1]).build(), AS_OF, {"outcome_plan": plan})


def test_the_service_imports_the_measure_and_judges_it(cf_service: TestService) -> None:
    cf_service.create_programme("P1", "tf2015", config={"outcome_plan": PLAN})
    cf_service.import_csv(
        "families",
        "family_ref,programme,identified_on,attached_on\\nF1,P1,2015-12-01,2016-01-01\\n",
    )
    cf_service.import_csv(
        "needs", "need_ref,family_ref,headline,identified_on\\nN1,F1,health,2016-01-15\\n"
    )
    cf_service.import_csv(
        "observations",
        "family_ref,measure,observed_on,value\\n"
        f"F1,{plugin.MEASURE},2015-12-01,4\\nF1,{plugin.MEASURE},2017-05-01,1\\n",
    )
    verdict = cf_service.verdict("F1", AS_OF)
    (result,) = [c for c in verdict["criteria"] if c["name"] == f"health:{plugin.CRITERION}"]
    assert result["met"] is True
'''
