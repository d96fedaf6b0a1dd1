"""An assessment in a real browser: start it, save a draft of its content, complete it late
with a reason from the list, then record two needs under the programme's headlines.

The browser, the server and the screenshots are `test_browser`'s; its fixtures are used here.
"""

from __future__ import annotations

import datetime as dt
import re

from playwright.async_api import expect
from test_browser import (  # noqa: F401 (fixtures, found by pytest by their names)
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
from consent_world import consent_given
from serve_process import Server


async def test_a_key_worker_completes_an_assessment_late_and_records_two_needs(
    server: Server,  # noqa: F811
    world: World,  # noqa: F811
) -> None:
    """Start → draft → complete late (refused without a reason, then with one) → two needs."""
    # Without current consent, completing is refused (test_browser_consent.py records it).
    await consent_given(world.families["fam1"], world.users["kw_own"])
    async with tablet() as page:
        await sign_in(page, server, "kw_own")
        await page.goto(f"{server.url}/families/{world.families['fam1']}/assessments")
        await screenshot(page, "assessments-section")

        await page.get_by_role("button", name="Start an assessment").click()
        await expect(page).to_have_title(re.compile(r"^Start an assessment"))
        await screenshot(page, "assessment-start")
        form = page.locator("main form")
        # Started long enough ago that completing it today is late.
        await fill_date(form, "Date the assessment started", today() - dt.timedelta(days=120))
        await page.get_by_label("Agency of the lead professional (optional)").fill("School")
        await page.get_by_role("button", name="Start the assessment").click()
        await expect(success(page)).to_have_text("The assessment was started.")
        await expect(page.locator(".govuk-tag").first).to_have_text("Draft")
        await screenshot(page, "assessment-draft")

        await page.get_by_role("button", name="Edit the assessment").click()
        await page.get_by_label("The family's own view (optional)").fill(
            "Cara wants Amy back in school and help finding work."
        )
        await page.get_by_label("Strengths (optional)").fill("Grandma helps every morning.")
        await page.get_by_label("Needs: Education (optional)").fill("Amy misses two days a week.")
        await page.get_by_label("The child's voice (optional)").fill("Amy: school is boring.")
        await page.get_by_label("Key worker's analysis (optional)").fill("Attendance first.")
        await screenshot(page, "assessment-edit")
        await page.get_by_role("button", name="Save draft").click()
        await expect(success(page)).to_have_text("The draft of the assessment was saved.")
        content = page.locator("#assessment-content")
        await expect(content).to_contain_text("Amy misses two days a week.")
        await screenshot(page, "assessment-saved")

        await page.get_by_role("button", name="Complete the assessment").click()
        await fill_date(page.locator("main form"), "Date the assessment was completed", today())
        await page.get_by_role("button", name="Complete the assessment").click()
        await expect(page.locator(".govuk-error-summary")).to_be_focused()
        await expect(page.locator("#late_reason_code-error")).to_contain_text(
            "Select reason the assessment was late"
        )
        await expect(page.get_by_label("Details of the reason (optional)")).to_be_visible()
        await screenshot(page, "assessment-complete-refused")
        await page.get_by_label("Family availability").check()
        await page.get_by_role("button", name="Complete the assessment").click()
        await expect(success(page)).to_have_text("The assessment was completed.")
        await expect(page.locator(".govuk-tag").first).to_have_text("Completed late")
        await expect(page.locator("#assessment-completion")).to_contain_text("Family availability")
        await screenshot(page, "assessment-completed-late")

        sections = page.get_by_role("navigation", name="Sections of the family's record")
        for headline, words in (
            ("Worklessness and financial exclusion", "Cara has been out of work a year."),
            ("Crime and anti-social behaviour", "Jay was cautioned in March."),
        ):
            await sections.get_by_role("link", name="Assessments and needs").click()
            await page.get_by_role("button", name="Record a need").click()
            await page.get_by_label(headline).check()
            await fill_date(page.locator("main form"), "Date the need was identified", today())
            await page.get_by_label("Description (optional)").fill(words)
            if headline.startswith("Worklessness"):
                await screenshot(page, "need-form")
            await page.get_by_role("button", name="Record the need").click()
            await expect(success(page)).to_have_text("The need was recorded.")
            await expect(page.locator("#needs")).to_contain_text(words)
        await expect(page.get_by_role("row", name=re.compile("Completed late"))).to_be_visible()
        await screenshot(page, "needs-recorded")
