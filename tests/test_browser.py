"""The pages in a real browser: Debian's headless Chromium, driven by Playwright, against
`connecting-families serve` on loopback. Each test saves screenshots of the pages it passes
through into `screenshots/` (ignored by git), for review.

The pages call the same services as the API, which the rest of the suite runs on both
databases; these run on SQLite.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from playwright.async_api import (
    ConsoleMessage,
    Locator,
    Page,
    Response,
    async_playwright,
    expect,
)

from connecting_families.domain.dates import today

from access_world import World
from import_cases import CASES
from page_world import PASSWORD, build_page_world, offend_recently
from serve_process import Server

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and quiet: this machine's network is closed, so no background connections.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent.parent / "screenshots"
# Every page is checked and saved at both widths; the tests drive it at tablet width.
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1280, "height": 800}
WIDTHS = {"desktop": DESKTOP, "tablet": TABLET}
# axe-core, vendored for the tests only (tests/vendor/README.md).
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# What axe finds that fails a test: a "serious" or "critical" violation of any of its rules.
REFUSED_IMPACTS = ("serious", "critical")


@pytest.fixture
def database_kind() -> str:
    return "sqlite"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


@pytest.fixture
def server(database_url: str, tmp_path: Path, world: World) -> Iterator[Server]:
    """The service, serving the world's database from another process."""
    assert CHROMIUM.exists(), "Chromium is missing: `make test` installs Debian's chromium"
    SCREENSHOTS.mkdir(exist_ok=True)
    served = Server(database_url, tmp_path)
    try:
        served.wait_ready()
        yield served
    finally:
        served.kill()


# What went wrong in each page's browser beyond what a test looks at: a script's error, a
# console error (the browser reports there what the Content-Security-Policy refused), a
# stylesheet, script or image that did not load.
BROWSER_PROBLEMS: dict[Page, list[str]] = {}
ASSETS = {"stylesheet", "script", "image", "font"}


def watch_for_errors(page: Page) -> None:
    problems = BROWSER_PROBLEMS.setdefault(page, [])
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    def console(message: ConsoleMessage) -> None:
        # A page or form answered 404 or 422 is logged too; the tests check those themselves.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            where = message.location
            problems.append(f"{where['url']}:{where['lineNumber']}: {message.text}")

    def response(answer: Response) -> None:
        if answer.request.resource_type in ASSETS and answer.status >= 400:
            problems.append(f"{answer.status} for {answer.url}")

    page.on("console", console)
    page.on("response", response)


@asynccontextmanager
async def tablet(*, javascript: bool = True) -> AsyncIterator[Page]:
    """A fresh browser tab at tablet width; with `javascript=False`, one whose pages run no
    script of their own (the tests' own checks still run, through the DevTools protocol)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(viewport=TABLET, java_script_enabled=javascript)
            page = await context.new_page()
            watch_for_errors(page)
            yield page
        finally:
            await browser.close()


# What an accessibility checker would refuse first, on the page as the browser built it.
ACCESSIBILITY_PROBLEMS = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("the page has no language");
  if (!document.querySelector("main")) problems.push("the page has no main landmark");
  if (document.querySelectorAll("h1").length !== 1) problems.push("the page needs one h1");
  let level = 0;
  // The error summary and the notification banner come before the h1, as the Design System
  // places them; their own h2 is not a level skipped.
  const before = ".govuk-error-summary, .govuk-notification-banner";
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    if (h.closest(before)) continue;
    const next = Number(h.tagName[1]);
    if (next > level + 1) problems.push(`heading "${h.textContent.trim()}" skips a level`);
    level = next;
  }
  const controls = "input:not([type=hidden]), select, textarea, button";
  for (const control of document.querySelectorAll(controls)) {
    const named = (control.labels && control.labels.length) || control.getAttribute("aria-label")
      || control.getAttribute("aria-labelledby") || control.textContent.trim();
    if (!named) problems.push(`control ${control.name || control.id} has no label`);
  }
  for (const figure of document.querySelectorAll("svg[role=img]")) {
    if (!figure.getAttribute("aria-labelledby") && !figure.getAttribute("aria-label")) {
      problems.push("a chart has no text alternative");
    }
  }
  return problems;
}"""


# axe's violations that fail a test, as "rule: target, target" lines.
AXE_RUN = """async (impacts) => {
  const results = await axe.run(document);
  return results.violations
    .filter((v) => impacts.includes(v.impact))
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}"""


# Playwright's screenshot hides the text caret with an inline style and leaves `style=""` on
# every field; HTMX copying that attribute onto a form it swaps in is refused by the CSP, and
# would be reported as if the page had done it. So the fields are put back as they were.
UNTOUCHED = """() => {
  for (const field of document.querySelectorAll('[style=""]')) field.removeAttribute("style");
}"""


