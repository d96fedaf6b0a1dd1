"""In Chromium: a key worker finds a family, then records a new one with two members through the
journey (add another, check your answers), and lands on the family's page. Reuses the browser
fixtures and checks of `test_browser` (axe-core and a screenshot at each page)."""

from __future__ import annotations

import datetime as dt
import re

import test_browser
from playwright.async_api import Page, async_playwright, expect
from test_browser import fill_date, screenshot, sign_in, success, tablet

from access_world import World
from serve_process import Server

# The browser tests' fixtures: SQLite, the page world, the service in another process.
database_kind = test_browser.database_kind
world = test_browser.world
server = test_browser.server


async def fill_person(
    page: Page, index: int, given: str, family: str, born: dt.date, role: str
) -> None:
    card = page.locator(f"#member-{index}")
    await card.get_by_label("Given name").fill(given)
    await card.get_by_label("Family name").fill(family)
    await fill_date(card, "Date of birth", born)
    await card.get_by_label(role, exact=True).check()


async def test_a_key_worker_finds_a_family_then_records_a_new_one_with_two_members(
    server: Server, world: World
) -> None:
    """Search, then new family: details, two people (add another), check, create."""
    async with tablet() as page:
        await sign_in(page, server, "kw_own")
        await page.get_by_role("link", name="Find a family").first.click()
        await expect(page.get_by_role("heading", name="Find a family")).to_be_visible()
        await screenshot(page, "find-a-family")
        await page.get_by_label("Name (optional)").fill("Amy Smith")
        await page.get_by_role("button", name="Search").click()
        await expect(page.get_by_role("heading", name="1 family found")).to_be_visible()
        row = page.get_by_role("row", name=re.compile("FAM-1"))
        await expect(row).to_contain_text("Amy Smith, aged")
        assert "Amy" not in page.url
        await screenshot(page, "find-a-family-results")

        await page.get_by_role("link", name="Record a new family").click()
        await expect(page.get_by_role("heading", name="The family's details")).to_be_visible()
        await page.get_by_label("Family reference").fill("NEW-7")
        await fill_date(
            page.locator("form"), "Date the family was identified", dt.date(2024, 3, 2)
        )
        await page.get_by_label("Postcode (optional)").fill("PE3 3CC")
        await screenshot(page, "new-family-details")
        await page.get_by_role("button", name="Continue").click()

        await expect(page.get_by_role("heading", name="Who is in the household")).to_be_visible()
        await fill_person(page, 0, "Zoe", "Hart", dt.date(1985, 5, 3), "Adult")
        await page.get_by_role("button", name="Add another member").click()
        await expect(page.locator("#member-1")).to_be_visible()
        await expect(page.locator("#member-0").get_by_label("Given name")).to_have_value("Zoe")
        await fill_person(page, 1, "Max", "Hart", dt.date(2015, 9, 9), "Child")
        await screenshot(page, "new-family-household")
        await page.get_by_role("button", name="Continue").click()

        await expect(
            page.get_by_role("heading", name="Check your answers before creating the family")
        ).to_be_visible()
        await expect(page.locator("main")).to_contain_text("Max Hart")
        await screenshot(page, "new-family-check")
        await page.get_by_role("button", name="Create family").click()

        await expect(success(page)).to_have_text("The family was created.")
        await expect(page.get_by_role("heading", name="Family NEW-7")).to_be_visible()
        await screenshot(page, "new-family-created")
        sections = page.get_by_role("navigation", name="Sections of the family's record")
        await sections.get_by_role("link", name="Household").click()
        await expect(page.get_by_role("row", name=re.compile("Zoe Hart"))).to_be_visible()
        await expect(page.get_by_role("row", name=re.compile("Max Hart"))).to_be_visible()
        await screenshot(page, "new-family-household-section")


