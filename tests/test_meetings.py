"""Family meetings through the API: recording and listing them, what is refused, scope,
audit, a closed family, the timeline and the summary's next meeting, and retention."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from litestar import Litestar

from connecting_families.audit.service import Actor
from connecting_families.audit.tables import AuditEvent
from connecting_families.domain.dates import today
from connecting_families.families.retention import REMOVED_TEXT, purge
from connecting_families.families.scope import CLOSED_CASE
from connecting_families.families.tables import Family
from connecting_families.meetings.service import next_meeting_of
from connecting_families.meetings.tables import FamilyMeeting

from access_world import World, build_world


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_world(app.state.accounts)


def meetings_path(world: World, family: str = "own") -> str:
    return f"/api/v1/families/{world.families[family]}/meetings"


def meeting_body(**changes: object) -> dict[str, object]:
    return {
        "kind": "fgdm",
        "held_on": "2014-02-03",
        "attendees": "Mum, Nan, Uncle Dev, the school's family worker",
        "agreed_plan": "Nan takes Jay to school on Mondays and Tuesdays.",
        "next_on": "2014-03-03",
        **changes,
    }


async def add_member(client: httpx.AsyncClient, world: World, family: str = "own") -> int:
    """A new adult in the family's household: their person id."""
    response = await client.post(
        f"/api/v1/families/{world.families[family]}/members",
        json={
            "role": "adult",
            "person": {
                "given_name": "Sam",
                "family_name": "Meeting",
                "date_of_birth": "1985-04-01",
            },
        },
        headers=world.headers("kw_own" if family != "other_team" else "kw_other"),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["person_id"])


async def test_record_and_list_meetings(client: httpx.AsyncClient, world: World) -> None:
    """A meeting is recorded as typed, and listed with others, the most recently held first."""
    kw = world.headers("kw_own")
    adult = await add_member(client, world)
    first = await client.post(
        meetings_path(world), json=meeting_body(members_present=[adult]), headers=kw
    )
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["kind"] == "fgdm"
    assert body["kind_name"] == "Family group decision-making meeting"
    assert body["members_present"] == [adult]
    assert body["next_on"] == "2014-03-03"
    assert body["recorded_by"] == "kw_own"
    later = meeting_body(kind="family_network", held_on="2014-03-03", next_on=None)
    second = await client.post(meetings_path(world), json=later, headers=kw)
    assert second.status_code == 201, second.text
    assert second.json()["next_on"] is None
    assert second.json()["members_present"] == []
    listed = await client.get(meetings_path(world), headers=kw)
    assert listed.status_code == 200
    assert [m["id"] for m in listed.json()] == [second.json()["id"], body["id"]]


async def test_a_refused_meeting_names_every_problem(
    client: httpx.AsyncClient, world: World
) -> None:
    """An unknown kind, a future date, blank text and a next meeting before it are all named
    at once, and nothing is saved."""
    future = (today() + dt.timedelta(days=2)).isoformat()
    refused = await client.post(
        meetings_path(world),
        json=meeting_body(kind="case_conference", held_on=future, attendees=" ", agreed_plan=""),
        headers=world.headers("kw_own"),
    )
    assert refused.status_code == 422
    fields = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert fields == {
        "kind": "must be one of fgdm, family_network",
        "held_on": "must not be in the future",
        "attendees": "must not be empty",
        "agreed_plan": "must not be empty",
        "next_on": "must be the same as or after the date of the meeting",
    }
    assert await FamilyMeeting.count() == 0


async def test_members_present_must_be_of_the_household(
    client: httpx.AsyncClient, world: World
) -> None:
    """A person of another household cannot be among those who came."""
    stranger = await add_member(client, world, family="shared")
    refused = await client.post(
        meetings_path(world),
        json=meeting_body(members_present=[stranger]),
        headers=world.headers("kw_own"),
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "members_present",
            "message": "Select only people who are members of the household",
        }
    ]
    assert await FamilyMeeting.count() == 0


async def test_a_body_of_the_wrong_shape_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """A field missing or unknown is refused as a bad request naming it, never a 500."""
    body = meeting_body()
    del body["agreed_plan"]
    missing = await client.post(meetings_path(world), json=body, headers=world.headers("kw_own"))
    assert missing.status_code == 400
    assert "agreed_plan" in missing.text
    unknown = await client.post(
        meetings_path(world), json=meeting_body(minutes="…"), headers=world.headers("kw_own")
    )
    assert unknown.status_code == 400
    assert "minutes" in unknown.text
    assert await FamilyMeeting.count() == 0


async def test_another_caseload_gets_not_found(client: httpx.AsyncClient, world: World) -> None:
    """Outside the caller's caseload the meetings, and recording one, do not exist."""
    other = world.headers("kw_other")
    await client.post(meetings_path(world), json=meeting_body(), headers=world.headers("kw_own"))
    assert (await client.get(meetings_path(world), headers=other)).status_code == 404
    written = await client.post(meetings_path(world), json=meeting_body(), headers=other)
    assert written.status_code == 404
    assert await FamilyMeeting.count() == 1


