"""The pages, through HTTP as a browser sends it: session cookie, CSRF token, form posts."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from litestar import Litestar

from connecting_families.accounts.tables import Team
from connecting_families.assessments.tables import Assessment, Need
from connecting_families.domain.dates import today
from connecting_families.evidence.tables import Offence
from connecting_families.families.service import FamilyService
from connecting_families.families.tables import Allocation, CaseNote, FamilyStatusChange
from connecting_families.plans.tables import FamilyPlan as Plan
from connecting_families.plans.tables import PlanGoal as Goal
from connecting_families.plans.tables import PlanReview

from access_world import World
from page_world import PASSWORD, build_page_world, load, offend_recently


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


def csrf(client: httpx.AsyncClient) -> str:
    return str(client.cookies["csrftoken"])


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> None:
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={
            "username": username,
            "password": password,
            "next": "/",
            "_csrf_token": csrf(client),
        },
    )
    assert response.status_code in (302, 303), response.text
    assert "cf_session" in client.cookies


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, str], **headers: str
) -> httpx.Response:
    return await client.post(path, data={**data, "_csrf_token": csrf(client)}, headers=headers)


def text_of(html: str) -> str:
    """The page's words, without tags, in single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_a_key_worker_sees_their_caseload_and_a_family(
    client: httpx.AsyncClient, world: World
) -> None:
    """The caseload lists the worker's families; the family page explains the verdict."""
    await sign_in(client, "kw_own")
    home = await client.get("/")
    assert home.headers["location"] == "/caseload"
    caseload = await client.get("/caseload")
    assert caseload.status_code == 200, caseload.text
    assert "FAM-1" in caseload.text
    assert "Turned around" in caseload.text
    family = await client.get(f"/families/{world.families['fam1']}/result")
    assert family.status_code == 200, family.text
    words = text_of(family.text)
    assert "Turned around on" in words
    assert "offences down by a third since attachment : Met; measured before: 2, after: 0" in words
    household = await client.get(f"/families/{world.families['fam1']}/household")
    assert "Cara Smith" in text_of(household.text)


async def test_signing_in_with_a_wrong_password_keeps_the_username(
    client: httpx.AsyncClient, world: World
) -> None:
    """A refused sign-in says why, keeps the username and never echoes the password."""
    await client.get("/sign-in")
    response = await post_form(
        client, "/sign-in", {"username": "kw_own", "password": "not it at all"}
    )
    assert response.status_code == 422
    assert "The username or password is wrong" in response.text
    assert 'value="kw_own"' in response.text
    assert "not it at all" not in response.text
    assert "cf_session" not in client.cookies


async def test_pages_send_a_signed_out_user_to_sign_in(
    client: httpx.AsyncClient, world: World
) -> None:
    """A page asked for without a session leads to the sign-in page, and back after it."""
    family = f"/families/{world.families['fam1']}"
    response = await client.get(family)
    assert response.status_code == 302
    assert response.headers["location"] == f"/sign-in?next={family}"
    await client.get(response.headers["location"])
    signed_in = await post_form(
        client, "/sign-in", {"username": "kw_own", "password": PASSWORD, "next": family}
    )
    assert signed_in.headers["location"] == family


async def test_sign_in_never_sends_a_user_to_another_site(
    client: httpx.AsyncClient, world: World
) -> None:
    """A `next` address off this service is replaced by the home page."""
    await client.get("/sign-in")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = await post_form(
            client, "/sign-in", {"username": "kw_own", "password": PASSWORD, "next": target}
        )
        assert response.headers["location"] == "/", target


async def test_a_form_without_its_csrf_token_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """A post without the CSRF token changes nothing and shows the 403 page, which says the
    form was not sent."""
    await sign_in(client, "kw_own")
    response = await client.post(
        f"/families/{world.families['fam1']}/notes",
        data={"kind": "visit", "occurred_on": "2026-01-05", "body": "Visited"},
    )
    assert response.status_code == 403
    assert '<h1 class="govuk-heading-l">Your form was not sent</h1>' in response.text
    assert await CaseNote.count() == 0


async def test_error_pages_are_pages(client: httpx.AsyncClient, world: World) -> None:
    """404 and 403 are pages for people; the API still answers problem details."""
    await sign_in(client, "kw_own")
    missing = await client.get("/no-such-page")
    assert missing.status_code == 404
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in missing.text
    other = await client.get(f"/families/{world.families['other_team']}")
    assert other.status_code == 404
    assert "F-other_team" not in other.text
    forbidden = await client.get("/team")
    assert forbidden.status_code == 403
    assert '<h1 class="govuk-heading-l">You cannot do this</h1>' in forbidden.text
    api = await client.get("/api/v1/nothing-here")
    assert api.headers["content-type"].startswith("application/problem+json")


