"""The test kit for plugin authors, as pytest fixtures.

Load it in a test module (or a root `conftest.py`):

    pytest_plugins = ["connecting_families.pytest_plugin"]

Name the plugins a test judges with, per test or for a whole module:

    @pytest.mark.cf_plugins("tf2015", cf_my_council)   # installed names, or the modules
    def test_it(cf_host, cf_verdict_of, cf_service): ...

or by overriding the `cf_plugins` fixture. Only those are loaded, so a test passes or fails on
their code alone whatever else is installed, and any problem the plugin host reports (a hook
that raised, a duplicate, a misspelt hook) fails the test, as set up and again as it ends.

- `cf_host`: a `PluginHost` with only the plugins named.
- `cf_verdict_of`: `connecting_families.testing.verdict_of` judging with `cf_host`.
- `cf_service`: the whole service on its own SQLite database with only those plugins
  (`connecting_families.testing_service.TestService`): import CSVs, read a family's verdict
  and its explanation, prepare a claim.

This module imports only what registering its fixtures needs, so loading it costs little in
any test run; the service is built by the tests that ask for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from connecting_families.domain.evidence import FamilyEvidence
    from connecting_families.domain.rules import RuleSet
    from connecting_families.domain.verdict import Verdict
    from connecting_families.hooks.host import PluginHost
    from connecting_families.testing import PluginName
    from connecting_families.testing_service import TestService

MARKER = "cf_plugins"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(*plugins): the plugins this test loads: installed names or the plugins "
        "themselves (connecting_families.pytest_plugin)",
    )


@pytest.fixture
def cf_plugins(request: pytest.FixtureRequest) -> Sequence[PluginName]:
    """The plugins the test loads: its `cf_plugins` marker's (the nearest one), or override
    this fixture. A test that names none fails: loading everything installed is what the kit
    is there to avoid."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is None or not marker.args:
        pytest.fail(
            f"{request.node.nodeid}: name the plugins this test loads with "
            f'@pytest.mark.{MARKER}("tf2015", my_plugin) or a `cf_plugins` fixture',
            pytrace=False,
        )
    return tuple(marker.args)


def _fail_on_problems(host: PluginHost, when: str) -> None:
    if host.problems:
        lines = "\n  ".join(host.problems)
        pytest.fail(f"the plugin host reported problems {when}:\n  {lines}", pytrace=False)


@pytest.fixture
def cf_host(cf_plugins: Sequence[PluginName]) -> Iterator[PluginHost]:
    """A plugin host with only `cf_plugins` in it; any problem it reports fails the test."""
    from connecting_families.testing import plugin_host

    host = plugin_host(*cf_plugins, strict=False)
    _fail_on_problems(host, "while loading")
    yield host
    # A hook that raised while the test ran (a claim line check, a verdict notification).
    _fail_on_problems(host, "during the test")


@pytest.fixture
def cf_verdict_of(cf_host: PluginHost) -> Callable[..., Verdict]:
    """`verdict_of(ruleset, evidence, as_of, config)` judged by `cf_host`'s plugins alone."""
    from connecting_families.testing import verdict_of

    def judged(
        ruleset: str | RuleSet,
        evidence: FamilyEvidence,
        as_of: dt.date,
        config: Mapping[str, Any] | None = None,
    ) -> Verdict:
        return verdict_of(ruleset, evidence, as_of, config, host=cf_host)

    return judged


@pytest.fixture(scope="session")
def cf_database_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, migrated once a session, that each `cf_service` copies."""
    from connecting_families.testing_service import migrate_database

    path = tmp_path_factory.mktemp("cf_template") / "template.sqlite3"
    migrate_database(f"sqlite:///{path}")
    return path


@pytest.fixture
def cf_service(
    cf_host: PluginHost, cf_database_template: Path, tmp_path: Path
) -> Iterator[TestService]:
    """The service on a new SQLite database of its own, judging with `cf_host` alone."""
    from connecting_families.testing_service import TestService

    with TestService.start(tmp_path, cf_host, template=cf_database_template) as service:
        yield service
