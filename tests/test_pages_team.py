"""A team manager's pages: caseloads that open onto a key worker's families, overdue work by
worker, reallocation with a reason, sign-off pages that show what is signed, sending an
assessment or a closure back with a reason, and reopening a closed family."""

from __future__ import annotations

import datetime as dt
import html
import re

import httpx
import pytest
from litestar import Litestar

from connecting_families.assessments.tables import Assessment
from connecting_families.audit.tables import AuditEvent
from connecting_families.domain.dates import today
from connecting_families.families.tables import Allocation, Family, FamilyStatusChange

from access_world import World
from page_world import PASSWORD, build_page_world


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    client.cookies.clear()
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "_csrf_token": _csrf(client)},
    )
    assert response.status_code == 302, response.text


def _csrf(client: httpx.AsyncClient) -> str:
    return str(client.cookies["csrftoken"])


async def post_form(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
    return await client.post(path, data={**data, "_csrf_token": _csrf(client)})


def text_of(page: str) -> str:
    """The page's words, without tags, in single spaces."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))).strip()


async def completed_assessment(world: World, ref: str = "EHA-1") -> int:
    """A completed assessment of FAM-1 with its content, waiting for sign-off; the family."""
    family_id = world.families["fam1"]
    await Assessment.insert(
        Assessment(
            programme=world.programmes["P1"],
            family=family_id,
            assessment_ref=ref,
            started_on=today() - dt.timedelta(days=10),
            completed_on=today() - dt.timedelta(days=3),
            family_view="We want Amy back at school.",
            strengths="A close family.",
            analysis="School attendance is the main need.",
        )
    )
    return family_id


async def closed_by_key_worker(client: httpx.AsyncClient, world: World) -> tuple[int, int]:
    """FAM-1 closed by its key worker through the page; the family and the closure."""
    family_id = world.families["fam1"]
    await sign_in(client, "kw_own")
    row = await Family.select(Family.version).where(Family.id == family_id).first()
    closed = await post_form(
        client,
        f"/families/{family_id}/close",
        {"reason": "outcomes_met", "on": today().isoformat(), "version": str(row["version"])},
    )
    assert closed.status_code == 303, closed.text
    closure = await FamilyStatusChange.select(FamilyStatusChange.id).where(
        FamilyStatusChange.family == family_id, FamilyStatusChange.status == "closed"
    )
    return family_id, closure[-1]["id"]


async def test_the_team_page_leads_to_each_key_workers_caseload_with_overdue_work(
    client: httpx.AsyncClient, world: World
) -> None:
    """Each key worker's name opens their caseload; what is overdue is counted by worker."""
    await Assessment.insert(
        Assessment(
            programme=world.programmes["P1"],
            family=world.families["fam1"],
            assessment_ref="EHA-LATE",
            started_on=dt.date(2026, 1, 5),
        )
    )
    await sign_in(client, "tm")
    team = await client.get("/team")
    assert 'href="/team/key-workers/kw_own"' in team.text
    row = re.search(r'href="/team/key-workers/kw_own".*?</tr>', team.text, re.S)
    assert row, "no caseload row for kw_own"
    words = text_of(row.group(0))
    assert "1 plan review" in words
    assert "1 assessment out of timescale" in words


async def test_a_key_workers_caseload_names_the_people_and_the_overdue_work(
    client: httpx.AsyncClient, world: World
) -> None:
    """The worker's caseload shows each family's people by name and what is overdue."""
    await sign_in(client, "tm")
    page = await client.get("/team/key-workers/kw_own")
    assert page.status_code == 200
    words = text_of(page.text)
    assert "kw_own's caseload" in words
    assert "Amy" in words
    assert "Plan review (due 15 May 2013)" in words
    assert f'href="/families/{world.families["fam1"]}"' in page.text


async def test_another_teams_key_worker_is_not_found(
    client: httpx.AsyncClient, world: World
) -> None:
    """A team manager cannot open a key worker of another team, nor someone not a worker."""
    await sign_in(client, "tm")
    assert (await client.get("/team/key-workers/kw_other")).status_code == 404
    assert (await client.get("/team/key-workers/pm")).status_code == 404


async def test_a_reallocation_without_a_reason_is_refused_in_the_page_and_the_api(
    client: httpx.AsyncClient, world: World
) -> None:
    """Reallocating asks why, on the page and in the API alike; nothing changes without it."""
    family_id = world.families["fam1"]
    await sign_in(client, "tm")
    form = await client.get(f"/families/{family_id}/allocation/new")
    assert "Why is the family being reallocated?" in form.text
    refused = await post_form(
        client, f"/families/{family_id}/allocation", {"key_worker": "kw_spare"}
    )
    assert refused.status_code == 422
    assert "Enter why the family is being reallocated" in text_of(refused.text)
    api = await client.put(
        f"/api/v1/families/{family_id}/allocation",
        json={"key_worker": "kw_spare", "reason": "  "},
        headers=world.headers("tm"),
    )
    assert api.status_code == 422
    assert api.json()["errors"][0]["field"] == "reason"
    assert await Allocation.count().where(Allocation.family == family_id) == 1
    moved = await post_form(
        client,
        f"/families/{family_id}/allocation",
        {"key_worker": "kw_spare", "reason": "kw_own is on leave"},
    )
    assert moved.status_code == 303
    current = await Allocation.select(Allocation.reason).where(
        Allocation.ended_at.is_null(), Allocation.family == family_id
    )
    assert current == [{"reason": "kw_own is on leave"}]


async def test_the_assessment_sign_off_page_shows_its_content_before_signing(
    client: httpx.AsyncClient, world: World
) -> None:
    """The team page links to a page with the assessment's content; signed off from there."""
    family_id = await completed_assessment(world)
    await sign_in(client, "tm")
    team = await client.get("/team")
    link = f"/families/{family_id}/assessments/EHA-1/sign-off"
    assert f'href="{link}"' in team.text
    page = await client.get(link)
    words = text_of(page.text)
    assert "We want Amy back at school." in words
    assert "School attendance is the main need." in words
    assert "Sign off the assessment" in words
    signed = await post_form(client, link, {"version": "1"})
    assert signed.status_code == 303
    assert "The assessment was signed off." in text_of(
        (await client.get(signed.headers["location"])).text
    )


async def test_an_assessment_sent_back_without_a_reason_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """Sending back asks for the reason by its label; the assessment is unchanged."""
    family_id = await completed_assessment(world)
    await sign_in(client, "tm")
    refused = await post_form(
        client,
        f"/families/{family_id}/assessments/EHA-1/send-back",
        {"version": "1", "reason": ""},
    )
    assert refused.status_code == 422
    assert "Enter a reason for sending it back" in text_of(refused.text)
    assert await Assessment.count().where(Assessment.family == family_id) == 1


async def test_an_assessment_sent_back_shows_the_key_worker_why(
    client: httpx.AsyncClient, world: World
) -> None:
    """Sent back, the assessment is a draft not signed off, its page shows the reason to the
    key worker, it waits for sign-off no more, and the sending back is audited."""
    family_id = await completed_assessment(world)
    await sign_in(client, "tm")
    reason = "Add the child's own voice, please."
    sent = await post_form(
        client,
        f"/families/{family_id}/assessments/EHA-1/send-back",
        {"version": "1", "reason": reason},
    )
    assert sent.status_code == 303, sent.text
    team = text_of((await client.get(sent.headers["location"])).text)
    assert "The assessment was sent back to the key worker." in team
    assert "No assessment is waiting for sign-off." in team
    assert await AuditEvent.count().where(AuditEvent.action == "assessment.send_back") == 1
    await sign_in(client, "kw_own")
    page = await client.get(f"/families/{family_id}/assessments/EHA-1")
    words = text_of(page.text)
    assert "Sent back" in words
    assert reason.replace("'", "'") in words
    assert f'href="/families/{family_id}/assessments/EHA-1/complete"' in page.text


async def test_the_api_sends_an_assessment_back_with_a_typed_answer(
    client: httpx.AsyncClient, world: World
) -> None:
    """The API's send-back answers the assessment, sent back and no longer completed; again,
    it is a conflict."""
    family_id = await completed_assessment(world)
    path = f"/api/v1/families/{family_id}/assessments/EHA-1/send-back"
    body = {"version": 1, "reason": "Missing the analysis."}
    sent = await client.post(path, json=body, headers=world.headers("tm"))
    assert sent.status_code == 200, sent.text
    answer = sent.json()
    assert (answer["status"], answer["completed_on"]) == ("sent_back", None)
    assert (answer["sent_back_by"], answer["sent_back_reason"]) == ("tm", "Missing the analysis.")
    again = await client.post(path, json={**body, "version": 2}, headers=world.headers("tm"))
    assert again.status_code == 409
    by_worker = await client.post(path, json=body, headers=world.headers("kw_own"))
    assert by_worker.status_code == 403


async def test_the_closure_sign_off_page_shows_the_reason_the_plan_and_the_needs(
    client: httpx.AsyncClient, world: World
) -> None:
    """Before signing off a closure: its reason, the plan's state and each need's outcome."""
    family_id, closure_id = await closed_by_key_worker(client, world)
    await sign_in(client, "tm")
    team = await client.get("/team")
    link = f"/families/{family_id}/closures/{closure_id}/sign-off"
    assert f'href="{link}"' in team.text
    words = text_of((await client.get(link)).text)
    assert "The family's outcomes were met" in words
    assert "Goal: Amy back in school every day" in words
    assert "Education" in words
    assert "No outcome recorded" in words
    assert "1 need has no outcome recorded." in words
    signed = await post_form(client, link, {})
    assert signed.status_code == 303
    assert "The closure was signed off." in text_of(
        (await client.get(signed.headers["location"])).text
    )


async def test_a_closure_sent_back_leaves_the_family_open_with_the_reason_shown(
    client: httpx.AsyncClient, world: World
) -> None:
    """Sent back, the family is open as before (not a re-referral), its page says why, the
    closure waits no more, and the sending back is audited."""
    family_id, closure_id = await closed_by_key_worker(client, world)
    await sign_in(client, "tm")
    path = f"/families/{family_id}/closures/{closure_id}/send-back"
    refused = await post_form(client, path, {"reason": ""})
    assert refused.status_code == 422
    assert "Enter a reason for sending it back" in text_of(refused.text)
    reason = "The school has not confirmed attendance yet."
    sent = await post_form(client, path, {"reason": reason})
    assert sent.status_code == 303, sent.text
    team = text_of((await client.get(sent.headers["location"])).text)
    assert "The family is open." in team
    assert "No closure is waiting for sign-off." in team
    family = (
        await Family.select(Family.status, Family.closed_on).where(Family.id == family_id).first()
    )
    assert family == {"status": "attached", "closed_on": None}
    assert not await FamilyStatusChange.exists().where(
        FamilyStatusChange.family == family_id, FamilyStatusChange.is_re_referral.eq(True)
    )
    assert await AuditEvent.count().where(AuditEvent.action == "family.closure.send_back") == 1
    await sign_in(client, "kw_own")
    summary = text_of((await client.get(f"/families/{family_id}")).text)
    assert "sent back the closure" in summary
    assert reason in summary


async def test_a_team_manager_reopens_a_closed_family_as_a_re_referral(
    client: httpx.AsyncClient, world: World
) -> None:
    """A team manager reopens a closed family through its reopen page; within 12 months of
    the closure it is a re-referral."""
    family_id, _ = await closed_by_key_worker(client, world)
    await sign_in(client, "tm")
    form = await client.get(f"/families/{family_id}/reopen")
    assert form.status_code == 200
    assert "re-referral" in text_of(form.text)
    row = await Family.select(Family.version).where(Family.id == family_id).first()
    reopened = await post_form(
        client,
        f"/families/{family_id}/reopen",
        {"on": today().isoformat(), "version": str(row["version"])},
    )
    assert reopened.status_code == 303, reopened.text
    latest = (
        await FamilyStatusChange.select(
            FamilyStatusChange.status, FamilyStatusChange.is_re_referral
        )
        .where(FamilyStatusChange.family == family_id)
        .order_by(FamilyStatusChange.id, ascending=False)
        .first()
    )
    assert latest == {"status": "reopened", "is_re_referral": True}
