"""A programme manager reads the programme's figures in the pages, with JavaScript and
without: the dashboard, the totals by team, key worker, ward and headline, the forecast of the
next claim, the monthly report and its CSV download, back to the dashboard, and the imports
list after a refused file. Every page checked by axe and saved at both widths.

The browser, the server and the screenshots are `test_browser`'s; its fixtures are used here.
The claim window the forecast counts to is the world's (windows are opened on the claim pages).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect
from test_browser import (  # noqa: F401 (fixtures, found by pytest by their names)
    SCREENSHOTS,
    database_kind,
    screenshot,
    server,
    sign_in,
    tablet,
    world,
)

from connecting_families.claims.tables import ClaimWindow
from connecting_families.domain.calendar import months_before
from connecting_families.domain.dates import ENGLAND, add_working_days, today
from connecting_families.frontdoor.tables import Contact

from access_world import World
from import_cases import CASES
from serve_process import Server


async def look(page: Page, name: str, *, javascript: bool) -> None:
    """The page checked by axe and saved; without JavaScript, only saved (axe is a script)."""
    if javascript:
        await screenshot(page, f"reports-js-{name}")
    else:
        await page.screenshot(path=SCREENSHOTS / f"reports-nojs-{name}.png", full_page=True)


async def open_window(programmes: World) -> dt.date:
    """A claim window two months from now, for the forecast to count to."""
    ahead = today() + dt.timedelta(days=60)
    await ClaimWindow.insert(
        ClaimWindow(
            programme=programmes.programmes["P1"],
            name="Spring results",
            opens_on=ahead,
            closes_on=ahead + dt.timedelta(days=30),
            as_of=ahead,
        )
    )
    return ahead


async def front_door_last_month(programmes: World) -> None:
    """Four contacts on the 10th of last month (the month the dashboard offers), one from a
    school decided family help, three from the police decided advice: 25.0% conversion."""
    first = months_before(today().replace(day=1), 1)
    received = dt.datetime.combine(first.replace(day=10), dt.time(10), tzinfo=ENGLAND)
    await Contact.insert(
        *(
            Contact(
                programme=programmes.programmes["P1"],
                received_at=received,
                channel="phone",
                source="school" if n == 0 else "police",
                consent_to_share="yes",
                summary="A concern about a child.",
                decide_by=add_working_days(received.date(), 1),
                recorded_by=programmes.users["fd"],
                recorded_at=received,
                decision="family_help" if n == 0 else "advice",
                decided_at=received + dt.timedelta(hours=2),
                decided_by=programmes.users["fd"],
            )
            for n in range(4)
        )
    )


async def section(page: Page, name: str) -> None:
    """Follow one of the programme's sections from its navigation."""
    await (
        page.get_by_role("navigation", name="Programme P1")
        .get_by_role("link", name=name, exact=True)
        .click()
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
async def test_a_programme_manager_reads_the_programmes_figures_in_the_pages(
    server: Server,  # noqa: F811
    world: World,  # noqa: F811
    javascript: bool,
    tmp_path: Path,
) -> None:
    """Programmes → dashboard → totals by each breakdown → forecast → monthly report and its
    CSV → back → imports, where a refused file is listed as refused."""
    await open_window(world)
    await front_door_last_month(world)
    async with tablet(javascript=javascript) as page:
        await sign_in(page, server, "pm")
        await page.get_by_role("link", name="Programmes").first.click()
        await page.get_by_role("link", name="P1", exact=False).first.click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("(P1)")
        await look(page, "dashboard", javascript=javascript)

        # The totals, one breakdown after another.
        await section(page, "Totals")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Totals by team")
        await expect(page.locator("#totals tfoot")).to_contain_text("All families")
        await look(page, "totals-team", javascript=javascript)
        breakdowns = page.get_by_role("navigation", name="Totals of programme P1")
        for name, column in (
            ("By key worker", "Key worker"),
            ("By ward", "Ward"),
            ("By headline", "Headline"),
        ):
            await breakdowns.get_by_role("link", name=name).click()
            await expect(page.get_by_role("heading", level=1)).to_have_text(
                f"Totals {name.lower()}"
            )
            await expect(page.locator("#totals thead")).to_contain_text(column)
            await look(page, "totals-" + column.lower().replace(" ", "-"), javascript=javascript)
        await expect(page.locator("#totals tbody")).to_contain_text(
            "Crime and anti-social behaviour"
        )

        # The forecast of the next claim.
        await section(page, "Forecast")
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Forecast of the next claim"
        )
        await expect(page.locator("#forecast-summary")).to_contain_text("Spring results")
        await expect(page.locator("#expected-income")).to_have_text(
            re.compile(r"^£[0-9,]+\.[0-9]{2}$")
        )
        await look(page, "forecast", javascript=javascript)

        # The monthly report, for the month the dashboard offers (the last), and back.
        await section(page, "Dashboard")
        await page.get_by_role("button", name="Show the monthly report").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(
            "Monthly performance report"
        )
        await expect(page.locator("#routes")).not_to_contain_text("_")
        conversion = page.locator("#front-door tr").filter(
            has_text="Referrals as % of contacts received in the period"
        )
        await expect(conversion.locator("td").first).to_have_text("25.0")
        await expect(page.locator("#contacts-by-month")).to_contain_text("Police")
        await look(page, "monthly", javascript=javascript)
        async with page.expect_download() as downloading:
            await page.get_by_role("link", name="CSV (for a spreadsheet)").click()
        download = await downloading.value
        saved = tmp_path / download.suggested_filename
        await download.save_as(saved)
        assert download.suggested_filename.startswith("P1-monthly-report-")
        assert saved.read_text().splitlines()[0] == "programme,month,section,measure,value"
        await page.get_by_role("link", name="Back to the programme's dashboard").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("(P1)")

        # A file with a bad row is refused, and listed so.
        await section(page, "Imports")
        case = CASES["attendance"]
        bad_row, _ = case.bad[0]
        await page.get_by_label("What the file holds").select_option("attendance")
        await page.set_input_files(
            "#file",
            files=[
                {
                    "name": "spring-attendance.csv",
                    "mimeType": "text/csv",
                    "buffer": case.text((*case.rows, bad_row)).encode(),
                }
            ],
        )
        await page.get_by_role("button", name="Upload").click()
        await expect(page.get_by_role("heading", name="Nothing was imported")).to_be_visible()
        newest = page.locator("#runs tbody tr").first
        await expect(newest).to_contain_text("spring-attendance.csv")
        await expect(newest).to_contain_text("Refused")
        await expect(newest).to_contain_text("1 problem, nothing written")
        await look(page, "imports-refused", javascript=javascript)
