"""A programme manager changes a tf2015 programme's settings in the pages alone, with
JavaScript and without: the settings in full, the figures (refused, then saved), and the
outcome plan for one headline, starting from the default plan, checked and confirmed.

The browser, the server and the screenshots are `test_browser`'s; its fixtures are used here.
"""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar
from playwright.async_api import Page, expect
from test_browser import (  # noqa: F401 (fixtures, found by pytest by their names)
    SCREENSHOTS,
    database_kind,
    screenshot,
    server,
    sign_in,
    success,
    tablet,
)

from connecting_families.programmes.tables import Programme

from access_world import World
from page_world import build_page_world
from serve_process import Server


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    """The page world, with P1 judged by tf2015 (whose outcome plan is edited)."""
    world = await build_page_world(client, app.state.accounts)
    await Programme.update({Programme.ruleset_id: "tf2015"}).where(Programme.code == "P1")
    return world


async def look(page: Page, name: str, *, javascript: bool) -> None:
    """Checked by axe and saved with JavaScript; saved only without (the markup is the same)."""
    if javascript:
        await screenshot(page, f"settings-js-{name}")
    else:
        await page.screenshot(path=SCREENSHOTS / f"settings-nojs-{name}.png", full_page=True)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
async def test_a_programme_manager_changes_the_figures_and_the_outcome_plan(
    server: Server,  # noqa: F811
    world: World,
    javascript: bool,
) -> None:
    """Settings → figures refused, then saved → education's plan changed, checked, saved."""
    async with tablet(javascript=javascript) as page:
        await sign_in(page, server, "pm")
        await page.goto(f"{server.url}/programmes/P1")
        sections = page.get_by_role("navigation", name="Programme P1")
        await sections.get_by_role("link", name="Settings").click()
        await expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
        await expect(page.locator("#ruleset-key")).to_have_text("tf2015@3")
        await look(page, "overview", javascript=javascript)

        # The figures: a blank timescale and a negative target are both named, then saved.
        await page.get_by_role("link", name="Change target number of families").click()
        await page.get_by_label("Target number of families (optional)").fill("-5")
        await page.get_by_label("Assessment timescale", exact=True).fill("")
        await page.locator("#population_year").fill("2013")
        await page.get_by_label("Children in the year to add (optional)").fill("41000")
        await page.get_by_role("button", name="Save the figures").click()
        summary = page.locator(".govuk-error-summary")
        await expect(summary).to_contain_text("Target number of families must be 0 or more")
        await expect(summary).to_contain_text("Enter assessment timescale")
        await expect(page.get_by_label("Children in the year to add (optional)")).to_have_value(
            "41000"
        )
        if javascript:
            await expect(summary).to_be_focused()
        await look(page, "figures-refused", javascript=javascript)
        await page.get_by_label("Target number of families (optional)").fill("350")
        await page.get_by_label("Assessment timescale", exact=True).fill("40")
        await page.get_by_role("button", name="Save the figures").click()
        await expect(success(page)).to_have_text("The programme's figures were saved.")
        await expect(page.locator("#figures")).to_contain_text("350")
        await expect(page.locator("#figures")).to_contain_text("2013: 41,000")

        # Education's plan, from the default: a measure's threshold changed, one added.
        await page.get_by_role("link", name="Change the plan for Education").click()
        await expect(page.locator("#progress-0-percent")).to_have_value("15")
        await look(page, "plan", javascript=javascript)
        await page.locator("#progress-0-percent").fill("10")
        await page.locator("#add-progress").select_option("attendance_at_least")
        await page.get_by_role("button", name="Add the progress measure").click()
        await page.locator("#progress-2-percent").fill("")
        await page.get_by_role("button", name="Check the changes").click()
        await expect(page.locator(".govuk-error-summary")).to_contain_text(
            "Enter percent of progress measure 3"
        )
        await expect(page.locator("#progress-0-percent")).to_have_value("10")
        await look(page, "plan-refused", javascript=javascript)
        await page.locator("#progress-2-percent").fill("90")
        await page.locator("#progress-2-periods").fill("3")
        await page.get_by_role("button", name="Check the changes").click()
        await expect(page.get_by_role("heading", name="Check your changes")).to_be_visible()
        await expect(page.locator("#changes")).to_contain_text(
            "Every child's attendance over its latest periods is at least 90%"
        )
        await look(page, "plan-check", javascript=javascript)
        await page.get_by_role("button", name="Save the changes").click()
        await expect(success(page)).to_have_text("The outcome plan was saved.")
        education = page.locator("#plan-education")
        await expect(education).to_contain_text("Changed from the default")
        await expect(education).to_contain_text("under 10%")
        await expect(page.locator("#plan-health")).not_to_contain_text("Changed")
        await look(page, "overview-saved", javascript=javascript)
