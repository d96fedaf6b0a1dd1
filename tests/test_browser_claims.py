"""A programme manager's claim lifecycle in the browser, with JavaScript and without: an
import, a claim window opened, a claim prepared in it, sampled, signed off by an auditor,
checked and submitted, the department's decision with a rejected line (every problem shown
first), that line claimed again in the next claim, which is withdrawn, and the window closed.
No API call; every page checked by axe on the way with JavaScript.

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
    sign_out,
    success,
    tablet,
    world,
)

from connecting_families.domain.dates import today

from access_world import World
from import_cases import CASES
from serve_process import Server

FAM_1_LINE = re.compile("FAM-1")


async def look(page: Page, name: str, *, javascript: bool) -> None:
    """The page checked by axe and saved; without JavaScript, only saved."""
    if javascript:
        await screenshot(page, f"claims-js-{name}")
    else:
        await page.screenshot(path=SCREENSHOTS / f"claims-nojs-{name}.png", full_page=True)


async def open_window(page: Page, *, javascript: bool) -> None:
    """From the claims page: the windows, and a window open from last week to next."""
    await page.get_by_role("link", name="Claim windows").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Claim windows")
    await page.get_by_role("button", name="Open a claim window").click()
    form = page.locator("main form")
    await form.get_by_label("Name of the window").fill("Spring round")
    await fill_date(form, "Date the window opens", today() - dt.timedelta(days=7))
    await fill_date(form, "Date the window closes", today() + dt.timedelta(days=7))
    await fill_date(form, "Results as of", today())
    await look(page, "window-new", javascript=javascript)
    await page.get_by_role("button", name="Open the claim window").click()
    await expect(success(page)).to_have_text("The claim window was added.")
    await expect(page.get_by_role("row", name=re.compile("Spring round"))).to_contain_text("Open")
    await look(page, "windows", javascript=javascript)


async def decide_with_a_rejection(page: Page, *, javascript: bool) -> None:
    """The decision page sent empty names the problem; then FAM-1's line is rejected."""
    await page.get_by_role("button", name="Record the department's decision").click()
    await page.get_by_role("button", name="Record the decision").click()
    summary = page.locator(".govuk-error-summary")
    await expect(summary).to_contain_text("Select what the department decided")
    await look(page, "decision-refused", javascript=javascript)
    await page.get_by_label("The department rejected some lines").check()
    await page.get_by_role("checkbox", name=re.compile("Rejected.*FAM-1")).check()
    reason = page.get_by_label(re.compile("Reason the department rejected FAM-1"))
    await reason.fill("School census evidence not accepted")
    await look(page, "decision", javascript=javascript)
    await page.get_by_role("button", name="Record the decision").click()
    await expect(page.locator("#claim-status")).to_have_text("Partly rejected")
    await expect(page.get_by_role("row", name=FAM_1_LINE)).to_contain_text(
        "Rejected: School census evidence not accepted"
    )
    await look(page, "decided", javascript=javascript)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
async def test_a_programme_manager_takes_a_claim_from_import_to_decision_in_the_pages(
    server: Server,  # noqa: F811
    world: World,  # noqa: F811
    javascript: bool,
) -> None:
    """Import → window → claim in it → sample → sign-off → check → submit → a line rejected
    → that line in the next claim → withdrawn → window closed."""
    case = CASES["attendance"]
    async with tablet(javascript=javascript) as page:
        await sign_in(page, server, "pm")
        await page.goto(f"{server.url}/programmes/P1/imports")
        await page.get_by_label("What the file holds").select_option("attendance")
        await page.get_by_label("The file", exact=True).set_input_files(
            files=[
                {"name": "attendance.csv", "mimeType": "text/csv", "buffer": case.text().encode()}
            ]
        )
        await page.get_by_role("button", name="Upload").click()
        await expect(success(page)).to_have_text("The file was imported.")
        await look(page, "imported", javascript=javascript)

        await page.get_by_role("link", name="Claims").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Claims")
        await open_window(page, javascript=javascript)

        await page.get_by_role("link", name="Claims", exact=True).first.click()
        await page.get_by_label("Claim window").select_option(index=1)
        await look(page, "claims", javascript=javascript)
        await page.get_by_role("button", name="Prepare the claim in the window").click()
        await expect(page.locator("#claim-status")).to_have_text("Draft")
        await expect(page.get_by_role("row", name=FAM_1_LINE)).to_be_visible()
        await page.get_by_label("Percentage of lines").fill("100")
        await page.get_by_role("button", name="Draw the sample").click()
        await expect(page.locator("#claim-status")).to_have_text("Sampled")
        claim_page = page.url.split("?")[0]
        amount = await page.locator("#claim-amount").text_content()
        lines = await page.locator("#claim-lines").text_content()
        await sign_out(page)

        await sign_in(page, server, "auditor")
        await page.goto(claim_page)
        for _ in range(int(lines or 0)):
            await page.get_by_role("button", name=re.compile("Sign off")).first.click()
            await expect(success(page)).to_have_text("The line was signed off.")
        await sign_out(page)

        await sign_in(page, server, "pm")
        await page.goto(claim_page)
        await page.get_by_role("button", name="Check and submit the claim").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Check the claim before you submit it"
        )
        await expect(page.locator("#submit-lines")).to_have_text(lines or "")
        await expect(page.locator("#submit-total")).to_have_text(amount or "")
        await expect(page.locator(".govuk-warning-text")).to_contain_text("cannot be changed")
        await look(page, "check", javascript=javascript)
        await page.get_by_role("button", name="Submit the claim").click()
        await expect(page.locator("#claim-status")).to_have_text("Submitted")
        await look(page, "submitted", javascript=javascript)

        await decide_with_a_rejection(page, javascript=javascript)

        # The rejected line is claimable again: the next claim, at today's date, holds it.
        await page.get_by_role("link", name="Claims", exact=True).first.click()
        await page.get_by_role("button", name="Prepare the claim", exact=True).click()
        await expect(page.locator("#claim-status")).to_have_text("Draft")
        await expect(page.get_by_role("row", name=FAM_1_LINE)).to_contain_text(
            "Crime, anti-social behaviour and school"
        )
        await look(page, "claimed-again", javascript=javascript)

        await page.get_by_role("link", name="Withdraw the claim").click()
        await page.get_by_role("button", name="Withdraw the claim").click()
        await expect(page.locator(".govuk-error-summary")).to_contain_text(
            "Enter why the claim is withdrawn"
        )
        await page.get_by_label("Why the claim is withdrawn").fill("Waiting for the census")
        await look(page, "withdraw", javascript=javascript)
        await page.get_by_role("button", name="Withdraw the claim").click()
        await expect(page.locator("#claim-status")).to_have_text("Withdrawn")

        await page.get_by_role("link", name="Claims", exact=True).first.click()
        await page.get_by_role("link", name="Claim windows").click()
        await page.get_by_role("link", name="Close Spring round").click()
        await look(page, "window-close", javascript=javascript)
        await page.get_by_role("button", name="Close the window").click()
        await expect(success(page)).to_contain_text("The claim window was closed.")
        await expect(page.get_by_role("row", name=re.compile("Spring round"))).to_contain_text(
            "Closed"
        )
        await look(page, "window-closed", javascript=javascript)
