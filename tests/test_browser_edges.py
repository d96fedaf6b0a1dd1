"""The pages a key worker meets off the usual path, in Chromium (see `test_browser`): someone
already known found by name for the household, a refused "Judge on" date on the result page,
a form sent after the session ended (the signed-out page), and a form that could not be sent
(its token expired). Each keeps what was typed; screenshots land in `screenshots/`."""

from __future__ import annotations

import re

from playwright.async_api import expect
from test_browser import (  # the fixtures and helpers of the browser tests
    database_kind,
    screenshot,
    server,
    sign_in,
    tablet,
    world,
)

from connecting_families.access.guard import SESSION_COOKIE

from access_world import World
from serve_process import Server

__all__ = ["database_kind", "server", "world"]

VISIT = "Met mum and Amy at home; Amy went to school three days out of five this week."


async def test_someone_already_known_is_found_by_name_for_the_household(
    server: Server, world: World
) -> None:
    """The search finds a person of the caseload by part of the name, with the date of
    birth and family to tell them apart, or says plainly that nobody was found."""
    async with tablet() as page:
        await sign_in(page, server, "kw_own")
        await page.goto(f"{server.url}/families/{world.families['own']}/household/known")
        await page.get_by_label("Name").fill("smi")
        await page.get_by_role("button", name="Find").click()
        await expect(page.get_by_text("Cara Smith, born 2 Feb 1980")).to_be_visible()
        await screenshot(page, "household-known-found")
        await page.get_by_label("Name").fill("jones")
        await page.get_by_role("button", name="Find").click()
        await expect(page.get_by_text("Nobody of that name was found")).to_be_visible()
        await screenshot(page, "household-known-nobody")


async def test_a_judge_on_date_that_is_not_real_is_refused_on_the_result_page(
    server: Server, world: World
) -> None:
    """31 February as the result's day: the error summary, focused, names the field."""
    async with tablet() as page:
        await sign_in(page, server, "kw_own")
        await page.goto(f"{server.url}/families/{world.families['fam1']}/result")
        date = page.get_by_role("group", name="Judge on")
        await date.get_by_label("Day").fill("31")
        await date.get_by_label("Month").fill("2")
        await date.get_by_label("Year").fill("2026")
        await page.get_by_role("button", name="Show the result").click()
        summary = page.locator(".govuk-error-summary")
        await expect(summary).to_be_focused()
        await expect(page).to_have_title(re.compile(r"^Error: "))
        await expect(summary.get_by_role("link", name=re.compile("Judge on"))).to_be_visible()
        await expect(date.get_by_label("Day")).to_have_value("31")
        await screenshot(page, "result-judge-on-refused")


async def test_a_note_sent_after_the_session_ended_is_given_back(
    server: Server, world: World
) -> None:
    """The session ends while a note is typed: the signed-out page shows the note to copy,
    and offers to sign in again."""
    async with tablet() as page:
        await sign_in(page, server, "kw_own")
        await page.goto(f"{server.url}/families/{world.families['fam1']}/notes/new")
        await page.get_by_label("Note").fill(VISIT)
        await page.context.clear_cookies(name=SESSION_COOKIE)
        await page.get_by_role("button", name="Save note").click()
        await expect(page.get_by_role("heading", name="You have been signed out")).to_be_visible()
        await expect(page.locator("#typed")).to_contain_text(VISIT)
        await expect(page.get_by_role("link", name="Sign in again")).to_be_visible()
        await screenshot(page, "note-signed-out")


async def test_a_note_whose_form_expired_is_given_back(server: Server, world: World) -> None:
    """The form's token no longer holds: the page says the form was not sent and nothing
    was saved, and shows the note to copy."""
    async with tablet() as page:
        await sign_in(page, server, "kw_own")
        await page.goto(f"{server.url}/families/{world.families['fam1']}/notes/new")
        await page.get_by_label("Note").fill(VISIT)
        await page.context.clear_cookies(name="csrftoken")
        await page.get_by_role("button", name="Save note").click()
        await expect(page.get_by_text("Nothing was saved")).to_be_visible()
        await expect(page.locator("#typed")).to_contain_text(VISIT)
        await screenshot(page, "note-not-sent")
