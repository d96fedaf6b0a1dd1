"""An administrator's journey through the pages alone, with JavaScript and without: create a
key worker and a team, and the key worker signs in with the one-time password and is made to
change it before anything else. Every page checked by axe on the way (with JavaScript).

The browser, the server and the screenshots are `test_browser`'s; its fixtures are used here.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect
from test_browser import (  # noqa: F401 (fixtures, found by pytest by their names)
    SCREENSHOTS,
    database_kind,
    screenshot,
    server,
    sign_in,
    sign_out,
    success,
    tablet,
    world,
)

from access_world import World
from serve_process import Server

NEW_PASSWORD = "marmalade on a tuesday morning"


async def look(page: Page, name: str, *, javascript: bool) -> None:
    """Checked by axe and saved with JavaScript; only saved without (axe is a script)."""
    if javascript:
        await screenshot(page, f"admin-js-{name}")
    else:
        await page.screenshot(path=SCREENSHOTS / f"admin-nojs-{name}.png", full_page=True)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
async def test_an_administrator_creates_a_key_worker_who_must_change_the_password(
    server: Server,  # noqa: F811
    world: World,  # noqa: F811
    javascript: bool,
) -> None:
    """Users → create a key worker (the password shown once) → a team with them in it and a
    manager → the key worker signs in with it, is sent to change it, and then works."""
    async with tablet(javascript=javascript) as page:
        await sign_in(page, server, "admin")
        await expect(page.get_by_role("heading", name="Administration")).to_be_visible()
        await look(page, "home", javascript=javascript)

        await page.get_by_role("link", name="Users").first.click()
        await look(page, "users", javascript=javascript)
        await page.get_by_role("button", name="Create a user").click()
        # Sent empty first: every problem at once.
        await page.get_by_role("button", name="Create the user").click()
        summary = page.locator(".govuk-error-summary")
        await expect(summary).to_contain_text("Enter username")
        await expect(summary).to_contain_text("Select at least one role")
        await look(page, "user-refused", javascript=javascript)
        await page.get_by_label("Username").fill("kw.nia")
        await page.get_by_label("Full name").fill("Nia Evans")
        await page.get_by_label("Key worker").check()
        await page.get_by_label("Team (optional)").select_option("team_a")
        await page.get_by_label("P1 (P1)").check()
        await look(page, "user-new", javascript=javascript)
        await page.get_by_role("button", name="Create the user").click()
        await expect(page.get_by_role("heading", name="User created")).to_be_visible()
        temporary = (await page.locator("#temporary-password").inner_text()).strip()
        await look(page, "user-created", javascript=javascript)

        await page.get_by_role("link", name="Go to kw.nia").click()
        await expect(page.locator("main")).to_contain_text("must change their temporary password")
        await look(page, "user", javascript=javascript)

        await page.get_by_role("link", name="Teams").first.click()
        await page.get_by_role("button", name="Create a team").click()
        await page.get_by_label("Team name").fill("East")
        await page.get_by_label("Programme (optional)").select_option("P1")
        await look(page, "team-new", javascript=javascript)
        await page.get_by_role("button", name="Create the team").click()
        await expect(success(page)).to_have_text("The team was created.")
        await page.get_by_label("Nia Evans (kw.nia)").check()
        await page.get_by_label("kw_spare (kw_spare)").check()
        await page.get_by_label("Manager (optional)").select_option("kw_spare")
        await look(page, "team", javascript=javascript)
        await page.get_by_role("button", name="Save the team").click()
        await expect(success(page)).to_have_text("The team was changed.")
        await page.get_by_role("link", name="Back to teams").click()
        await expect(page.locator("main table")).to_contain_text("kw_spare")
        await look(page, "teams", javascript=javascript)
        await sign_out(page)

        # The key worker, with the one-time password, can do nothing before changing it.
        await page.get_by_label("Username").fill("kw.nia")
        await page.get_by_label("Password").fill(temporary)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
        await page.goto(f"{server.url}/caseload")
        await expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
        await look(page, "must-change", javascript=javascript)
        await page.get_by_label("Current password").fill(temporary)
        await page.get_by_label("New password").fill("kw.nia-short")
        await page.get_by_role("button", name="Change the password").click()
        await expect(page.locator(".govuk-error-summary")).to_contain_text(
            "may not contain the username"
        )
        await look(page, "must-change-refused", javascript=javascript)
        await page.get_by_label("Current password").fill(temporary)
        await page.get_by_label("New password").fill(NEW_PASSWORD)
        await page.get_by_role("button", name="Change the password").click()
        await expect(success(page)).to_contain_text("Your password was changed.")
        await look(page, "account", javascript=javascript)
        await page.get_by_role("link", name="My caseload").click()
        await expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