async def axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now.

    axe is evaluated into the page through the DevTools protocol rather than a <script> tag
    (`add_script_tag`), because the pages' Content-Security-Policy refuses inline scripts, and
    the tests keep that policy on (no `bypass_csp`) so that they would see a page break it.
    """
    if not await page.evaluate("typeof axe !== 'undefined'"):
        await page.evaluate(AXE.read_text())
    problems: list[str] = await page.evaluate(AXE_RUN, list(REFUSED_IMPACTS))
    return problems


async def screenshot(page: Page, name: str) -> None:
    """Check the page's accessibility at desktop and tablet widths, and save it at both for
    review as screenshots/<name>-desktop.png and -tablet.png.

    A click that follows a link returns once the next page has started to load; checking it
    before it has loaded finds a document with nothing in it (CI saw `documentElement` null).
    """
    await page.wait_for_load_state()
    assert await page.evaluate(ACCESSIBILITY_PROBLEMS) == [], name
    assert BROWSER_PROBLEMS.get(page, []) == [], name
    for width, viewport in WIDTHS.items():
        await page.set_viewport_size(viewport)
        problems = await axe_violations(page)
        assert problems == [], f"{name} at {width} width: axe found\n" + "\n".join(problems)
        await page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
    await page.set_viewport_size(TABLET)
    await page.evaluate(UNTOUCHED)


async def fill_date(form: Locator, legend: str, on: dt.date) -> None:
    """Type `on` into the form's date input `legend`, as day, month and year."""
    date = form.get_by_role("group", name=legend)
    await date.get_by_label("Day").fill(str(on.day))
    await date.get_by_label("Month").fill(str(on.month))
    await date.get_by_label("Year").fill(str(on.year))


def success(page: Page) -> Locator:
    """What the notification banner at the top of the page says was just done."""
    return page.locator(".govuk-notification-banner--success .govuk-notification-banner__heading")


async def sign_out(page: Page) -> None:
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


async def sign_in(page: Page, server: Server, username: str, *, check: bool = False) -> None:
    """Sign in from the home page; `check` the sign-in page's accessibility on the way."""
    await page.goto(f"{server.url}/")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    if check:
        await screenshot(page, "sign-in")
    # The first key press reaches the link that skips to the content.
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_text(f"Signed in as {username}")).to_be_visible()


async def test_a_key_worker_records_a_visit_and_an_outcome_and_sees_the_verdict_change(
    server: Server, world: World, client: httpx.AsyncClient
) -> None:
    """Sign in, open a family, add a note and outcomes; the verdict turns around."""
    await offend_recently(client, world)
    async with tablet() as page:
        await sign_in(page, server, "kw_own", check=True)
        row = page.get_by_role("row", name=re.compile("FAM-1"))
        await expect(row).to_contain_text("Not yet turned around")
        await screenshot(page, "key-worker-caseload")

        await row.get_by_role("link", name="FAM-1").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("FAM-1")
        await screenshot(page, "family-summary")
        sections = page.get_by_role("navigation", name="Sections of the family's record")
        await sections.get_by_role("link", name="Result").click()
        summary = page.locator("#verdict-summary")
        await expect(summary).to_contain_text("Not yet turned around")
        await expect(page.locator("#criteria")).to_contain_text(
            "Children's offences down by a third since attachment: Not met; measured before: 2,"
            " after: 2"
        )
        await screenshot(page, "family-before")

        # A note without its date is refused, every error named by its label at the top,
        # keeping what was typed.
        await sections.get_by_role("link", name="Notes").click()
        await page.get_by_role("button", name="Add a note").click()
        await page.get_by_label("Kind of contact").select_option("phone")
        await page.get_by_label("Note", exact=True).fill("Spoke to Cara about the new job.")
        await page.get_by_role("button", name="Save note").click()
        await expect(page.locator("#occurred_on-error")).to_contain_text(
            "Enter date of the contact"
        )
        await expect(page.locator(".govuk-error-summary")).to_be_focused()
        await expect(page).to_have_title(re.compile(r"^Error: Add a note \u2013 Family FAM-1"))
        await expect(page.get_by_label("Note", exact=True)).to_have_value(
            "Spoke to Cara about the new job."
        )
        await screenshot(page, "family-note-refused")
        await fill_date(page.locator("form"), "Date of the contact", today())
        await page.get_by_role("button", name="Save note").click()
        await expect(success(page)).to_have_text("The note was added.")
        await expect(page.locator("#notes .note-body")).to_have_text(
            "Spoke to Cara about the new job."
        )

        await sections.get_by_role("link", name="Assessments and needs").click()
        await page.get_by_role("link", name="Record the outcome of N-1").click()
        await page.get_by_label("Achieved", exact=True).check()
        await fill_date(page.locator("form"), "Date of the outcome", today())
        await page.get_by_role("button", name="Record outcome").click()
        await expect(success(page)).to_have_text("The need's outcome was recorded.")

        # The outcome that counts for the result: Cara has been in work for 40 weeks.
        await sections.get_by_role("link", name="Evidence").click()
        await page.get_by_role("button", name="Record evidence").click()
        evidence = page.locator("main form")
        await evidence.get_by_label("Kind of evidence").select_option("employment")
        await evidence.get_by_label("Who it is about").select_option("A1")
        await fill_date(evidence, "Start date", today() - dt.timedelta(weeks=40))
        await evidence.get_by_label("Hours per week").fill("30")
        await screenshot(page, "family-record-evidence")
        await evidence.get_by_role("button", name="Record evidence").click()
        await expect(success(page)).to_have_text("The evidence was recorded.")
        await expect(page.locator("#timeline")).to_contain_text("Job, Cara Smith")
        await screenshot(page, "family-evidence")
        await sections.get_by_role("link", name="Result").click()
        await expect(summary).to_contain_text("Turned around on")
        await expect(page.locator("#routes")).to_contain_text(
            "in continuous work for 26 weeks (13 on Jobseeker's Allowance): Met; worth"
        )
        await screenshot(page, "family-after")


