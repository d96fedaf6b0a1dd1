"""Consent to share a family's information through the API: recording, listing, withdrawing,
scope, audit, the timeline, and the rule for completing an assessment without consent."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from litestar import Litestar

from connecting_families.assessments.tables import Assessment
from connecting_families.audit.service import Actor
from connecting_families.audit.tables import AuditEvent
from connecting_families.consent.tables import Consent
from connecting_families.domain.dates import today
from connecting_families.families.retention import purge
from connecting_families.families.tables import Family

from access_world import World, build_world


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_world(app.state.accounts)


def consents_path(world: World, family: str = "own") -> str:
    return f"/api/v1/families/{world.families[family]}/consents"


async def add_member(
    client: httpx.AsyncClient, world: World, role: str = "adult", family: str = "own"
) -> int:
    """A new member of the family's household: their person id."""
    response = await client.post(
        f"/api/v1/families/{world.families[family]}/members",
        json={
            "role": role,
            "person": {
                "given_name": "Sam",
                "family_name": f"Consent{role}",
                "date_of_birth": "1985-04-01" if role == "adult" else "2009-04-01",
            },
        },
        headers=world.headers("kw_own"),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["person_id"])


def consent_body(person_id: int, **changes: object) -> dict[str, object]:
    return {
        "person_id": person_id,
        "given_on": "2014-01-06",
        "method": "in_person",
        "agencies": ["school", "health"],
        **changes,
    }


async def give_consent(client: httpx.AsyncClient, world: World, person_id: int) -> dict[str, int]:
    """Consent given by `person_id` to the "own" family: the API's answer."""
    given = await client.post(
        consents_path(world), json=consent_body(person_id), headers=world.headers("kw_own")
    )
    assert given.status_code == 201, given.text
    return dict(given.json())


async def actions(family_id: int) -> list[str]:
    rows = await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.resource_type == "family", AuditEvent.resource_id == str(family_id)
    )
    return [row["action"] for row in rows]


async def test_record_and_list_consent(client: httpx.AsyncClient, world: World) -> None:
    """Consent given by an adult is recorded as current and listed with what it covers."""
    adult = await add_member(client, world)
    kw = world.headers("kw_own")
    recorded = await client.post(consents_path(world), json=consent_body(adult), headers=kw)
    assert recorded.status_code == 201, recorded.text
    body = recorded.json()
    assert body["current"] is True
    assert body["person_id"] == adult
    assert body["agencies"] == ["school", "health"]
    assert body["recorded_by"] == "kw_own"
    listed = await client.get(consents_path(world), headers=kw)
    assert [c["id"] for c in listed.json()] == [body["id"]]


async def test_the_young_person_may_give_consent(client: httpx.AsyncClient, world: World) -> None:
    """A child of the household may give consent themself."""
    child = await add_member(client, world, role="child")
    recorded = await client.post(
        consents_path(world),
        json=consent_body(child, method="electronic", agencies=["police"]),
        headers=world.headers("kw_own"),
    )
    assert recorded.status_code == 201, recorded.text


async def test_consent_refused_names_every_problem(
    client: httpx.AsyncClient, world: World
) -> None:
    """A future date, an unknown method and no agencies are all refused at once, nothing saved."""
    adult = await add_member(client, world)
    future = (today() + dt.timedelta(days=2)).isoformat()
    refused = await client.post(
        consents_path(world),
        json=consent_body(adult, given_on=future, method="telepathy", agencies=[]),
        headers=world.headers("kw_own"),
    )
    assert refused.status_code == 422
    fields = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert set(fields) == {"given_on", "method", "agencies"}
    assert fields["agencies"] == "Select at least one kind of agency the consent covers"
    assert await Consent.count() == 0