async def test_a_note_is_added_and_shown(client: httpx.AsyncClient, world: World) -> None:
    """The note form adds a note and goes back to the family's notes, which show it."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    response = await post_form(
        client,
        f"{family}/notes",
        {"kind": "visit", "occurred_on": "2026-01-05", "attendees": "Cara", "body": "Home visit"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{family}/notes?saved=note"
    shown = text_of((await client.get(response.headers["location"])).text)
    assert "The note was added." in shown
    assert "5 Jan 2026, Visit by kw_own with Cara Home visit" in shown


async def test_a_refused_note_keeps_what_was_typed(
    client: httpx.AsyncClient, world: World
) -> None:
    """A note with a bad date comes back with the text typed and a message at the date."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    response = await post_form(
        client, f"{family}/notes", {"kind": "visit", "occurred_on": "31/02/2026", "body": "Kept"}
    )
    assert response.status_code == 422
    assert ">Kept</textarea>" in response.text
    assert 'id="occurred_on-error"' in response.text
    assert "Date of the contact must be a real date" in response.text
    assert "<title>Error: Add a note \u2013 Family " in response.text
    assert '<h2 class="govuk-error-summary__title">' in response.text
    assert '<a href="#occurred_on">' in response.text
    assert await CaseNote.count() == 0


async def test_a_note_takes_its_date_as_day_month_and_year(
    client: httpx.AsyncClient, world: World
) -> None:
    """The note form's date is three fields, and the note is recorded on that day."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    shown = (await client.get(f"{family}/notes/new")).text
    assert 'name="occurred_on-day"' in shown
    assert 'name="occurred_on-year"' in shown
    day = {"occurred_on-day": "5", "occurred_on-month": "1", "occurred_on-year": "2026"}
    response = await post_form(client, f"{family}/notes", {"kind": "visit", **day, "body": "On"})
    assert response.status_code == 303
    assert "5 Jan 2026, Visit by kw_own" in text_of((await client.get(f"{family}/notes")).text)


async def test_a_date_missing_its_month_is_refused_as_typed(
    client: httpx.AsyncClient, world: World
) -> None:
    """Day and year without a month: refused at the date, the typed parts kept, the
    summary's link at the day."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    day = {"occurred_on-day": "31", "occurred_on-month": "", "occurred_on-year": "2026"}
    response = await post_form(client, f"{family}/notes", {"kind": "visit", **day, "body": "X"})
    assert response.status_code == 422
    assert "Date of the contact must be a real date" in response.text
    assert 'href="#occurred_on-day"' in response.text
    assert 'name="occurred_on-day" type="text" value="31"' in response.text
    assert 'name="occurred_on-year" type="text" value="2026"' in response.text
    assert await CaseNote.count() == 0


async def test_a_refused_note_shows_every_error_at_once_by_its_label(
    client: httpx.AsyncClient, world: World
) -> None:
    """A note with no text, no kind and no date names all three, each by its label, in the
    summary and beside the field; what was typed is kept."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    response = await post_form(client, f"{family}/notes", {"attendees": "Cara and Amy"})
    assert response.status_code == 422
    words = text_of(response.text)
    for message in ("Enter date of the contact", "Enter note"):
        assert words.count(message) == 2, message  # the summary and beside the field
    assert 'value="Cara and Amy"' in response.text
    assert "occurred_on" not in words
    assert "body" not in words
    assert await CaseNote.count() == 0


async def test_an_outcome_and_an_action_and_a_review_are_recorded(
    client: httpx.AsyncClient, world: World
) -> None:
    """The need's outcome, a new action and a review each land on the family page."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    family = f"/families/{family_id}"
    plan = (await Plan.select(Plan.id).where(Plan.family == family_id).first())["id"]
    goal = (await Goal.select(Goal.id).where(Goal.plan == plan).first())["id"]
    outcome = await post_form(
        client,
        f"{family}/needs/N-1/outcome",
        {"version": "1", "outcome": "achieved", "outcome_on": "2014-02-01"},
    )
    assert outcome.status_code == 303, outcome.text
    action = await post_form(
        client,
        f"{family}/plans/{plan}/goals/{goal}/actions",
        {"description": "Walk Amy to school", "owner_text": "Cara", "due_on": "2026-12-01"},
    )
    assert action.status_code == 303, action.text
    review = await post_form(
        client,
        f"{family}/plans/{plan}/reviews",
        {
            "reviewed_on": "2026-01-10",
            "summary": "Going well",
            "progress-1-goal_id": str(goal),
            "progress-1-rating": "good",
            "progress-1-comment": "Every day this week",
        },
    )
    assert review.status_code == 303, review.text
    shown = text_of((await client.get(f"{family}/assessments")).text)
    assert "Outcome: Achieved on 1 Feb 2014" in shown
    shown = text_of((await client.get(f"{family}/plan")).text)
    assert "Walk Amy to school Cara 1 Dec 2026" in shown
    assert "Review on 10 Jan 2026 by kw_own" in shown
    assert "Good progress Every day this week" in shown


