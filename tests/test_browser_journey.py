"""A key worker's whole journey through the pages alone, with JavaScript and without: find a
family, record a new one with two members, consent, an assessment completed late with a
reason, two needs, a plan with a goal and two actions, one action marked done, a review, a
note, and the request to close. No API call; every page checked by axe on the way.

The browser, the server and the screenshots are `test_browser`'s; its fixtures are used here.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.async_api import Page, expect
from test_browser import (  # noqa: F401 (fixtures, found by pytest by their names)
    SCREENSHOTS,
    database_kind,
    fill_date,
    screenshot,
    server,
    sign_in,
    success,
    tablet,
    world,
)

from connecting_families.domain.dates import today

from access_world import World
from serve_process import Server

NEEDS = (
    ("Worklessness and financial exclusion", "Zoe has been out of work a year."),
    ("Crime and anti-social behaviour", "Max was cautioned in March."),
)


async def look(page: Page, name: str, *, javascript: bool) -> None:
    """The page checked by axe and saved; without JavaScript, only saved: axe runs as a
    script in the page, and the pages' markup is the same either way."""
    if javascript:
        await screenshot(page, f"journey-js-{name}")
    else:
        await page.screenshot(path=SCREENSHOTS / f"journey-nojs-{name}.png", full_page=True)


async def person(page: Page, index: int, given: str, born: dt.date, role: str) -> None:
    card = page.locator(f"#member-{index}")
    await card.get_by_label("Given name").fill(given)
    await card.get_by_label("Family name").fill("Hart")
    await fill_date(card, "Date of birth", born)
    await card.get_by_label(role, exact=True).check()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