async def test_consent_must_be_given_by_a_current_member(
    client: httpx.AsyncClient, world: World
) -> None:
    """A person of another household, or one who has left, cannot give the family's consent."""
    stranger = await add_member(client, world, family="shared")
    refused = await client.post(
        consents_path(world), json=consent_body(stranger), headers=world.headers("kw_own")
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "person_id"
    assert await Consent.count() == 0


async def test_withdraw_consent(client: httpx.AsyncClient, world: World) -> None:
    """Withdrawn, consent stays in the history, is no longer current, and cannot be withdrawn
    twice; a stale version is refused."""
    adult = await add_member(client, world)
    kw = world.headers("kw_own")
    consent = (
        await client.post(consents_path(world), json=consent_body(adult), headers=kw)
    ).json()
    path = f"{consents_path(world)}/{consent['id']}/withdraw"
    before_given = await client.post(
        path, json={"version": 1, "withdrawn_on": "2014-01-01"}, headers=kw
    )
    assert before_given.status_code == 422
    assert before_given.json()["errors"][0]["field"] == "withdrawn_on"
    withdrawal = {"version": 1, "withdrawn_on": "2014-02-01", "reason": "Changed her mind"}
    withdrawn = await client.post(path, json=withdrawal, headers=kw)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["current"] is False
    assert withdrawn.json()["withdrawn_on"] == "2014-02-01"
    assert withdrawn.json()["withdrawn_recorded_by"] == "kw_own"
    assert withdrawn.json()["version"] == 2
    stale = await client.post(path, json=withdrawal, headers=kw)
    assert stale.status_code == 409
    again = await client.post(path, json={**withdrawal, "version": 2}, headers=kw)
    assert again.status_code == 409
    assert "already been withdrawn" in again.json()["detail"]
    listed = (await client.get(consents_path(world), headers=kw)).json()
    assert [c["current"] for c in listed] == [False]


async def test_another_caseload_gets_not_found(client: httpx.AsyncClient, world: World) -> None:
    """Outside the caller's caseload the consents, and writing them, do not exist."""
    adult = await add_member(client, world)
    kw = world.headers("kw_own")
    consent = (
        await client.post(consents_path(world), json=consent_body(adult), headers=kw)
    ).json()
    other = world.headers("kw_other")
    assert (await client.get(consents_path(world), headers=other)).status_code == 404
    written = await client.post(consents_path(world), json=consent_body(adult), headers=other)
    assert written.status_code == 404
    withdraw = await client.post(
        f"{consents_path(world)}/{consent['id']}/withdraw",
        json={"version": 1, "withdrawn_on": "2014-02-01"},
        headers=other,
    )
    assert withdraw.status_code == 404
    # Another family's consent is not found through a family the caller may write.
    through_mine = await client.post(
        f"{consents_path(world, 'shared')}/{consent['id']}/withdraw",
        json={"version": 1, "withdrawn_on": "2014-02-01"},
        headers=kw,
    )
    assert through_mine.status_code == 404
    assert await Consent.count().where(Consent.withdrawn_on.is_not_null()) == 0


async def test_every_read_and_write_is_audited(client: httpx.AsyncClient, world: World) -> None:
    """Listing, recording and withdrawing each write an entry about the family; a refused
    read from another caseload is audited as refused."""
    adult = await add_member(client, world)
    family_id = world.families["own"]
    kw = world.headers("kw_own")
    consent = (
        await client.post(consents_path(world), json=consent_body(adult), headers=kw)
    ).json()
    await client.get(consents_path(world), headers=kw)
    await client.post(
        f"{consents_path(world)}/{consent['id']}/withdraw",
        json={"version": 1, "withdrawn_on": "2014-02-01"},
        headers=kw,
    )
    await client.get(consents_path(world), headers=world.headers("kw_other"))
    logged = await actions(family_id)
    for action in ("family.consent.create", "family.consents.read", "family.consent.withdraw"):
        assert action in logged
    created = (
        await AuditEvent.select(AuditEvent.detail)
        .where(AuditEvent.action == "family.consent.create")
        .first()
    )
    assert created is not None
    assert "consent_id" in str(created["detail"])
    refused = await AuditEvent.count().where(
        AuditEvent.resource_id == str(family_id), AuditEvent.allowed.eq(False)
    )
    assert refused == 1


async def test_consent_is_in_the_timeline(client: httpx.AsyncClient, world: World) -> None:
    """Consent given and withdrawn are both entries of the family's timeline, on their dates."""
    adult = await add_member(client, world)
    kw = world.headers("kw_own")
    consent = (
        await client.post(consents_path(world), json=consent_body(adult), headers=kw)
    ).json()
    await client.post(
        f"{consents_path(world)}/{consent['id']}/withdraw",
        json={"version": 1, "withdrawn_on": "2014-02-01"},
        headers=kw,
    )
    timeline = await client.get(f"/api/v1/families/{world.families['own']}/timeline", headers=kw)
    assert timeline.status_code == 200, timeline.text
    entries = [e for e in timeline.json() if e["kind"].startswith("consent")]
    assert [(e["kind"], e["on"]) for e in entries] == [
        ("consent_withdrawn", "2014-02-01"),
        ("consent_given", "2014-01-06"),
    ]
    assert entries[1]["details"] == {"how": "In person", "covers": "School or education, Health"}
    # As known before the withdrawal was recorded, only the consent given is there.
    withdrawn_at = entries[0]["recorded_at"]
    before = dt.datetime.fromisoformat(withdrawn_at) - dt.timedelta(microseconds=1)
    earlier = await client.get(
        f"/api/v1/families/{world.families['own']}/timeline",
        params={"known_at": before.isoformat()},
        headers=kw,
    )
    kinds = [e["kind"] for e in earlier.json() if e["kind"].startswith("consent")]
    assert kinds == ["consent_given"]


async def _started_assessment(client: httpx.AsyncClient, world: World) -> str:
    started = await client.post(
        f"/api/v1/families/{world.families['own']}/assessments",
        json={"started_on": "2014-01-06"},
        headers=world.headers("kw_own"),
    )
    assert started.status_code == 201, started.text
    return str(started.json()["assessment_ref"])


async def _complete(
    client: httpx.AsyncClient, world: World, ref: str, **extra: object
) -> httpx.Response:
    return await client.post(
        f"/api/v1/families/{world.families['own']}/assessments/{ref}/complete",
        json={"version": 1, "completed_on": "2014-01-20", **extra},
        headers=world.headers("kw_own"),
    )


async def _allow_without_consent(client: httpx.AsyncClient, world: World) -> None:
    pm = world.headers("pm")
    programme = (await client.get("/api/v1/programmes/P1", headers=pm)).json()
    assert programme["assessment_without_consent"] is False  # the default
    changed = await client.patch(
        "/api/v1/programmes/P1",
        json={"version": programme["version"], "assessment_without_consent": True},
        headers=pm,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["assessment_without_consent"] is True


async def test_an_assessment_cannot_be_completed_without_consent(
    client: httpx.AsyncClient, world: World
) -> None:
    """By default, completing the assessment of a family without current consent is refused
    in words that say what to do, and nothing changes."""
    ref = await _started_assessment(client, world)
    refused = await _complete(client, world, ref)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(
        "The family has no current consent to share information."
    )
    assert await Assessment.count().where(Assessment.assessment_ref == ref) == 1


async def test_an_assessment_completes_with_current_consent(
    client: httpx.AsyncClient, world: World
) -> None:
    """With current consent it completes; once consent is withdrawn, the next one cannot."""
    adult = await add_member(client, world)
    kw = world.headers("kw_own")
    consent = (
        await client.post(consents_path(world), json=consent_body(adult), headers=kw)
    ).json()
    ref = await _started_assessment(client, world)
    completed = await _complete(client, world, ref)
    assert completed.status_code == 200, completed.text
    await client.post(
        f"{consents_path(world)}/{consent['id']}/withdraw",
        json={"version": 1, "withdrawn_on": "2014-02-01"},
        headers=kw,
    )
    second = await _started_assessment(client, world)
    assert (await _complete(client, world, second)).status_code == 409


async def test_the_programme_may_allow_completion_without_consent_with_a_reason(
    client: httpx.AsyncClient, world: World
) -> None:
    """Where the programme allows it, a reason is needed, and it is recorded."""
    await _allow_without_consent(client, world)
    ref = await _started_assessment(client, world)
    no_reason = await _complete(client, world, ref, no_consent_reason="  ")
    assert no_reason.status_code == 422
    [error] = no_reason.json()["errors"]
    assert error["field"] == "no_consent_reason"
    assert error["message"] == "Enter why the assessment is completed without the family's consent"
    completed = await _complete(client, world, ref, no_consent_reason="Risk to the child")
    assert completed.status_code == 200, completed.text
    row = (
        await Assessment.select(Assessment.no_consent_reason)
        .where(Assessment.assessment_ref == ref, Assessment.superseded_at.is_null())
        .first()
    )
    assert row == {"no_consent_reason": "Risk to the child"}


async def test_a_purge_removes_the_reasons_written_about_consent(
    client: httpx.AsyncClient, world: World, app: Litestar
) -> None:
    """Retention clears the free text of consent: why it was withdrawn, and why an assessment
    was completed without it; the consent itself stays, as history."""
    adult = await add_member(client, world)
    consent = await give_consent(client, world, adult)
    await client.post(
        f"{consents_path(world)}/{consent['id']}/withdraw",
        json={"version": 1, "withdrawn_on": "2014-02-01", "reason": "Moved to Leeds"},
        headers=world.headers("kw_own"),
    )
    await _allow_without_consent(client, world)
    ref = await _started_assessment(client, world)
    await _complete(client, world, ref, no_consent_reason="Risk to the child")
    await Family.update({Family.status: "closed", Family.closed_on: dt.date(2014, 3, 1)}).where(
        Family.id == world.families["own"]
    )
    result = await purge(app.state.engine, Actor("dpo", "cli"), dt.date(2015, 1, 1), dry_run=False)
    assert result.texts["consent"] == 1
    assert await Consent.count().where(Consent.withdrawn_reason.is_not_null()) == 0
    assert await Assessment.count().where(Assessment.no_consent_reason.is_not_null()) == 0
    assert await Consent.count() == 1
