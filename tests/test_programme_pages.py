"""The programme manager's and auditor's pages, through HTTP as a browser sends them: the
dashboard, imports, claims from preparation to submission, the export and the monthly report.

These pages only present what the report, import and claim services return, and those run on
both databases in their own tests; the pages run on SQLite.
"""

from __future__ import annotations

import re

import httpx
import pytest
from litestar import Litestar

from connecting_families.accounts.tables import UserRole
from connecting_families.claims.service import EXPORT_COLUMNS
from connecting_families.claims.tables import ClaimLine
from connecting_families.domain.dates import today
from connecting_families.evidence.tables import Attendance
from connecting_families.imports.tables import ImportRun

from access_world import World
from import_cases import CASES
from page_world import PASSWORD, build_page_world


@pytest.fixture
def database_kind() -> str:
    return "sqlite"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


def csrf(client: httpx.AsyncClient) -> str:
    return str(client.cookies["csrftoken"])


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={
            "username": username,
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": csrf(client),
        },
    )
    assert response.status_code in (302, 303), response.text


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(path, data={**(data or {}), "_csrf_token": csrf(client)})


async def upload(
    client: httpx.AsyncClient, kind: str, text: str, **options: str
) -> httpx.Response:
    return await client.post(
        "/programmes/P1/imports",
        data={"kind": kind, **options, "_csrf_token": csrf(client)},
        files={"file": (f"{kind}.csv", text.encode(), "text/csv")},
    )


def text_of(html: str) -> str:
    """The page's words, without tags, in single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def followed(client: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
    """The page a form's 303 leads to."""
    assert response.status_code == 303, response.text
    return await client.get(response.headers["location"])


async def prepared_claim(client: httpx.AsyncClient) -> int:
    """A draft claim as of today, prepared through the page by whoever is signed in."""
    response = await post_form(client, "/programmes/P1/claims", {"as_of": today().isoformat()})
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/claims/([0-9]+)\?saved=claim-prepared", response.headers["location"])
    assert found is not None
    return int(found[1])


async def line_of(claim_id: int) -> int:
    """The id of the claim's one line."""
    [row] = await ClaimLine.select(ClaimLine.id).where(ClaimLine.claim == claim_id)
    return int(row["id"])


async def sampled_claim(client: httpx.AsyncClient) -> tuple[int, int]:
    """A claim prepared and sampled whole by the signed-in manager, and its one line."""
    claim_id = await prepared_claim(client)
    sampled = await post_form(client, f"/claims/{claim_id}/sample", {"percent": "100"})
    assert sampled.status_code == 303, sampled.text
    return claim_id, await line_of(claim_id)


async def test_the_dashboard_shows_progress_against_the_target(
    client: httpx.AsyncClient, world: World
) -> None:
    """Families attached and turned around are shown against the programme's target."""
    patched = await client.patch(
        "/api/v1/programmes/P1",
        json={"version": 1, "target_families": 40},
        headers=world.headers("pm"),
    )
    assert patched.status_code == 200, patched.text
    totals = (await client.get("/api/v1/programmes/P1/totals", headers=world.headers("pm"))).json()
    await sign_in(client, "pm")
    response = await client.get("/programmes/P1")
    assert response.status_code == 200, response.text
    identified = totals["families"]["identified"]
    assert f'id="families-identified">{identified}<' in response.text
    assert "Families turned around: 1 of 40 (2.5%)" in text_of(response.text)
    current = '<a class="govuk-link" href="/programmes/P1" aria-current="page">Dashboard</a>'
    assert current in response.text


async def test_the_dashboard_draws_families_attached_by_month(
    client: httpx.AsyncClient, world: World
) -> None:
    """The chart of families attached has a bar for FAM-1's month, February 2013."""
    await sign_in(client, "pm")
    response = await client.get("/programmes/P1")
    assert response.status_code == 200, response.text
    assert "<title>February 2013: 1</title>" in response.text
    assert 'aria-labelledby="chart-attached-title chart-attached-desc"' in response.text


async def test_a_team_manager_is_not_offered_imports_or_claims(
    client: httpx.AsyncClient, world: World
) -> None:
    """The programme's sections link only to the pages the caller's role may open."""
    await sign_in(client, "tm")
    response = await client.get("/programmes/P1")
    assert response.status_code == 200, response.text
    assert "/programmes/P1/reports/monthly" in response.text
    assert "/programmes/P1/imports" not in response.text
    assert "/programmes/P1/claims" not in response.text