async def test_a_key_worker_takes_a_family_from_search_to_closure_in_the_pages(
    server: Server,  # noqa: F811
    world: World,  # noqa: F811
    javascript: bool,
) -> None:
    """Search → new family (two members) → consent → late assessment → two needs, one
    outcome → plan, goal, two actions, one done → review → note → ask to close → reopen."""
    async with tablet(javascript=javascript) as page:
        await sign_in(page, server, "kw_own")

        # Find a family: nobody called Hart is known, so a new family is recorded.
        await page.get_by_role("link", name="Find a family").first.click()
        await page.get_by_label("Name (optional)").fill("Zoe Hart")
        await page.get_by_role("button", name="Search").click()
        await expect(page.locator("main")).to_contain_text("No families")
        await look(page, "search", javascript=javascript)
        await page.get_by_role("link", name="Record a new family").click()
        await page.get_by_label("Family reference").fill("HART-1")
        await fill_date(
            page.locator("main form"), "Date the family was identified", dt.date(2024, 3, 2)
        )
        await page.get_by_role("button", name="Continue").click()
        await person(page, 0, "Zoe", dt.date(1985, 5, 3), "Adult")
        await page.get_by_role("button", name="Add another member").click()
        await person(page, 1, "Max", dt.date(2012, 9, 9), "Child")
        await page.get_by_role("button", name="Continue").click()
        await expect(page.locator("main")).to_contain_text("Max Hart")
        await page.get_by_role("button", name="Create family").click()
        await expect(success(page)).to_have_text("The family was created.")
        await expect(page.get_by_role("heading", name="Family HART-1")).to_be_visible()
        await look(page, "family", javascript=javascript)
        sections = page.get_by_role("navigation", name="Sections of the family's record")

        # Consent, asked for at the top of every page of the family until it is recorded.
        await page.locator("#no-consent").get_by_role("link", name="Record consent").click()
        await page.get_by_label("Zoe Hart (adult)").check()
        await fill_date(page.locator("main form"), "Date consent was given", today())
        await page.get_by_label("In person").check()
        await page.get_by_label("School or education").check()
        await page.get_by_role("button", name="Save consent").click()
        await expect(success(page)).to_have_text("The consent was recorded.")
        await expect(page.locator("#no-consent")).to_have_count(0)

        # An assessment started four months ago, completed today: late, so a reason first.
        await sections.get_by_role("link", name="Assessments and needs").click()
        await page.get_by_role("button", name="Start an assessment").click()
        started = today() - dt.timedelta(days=120)
        await fill_date(page.locator("main form"), "Date the assessment started", started)
        await page.get_by_role("button", name="Start the assessment").click()
        await expect(success(page)).to_have_text("The assessment was started.")
        await page.get_by_role("button", name="Edit the assessment").click()
        await page.get_by_label("The family's own view (optional)").fill("Zoe wants work.")
        await page.get_by_role("button", name="Save draft").click()
        await expect(success(page)).to_have_text("The draft of the assessment was saved.")
        await page.get_by_role("button", name="Complete the assessment").click()
        await fill_date(page.locator("main form"), "Date the assessment was completed", today())
        await page.get_by_role("button", name="Complete the assessment").click()
        await expect(page.locator("#late_reason_code-error")).to_contain_text(
            "Select reason the assessment was late"
        )
        if javascript:
            await expect(page.locator(".govuk-error-summary")).to_be_focused()
        await look(page, "assessment-refused", javascript=javascript)
        await page.get_by_label("Family availability").check()
        await page.get_by_role("button", name="Complete the assessment").click()
        await expect(success(page)).to_have_text("The assessment was completed.")
        await expect(page.locator(".govuk-tag").first).to_have_text("Completed late")

        for headline, words in NEEDS:
            await sections.get_by_role("link", name="Assessments and needs").click()
            await page.get_by_role("button", name="Record a need").click()
            await page.get_by_label(headline).check()
            await fill_date(page.locator("main form"), "Date the need was identified", today())
            await page.get_by_label("Description (optional)").fill(words)
            await page.get_by_role("button", name="Record the need").click()
            await expect(success(page)).to_have_text("The need was recorded.")

        # The second need's outcome, on its own page.
        await page.get_by_role("link", name=re.compile("^Record the outcome")).last.click()
        await look(page, "outcome", javascript=javascript)
        await page.get_by_label("Achieved", exact=True).check()
        await fill_date(page.locator("main form"), "Date of the outcome", today())
        await page.get_by_role("button", name="Record outcome").click()
        await expect(success(page)).to_have_text("The need's outcome was recorded.")

        # The plan: a goal meeting the first need, two actions, one of them done.
        await sections.get_by_role("link", name="Plan").click()
        await page.get_by_role("button", name="Make the plan").click()
        await fill_date(
            page.locator("main form"), "Date the plan was agreed with the family", today()
        )
        await page.get_by_role("button", name="Make the plan").click()
        await expect(success(page)).to_have_text("The plan was made. Add its goals next.")
        await page.get_by_role("button", name="Add a goal").click()
        await page.get_by_label("Goal", exact=True).fill("Zoe finds work")
        await page.get_by_label(
            re.compile("Worklessness and financial exclusion, identified")
        ).check()
        await page.get_by_role("button", name="Add the goal").click()
        await expect(success(page)).to_have_text("The goal was added to the plan.")
        goal = page.locator(".govuk-summary-card").filter(has_text="Goal 1:")
        for what, due in (
            ("Book a work coach", today() - dt.timedelta(days=1)),
            ("Visit the jobs fair", today() + dt.timedelta(days=10)),
        ):
            await goal.get_by_role("link", name="Add an action to goal 1").click()
            await page.get_by_label("What will be done").fill(what)
            await page.get_by_label("Someone else who will do it").fill("Jobcentre")
            await fill_date(page.locator("main form"), "Due date (optional)", due)
            await page.get_by_role("button", name="Add the action").click()
            await expect(success(page)).to_have_text("The action was added to the plan.")
        first = page.get_by_role("row", name=re.compile("Book a work coach"))
        await first.get_by_role("button", name=re.compile("Mark as done")).click()
        await expect(success(page)).to_have_text("The action was marked as done.")
        await expect(
            page.get_by_role("row", name=re.compile("Book a work coach"))
        ).to_contain_text("Done")

        await page.get_by_role("button", name="Record a review").click()
        await page.get_by_label("What was agreed").fill("Zoe meets her work coach weekly.")
        await page.get_by_label("Good progress").check()
        await page.get_by_label("Comment on goal 1 (optional)").fill("First meeting went well")
        await page.get_by_role("button", name="Record the review").click()
        await expect(success(page)).to_have_text("The review was recorded.")
        review = page.locator(".govuk-summary-card").filter(has_text="Review on")
        await expect(review).to_contain_text("Good progress")
        await expect(review).to_contain_text("First meeting went well")
        await look(page, "plan", javascript=javascript)

        # A note of the visit, then the request to close.
        await sections.get_by_role("link", name="Notes").click()
        await page.get_by_role("button", name="Add a note").click()
        await page.get_by_label("Kind of contact").select_option("visit")
        await fill_date(page.locator("main form"), "Date of the contact", today())
        await page.get_by_label("Note", exact=True).fill("Zoe starts work on Monday.")
        await page.get_by_role("button", name="Save note").click()
        await expect(success(page)).to_have_text("The note was added.")
        await expect(page.locator("#notes")).to_contain_text("Zoe starts work on Monday.")

        await sections.get_by_role("link", name="Plan").click()
        await page.get_by_role("button", name="Ask to close the case").click()
        await page.get_by_label("The family's outcomes were met").check()
        await page.get_by_role("button", name="Close the case").click()
        await expect(success(page)).to_contain_text("The family's case was closed.")
        await expect(page.locator("#family-closed")).to_contain_text(
            "This family's case is closed"
        )
        await look(page, "closed", javascript=javascript)

        # Reopened the same day: the page says it will count as a re-referral.
        await (
            page.locator("#family-closed")
            .get_by_role("link", name="Reopen the family's case")
            .click()
        )
        await look(page, "reopen", javascript=javascript)
        await fill_date(page.locator("main form"), "Date of reopening", today())
        await page.get_by_role("button", name="Reopen the case").click()
        await expect(success(page)).to_have_text("The family's case was reopened.")
        await expect(page.locator("#family-closed")).to_have_count(0)
