"""A council's plugin that fails while judging, seen in Chromium: the key worker's caseload,
the family's summary and its result page say the family could not be decided, name the
plugin, and go on (see `test_judging_failures` for every mistake over HTTP). The plugin is a
package on the server's path, as an installed one would be."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect
from test_browser import (  # the fixtures and helpers of the browser tests
    database_kind,
    screenshot,
    server,
    sign_in,
    tablet,
    world,
)

from connecting_families.programmes.tables import Programme

from access_world import World
from fake_plugins import FakePackages
from serve_process import Server

__all__ = ["database_kind", "server", "world"]

# A council's rule set with a bug: it raises for every family it judges, with a message
# quoting the evidence, which must appear nowhere.
SHAKY = """
    import attrs
    from cf_rulesets import tf2012
    from connecting_families.plugin import hookimpl

    def evaluate(evidence, as_of, config, context):
        raise ValueError(f"cannot read {evidence.family_ref}: Amy Smith born 2005-04-01")

    @hookimpl
    def cf_register_rulesets(register):
        register(attrs.evolve(tf2012.RULESET, id="shaky", version=1, name="Shaky",
                              evaluate=evaluate))
"""


@pytest.fixture
async def shaky(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """The package on the path, and P1 judged by its rule set, before the server starts."""
    FakePackages(tmp_path / "site", monkeypatch).add("council-shaky", {"council_shaky": SHAKY})
    await Programme.update({Programme.ruleset_id: "shaky@1"}).where(Programme.code == "P1")
    return world


async def test_a_failing_plugin_leaves_the_pages_standing_and_says_which(
    shaky: World,
    server: Server,
) -> None:
    family = shaky.families["own"]
    async with tablet() as page:
        await sign_in(page, server, "kw_own")
        await page.goto(f"{server.url}/caseload")
        await expect(page.locator("main")).to_contain_text("Could not be decided")
        await screenshot(page, "undecided-caseload")
        await page.goto(f"{server.url}/families/{family}")
        await expect(page.locator("main")).to_contain_text("Could not be decided")
        await screenshot(page, "undecided-summary")
        await page.goto(f"{server.url}/families/{family}/result")
        main = page.locator("main")
        await expect(main).to_contain_text("the plugin council_shaky failed while judging")
        await expect(main).not_to_contain_text("Amy Smith born")
        await screenshot(page, "undecided-result")
