"""Assessments, needs, plans, notes and programmes through the API."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from connecting_families.app import create_app
from connecting_families.assessments.tables import Assessment
from connecting_families.cli import main
from connecting_families.domain.dates import working_days_between
from connecting_families.settings import Settings

from access_world import World, build_world
from conftest import running


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_world(app.state.accounts)


def family_path(world: World, name: str = "own") -> str:
    return f"/api/v1/families/{world.families[name]}"


def test_working_days_skip_weekends_and_bank_holidays() -> None:
    """Christmas 2025: Friday 19 to Friday 2 January is 7 working days in England."""
    assert working_days_between(dt.date(2025, 12, 19), dt.date(2026, 1, 2)) == 7
    assert working_days_between(dt.date(2024, 3, 4), dt.date(2024, 3, 5)) == 1


async def given_consent(client: httpx.AsyncClient, world: World) -> None:
    """The "own" family's consent to share its information, given by a new member."""
    kw = world.headers("kw_own")
    person = {"given_name": "Ada", "family_name": "Given", "date_of_birth": "1980-01-01"}
    member = await client.post(
        family_path(world) + "/members", json={"role": "adult", "person": person}, headers=kw
    )
    consent = {
        "person_id": member.json()["person_id"],
        "given_on": "2014-01-06",
        "method": "in_person",
        "agencies": ["school"],
    }
    given = await client.post(family_path(world) + "/consents", json=consent, headers=kw)
    assert given.status_code == 201, given.text


async def test_assessment_lifecycle(client: httpx.AsyncClient, world: World) -> None:
    """Start, complete late with a reason, sign off; every step keeps the earlier version."""
    path = family_path(world) + "/assessments"
    kw, tm = world.headers("kw_own"), world.headers("tm")
    started = await client.post(
        path, json={"started_on": "2014-01-06", "agency": "School"}, headers=kw
    )
    assert started.status_code == 201
    ref = started.json()["assessment_ref"]
    assert started.json()["due_by"] == "2014-03-10"  # 45 working days on

    early_sign_off = await client.post(f"{path}/{ref}/sign-off", json={"version": 1}, headers=tm)
    assert early_sign_off.status_code == 409
    late = {"version": 1, "completed_on": "2014-04-01"}
    await given_consent(client, world)  # without it, completing is refused (test_consent.py)
    no_reason = await client.post(f"{path}/{ref}/complete", json=late, headers=kw)
    assert no_reason.status_code == 422
    # Which reason, from the fixed list; words alone (as before the list) are "other".
    assert no_reason.json()["errors"][0]["field"] == "late_reason_code"
    completed = await client.post(
        f"{path}/{ref}/complete", json={**late, "late_reason": "Family moved"}, headers=kw
    )
    assert completed.status_code == 200
    assert completed.json()["within_timescale"] is False
    assert completed.json()["late_reason_code"] == "other"
    assert completed.json()["late_reason"] == "Family moved"
    assert completed.json()["version"] == 2

    stale = await client.post(f"{path}/{ref}/sign-off", json={"version": 1}, headers=tm)
    assert stale.status_code == 409
    by_worker = await client.post(f"{path}/{ref}/sign-off", json={"version": 2}, headers=kw)
    assert by_worker.status_code == 403
    signed = await client.post(f"{path}/{ref}/sign-off", json={"version": 2}, headers=tm)
    assert signed.json()["signed_off_by"] == "tm"
    assert await Assessment.count().where(Assessment.assessment_ref == ref) == 3
    missing = await client.post(f"{path}/NOPE/complete", json=late, headers=kw)
    assert missing.status_code == 404


async def test_needs_headlines_and_outcomes(client: httpx.AsyncClient, world: World) -> None:
    """A need takes a headline of the programme's rule set; its outcome needs the version."""
    path = family_path(world) + "/needs"
    kw = world.headers("kw_own")
    wrong = await client.post(
        path, json={"headline": "housing", "identified_on": "2014-01-06"}, headers=kw
    )
    assert wrong.status_code == 422
    assert "crime_asb" in wrong.text  # the headlines tf2012 knows are listed
    need = await client.post(
        path,
        json={"headline": "education", "identified_on": "2014-01-06", "need_ref": "N-1"},
        headers=kw,
    )
    assert need.status_code == 201
    outcome = {"version": 1, "outcome": "achieved", "outcome_on": "2014-06-01"}
    done = await client.post(f"{path}/N-1/outcome", json=outcome, headers=kw)
    assert (done.json()["outcome"], done.json()["version"]) == ("achieved", 2)
    stale = await client.post(f"{path}/N-1/outcome", json=outcome, headers=kw)
    assert stale.status_code == 409
    before = await client.post(
        f"{path}/N-1/outcome",
        headers=kw,
        json={"version": 2, "outcome": "not_achieved", "outcome_on": "2013-01-01"},
    )
    assert before.status_code == 422
    listed = (await client.get(path, headers=kw)).json()
    assert [(n["need_ref"], n["outcome"]) for n in listed] == [("N-1", "achieved")]