async def test_a_stale_outcome_form_is_refused_with_a_reason(
    client: httpx.AsyncClient, world: World
) -> None:
    """Recording an outcome on a need changed since the page was shown says so (409)."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    response = await post_form(
        client,
        f"{family}/needs/N-1/outcome",
        {"version": "7", "outcome": "achieved", "outcome_on": "2014-02-01"},
    )
    assert response.status_code == 409
    assert "has changed since version 7" in response.text


async def test_an_evidence_item_changes_the_verdict(
    client: httpx.AsyncClient, world: World
) -> None:
    """A job of 40 weeks recorded on the page turns the family around."""
    await offend_recently(client, world)
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    before = text_of((await client.get(f"{family}/result")).text)
    assert "Not yet turned around on" in before
    assert (
        "offences down by a third since attachment : Not met; measured before: 2, after: 2"
        in before
    )
    fields = await client.get(
        f"{family}/evidence-fields?evidence_kind=employment", headers={"HX-Request": "true"}
    )
    assert 'name="hours_per_week"' in fields.text
    started = (today() - dt.timedelta(weeks=40)).isoformat()
    response = await post_form(
        client,
        f"{family}/evidence",
        {
            "evidence_kind": "employment",
            "person_ref": "A1",
            "start_date": started,
            "hours_per_week": "30",
        },
    )
    assert response.status_code == 303, response.text
    after = text_of((await client.get(f"{family}/result")).text)
    assert "Turned around on" in after
    assert "in continuous work for 26 weeks (13 on Jobseeker" in after
    assert "Allowance) : Met; worth £800.00" in after


async def test_a_refused_evidence_item_names_the_field(
    client: httpx.AsyncClient, world: World
) -> None:
    """An offence without its date is refused beside the date, and nothing is recorded."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    response = await post_form(
        client,
        f"{family}/evidence",
        {"evidence_kind": "offences", "person_ref": "C1", "offence_ref": "OF-9"},
    )
    assert response.status_code == 422
    assert 'id="offence_date-error"' in response.text
    assert "Enter offence date" in text_of(response.text)
    assert 'value="OF-9"' in response.text
    assert await Offence.count() == 2


async def test_a_team_manager_allocates_and_signs_off(
    client: httpx.AsyncClient, world: World
) -> None:
    """The team page lists the waiting family; allocating it and signing off work."""
    await sign_in(client, "tm")
    family_id = world.families["fam1"]
    await Assessment.insert(
        Assessment(
            programme=world.programmes["P1"],
            family=family_id,
            assessment_ref="EHA-1",
            started_on=dt.date(2026, 1, 5),
            completed_on=dt.date(2026, 1, 20),
        )
    )
    team = text_of((await client.get("/team")).text)
    assert "kw_own" in team
    assert "F-unallocated" in team
    assert "EHA-1" in team
    allocated = await post_form(
        client,
        f"/families/{world.families['unallocated']}/allocation",
        {"key_worker": "kw_spare", "reason": "Capacity"},
    )
    assert allocated.status_code == 303, allocated.text
    signed = await post_form(
        client, f"/families/{family_id}/assessments/EHA-1/sign-off", {"version": "1"}
    )
    assert signed.status_code == 303, signed.text
    after = text_of((await client.get(signed.headers["location"])).text)
    assert "The assessment was signed off." in after
    assert "No assessment is waiting for sign-off." in after
    waiting = after[after.index("Families waiting for a key worker") : after.index("The team's")]
    assert "F-unallocated" not in waiting
    assert "F-unallocated Identified kw_spare" in after


async def test_an_allocation_without_a_worker_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """Allocating to nobody says so on the team page, and changes nothing."""
    await sign_in(client, "tm")
    response = await post_form(
        client, f"/families/{world.families['unallocated']}/allocation", {"reason": "Why"}
    )
    assert response.status_code == 422
    assert "Choose a key worker" in response.text
    assert await Allocation.count().where(Allocation.family == world.families["unallocated"]) == 0


