"""The other forms in Chromium (see `test_browser`): a refused dashboard date, and the 403 page
that gives back what was typed when a team manager's role is taken away while a form is open.
Screenshots, checked by axe-core at both widths, land in `screenshots/`."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import expect
from test_browser import (  # the fixtures and helpers of the browser tests
    database_kind,
    screenshot,
    server,
    sign_in,
    tablet,
    world,
)

from connecting_families.accounts.tables import UserRole

from access_world import World
from serve_process import Server

__all__ = ["database_kind", "server", "world"]


async def test_a_dashboard_date_that_is_not_real_is_refused_by_its_label(
    server: Server, world: World
) -> None:
    """31 February typed into the dashboard's date input comes back with the error summary,
    focused, linking to the day, and the date as typed."""
    async with tablet() as page:
        await sign_in(page, server, "pm")
        date = page.get_by_role("group", name="Count the figures at")
        await date.get_by_label("Day").fill("31")
        await date.get_by_label("Month").fill("2")
        await date.get_by_label("Year").fill("2026")
        await page.get_by_role("button", name="Show the figures").click()
        summary = page.locator(".govuk-error-summary")
        await expect(summary).to_be_focused()
        await expect(page).to_have_title(re.compile(r"^Error: P1: dashboard"))
        link = summary.get_by_role("link", name="Count the figures at must be a real date")
        await expect(date.get_by_label("Day")).to_have_value("31")
        await screenshot(page, "dashboard-date-refused")
        await link.click()
        await expect(date.get_by_label("Day")).to_be_focused()


async def test_a_refused_allocation_form_names_the_key_worker(
    server: Server, world: World
) -> None:
    """The allocation form sent without a key worker comes back with the summary focused."""
    async with tablet() as page:
        await sign_in(page, server, "tm")
        await page.get_by_role("link", name="My team").click()
        await page.get_by_role("link", name="Allocate a key worker family F-unallocated").click()
        await page.get_by_role("button", name="Allocate").click()
        summary = page.locator(".govuk-error-summary")
        await expect(summary).to_be_focused()
        await expect(summary.get_by_role("link", name="Select a key worker")).to_be_visible()
        await screenshot(page, "team-allocation-refused")
        await page.get_by_label("Key worker").select_option("kw_spare")
        await page.get_by_role("button", name="Allocate").click()
        await expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
            "The family was allocated."
        )


async def test_a_form_sent_after_the_role_was_removed_gives_back_what_was_typed(
    server: Server, world: World, client: httpx.AsyncClient
) -> None:
    """A team manager types an allocation, loses the role, sends it: the 403 page says why
    and shows each field typed, to copy."""
    async with tablet() as page:
        await sign_in(page, server, "tm")
        await page.get_by_role("link", name="My team").click()
        await page.get_by_role("link", name="Allocate a key worker family F-unallocated").click()
        await expect(page.get_by_role("heading", name="Allocate a key worker")).to_be_visible()
        await screenshot(page, "team-allocation-form")
        await page.get_by_label("Key worker").select_option("kw_spare")
        reason = (
            "The family asked for a worker who speaks Polish; kw_spare does, and has room "
            "in her caseload from next week."
        )
        await page.get_by_label("Reason (optional)").fill(reason)
        await UserRole.delete().where(UserRole.user == world.users["tm"])
        await page.get_by_role("button", name="Allocate").click()
        await expect(page.get_by_role("heading", name="You cannot do this")).to_be_visible()
        await expect(page.locator("#refusal-reason")).to_contain_text("you have no role now")
        await expect(page.locator("#typed")).to_contain_text("kw_spare")
        await expect(page.get_by_label("Reason")).to_have_value(reason)
        await screenshot(page, "form-refused-403")