async def test_the_auditor_reads_but_never_writes(client: httpx.AsyncClient, world: World) -> None:
    """An auditor sees the meetings of their programme's families and cannot record one."""
    await client.post(meetings_path(world), json=meeting_body(), headers=world.headers("kw_own"))
    auditor = world.headers("auditor")
    read = await client.get(meetings_path(world), headers=auditor)
    assert read.status_code == 200
    assert len(read.json()) == 1
    written = await client.post(meetings_path(world), json=meeting_body(), headers=auditor)
    assert written.status_code in (403, 404)
    assert await FamilyMeeting.count() == 1


async def test_every_read_and_write_is_audited(client: httpx.AsyncClient, world: World) -> None:
    """Recording and listing each write an entry about the family; a refused read from
    another caseload is audited as refused."""
    family_id = world.families["own"]
    kw = world.headers("kw_own")
    created = await client.post(meetings_path(world), json=meeting_body(), headers=kw)
    await client.get(meetings_path(world), headers=kw)
    await client.get(meetings_path(world), headers=world.headers("kw_other"))
    rows = await AuditEvent.select(AuditEvent.action, AuditEvent.detail, AuditEvent.allowed).where(
        AuditEvent.resource_type == "family", AuditEvent.resource_id == str(family_id)
    )
    actions = [row["action"] for row in rows]
    assert "family.meeting.create" in actions
    assert "family.meetings.read" in actions
    [create] = [row for row in rows if row["action"] == "family.meeting.create"]
    assert str(created.json()["id"]) in str(create["detail"])
    assert len([row for row in rows if not row["allowed"]]) == 1


async def test_a_closed_family_takes_no_meeting(client: httpx.AsyncClient, world: World) -> None:
    """A meeting for a closed family is a 409 saying to reopen it, and is not kept."""
    await Family.update({Family.status: "closed", Family.closed_on: dt.date(2014, 3, 1)}).where(
        Family.id == world.families["own"]
    )
    refused = await client.post(
        meetings_path(world), json=meeting_body(), headers=world.headers("kw_own")
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == CLOSED_CASE
    assert await FamilyMeeting.count() == 0


async def test_meetings_are_in_the_timeline(client: httpx.AsyncClient, world: World) -> None:
    """Each meeting is an entry of the family's timeline on the day it was held, with the
    next meeting's date; as known before it was recorded, it is not there."""
    kw = world.headers("kw_own")
    recorded = await client.post(meetings_path(world), json=meeting_body(), headers=kw)
    timeline = await client.get(f"/api/v1/families/{world.families['own']}/timeline", headers=kw)
    assert timeline.status_code == 200, timeline.text
    [entry] = [e for e in timeline.json() if e["kind"].endswith("_meeting")]
    assert entry["kind"] == "fgdm_meeting"
    assert entry["on"] == "2014-02-03"
    assert entry["details"] == {"next_meeting": "2014-03-03"}
    before = dt.datetime.fromisoformat(recorded.json()["recorded_at"]) - dt.timedelta(seconds=1)
    earlier = await client.get(
        f"/api/v1/families/{world.families['own']}/timeline",
        params={"known_at": before.isoformat()},
        headers=kw,
    )
    assert not [e for e in earlier.json() if e["kind"].endswith("_meeting")]


async def test_the_next_meeting_is_the_latest_meetings_while_to_come(
    client: httpx.AsyncClient, world: World
) -> None:
    """The next meeting is what the latest meeting arranged, and only while it is to come."""
    kw = world.headers("kw_own")
    family_id = world.families["own"]
    assert await next_meeting_of(family_id, dt.date(2014, 2, 10)) is None
    await client.post(meetings_path(world), json=meeting_body(), headers=kw)
    assert await next_meeting_of(family_id, dt.date(2014, 2, 10)) == dt.date(2014, 3, 3)
    assert await next_meeting_of(family_id, dt.date(2014, 3, 3)) == dt.date(2014, 3, 3)
    assert await next_meeting_of(family_id, dt.date(2014, 3, 4)) is None
    # A later meeting that arranged none replaces what the first arranged.
    later = meeting_body(held_on="2014-02-20", next_on=None)
    await client.post(meetings_path(world), json=later, headers=kw)
    assert await next_meeting_of(family_id, dt.date(2014, 2, 21)) is None


async def test_a_purge_removes_what_was_written_about_a_meeting(
    client: httpx.AsyncClient, world: World, app: Litestar
) -> None:
    """Retention clears who came and the plan agreed; the meeting itself stays, as history."""
    await client.post(meetings_path(world), json=meeting_body(), headers=world.headers("kw_own"))
    await Family.update({Family.status: "closed", Family.closed_on: dt.date(2014, 3, 1)}).where(
        Family.id == world.families["own"]
    )
    result = await purge(app.state.engine, Actor("dpo", "cli"), dt.date(2015, 1, 1), dry_run=False)
    assert result.texts["family_meeting"] == 1
    row = await FamilyMeeting.select(FamilyMeeting.attendees, FamilyMeeting.agreed_plan).first()
    assert row == {"attendees": REMOVED_TEXT, "agreed_plan": REMOVED_TEXT}
