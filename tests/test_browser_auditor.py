"""An auditor's journey through the pages alone, with JavaScript and without: from the queue
of claims to audit, a line signed off after reading its verdict and evidence, a line queried,
the programme manager refused submission and answering the query, the line signed off, and
the claim verified. Every page checked by axe on the way (with JavaScript).

The claim (two lines of FAM-1, sampled) is made through the API before the browser starts;
the browser, the server and the screenshots are `test_browser`'s.
"""

from __future__ import annotations

import re

import httpx
import pytest
from litestar import Litestar
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
)

from access_world import World
from claim_world import build_claim_world, sampled_claim
from serve_process import Server

CRIME, WORK = "Crime, anti-social behaviour and school", "Progress to work"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    world = await build_claim_world(client, app)
    await sampled_claim(client, world)
    return world


async def look(page: Page, name: str, *, javascript: bool) -> None:
    """Checked by axe and saved with JavaScript; only saved without."""
    if javascript:
        await screenshot(page, f"auditor-js-{name}")
    else:
        await page.screenshot(path=SCREENSHOTS / f"auditor-nojs-{name}.png", full_page=True)


async def open_line(page: Page, route: str) -> None:
    await page.get_by_role("link", name=f"View the line FAM-1, {route}").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"FAM-1: {route}")


async def decide(page: Page, choice: str, reason: str = "") -> None:
    await page.get_by_label(choice).check()
    if reason:
        await page.get_by_label("Why you are querying the line").fill(reason)
    await page.get_by_role("button", name="Save my decision").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
async def test_an_auditor_signs_off_queries_and_verifies_in_the_pages(
    server: Server,  # noqa: F811
    world: World,
    javascript: bool,
) -> None:
    """Queue → claim → a line signed off → a line queried → the manager refused submission
    and answering → the line signed off → the claim verified."""
    async with tablet(javascript=javascript) as page:
        await sign_in(page, server, "auditor")
        await page.get_by_role("link", name="Claims to audit").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Claims to audit")
        await expect(page.locator("#waiting tbody tr")).to_have_count(1)
        await look(page, "queue", javascript=javascript)
        await page.locator("#waiting").get_by_role("link").click()
        claim_page = page.url
        await look(page, "claim", javascript=javascript)

        # The first line: its frozen verdict and evidence, then signed off.
        await open_line(page, CRIME)
        await expect(page.locator("#verdict-summary")).to_contain_text("Turned around on")
        await expect(page.locator("#evidence-check")).to_contain_text("Matches")
        await look(page, "line", javascript=javascript)
        await page.get_by_role("button", name="Save my decision").click()
        await expect(page.locator(".govuk-error-summary")).to_contain_text(
            "Select whether you sign off or query the line"
        )
        await look(page, "line-refused", javascript=javascript)
        await decide(page, "Sign off the line")
        await expect(success(page)).to_have_text("The line was signed off.")
        await expect(page.locator("#line-audit")).to_contain_text("Signed off by auditor")

        # The second line: queried with a reason.
        await page.goto(claim_page)
        await open_line(page, WORK)
        await decide(page, "Query the line", "Which provider confirmed the start?")
        await expect(success(page)).to_contain_text("The line was queried.")
        await look(page, "line-queried", javascript=javascript)
        await sign_out(page)

        # The programme manager sees the query, cannot submit, and answers.
        await sign_in(page, server, "pm")
        await page.goto(claim_page)
        queries = page.locator("#open-queries")
        await expect(queries).to_contain_text("Which provider confirmed the start?")
        await page.locator("#check-and-submit").click()
        await expect(page.locator("#submit-blocked")).to_contain_text(
            "Internal audit has queried the line of FAM-1 for progress to work"
        )
        await look(page, "claim-submit-refused", javascript=javascript)
        await page.goto(claim_page)
        await page.locator("#open-queries").get_by_role("link").click()
        await page.get_by_label("Your answer").fill("Ingeus confirmed it on 1 March 2013.")
        await page.get_by_role("button", name="Send the answer").click()
        await expect(success(page)).to_have_text("Your answer was sent to internal audit.")
        await look(page, "line-answered", javascript=javascript)
        await sign_out(page)

        # The auditor reads the answer, signs the line off, and verifies the claim.
        await sign_in(page, server, "auditor")
        await page.goto(claim_page)
        await open_line(page, WORK)
        await expect(page.locator("main")).to_contain_text("Ingeus confirmed it")
        await decide(page, "Sign off the line")
        await expect(success(page)).to_have_text("The line was signed off.")
        await page.goto(claim_page)
        await page.get_by_role("link", name="Verify this claim").click()
        await expect(page.locator("#verify-result")).to_contain_text(
            "Every line is decided the same"
        )
        await look(page, "verify", javascript=javascript)
        await page.get_by_role("link", name="Claims to audit").click()
        await expect(page.locator("#signed")).to_contain_text(re.compile(r"2 of 2"))
        await page.get_by_role("link", name="Audit log").click()
        await expect(page.locator("#audit-events")).to_contain_text("Opened the claims to audit")
        await look(page, "audit-log", javascript=javascript)
