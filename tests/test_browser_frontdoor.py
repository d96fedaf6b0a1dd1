"""The front door in a real browser, with JavaScript and without (the fixtures and helpers of
`test_browser`): a school's contact about a family the programme does not know is recorded
with its household, decided "family help" within the day, allocated by the team manager, and
the family's page shows the contact that brought it in; a second contact a month after the
family's closure is flagged as a re-referral. No API call; every page checked by axe."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.async_api import Locator, Page, expect
from test_browser import (  # noqa: F401 (fixtures, found by pytest by their names)
    SCREENSHOTS,
    database_kind,
    fill_date,
    screenshot,
    server,
    sign_in,
    sign_out,
    success,
    tablet,
    world,
)

from connecting_families.domain.dates import today
from connecting_families.families.tables import Family

from access_world import World
from serve_process import Server

SCHOOL = "Head of year, Orton Academy"


async def look(page: Page, name: str, *, javascript: bool) -> None:
    """The page checked by axe at both widths and saved; without JavaScript, only saved (axe
    runs as a script in the page, and the markup is the same either way)."""
    if javascript:
        await screenshot(page, f"frontdoor-js-{name}")
    else:
        await page.screenshot(path=SCREENSHOTS / f"frontdoor-nojs-{name}.png", full_page=True)


async def person(card: Locator, given: str, born: dt.date, role: str) -> None:
    await card.get_by_label("First name").fill(given)
    await card.get_by_label("Last name").fill("Newgate")
    await fill_date(card, "Date of birth", born)
    await card.get_by_label(role, exact=True).check()


async def about_the_contact(page: Page) -> None:
    """How, from whom and about what a school's contact came, and what it said."""
    await page.get_by_label("Phone", exact=True).check()
    await page.get_by_label("School or education", exact=True).check()
    await page.get_by_label("Who they are (optional)").fill(SCHOOL)
    await page.get_by_label("Education", exact=True).check()
    await page.get_by_label("Yes, the family agreed to this being shared").check()
    await page.get_by_label("What the contact said").fill("Ava has missed most of this term.")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
async def test_a_schools_contact_brings_a_new_family_in_and_a_second_is_a_re_referral(
    server: Server,  # noqa: F811
    world: World,  # noqa: F811
    javascript: bool,
) -> None:
    """Contact → the family is new → its household → family help in time → the team page
    → allocated → the family's page shows the contact; closed, a later contact is a repeat."""
    async with tablet(javascript=javascript) as page:
        await sign_in(page, server, "fd")
        await expect(page.get_by_role("heading", name="Contacts to decide")).to_be_visible()
        await look(page, "queue-empty", javascript=javascript)

        # The contact: nobody called Newgate is known, so the family is new.
        await page.get_by_role("button", name="Record a contact").click()
        await expect(page.get_by_role("heading", name="Record a contact")).to_be_visible()
        await about_the_contact(page)
        await page.get_by_label("Name or reference of the family (optional)").fill("Ava Newgate")
        await page.get_by_role("button", name="Find the family").click()
        await expect(page.locator("#none-found")).to_contain_text("No family in your programmes")
        await look(page, "not-found", javascript=javascript)
        await person(page.locator("#person-0"), "Sam", dt.date(1986, 4, 12), "Adult")
        await page.get_by_role("button", name="Add another person").click()
        await expect(page.locator("#person-1")).to_be_visible()
        await expect(page.locator("#person-0").get_by_label("First name")).to_have_value("Sam")
        await person(page.locator("#person-1"), "Ava", dt.date(2013, 9, 1), "Child")
        await expect(page.get_by_label("What the contact said")).to_have_value(
            "Ava has missed most of this term."
        )
        await look(page, "record", javascript=javascript)
        await page.get_by_role("button", name="Record the contact").last.click()
        await expect(success(page)).to_contain_text("The contact was recorded")
        main = page.locator("main")
        await expect(main).to_contain_text("Sam Newgate, born 12 Apr 1986, adult")
        await expect(main).to_contain_text(SCHOOL)
        # Due within a working day: today, or the next working day.
        in_time = re.compile("Due today|1 working day left")
        await expect(page.locator("#contact")).to_contain_text(in_time)
        await look(page, "contact", javascript=javascript)

        # The queue shows it due today; the decision is family help, within the day.
        await page.get_by_role("link", name="Front door", exact=True).click()
        await expect(page.locator("#waiting")).to_contain_text("Sam Newgate, Ava Newgate")
        await expect(page.locator("#waiting .govuk-tag")).to_have_text(in_time)
        await look(page, "queue", javascript=javascript)
        await page.get_by_role("link", name="Sam Newgate, Ava Newgate").click()
        await page.get_by_label("Family help", exact=True).check()
        await page.get_by_label("Family reference (optional)").fill("NEWGATE-1")
        await page.get_by_label("Reasons for the decision (optional)").fill(
            "Attendance and the family asks for help."
        )
        await page.get_by_role("button", name="Save the decision").click()
        await expect(success(page)).to_have_text(
            "Family help: the family is waiting for allocation"
        )
        await expect(page.locator("#contact")).to_contain_text("Yes, within the timescale")
        await look(page, "decided", javascript=javascript)
        await sign_out(page)

        # The team manager finds it waiting, and allocates it.
        await sign_in(page, server, "tm")
        waiting = page.locator("h3").filter(has_text="NEWGATE-1")
        await expect(waiting).to_be_visible()
        await page.get_by_role("link", name="Allocate a key worker family NEWGATE-1").click()
        await page.get_by_label("Key worker").select_option("kw_own")
        await page.get_by_role("button", name="Allocate").click()
        await expect(success(page)).to_be_visible()
        await page.goto(f"{server.url}/team")
        await page.get_by_role("link", name="NEWGATE-1").first.click()
        came_in = page.locator("#contacts")
        await expect(came_in).to_contain_text("School or education: " + SCHOOL)
        await expect(came_in).to_contain_text("Family help")
        await expect(page.locator("#family-details")).to_contain_text("kw_own")
        await look(page, "family", javascript=javascript)
        await sign_out(page)

        # A month after the family's case closed (set here: closing is the key worker's
        # journey, tested in test_browser_journey), a second contact is a re-referral.
        await Family.update(
            {Family.status: "closed", Family.closed_on: today() - dt.timedelta(days=30)}
        ).where(Family.family_ref == "NEWGATE-1")
        await sign_in(page, server, "fd")
        await page.get_by_role("button", name="Record a contact").click()
        await about_the_contact(page)
        await page.get_by_label("Name or reference of the family (optional)").fill("NEWGATE-1")
        await page.get_by_role("button", name="Find the family").click()
        await page.get_by_role("radio", name=re.compile("Family NEWGATE-1")).check()
        await page.get_by_role("button", name="Record the contact").last.click()
        await expect(page.locator("#repeat-warning")).to_contain_text("This is a repeat contact")
        await expect(page.locator("#repeat_reason-error")).to_contain_text(
            "Select why the family has come back"
        )
        await look(page, "repeat-asked", javascript=javascript)
        await page.get_by_label("An incident, such as one the police attended").check()
        await page.get_by_role("button", name="Record the contact").last.click()
        await expect(success(page)).to_contain_text("The contact was recorded")
        await expect(page.locator("#repeat-warning")).to_contain_text("Repeat contact")
        await expect(page.locator("#contact")).to_contain_text("Yes: An incident")
        await look(page, "repeat", javascript=javascript)
