"""A team manager's journey through the pages alone, with JavaScript and without: the team
page, a key worker's caseload, one of their families, an assessment's sign-off page and the
assessment sent back with a reason, then a closure's sign-off page and the closure signed
off; the key worker then reads the reason on the assessment's page. Every page checked by axe
on the way (with JavaScript; without, screenshots only).

The browser, the server and the screenshots are `test_browser`'s; its fixtures are used here.
"""

from __future__ import annotations

import datetime as dt

import pytest
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
    world,
)

from connecting_families.assessments.tables import Assessment
from connecting_families.domain.dates import today
from connecting_families.families.tables import Family, FamilyStatusChange

from access_world import World
from serve_process import Server

REASON = "Please add Amy's own view of school before I sign this off."


async def look(page: Page, name: str, *, javascript: bool) -> None:
    """The page checked by axe and saved; without JavaScript, only saved."""
    if javascript:
        await screenshot(page, f"team-js-{name}")
    else:
        await page.screenshot(path=SCREENSHOTS / f"team-nojs-{name}.png", full_page=True)


@pytest.fixture
async def waiting(world: World) -> World:  # noqa: F811
    """F-own's assessment completed and waiting for sign-off, and FAM-1 (kw_own's too, with a
    plan and a need) closed and waiting for its closure's sign-off; before the server starts."""
    await Assessment.insert(
        Assessment(
            programme=world.programmes["P1"],
            family=world.families["own"],
            assessment_ref="EHA-7",
            started_on=today() - dt.timedelta(days=12),
            completed_on=today() - dt.timedelta(days=2),
            family_view="We want things calmer at home.",
            strengths="Mum and Amy talk every evening.",
            analysis="Attendance is the need to work on first.",
        )
    )
    closed_on = today() - dt.timedelta(days=1)
    await Family.update(
        {Family.status: "closed", Family.closed_on: closed_on, Family.closure_reason: "moved_away"}
    ).where(Family.id == world.families["fam1"])
    await FamilyStatusChange.insert(
        FamilyStatusChange(
            family=world.families["fam1"],
            status="closed",
            changed_on=closed_on,
            reason="moved_away",
            changed_by=world.users["kw_own"],
            changed_at=dt.datetime.now(dt.UTC),
        )
    )
    return world


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
async def test_a_team_manager_sends_an_assessment_back_and_signs_off_a_closure(
    waiting: World,
    server: Server,  # noqa: F811
    javascript: bool,
) -> None:
    """Team → kw_own's caseload → FAM-1 → an assessment's sign-off page → sent back with a
    reason → FAM-1's closure's sign-off page → signed off; kw_own reads why on the assessment."""
    async with tablet(javascript=javascript) as page:
        await sign_in(page, server, "tm")
        await page.get_by_role("link", name="My team").click()
        await expect(page.get_by_role("heading", name="Caseloads")).to_be_visible()
        await look(page, "team", javascript=javascript)

        # A key worker's caseload, opening onto one of their families.
        await page.get_by_role("link", name="Caseload of kw_own").click()
        await expect(page.get_by_role("heading", name="kw_own's caseload")).to_be_visible()
        await expect(page.locator("#worker-families")).to_contain_text("Amy")
        await look(page, "worker", javascript=javascript)
        await page.get_by_role("link", name="FAM-1", exact=True).click()
        await expect(page.get_by_role("heading", name="Family FAM-1")).to_be_visible()
        await look(page, "family", javascript=javascript)

        # The assessment's sign-off page shows what it says; it goes back with a reason.
        await page.get_by_role("link", name="My team").click()
        await page.get_by_role("link", name="Check and sign off EHA-7 of F-own").click()
        await expect(page.locator("#assessment-content")).to_contain_text(
            "Attendance is the need to work on first."
        )
        await look(page, "assessment-sign-off", javascript=javascript)
        await page.get_by_role("button", name="Send it back to the key worker").click()
        await page.get_by_role("button", name="Send it back", exact=True).click()
        await expect(page.locator(".govuk-error-summary")).to_contain_text(
            "Enter a reason for sending it back"
        )
        await look(page, "assessment-send-back-refused", javascript=javascript)
        await page.get_by_label("Reason for sending it back").fill(REASON)
        await page.get_by_role("button", name="Send it back", exact=True).click()
        await expect(success(page)).to_have_text("The assessment was sent back to the key worker.")
        await expect(page.locator("main")).to_contain_text(
            "No assessment is waiting for sign-off."
        )

        # The closure's sign-off page shows why, the plan and the needs; it is signed off.
        await page.get_by_role("link", name="Check and sign off the closure of FAM-1").click()
        await expect(page.locator("#closure-details")).to_contain_text("The family moved away")
        await expect(page.locator("#needs-outcomes")).to_contain_text("No outcome recorded")
        await look(page, "closure-sign-off", javascript=javascript)
        await page.get_by_role("button", name="Sign off the closure").click()
        await expect(success(page)).to_have_text("The closure was signed off.")
        await expect(page.locator("main")).to_contain_text("No closure is waiting for sign-off.")
        await look(page, "team-after", javascript=javascript)

        # The key worker reads why the assessment came back.
        await sign_out(page)
        await sign_in(page, server, "kw_own")
        await page.goto(f"{server.url}/families/{waiting.families['own']}/assessments/EHA-7")
        await expect(page.locator("#assessment-sent-back")).to_contain_text(REASON)
        await look(page, "assessment-sent-back", javascript=javascript)