async def test_a_key_worker_cannot_open_another_workers_family(
    server: Server, world: World
) -> None:
    """Another team's family is not in the caseload, and its page is not found."""
    async with tablet() as page:
        await sign_in(page, server, "kw_own")
        await expect(page.get_by_role("link", name="FAM-1")).to_be_visible()
        await expect(page.get_by_text("F-other_team")).to_have_count(0)
        response = await page.goto(f"{server.url}/families/{world.families['other_team']}")
        assert response is not None
        assert response.status == 404
        await expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        await expect(page.get_by_text("F-other_team")).to_have_count(0)
        await screenshot(page, "not-found")


async def test_a_team_manager_sees_the_teams_caseloads(server: Server, world: World) -> None:
    """The team page: each key worker's caseload and the families waiting for one."""
    async with tablet() as page:
        await sign_in(page, server, "tm")
        await page.get_by_role("link", name="My team").click()
        choose = page.get_by_role("heading", name="Choose a team")
        if await choose.is_visible():
            await page.get_by_role("main").get_by_role("link").first.click()
        await expect(page.get_by_role("heading", name="Caseloads")).to_be_visible()
        await screenshot(page, "team")


async def test_a_programme_manager_imports_then_prepares_and_submits_a_claim(
    server: Server, world: World
) -> None:
    """A bad row is shown and nothing imported; then a claim goes from preparation through
    the auditor's sign-off to submission."""
    case = CASES["attendance"]
    bad_row, problem = case.bad[0]
    async with tablet() as page:
        await sign_in(page, server, "pm")
        await expect(page.get_by_role("heading", name="P1 (P1)")).to_be_visible()
        await screenshot(page, "programme-dashboard")

        await page.get_by_role("link", name="Imports").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Imports")
        await screenshot(page, "programme-imports")
        await page.get_by_label("What the file holds").select_option("attendance")
        text = case.text((*case.rows, bad_row)).encode()
        await page.get_by_label("The file", exact=True).set_input_files(
            files=[{"name": "attendance.csv", "mimeType": "text/csv", "buffer": text}]
        )
        await page.get_by_role("button", name="Upload").click()
        await expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible()
        line = len(case.rows) + 2
        column, _, message = problem.removeprefix("column ").partition(": ")
        bad = page.locator("#problems tbody tr")
        await expect(bad).to_have_count(1)
        await expect(bad).to_contain_text(str(line))
        await expect(bad).to_contain_text(column)
        await expect(bad).to_contain_text(message)
        await screenshot(page, "programme-import-refused")

        await page.get_by_role("link", name="Claims").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Claims")
        await screenshot(page, "programme-claims")
        await page.get_by_role("button", name="Prepare the claim").click()
        await expect(page.locator("#claim-status")).to_have_text("Draft")
        await expect(page.get_by_role("row", name=re.compile("FAM-1"))).to_contain_text("£700.00")
        await page.get_by_label("Percentage of lines").fill("100")
        await page.get_by_role("button", name="Draw the sample").click()
        await expect(page.locator("#claim-status")).to_have_text("Sampled")
        claim_page = page.url
        await screenshot(page, "claim-sampled")
        await sign_out(page)

        await sign_in(page, server, "auditor")
        await page.goto(claim_page)
        await page.get_by_role("button", name=re.compile("Sign off")).click()
        await expect(success(page)).to_have_text("The line was signed off.")
        await screenshot(page, "claim-signed-off")
        await page.get_by_role("link", name="Audit log").click()
        await expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
        await screenshot(page, "audit-log")
        await sign_out(page)

        await sign_in(page, server, "pm")
        await page.goto(claim_page)
        await page.get_by_role("button", name="Check and submit the claim").click()
        await page.get_by_role("button", name="Submit the claim").click()
        await expect(page.locator("#claim-status")).to_have_text("Submitted")
        await screenshot(page, "claim-submitted")

        await page.get_by_role("link", name="Monthly report").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Monthly performance")
        await screenshot(page, "monthly-report")
