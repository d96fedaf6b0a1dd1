"""The family meetings pages in a real browser (the fixtures and helpers of `test_browser`),
with JavaScript and without: a key worker records a family group decision-making meeting
through the form after a refusal, sees it in the section, and the next meeting on the
summary. axe-core checks each page at desktop and tablet widths
(with JavaScript: axe runs as a promise, which a page without script cannot settle)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.async_api import Page, expect
from test_browser import (  # noqa: F401 - the fixtures are used by name
    ACCESSIBILITY_PROBLEMS,
    BROWSER_PROBLEMS,
    SCREENSHOTS,
    TABLET,
    WIDTHS,
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
from connecting_families.web.templating import day

from access_world import World
from serve_process import Server

JAVASCRIPT = pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])


async def look(page: Page, name: str, *, javascript: bool) -> None:
    """The page checked by axe and saved at both widths; without JavaScript, checked by the
    suite's own checks and saved at both, since axe runs as a promise, which a page without
    script cannot settle."""
    if javascript:
        await screenshot(page, f"meetings-js-{name}")
        return
    await page.wait_for_load_state()
    # The suite's own checks (landmarks, one h1, headings, labels) need no promise.
    assert await page.evaluate(ACCESSIBILITY_PROBLEMS) == [], name
    assert BROWSER_PROBLEMS.get(page, []) == [], name
    for width, viewport in WIDTHS.items():
        await page.set_viewport_size(viewport)
        await page.screenshot(
            path=SCREENSHOTS / f"meetings-nojs-{name}-{width}.png", full_page=True
        )
    await page.set_viewport_size(TABLET)


@JAVASCRIPT
async def test_a_key_worker_records_a_family_meeting(
    server: Server,  # noqa: F811
    world: World,  # noqa: F811
    javascript: bool,
) -> None:
    """Refused first with every field named, then recorded: the section shows the meeting
    and the summary the date of the next one."""
    next_on = today() + dt.timedelta(days=28)
    async with tablet(javascript=javascript) as page:
        await sign_in(page, server, "kw_own")
        await page.goto(f"{server.url}/families/{world.families['fam1']}")
        await page.get_by_role("link", name="Family meetings").click()
        await expect(page.get_by_role("heading", name="Family meetings", level=1)).to_be_visible()
        await expect(page.locator("#meetings")).to_contain_text("No meetings have been recorded.")
        await look(page, "empty", javascript=javascript)

        await page.get_by_role("button", name="Record a meeting").click()
        await expect(page.get_by_role("heading", name="Record a family meeting")).to_be_visible()
        await page.get_by_role("button", name="Save meeting").click()
        summary = page.locator(".govuk-error-summary")
        await expect(summary).to_be_visible()
        if javascript:  # GOV.UK Frontend's script moves focus to the summary
            await expect(summary).to_be_focused()
        await expect(page.locator("#kind-error")).to_contain_text("Select kind of meeting")
        await expect(page.locator("#attendees-error")).to_contain_text("Enter who came")
        await expect(page).to_have_title(re.compile(r"^Error: Record a family meeting"))
        await look(page, "refused", javascript=javascript)

        form = page.locator("form").filter(has=page.get_by_role("button", name="Save meeting"))
        await form.get_by_label("Family group decision-making meeting").check()
        await fill_date(form, "Date of the meeting", today())
        await form.get_by_label("Who came", exact=True).fill("Cara, her sister Dee, Mr Patel")
        await form.get_by_label("Cara Smith (adult)").check()
        await form.get_by_label("The plan the family agreed").fill(
            "Dee walks Amy to school on Mondays.\nCara calls the housing officer this week."
        )
        await fill_date(form, "Date of the next meeting (optional)", next_on)
        await look(page, "form", javascript=javascript)
        await page.get_by_role("button", name="Save meeting").click()
        await expect(success(page)).to_have_text("The meeting was recorded.")
        card = page.get_by_role(
            "heading", name=f"Family group decision-making meeting on {day(today())}"
        )
        await expect(card).to_be_visible()
        await expect(page.locator("#meetings")).to_contain_text("Cara Smith")
        await expect(page.locator("#meetings")).to_contain_text(day(next_on))
        await look(page, "section", javascript=javascript)

        await page.get_by_role("link", name="Summary").click()
        details = page.locator("#family-details")
        await expect(details).to_contain_text("Next meeting")
        await expect(details.get_by_role("link", name=day(next_on))).to_be_visible()
        await look(page, "summary", javascript=javascript)