async def test_a_key_worker_changes_the_household_through_its_forms(
    server: Server, world: World
) -> None:
    """Add a member (a duplicate offered by name first), record one leaving, correct one."""
    async with tablet() as page:
        await sign_in(page, server, "kw_own")
        await page.get_by_role("link", name="FAM-1").click()
        sections = page.get_by_role("navigation", name="Sections of the family's record")
        await sections.get_by_role("link", name="Household").click()
        await expect(page.get_by_role("button", name="Add a member")).to_be_visible()
        await screenshot(page, "household")

        await page.get_by_role("button", name="Add a member").click()
        await page.get_by_label("Given name").fill("Ben")
        await page.get_by_label("Family name").fill("Smith")
        await fill_date(page.locator("main form"), "Date of birth", dt.date(2007, 6, 1))
        await page.get_by_label("Child", exact=True).check()
        await page.get_by_role("button", name="Add member").click()
        # Ben is already in this household: offered by name, and refused as already here.
        await expect(page.locator("main")).to_contain_text("Ben Smith, born 1 Jun 2007")
        await expect(page.locator(".govuk-error-summary")).to_be_focused()
        await screenshot(page, "household-add-duplicate")
        await page.get_by_label("Given name").fill("Eve")
        await page.get_by_label("Someone else: record a new person").check()
        await page.get_by_role("button", name="Add member").click()
        await expect(success(page)).to_have_text("The member was added to the household.")
        await expect(page.get_by_role("row", name=re.compile("Eve Smith"))).to_be_visible()

        await page.get_by_role("link", name=re.compile("Record leaving.*Eve Smith")).click()
        await expect(page.get_by_role("group", name="Date they left")).to_be_visible()
        await screenshot(page, "household-leaving")
        await fill_date(page.locator("main form"), "Date they left", dt.date(2025, 1, 5))
        await page.get_by_role("button", name="Record leaving").click()
        await expect(success(page)).to_have_text("The member's leaving was recorded.")

        await page.get_by_role("link", name=re.compile("Correct details.*Cara Smith")).click()
        await page.get_by_label("Given name").fill("Clara")
        await screenshot(page, "household-correct")
        await page.get_by_role("button", name="Save details").click()
        await expect(success(page)).to_have_text("The person's details were corrected.")
        await expect(page.get_by_role("row", name=re.compile("Clara Smith"))).to_be_visible()


async def test_the_new_family_journey_works_without_javascript(
    server: Server, world: World
) -> None:
    """With JavaScript off: "Add another member" and "Remove" are plain buttons, Enter in a
    field continues (it does not press "Remove"), and the family is created."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(test_browser.CHROMIUM), args=test_browser.CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(
                viewport=test_browser.TABLET, java_script_enabled=False
            )
            page = await context.new_page()
            await sign_in(page, server, "tm")
            await page.goto(f"{server.url}/families/new")
            await page.get_by_label("Family reference").fill("NOJS-1")
            identified = dt.date(2024, 3, 2)
            await fill_date(
                page.locator("main form"), "Date the family was identified", identified
            )
            await page.get_by_role("button", name="Continue").click()
            await fill_person(page, 0, "Ada", "Quill", dt.date(1990, 1, 2), "Adult")
            await page.get_by_role("button", name="Add another member").click()
            await fill_person(page, 1, "Wrong", "Person", dt.date(2001, 1, 2), "Adult")
            await page.get_by_role("button", name="Add another member").click()
            await fill_person(page, 2, "Ivy", "Quill", dt.date(2016, 2, 3), "Child")
            await page.get_by_role("button", name="Remove person 2").click()
            await expect(page.locator("#member-2")).to_have_count(0)
            await expect(page.locator("#member-1").get_by_label("Given name")).to_have_value("Ivy")
            await page.locator("#member-0").get_by_label("Given name").press("Enter")
            await expect(
                page.get_by_role("heading", name="Check your answers before creating the family")
            ).to_be_visible()
            await expect(page.locator("main")).to_contain_text("Ada Quill")
            await expect(page.locator("main")).not_to_contain_text("Wrong Person")
            await page.get_by_role("button", name="Create family").click()
            await expect(page.get_by_role("heading", name="Family NOJS-1")).to_be_visible()
            await expect(page.locator("main")).to_contain_text("The family was created.")
        finally:
            await browser.close()