async def test_an_administrator_is_not_offered_imports_or_claims(
    client: httpx.AsyncClient, world: World
) -> None:
    """An administrator sees the programme's aggregates, but no import or claim page."""
    await sign_in(client, "admin")
    response = await client.get("/programmes/P1")
    assert response.status_code == 200, response.text
    assert "/programmes/P1/imports" not in response.text
    assert "/programmes/P1/claims" not in response.text
    assert (await client.get("/programmes/P1/imports")).status_code == 403


async def test_a_key_worker_cannot_open_the_dashboard(
    client: httpx.AsyncClient, world: World
) -> None:
    """A key worker is refused the programme's figures with the 403 page."""
    await sign_in(client, "kw_own")
    response = await client.get("/programmes/P1")
    assert response.status_code == 403
    assert "You cannot do this" in response.text


async def test_an_import_with_a_bad_row_lists_it_and_writes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    """The bad row's line, column and message are shown, and no row is written: the one
    run recorded is the refusal."""
    case = CASES["attendance"]
    bad_row, problem = case.bad[0]
    rows_before = await Attendance.count()
    runs_before = await ImportRun.count()
    await sign_in(client, "pm")
    response = await upload(client, "attendance", case.text((*case.rows, bad_row)))
    assert response.status_code == 422, response.text
    words = text_of(response.text)
    line = len(case.rows) + 2
    column, _, message = problem.removeprefix("column ").partition(": ")
    assert f"{line} {column} {message}" in words
    assert "nothing was imported" in words
    assert (await Attendance.count(), await ImportRun.count()) == (rows_before, runs_before + 1)
    newest = await ImportRun.select(ImportRun.status).order_by(ImportRun.id, ascending=False)
    assert newest[0]["status"] == "refused"


async def test_a_good_import_shows_its_summary(client: httpx.AsyncClient, world: World) -> None:
    """After the import the page says what it did, in the import service's words."""
    case = CASES["attendance"]
    await sign_in(client, "pm")
    response = await followed(client, await upload(client, "attendance", case.text()))
    assert response.status_code == 200, response.text
    rows = len(case.rows)
    assert (
        f"{rows} rows of attendance: {rows} new, 0 corrected, 0 unchanged were imported into P1."
        in text_of(response.text)
    )


async def test_a_dry_run_reports_what_would_change_and_writes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    """Checking a file says what would be imported and leaves the records as they were."""
    case = CASES["attendance"]
    await sign_in(client, "pm")
    response = await upload(client, "attendance", case.text(), dry_run="yes")
    assert response.status_code == 200, response.text
    assert "would be imported into P1" in text_of(response.text)
    assert await Attendance.count() == 0


async def test_a_file_over_the_limit_is_refused_with_its_message(
    client: httpx.AsyncClient, world: World, app: Litestar
) -> None:
    """A file over the configured size is refused (422) with the limit beside the file field."""
    app.state.imports.max_bytes = 10
    await sign_in(client, "pm")
    response = await upload(client, "attendance", CASES["attendance"].text())
    assert response.status_code == 422, response.text
    assert "Error: The file must be smaller than 10 bytes" in text_of(response.text)


async def test_a_file_holding_a_nul_character_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """A NUL in the uploaded file is refused with 422, as the API refuses one."""
    await sign_in(client, "pm")
    response = await upload(client, "attendance", CASES["attendance"].text() + "\x00")
    assert response.status_code == 422, response.text
    assert "NUL character" in text_of(response.text)


async def test_preparing_a_claim_shows_its_line(client: httpx.AsyncClient, world: World) -> None:
    """A claim prepared as of today holds FAM-1's result on the crime, ASB and education route."""
    await sign_in(client, "pm")
    claim_id = await prepared_claim(client)
    response = await client.get(f"/claims/{claim_id}?saved=claim-prepared")
    assert response.status_code == 200, response.text
    words = text_of(response.text)
    assert "The claim was prepared as a draft." in words
    assert "FAM-1 Crime, anti-social behaviour and school £700.00" in words