async def test_the_audit_log_search_finds_what_happened(
    client: httpx.AsyncClient, world: World
) -> None:
    """The auditor finds the key worker's reads of the family, and a bad date is refused."""
    await sign_in(client, "kw_own")
    await client.get(f"/families/{world.families['fam1']}")
    client.cookies.clear()
    await sign_in(client, "auditor")
    found = await client.get(
        "/audit", params={"actor_name": "kw_own", "action": "family.page.read"}
    )
    assert found.status_code == 200
    assert f"family {world.families['fam1']}" in text_of(found.text)
    refused = await client.get("/audit", params={"since": "yesterday"})
    assert refused.status_code == 422
    assert "From must be a real date" in refused.text


async def test_a_team_manager_signs_off_a_closure(client: httpx.AsyncClient, world: World) -> None:
    """A closure waits on the team page until signed off, once; the API lists it too."""
    family_id = world.families["fam1"]
    closed = await client.post(
        f"/api/v1/families/{family_id}/status",
        json={"version": 1, "status": "closed", "on": "2026-01-10", "reason": "outcomes_met"},
        headers=world.headers("kw_own"),
    )
    assert closed.status_code == 200, closed.text
    waiting = await client.get("/api/v1/closures/awaiting-sign-off", headers=world.headers("tm"))
    [closure] = waiting.json()
    assert (closure["family_ref"], closure["closed_by"]) == ("FAM-1", "kw_own")
    await sign_in(client, "tm")
    team = text_of((await client.get("/team")).text)
    assert "FAM-1 10 Jan 2026 Outcomes met kw_own" in team
    path = f"/families/{family_id}/closures/{closure['id']}/sign-off"
    signed = await post_form(client, path, {})
    assert signed.status_code == 303, signed.text
    after = text_of((await client.get(signed.headers["location"])).text)
    assert "The closure was signed off." in after
    assert "No closure is waiting for sign-off." in after
    again = await post_form(client, path, {})
    assert again.status_code == 409
    assert "signed off already, by tm" in again.text


async def test_pages_allow_no_inline_script_or_style(
    client: httpx.AsyncClient, world: World
) -> None:
    """Pages forbid inline script and style; only the self-contained monthly report may
    style itself, and still runs no script."""
    await sign_in(client, "kw_own")
    policy = (await client.get(f"/families/{world.families['fam1']}")).headers[
        "content-security-policy"
    ]
    assert "unsafe-inline" not in policy
    assert "default-src 'self'" in policy
    report = await client.get(
        "/api/v1/programmes/P1/reports/monthly",
        params={"month": "2026-10", "format": "html"},
        headers=world.headers("pm"),
    )
    assert report.status_code == 200
    assert report.headers["content-security-policy"] == (
        "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; "
        "form-action 'self'; style-src 'self' 'unsafe-inline'"
    )


