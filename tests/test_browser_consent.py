"""The consent pages in a real browser (the fixtures and helpers of `test_browser`): a key
worker sees the warning, records consent through the form, then withdraws it."""

from __future__ import annotations

import re

from playwright.async_api import expect
from test_browser import (  # noqa: F401 - the fixtures are used by name
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

WARNING = "No current consent to share information."


async def test_a_key_worker_records_consent_and_withdraws_it(server: Server, world: World) -> None:  # noqa: F811
    """The family warns of no consent; consent is recorded through the form after a refusal,
    the warning goes, and comes back once consent is withdrawn."""
    async with tablet() as page:
        await sign_in(page, server, "kw_own")
        await page.goto(f"{server.url}/families/{world.families['fam1']}")
        banner = page.locator("#no-consent")
        await expect(banner).to_contain_text(WARNING)
        await screenshot(page, "family-no-consent")

        await banner.get_by_role("link", name="Record consent").click()
        await expect(page.get_by_role("heading", name="Record consent")).to_be_visible()
        await page.get_by_role("button", name="Save consent").click()
        await expect(page.locator(".govuk-error-summary")).to_be_focused()
        await expect(page.locator("#person_id-error")).to_contain_text("Select who gave consent")
        await expect(page).to_have_title(re.compile(r"^Error: Record consent"))
        await screenshot(page, "consent-refused")

        form = page.locator("form").filter(has=page.get_by_role("button", name="Save consent"))
        await form.get_by_label("Cara Smith (adult)").check()
        await fill_date(form, "Date consent was given", today())
        await form.get_by_label("In person").check()
        await form.get_by_label("School or education").check()
        await form.get_by_label("Health").check()
        await page.get_by_role("button", name="Save consent").click()
        await expect(success(page)).to_have_text("The consent was recorded.")
        await expect(page.locator("#no-consent")).to_have_count(0)
        await expect(
            page.get_by_role("heading", name=re.compile("^Given by Cara Smith on"))
        ).to_be_visible()
        await screenshot(page, "consent-section")

        await page.get_by_role("link", name=re.compile("^Withdraw")).click()
        await expect(page.get_by_role("heading", name="Withdraw consent")).to_be_visible()
        await fill_date(page.locator("form").last, "Date consent was withdrawn", today())
        await page.get_by_label("Why consent was withdrawn (optional)").fill("Moved away")
        await screenshot(page, "consent-withdraw")
        await page.get_by_role("button", name="Withdraw consent").click()
        await expect(success(page)).to_have_text("The withdrawal of consent was recorded.")
        await expect(page.locator("#no-consent")).to_contain_text(WARNING)
        await screenshot(page, "consent-withdrawn")