async def test_a_claim_needs_a_date_or_a_window(client: httpx.AsyncClient, world: World) -> None:
    """Preparing at a blank date shows the date's form again, asking for the date."""
    await sign_in(client, "pm")
    response = await post_form(client, "/programmes/P1/claims", {"as_of": "", "window_id": ""})
    assert response.status_code == 422, response.text
    words = text_of(response.text)
    assert "Error: Enter the date to claim results as of" in words
    assert "not both" not in words


async def test_the_auditor_signs_off_and_the_manager_submits(
    client: httpx.AsyncClient, world: World
) -> None:
    """An auditor signs off the sampled line; then the programme manager submits the claim."""
    await sign_in(client, "pm")
    claim_id, line_id = await sampled_claim(client)
    await sign_in(client, "auditor")
    signed = await followed(
        client, await post_form(client, f"/claims/{claim_id}/lines/{line_id}/sign-off")
    )
    assert "The line was signed off." in text_of(signed.text)
    await sign_in(client, "pm")
    submitted = await followed(client, await post_form(client, f"/claims/{claim_id}/submit"))
    assert 'id="claim-status">Submitted<' in submitted.text


async def test_the_preparer_cannot_sign_off_a_line(
    client: httpx.AsyncClient, world: World
) -> None:
    """A manager who is also an auditor is refused signing off their own claim, with 403."""
    await UserRole.insert(UserRole(user=world.users["pm"], role="auditor"))
    await sign_in(client, "pm")
    claim_id, line_id = await sampled_claim(client)
    response = await post_form(client, f"/claims/{claim_id}/lines/{line_id}/sign-off")
    assert response.status_code == 403, response.text
    assert "Whoever prepared a claim cannot sign off its lines." in text_of(response.text)


async def test_a_manager_without_the_auditor_role_cannot_sign_off(
    client: httpx.AsyncClient, world: World
) -> None:
    """Signing off is an auditor's: the programme manager who prepared the claim gets 403."""
    await sign_in(client, "pm")
    claim_id, line_id = await sampled_claim(client)
    response = await post_form(client, f"/claims/{claim_id}/lines/{line_id}/sign-off")
    assert response.status_code == 403, response.text
    reason = "Your role does not allow this: it is for auditors, and you are a programme manager."
    assert reason in text_of(response.text)


async def test_a_claim_cannot_be_submitted_before_its_sample_is_signed_off(
    client: httpx.AsyncClient, world: World
) -> None:
    """Submitting with a sampled line still to sign off shows the claim with the 409 reason."""
    await sign_in(client, "pm")
    claim_id, _ = await sampled_claim(client)
    response = await post_form(client, f"/claims/{claim_id}/submit")
    assert response.status_code == 409, response.text
    assert "1 sampled line(s) are not signed off yet." in text_of(response.text)


async def test_a_line_left_out_needs_a_reason(client: httpx.AsyncClient, world: World) -> None:
    """Leaving a line out without a reason is refused beside the reason field."""
    await sign_in(client, "pm")
    claim_id = await prepared_claim(client)
    line_id = await line_of(claim_id)
    response = await post_form(client, f"/claims/{claim_id}/lines/{line_id}/exclude")
    assert response.status_code == 422, response.text
    assert f'href="#exclude-{line_id}-reason"' in response.text


async def test_the_claim_return_downloads_as_csv(client: httpx.AsyncClient, world: World) -> None:
    """The export is an attachment whose first line is the claim return's header."""
    await sign_in(client, "pm")
    claim_id = await prepared_claim(client)
    response = await client.get(f"/claims/{claim_id}/export.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines()[0] == ",".join(name for name, _ in EXPORT_COLUMNS)


async def test_the_monthly_report_renders(client: httpx.AsyncClient, world: World) -> None:
    """The monthly report is served for the month asked for."""
    await sign_in(client, "pm")
    response = await client.get("/programmes/P1/reports/monthly?month=2013-02")
    assert response.status_code == 200, response.text
    assert "Monthly performance report, February 2013" in response.text


async def test_a_bad_month_gives_422(client: httpx.AsyncClient, world: World) -> None:
    """A month not written YYYY-MM gets the error page naming the problem."""
    await sign_in(client, "pm")
    response = await client.get("/programmes/P1/reports/monthly?month=2013-13")
    assert response.status_code == 422, response.text
    assert "give a month as YYYY-MM" in text_of(response.text)
