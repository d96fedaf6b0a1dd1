"""The forms that are not on a family's record (sign-in, the team page, the programme's
dashboard, imports and claims, the audit log search) on the one form mechanism: refused, every
wrong field named by its label in the summary (linked to the field) and beside the field,
values kept, "Error: " in the title; accepted, a 303 to a page with a success banner. And a
403 on a form says why and gives back what was typed, never a password."""

from __future__ import annotations

import datetime as dt
import html
import re

import httpx
import pytest
from litestar import Litestar

from connecting_families.accounts.tables import UserRole
from connecting_families.assessments.tables import Assessment
from connecting_families.claims.tables import ClaimLine
from connecting_families.domain.dates import today
from connecting_families.families.tables import Allocation, CaseNote

from access_world import World
from import_cases import CASES
from page_world import PASSWORD, build_page_world


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


def csrf(client: httpx.AsyncClient) -> str:
    return str(client.cookies["csrftoken"])


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "_csrf_token": csrf(client)},
    )
    assert response.status_code == 302, response.text


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, str], **headers: str
) -> httpx.Response:
    return await client.post(path, data={**data, "_csrf_token": csrf(client)}, headers=headers)


def text_of(page: str) -> str:
    """The page's words, without tags, in single spaces."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))).strip()


def summary(page: str) -> dict[str, str]:
    """The error summary's links: where each goes → its words."""
    found = re.search(r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', page, re.S)
    assert found, "no error summary"
    links = re.findall(r'<a href="([^"]*)">(.*?)</a>', found.group(1), re.S)
    return {href: text_of(words) for href, words in links}


def summary_lines(page: str) -> list[str]:
    """Every message of the error summary, linked or not."""
    found = re.search(r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', page, re.S)
    assert found, "no error summary"
    return [text_of(item) for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


def beside_fields(page: str) -> dict[str, str]:
    """Each field's error message, by the field's id (GOV.UK's `<id>-error`)."""
    messages = re.findall(
        r'<p id="([^"]+)-error" class="govuk-error-message">(.*?)</p>', page, re.S
    )
    return {field: text_of(words).removeprefix("Error:").strip() for field, words in messages}


def title(page: str) -> str:
    found = re.search(r"<title>(.*?)</title>", page, re.S)
    assert found
    return found.group(1)


def assert_refused(response: httpx.Response, status: int, errors: dict[str, str]) -> None:
    """Refused with `status`: each field id's message in the summary, linked, and beside it."""
    assert response.status_code == status, response.text
    assert title(response.text).startswith("Error: ")
    links = summary(response.text)
    beside = beside_fields(response.text)
    for field, message in errors.items():
        assert links.get(f"#{field}") == message, (field, links)
        field_id = field.removesuffix("-day").removesuffix("-month")
        assert beside.get(field_id) == message, (field, beside)


async def followed(client: httpx.AsyncClient, response: httpx.Response) -> str:
    """The words of the page an accepted form's 303 leads to."""
    assert response.status_code == 303, response.text
    page = await client.get(response.headers["location"])
    assert page.status_code == 200, page.text
    return text_of(page.text)


def typed_back(page: str) -> str:
    """The words of the 403 page's "What you typed" part."""
    start = page.index('id="typed-title"')
    return text_of(page[start : page.index("</main>", start)])


# Sign-in ---------------------------------------------------------------------------------


async def test_a_blank_sign_in_names_both_fields(client: httpx.AsyncClient, world: World) -> None:
    """A sign-in with nothing typed is refused with an error for each field."""
    await client.get("/sign-in")
    response = await post_form(client, "/sign-in", {"username": "", "password": ""})
    assert_refused(response, 422, {"username": "Enter username", "password": "Enter password"})


async def test_a_wrong_password_keeps_the_username_and_not_the_password(
    client: httpx.AsyncClient, world: World
) -> None:
    """A wrong password is refused beside the password, the username kept, nothing echoed."""
    await client.get("/sign-in")
    response = await post_form(
        client, "/sign-in", {"username": "kw_own", "password": "wrong-pass-phrase"}
    )
    assert_refused(response, 422, {"password": "The username or password is wrong"})
    assert 'value="kw_own"' in response.text
    assert "wrong-pass-phrase" not in response.text


# The team page ---------------------------------------------------------------------------


async def test_a_refused_allocation_names_each_field_and_keeps_the_reason(
    client: httpx.AsyncClient, world: World
) -> None:
    """No key worker and a reason too long are both refused, by label, and the reason kept."""
    await sign_in(client, "tm")
    family = world.families["unallocated"]
    reason = "Capacity " * 120
    response = await post_form(
        client, f"/families/{family}/allocation", {"key_worker": "", "reason": reason}
    )
    assert_refused(
        response,
        422,
        {
            "key_worker": "Select a key worker",
            "reason": "Reason must be 1,000 characters or fewer",
        },
    )
    assert f">{reason.strip()}</textarea>" in response.text
    assert "Allocate a key worker" in response.text  # the form's own page, not the team page
    assert await Allocation.count().where(Allocation.family == family) == 0


async def test_an_allocation_goes_back_to_the_team_page_with_a_banner(
    client: httpx.AsyncClient, world: World
) -> None:
    """The team page leads to the allocation form's page; an accepted allocation is a 303
    back to the team page, which says it was done."""
    await sign_in(client, "tm")
    family = world.families["unallocated"]
    team = await client.get("/team")
    found = re.search(rf'href="(/families/{family}/allocation/new\?team=[0-9]+)"', team.text)
    assert found, "no link to the allocation form"
    form = await client.get(found.group(1))
    assert form.status_code == 200, form.text
    assert '<h1 class="govuk-heading-l">Allocate a key worker</h1>' in form.text
    assert '<option value="kw_spare">' in form.text
    response = await post_form(
        client,
        f"/families/{world.families['unallocated']}/allocation",
        {"key_worker": "kw_spare", "reason": "Capacity"},
    )
    assert "The family was allocated." in await followed(client, response)


async def test_a_stale_assessment_sign_off_is_409_on_its_sign_off_page(
    client: httpx.AsyncClient, world: World
) -> None:
    """Signing off a version no longer current says why at the top of its sign-off page."""
    await Assessment.insert(
        Assessment(
            programme=world.programmes["P1"],
            family=world.families["fam1"],
            assessment_ref="EHA-1",
            started_on=dt.date(2026, 1, 5),
            completed_on=dt.date(2026, 1, 20),
        )
    )
    await sign_in(client, "tm")
    path = f"/families/{world.families['fam1']}/assessments/EHA-1/sign-off"
    stale = await post_form(client, path, {"version": "7"})
    assert stale.status_code == 409, stale.text
    assert title(stale.text).startswith("Error: ")
    [message] = summary_lines(stale.text)
    assert message.startswith("The assessment has changed since version 7")
    assert "Sign off assessment EHA-1" in stale.text
    signed = await post_form(client, path, {"version": "1"})
    assert "The assessment was signed off." in await followed(client, signed)


async def test_a_closure_signed_off_twice_is_409_with_the_reason(
    client: httpx.AsyncClient, world: World
) -> None:
    """The second sign-off of a closure is refused on the team page, saying by whom."""
    family_id = world.families["fam1"]
    closed = await client.post(
        f"/api/v1/families/{family_id}/status",
        json={"version": 1, "status": "closed", "on": "2026-01-10", "reason": "outcomes_met"},
        headers=world.headers("kw_own"),
    )
    assert closed.status_code == 200, closed.text
    waiting = await client.get("/api/v1/closures/awaiting-sign-off", headers=world.headers("tm"))
    [closure] = waiting.json()
    await sign_in(client, "tm")
    path = f"/families/{family_id}/closures/{closure['id']}/sign-off"
    assert "The closure was signed off." in await followed(
        client, await post_form(client, path, {})
    )
    again = await post_form(client, path, {})
    assert again.status_code == 409
    assert title(again.text).startswith("Error: ")
    assert summary_lines(again.text) == ["The closure was signed off already, by tm."]


# The programme's pages -------------------------------------------------------------------


async def test_the_dashboard_refuses_a_date_that_is_not_real(
    client: httpx.AsyncClient, world: World
) -> None:
    """31 February is refused by the date input's label, kept as typed, at today's figures."""
    await sign_in(client, "pm")
    response = await client.get(
        "/programmes/P1", params={"as_of-day": "31", "as_of-month": "2", "as_of-year": "2026"}
    )
    assert_refused(response, 422, {"as_of-day": "Count the figures at must be a real date"})
    for part, value in (("day", "31"), ("month", "2"), ("year", "2026")):
        assert re.search(
            rf'id="as_of-{part}" name="as_of-{part}" type="text"[^>]*value="{value}"',
            response.text,
        ), part
    assert f"counted from the programme's records at {today():%-d %b %Y}" in text_of(response.text)
    assert 'type="date"' not in response.text
    assert 'type="month"' not in response.text


async def test_the_dashboard_counts_at_the_date_typed(
    client: httpx.AsyncClient, world: World
) -> None:
    """A real date typed as day, month and year is the date the figures are counted at."""
    await sign_in(client, "pm")
    response = await client.get(
        "/programmes/P1", params={"as_of-day": "5", "as_of-month": "3", "as_of-year": "2014"}
    )
    assert response.status_code == 200, response.text
    assert "counted from the programme's records at 5 Mar 2014" in text_of(response.text)
    assert 'name="as_of-day" type="text" value="5"' in response.text


async def test_the_report_month_is_checked_and_leads_to_the_report(
    client: httpx.AsyncClient, world: World
) -> None:
    """Month 13 is refused by the field's label; a real month goes on to the report."""
    await sign_in(client, "pm")
    wrong = await client.get(
        "/programmes/P1", params={"report-month": "13", "report-year": "2014"}
    )
    assert_refused(
        wrong, 422, {"report-month": "Month of the report must be a real month, from 1 to 12"}
    )
    assert 'value="13"' in wrong.text
    blank = await client.get("/programmes/P1", params={"report-month": "", "report-year": ""})
    assert_refused(blank, 422, {"report-month": "Enter the month of the report"})
    right = await client.get("/programmes/P1", params={"report-month": "2", "report-year": "2013"})
    assert right.status_code == 303
    assert right.headers["location"] == "/programmes/P1/reports/monthly?month=2013-02"


async def test_an_upload_without_a_kind_or_a_file_names_both(
    client: httpx.AsyncClient, world: World
) -> None:
    """The imports form refused with nothing chosen names both fields by their labels."""
    await sign_in(client, "pm")
    response = await client.post(
        "/programmes/P1/imports",
        data={"kind": "", "dry_run": "yes", "_csrf_token": csrf(client)},
        files={"file": ("", b"", "application/octet-stream")},
    )
    assert_refused(
        response, 422, {"kind": "Select what the file holds", "file": "Select a CSV file"}
    )
    assert re.search(r'id="dry_run"[^>]*checked', response.text)


async def test_an_import_goes_back_to_the_imports_page_with_a_banner(
    client: httpx.AsyncClient, world: World
) -> None:
    """An accepted import is a 303 to the imports page, which says it was done and what."""
    await sign_in(client, "pm")
    response = await client.post(
        "/programmes/P1/imports",
        data={"kind": "attendance", "_csrf_token": csrf(client)},
        files={"file": ("attendance.csv", CASES["attendance"].text().encode(), "text/csv")},
    )
    words = await followed(client, response)
    assert "The file was imported." in words
    assert "were imported into P1" in words


async def prepared_claim(client: httpx.AsyncClient) -> int:
    response = await post_form(client, "/programmes/P1/claims", {"as_of": today().isoformat()})
    assert "The claim was prepared as a draft." in await followed(client, response)
    found = re.fullmatch(r"/claims/([0-9]+)\?saved=claim-prepared", response.headers["location"])
    assert found
    return int(found[1])


async def test_a_claim_prepared_at_a_date_not_real_is_refused_by_label(
    client: httpx.AsyncClient, world: World
) -> None:
    """The prepare form's date input refuses 30 February by its label, kept as typed."""
    await sign_in(client, "pm")
    response = await post_form(
        client,
        "/programmes/P1/claims",
        {"as_of-day": "30", "as_of-month": "2", "as_of-year": "2026"},
    )
    assert_refused(response, 422, {"as_of-day": "Results as of must be a real date"})
    assert 'name="as_of-day" type="text" value="30"' in response.text


async def test_a_refused_sample_names_both_fields(client: httpx.AsyncClient, world: World) -> None:
    """A percentage of 0 and a number that is not one are each refused by their labels."""
    await sign_in(client, "pm")
    claim_id = await prepared_claim(client)
    response = await post_form(
        client, f"/claims/{claim_id}/sample", {"percent": "0", "count": "some"}
    )
    assert_refused(
        response,
        422,
        {
            "sample-percent": "Percentage of lines must be 1 or more",
            "sample-count": "Number of lines must be a number",
        },
    )
    assert 'value="some"' in response.text
    sampled = await post_form(client, f"/claims/{claim_id}/sample", {"percent": "100"})
    assert "The audit sample was drawn." in await followed(client, sampled)


async def test_a_line_left_out_without_a_reason_is_refused_by_label(
    client: httpx.AsyncClient, world: World
) -> None:
    """Leaving a line out needs its reason, asked for by the field's label."""
    await sign_in(client, "pm")
    claim_id = await prepared_claim(client)
    [line] = await ClaimLine.select(ClaimLine.id).where(ClaimLine.claim == claim_id)
    path = f"/claims/{claim_id}/lines/{line['id']}/exclude"
    response = await post_form(client, path, {"reason": ""})
    assert_refused(
        response, 422, {f"exclude-{line['id']}-reason": "Enter reason for leaving the line out"}
    )
    left_out = await post_form(client, path, {"reason": "Duplicate"})
    assert "The line was left out of the claim." in await followed(client, left_out)


async def test_the_audit_search_refuses_a_date_by_its_label(
    client: httpx.AsyncClient, world: World
) -> None:
    """An audit search from 31 April is refused beside the From date, kept as typed."""
    await sign_in(client, "auditor")
    response = await client.get(
        "/audit", params={"since-day": "31", "since-month": "4", "since-year": "2026"}
    )
    assert_refused(response, 422, {"audit-since-day": "From must be a real date"})
    assert 'name="since-day" type="text" value="31"' in response.text


# A 403 on a form ---------------------------------------------------------------------------


async def test_a_key_worker_posting_an_allocation_gets_why_and_what_they_typed(
    client: httpx.AsyncClient, world: World
) -> None:
    """The guard refuses a key worker the team manager's form; the page says why and gives
    back each field typed by its label, without the CSRF token or a password."""
    await sign_in(client, "kw_own")
    reason = "The family asked for a worker who speaks Polish; " * 4
    response = await post_form(
        client,
        f"/families/{world.families['unallocated']}/allocation",
        {"key_worker": "kw_spare", "reason": reason, "team": "1", "password": "hunter2-secret"},
    )
    assert response.status_code == 403
    words = text_of(response.text)
    assert (
        "Your role does not allow this: it is for team managers and programme managers, "
        "and you are a key worker." in words
    )
    typed = typed_back(response.text)
    assert "Key worker kw_spare" in typed
    assert f"Reason {reason.strip()}" in typed
    assert "readonly" in response.text  # the long reason is in a text area to copy
    assert csrf(client) not in typed
    assert "hunter2-secret" not in response.text
    assert "Team" not in typed  # a hidden field is not something typed


async def test_a_form_posted_after_the_role_was_removed_keeps_the_typed_text(
    client: httpx.AsyncClient, world: World
) -> None:
    """A team manager whose role is taken away while the form is open is told so, and gets
    back what they typed."""
    await sign_in(client, "tm")
    await UserRole.delete().where(UserRole.user == world.users["tm"])
    response = await post_form(
        client,
        f"/families/{world.families['unallocated']}/allocation",
        {"key_worker": "kw_spare", "reason": "Her old worker left"},
    )
    assert response.status_code == 403
    assert "and you have no role now." in text_of(response.text)
    typed = typed_back(response.text)
    assert "Key worker kw_spare" in typed
    assert "Reason Her old worker left" in typed
    assert await Allocation.count().where(Allocation.family == world.families["unallocated"]) == 0


async def test_a_form_with_a_stale_csrf_token_gives_back_the_note(
    client: httpx.AsyncClient, world: World
) -> None:
    """A note sent with a token no longer valid is not saved, and its text is given back."""
    await sign_in(client, "kw_own")
    body = "Visited at home. Amy has been to school every day this week.\nCara is well."
    response = await client.post(
        f"/families/{world.families['fam1']}/notes",
        data={
            "kind": "visit",
            "occurred_on-day": "5",
            "occurred_on-month": "1",
            "occurred_on-year": "2026",
            "body": body,
            "_csrf_token": "stale-token-from-yesterday",
        },
    )
    assert response.status_code == 403
    assert "Your form was not sent" in response.text
    typed = typed_back(response.text)
    assert "Date of the contact 5 1 2026" in typed
    assert html.escape(body) in response.text
    assert "stale-token-from-yesterday" not in response.text
    assert await CaseNote.count() == 0


async def test_a_form_sent_after_the_session_ended_gives_back_what_was_typed(
    client: httpx.AsyncClient, world: World
) -> None:
    """Signed out while the form was open (the session gone), the page says so, gives back
    what was typed and leads to signing in again; nothing is saved."""
    await sign_in(client, "tm")
    client.cookies.delete("cf_session")
    response = await post_form(
        client,
        f"/families/{world.families['unallocated']}/allocation",
        {"key_worker": "kw_spare", "reason": "Her old worker left"},
    )
    assert response.status_code == 401
    assert "You have been signed out" in response.text
    assert "Reason Her old worker left" in typed_back(response.text)
    assert 'href="/sign-in"' in response.text
    assert await Allocation.count().where(Allocation.family == world.families["unallocated"]) == 0


async def test_a_sign_in_with_a_stale_token_never_echoes_the_password(
    client: httpx.AsyncClient, world: World
) -> None:
    """A sign-in refused by the CSRF check gives back the username, never the password."""
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={"username": "kw_own", "password": PASSWORD, "_csrf_token": "stale"},
    )
    assert response.status_code == 403
    assert "Username kw_own" in typed_back(response.text)
    assert PASSWORD not in response.text


async def test_a_form_from_another_site_is_not_shown_back(
    client: httpx.AsyncClient, world: World
) -> None:
    """A form the browser says another site sent is refused without showing its words."""
    await sign_in(client, "kw_own")
    response = await post_form(
        client,
        f"/families/{world.families['fam1']}/notes",
        {"kind": "visit", "body": "Call 0800 000 000 now"},
        **{"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert "0800 000 000" not in response.text
    assert 'id="typed-title"' not in response.text
