"""A council's plugin that fails while judging, seen in Chromium: the key worker's caseload,
the family's summary and its result page say the family could not be decided, name the
plugin, and go on; the programme manager's dashboard warns of the families not decided, and a
claim holds them back, saying why (see `test_judging_failures` for every mistake over HTTP).
The plugin is a package on the server's path, as an installed one would be."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from test_browser import (  # the fixtures and helpers of the browser tests
    SCREENSHOTS,
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


async def look(page: Page, name: str, *, javascript: bool) -> None:
    """The page checked by axe and saved; without JavaScript, only saved."""
    if javascript:
        await screenshot(page, f"undecided-js-{name}")
    else:
        await page.screenshot(path=SCREENSHOTS / f"undecided-nojs-{name}.png", full_page=True)


JAVASCRIPT = pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])


@JAVASCRIPT
async def test_a_failing_plugin_leaves_the_pages_standing_and_says_which(
    shaky: World,
    server: Server,
    javascript: bool,
) -> None:
    family = shaky.families["own"]
    async with tablet(javascript=javascript) as page:
        await sign_in(page, server, "kw_own")
        await page.goto(f"{server.url}/caseload")
        await expect(page.locator("main")).to_contain_text("Could not be decided")
        await look(page, "caseload", javascript=javascript)
        await page.goto(f"{server.url}/families/{family}")
        await expect(page.locator("main")).to_contain_text("Could not be decided")
        await look(page, "summary", javascript=javascript)
        await page.goto(f"{server.url}/families/{family}/result")
        main = page.locator("main")
        await expect(main).to_contain_text("the plugin council_shaky failed while judging")
        await expect(main).not_to_contain_text("Amy Smith born")
        await look(page, "result", javascript=javascript)


@JAVASCRIPT
async def test_the_programme_manager_is_warned_and_a_claim_holds_the_families_back(
    shaky: World,
    server: Server,
    javascript: bool,
) -> None:
    async with tablet(javascript=javascript) as page:
        await sign_in(page, server, "pm")
        await page.goto(f"{server.url}/programmes/P1?as_of=2014-03-01")
        warning = page.locator("#undecided")
        await expect(warning).to_contain_text("could not be decided because a plugin failed")
        await expect(warning).to_contain_text("council_shaky")
        await look(page, "dashboard", javascript=javascript)
        await page.goto(f"{server.url}/programmes/P1/claims")
        await page.locator("#as_of-day").fill("1")
        await page.locator("#as_of-month").fill("3")
        await page.locator("#as_of-year").fill("2014")
        await page.get_by_role("button", name="Prepare the claim", exact=True).click()
        main = page.locator("main")
        await expect(main).to_contain_text("could not be decided because a plugin failed")
        await expect(main).to_contain_text("held back")
        await expect(main).not_to_contain_text("Amy Smith born")
        await look(page, "claim-refused", javascript=javascript)