async def test_an_unexpected_failure_is_a_page_that_tells_nothing_inside(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug shows the 500 page: an apology, no traceback, no record's details."""

    async def broken(*args: object) -> None:
        raise RuntimeError("Amy Smith's record broke")

    monkeypatch.setattr(FamilyService, "record_of", broken)
    await sign_in(client, "kw_own")
    response = await client.get(f"/families/{world.families['fam1']}")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "Amy" not in response.text
    assert "Traceback" not in response.text


async def test_a_page_path_holding_health_still_needs_the_csrf_token(
    client: httpx.AsyncClient, world: World
) -> None:
    """A need called "health-1" puts /health in the form's path; the post still needs the
    CSRF token, and without it nothing is recorded."""
    await load(
        client,
        world,
        "needs",
        "need_ref,family_ref,headline,identified_on\nhealth-1,FAM-1,education,2013-02-01\n",
    )
    await sign_in(client, "kw_own")
    response = await client.post(
        f"/families/{world.families['fam1']}/needs/health-1/outcome",
        data={"version": "1", "outcome": "achieved", "outcome_on": "2014-02-01"},
    )
    assert response.status_code == 403
    need = await Need.select(Need.outcome).where(Need.need_ref == "health-1").first()
    assert need == {"outcome": None}


async def test_a_progress_comment_without_a_rating_is_refused_not_lost(
    client: httpx.AsyncClient, world: World
) -> None:
    """A review whose goal has a comment but no rating comes back with the comment kept."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    plan = (await Plan.select(Plan.id).where(Plan.family == family_id).first())["id"]
    goal = (await Goal.select(Goal.id).where(Goal.plan == plan).first())["id"]
    response = await post_form(
        client,
        f"/families/{family_id}/plans/{plan}/reviews",
        {
            "reviewed_on": "2026-01-10",
            "summary": "Mixed",
            "progress-1-goal_id": str(goal),
            "progress-1-comment": "Attended 3 of 5 days",
        },
    )
    assert response.status_code == 422
    assert ">Attended 3 of 5 days</textarea>" in response.text
    assert await PlanReview.count() == 0


async def test_htmx_refusal_of_a_form_for_a_missing_goal_is_not_found(
    client: httpx.AsyncClient, world: World
) -> None:
    """An action for a goal the family does not have is 404 with or without HTMX, never 500."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    plan = (await Plan.select(Plan.id).where(Plan.family == family_id).first())["id"]
    path = f"/families/{family_id}/plans/{plan}/goals/999999/actions"
    for headers in ({}, {"HX-Request": "true"}):
        response = await post_form(client, path, {"description": ""}, **headers)
        assert response.status_code == 404, headers


async def test_only_the_latest_closure_waits_and_can_be_signed_off(
    client: httpx.AsyncClient, world: World
) -> None:
    """Closed, reopened and closed again: only the second closure waits; the first is 409."""
    family_id = world.families["fam1"]
    for version, status, on in ((1, "closed", "2026-01-10"), (2, "reopened", "2026-02-01")):
        body = {"version": version, "status": status, "on": on, "reason": "outcomes_met"}
        changed = await client.post(
            f"/api/v1/families/{family_id}/status", json=body, headers=world.headers("kw_own")
        )
        assert changed.status_code == 200, changed.text
    first = await FamilyStatusChange.select(FamilyStatusChange.id).where(
        FamilyStatusChange.family == family_id, FamilyStatusChange.status == "closed"
    )
    body = {"version": 3, "status": "closed", "on": "2026-03-01", "reason": "moved_away"}
    changed = await client.post(
        f"/api/v1/families/{family_id}/status", json=body, headers=world.headers("kw_own")
    )
    assert changed.status_code == 200, changed.text
    waiting = await client.get("/api/v1/closures/awaiting-sign-off", headers=world.headers("tm"))
    assert [c["closed_on"] for c in waiting.json()] == ["2026-03-01"]
    undone = await client.post(
        f"/api/v1/families/{family_id}/closures/{first[0]['id']}/sign-off",
        headers=world.headers("tm"),
    )
    assert undone.status_code == 409
    assert "reopened after this closure" in undone.json()["detail"]


async def test_team_page_bad_hidden_fields_are_not_a_server_error(
    client: httpx.AsyncClient, world: World
) -> None:
    """A tampered team or version field is refused or ignored, never a 500."""
    await sign_in(client, "tm")
    allocated = await post_form(
        client,
        f"/families/{world.families['unallocated']}/allocation",
        {"key_worker": "kw_spare", "team": "²"},
    )
    assert allocated.status_code == 303
    signed = await post_form(
        client, f"/families/{world.families['fam1']}/assessments/NOPE/sign-off", {"version": "²"}
    )
    assert signed.status_code == 404


async def test_a_programme_manager_on_a_team_page_is_not_offered_sign_off(
    client: httpx.AsyncClient, world: World, app: Litestar
) -> None:
    """Sign-off is a team manager's: a programme manager sees the caseloads without it."""
    team = await Team.select(Team.id).where(Team.name == "team_a").first()
    await sign_in(client, "pm")
    page = await client.get("/team", params={"team": team["id"]})
    assert page.status_code == 200
    assert "Caseloads" in page.text
    assert "Waiting for your sign-off" not in page.text


async def test_the_caseload_shows_next_review_and_overdue_actions(
    client: httpx.AsyncClient, world: World
) -> None:
    """Each family's earliest open review and its overdue actions are on the caseload."""
    await sign_in(client, "kw_own")
    family_id = world.families["fam1"]
    plan = (await Plan.select(Plan.id).where(Plan.family == family_id).first())["id"]
    goal = (await Goal.select(Goal.id).where(Goal.plan == plan).first())["id"]
    await post_form(
        client,
        f"/families/{family_id}/plans/{plan}/goals/{goal}/actions",
        {"description": "Book the school meeting", "due_on": "2026-01-05"},
    )
    row = text_of((await client.get("/caseload")).text)
    row = row[row.index("FAM-1") :]
    # The family's people by name (web/family_household's owner added them), then the rest.
    assert re.match(r"FAM-1 Cara Smith, aged \d+ Amy Smith, aged \d+ Ben Smith, aged \d+ ", row)
    assert "Attached Central 15 May 2013 Overdue" in row
    assert "Book the school meeting (due 5 Jan 2026)" in row