async def test_plan_goals_actions_reviews_and_overdue(
    client: httpx.AsyncClient, world: World
) -> None:
    """A plan's overdue actions and reviews show up until they are done."""
    path = family_path(world) + "/plans"
    kw = world.headers("kw_own")
    created = await client.post(
        path,
        headers=kw,
        json={
            "agreed_on": "2014-01-06",
            "next_review_on": "2014-02-06",
            "goals": [{"description": "Children in school every day", "headline": "education"}],
        },
    )
    assert created.status_code == 201
    plan = created.json()
    assert plan["status"] == "active"
    goal_id = plan["goals"][0]["id"]
    with_action = await client.post(
        f"{path}/{plan['id']}/goals/{goal_id}/actions",
        headers=kw,
        json={"description": "Meet the head", "owner": "kw_own", "due_on": "2014-01-20"},
    )
    action = with_action.json()["goals"][0]["actions"][0]
    assert action["overdue"] is True

    overdue = (await client.get("/api/v1/overdue", headers=kw)).json()
    assert sorted(item["kind"] for item in overdue) == ["action", "review"]
    assert (await client.get("/api/v1/overdue", headers=world.headers("kw_other"))).json() == []

    done = await client.patch(
        f"{path}/{plan['id']}/actions/{action['id']}",
        headers=kw,
        json={"version": 1, "completed_on": "2014-01-19"},
    )
    assert done.json()["goals"][0]["actions"][0]["overdue"] is False
    stale = await client.patch(
        f"{path}/{plan['id']}/actions/{action['id']}",
        headers=kw,
        json={"version": 1, "completed_on": "2014-01-19"},
    )
    assert stale.status_code == 409

    reviewed = await client.post(
        f"{path}/{plan['id']}/reviews",
        headers=kw,
        json={
            "reviewed_on": "2014-02-06",
            "summary": "Attendance up",
            "next_review_on": "2099-01-01",
            "progress": [{"goal_id": goal_id, "rating": "achieved"}],
        },
    )
    assert reviewed.status_code == 201
    assert reviewed.json()["goals"][0]["status"] == "achieved"
    assert reviewed.json()["review_overdue"] is False
    assert (await client.get("/api/v1/overdue", headers=kw)).json() == []

    bad = await client.post(
        f"{path}/{plan['id']}/reviews",
        headers=kw,
        json={
            "reviewed_on": "2014-02-06",
            "summary": "x",
            "progress": [{"goal_id": 999999, "rating": "some"}],
        },
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "progress[0].goal_id"
    version = reviewed.json()["version"]
    closed = await client.patch(
        f"{path}/{plan['id']}", headers=kw, json={"version": version, "status": "closed"}
    )
    assert closed.json()["status"] == "closed"
    assert (
        await client.patch(
            f"{path}/{plan['id']}", headers=kw, json={"version": version, "status": "active"}
        )
    ).status_code == 409
    assert (await client.get(f"{path}", headers=kw)).json()[0]["reviews"][0]["summary"] == (
        "Attendance up"
    )


async def test_notes_are_append_only_with_corrections(
    client: httpx.AsyncClient, world: World
) -> None:
    """A correction is a new note pointing at the old one; both stay on the record."""
    path = family_path(world) + "/notes"
    kw = world.headers("kw_own")
    first = await client.post(
        path,
        headers=kw,
        json={
            "occurred_on": "2014-01-06",
            "kind": "taf_meeting",
            "attendees": "Mum, school, GP",
            "body": "TAF meeting; plan agreed",
        },
    )
    assert first.status_code == 201
    fix = await client.post(
        path,
        headers=kw,
        json={
            "occurred_on": "2014-01-06",
            "body": "Correction: the GP did not attend",
            "corrects": first.json()["id"],
        },
    )
    assert fix.json()["corrects"] == first.json()["id"]
    listed = (await client.get(path, headers=kw)).json()
    assert [n["id"] for n in listed] == [fix.json()["id"], first.json()["id"]]
    other_family_note = await client.post(
        family_path(world, "shared") + "/notes",
        headers=kw,
        json={"occurred_on": "2014-01-06", "body": "x", "corrects": first.json()["id"]},
    )
    assert other_family_note.status_code == 422
    for verb in ("PUT", "PATCH", "DELETE"):
        assert (
            await client.request(verb, f"{path}/{first.json()['id']}", headers=kw)
        ).status_code in (404, 405)


async def test_nul_characters_are_refused_on_both_databases(
    client: httpx.AsyncClient, world: World
) -> None:
    """A NUL in any text is refused by name (422), never a 500 on PostgreSQL."""
    response = await client.post(
        family_path(world) + "/notes",
        headers=world.headers("kw_own"),
        json={"occurred_on": "2014-01-06", "body": "a\u0000b"},
    )
    assert response.status_code == 422
    assert "NUL" in response.json()["detail"]


async def test_programmes_admin_creates_managers_change(
    client: httpx.AsyncClient, world: World
) -> None:
    """Admins create programmes; their managers change them with a version; others see 404."""
    body = {
        "code": "PBO-TF1",
        "name": "Connecting Families",
        "local_authority": "Peterborough",
        "ruleset_id": "tf2012",
        "target_families": 510,
        "child_population": {"2014": 45000},
    }
    assert (
        await client.post("/api/v1/programmes", json=body, headers=world.headers("pm"))
    ).status_code == 403
    created = await client.post("/api/v1/programmes", json=body, headers=world.headers("admin"))
    assert created.status_code == 201
    assert created.json()["child_population"] == {"2014": 45000}
    duplicate = await client.post("/api/v1/programmes", json=body, headers=world.headers("admin"))
    assert duplicate.status_code == 409
    unknown_rules = await client.post(
        "/api/v1/programmes",
        headers=world.headers("admin"),
        json={**body, "code": "X", "ruleset_id": "tf1999"},
    )
    assert unknown_rules.status_code == 422

    pm = world.headers("pm")
    assert (await client.get("/api/v1/programmes/P2", headers=pm)).status_code == 404
    changed = await client.patch(
        "/api/v1/programmes/P1",
        headers=pm,
        json={"version": 1, "target_families": 300, "child_population": {"2013": 44000}},
    )
    assert changed.status_code == 200
    assert (changed.json()["target_families"], changed.json()["version"]) == (300, 2)
    stale = await client.patch(
        "/api/v1/programmes/P1", headers=pm, json={"version": 1, "target_families": 1}
    )
    assert stale.status_code == 409
    codes = [p["code"] for p in (await client.get("/api/v1/programmes", headers=pm)).json()]
    assert codes == ["P1"]


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CF_DATABASE_URL", database_url)
    monkeypatch.setenv("CF_SECRET_KEY", "cli-test-secret-" + "x" * 32)


@pytest.mark.usefixtures("cli_env")
def test_programme_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`programme create` takes a JSON config file; `programme list` shows it."""
    config = tmp_path / "plan.json"
    config.write_text('{"outcome_plan": {"education": {"all": []}}}')
    assert (
        main(
            [
                "programme",
                "create",
                "LUT-TF2",
                "--name",
                "Luton",
                "--ruleset",
                "tf2015",
                "--config",
                str(config),
            ]
        )
        == 0
    )
    assert main(["programme", "list"]) == 0
    assert "LUT-TF2" in capsys.readouterr().out
    config.write_text("[1, 2")
    assert (
        main(
            [
                "programme",
                "create",
                "BAD",
                "--name",
                "B",
                "--ruleset",
                "tf2015",
                "--config",
                str(config),
            ]
        )
        == 2
    )
    assert main(["programme", "create", "BAD", "--name", "B", "--ruleset", "nope"]) == 1
    assert "ruleset_id" in capsys.readouterr().err


@pytest.mark.alone
@pytest.mark.usefixtures("cli_env")
def test_demo_of_500_families_is_quick_and_every_key_worker_has_a_caseload(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """`demo --families 500` takes under a minute; each demo key worker then lists families."""
    started = time.perf_counter()
    assert main(["demo", "--families", "500"]) == 0
    took = time.perf_counter() - started
    assert took < 60, f"demo took {took:.1f} s"
    out = capsys.readouterr().out
    logins = re.findall(r"^\s+(kw\.\S+)\s+key_worker\s+(\S+)$", out, re.MULTILINE)
    assert len(logins) == 18

    async def every_key_worker_lists_their_families() -> None:
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with (
            running(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            for username, password in logins:
                token = await client.post(
                    "/api/v1/auth/token", json={"username": username, "password": password}
                )
                headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
                page = (await client.get("/api/v1/families", headers=headers)).json()
                assert page["families"], username
                assert {f["key_worker"] for f in page["families"]} == {username}
                load = (await client.get("/api/v1/caseload", headers=headers)).json()
                assert load["families"] >= len(page["families"])

    asyncio.run(every_key_worker_lists_their_families())
    assert main(["demo"]) == 0
    assert "already loaded" in capsys.readouterr().out


async def test_assessment_subject_must_be_a_child_of_the_household(
    client: httpx.AsyncClient, world: World
) -> None:
    """An assessment opened for one person must be for a child living in the household."""
    members = family_path(world) + "/members"
    kw = world.headers("kw_own")
    adult = await client.post(
        members,
        headers=kw,
        json={
            "role": "adult",
            "person": {"given_name": "Ann", "family_name": "Fox", "date_of_birth": "1980-01-01"},
        },
    )
    response = await client.post(
        family_path(world) + "/assessments",
        headers=kw,
        json={"started_on": "2014-01-06", "subject_person_id": adult.json()["person_id"]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "subject_person_id"


async def test_odd_population_years_are_refused(client: httpx.AsyncClient, world: World) -> None:
    """A child-population year must be four digits; anything else is refused, not a 500."""
    response = await client.patch(
        "/api/v1/programmes/P1",
        headers=world.headers("pm"),
        json={"version": 1, "child_population": {"²": 3}},
    )
    assert response.status_code == 422
