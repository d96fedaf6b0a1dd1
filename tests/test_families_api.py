"""Families, members and allocation through the API, as key workers and managers use them."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json

import httpx
import pytest
from litestar import Litestar

from connecting_families.families.tables import FamilyStatusChange, Membership

from access_world import World, build_world


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_world(app.state.accounts)


async def create(client: httpx.AsyncClient, world: World, user: str, **body: object):
    payload = {"programme": "P1", "family_ref": "NEW-1", "identified_on": "2014-01-02", **body}
    return await client.post("/api/v1/families", json=payload, headers=world.headers(user))


async def test_key_worker_records_a_family_and_becomes_its_key_worker(
    client: httpx.AsyncClient, world: World
) -> None:
    """A family a key worker records is theirs: allocated, readable, in their list."""
    response = await create(client, world, "kw_own", postcode="pe1 1aa", ward="Central")
    assert response.status_code == 201
    family = response.json()
    assert family["key_worker"] == "kw_own"
    assert family["postcode"] == "PE1 1AA"
    assert (family["status"], family["version"]) == ("identified", 1)
    read = await client.get(f"/api/v1/families/{family['id']}", headers=world.headers("kw_own"))
    assert read.status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"identified_on": "2999-01-01"}, 422, "identified_on"),
        ({"family_ref": " padded "}, 400, "family_ref"),
        ({"programme": "P2"}, 422, "programme"),
        # Sixteen characters, but thirty-two once upper case ("SS"): too long to keep.
        ({"postcode": "ß" * 16}, 422, "postcode"),
        ({"status": "closed"}, 400, "status"),
        ({"id": 5}, 400, "id"),
    ],
)
async def test_bad_family_is_refused_naming_the_field(
    client: httpx.AsyncClient, world: World, body: dict[str, object], status: int, field: str
) -> None:
    """A future date, a padded ref, another programme, a postcode too long to keep or a
    server field is refused by name."""
    response = await create(client, world, "pm", **body)
    assert response.status_code == status
    assert field in response.text


async def test_duplicate_family_ref_is_a_conflict(client: httpx.AsyncClient, world: World) -> None:
    """The same reference twice in one programme is refused."""
    assert (await create(client, world, "pm")).status_code == 201
    again = await create(client, world, "pm")
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "family_ref"


async def test_unknown_and_out_of_range_ids(client: httpx.AsyncClient, world: World) -> None:
    """An id that does not exist is 404; one too large for the database is 400, not 500."""
    headers = world.headers("pm")
    assert (await client.get("/api/v1/families/999999", headers=headers)).status_code == 404
    for big in ("3000000000", "99999999999999999999999"):
        response = await client.get(f"/api/v1/families/{big}", headers=headers)
        assert response.status_code == 400, big
    response = await client.get("/api/v1/families", params={"team_id": "9" * 30}, headers=headers)
    assert response.status_code == 400


async def test_update_needs_the_current_version(client: httpx.AsyncClient, world: World) -> None:
    """An update names the version it read; a stale one is 409 with the current state."""
    path = f"/api/v1/families/{world.families['own']}"
    headers = world.headers("kw_own")
    first = await client.patch(path, json={"version": 1, "ward": "North"}, headers=headers)
    assert first.status_code == 200
    assert (first.json()["ward"], first.json()["version"]) == ("North", 2)
    stale = await client.patch(path, json={"version": 1, "ward": "South"}, headers=headers)
    assert stale.status_code == 409
    assert stale.json()["current"]["ward"] == "North"
    assert stale.json()["current"]["version"] == 2


async def status(client: httpx.AsyncClient, world: World, family: str, **body: object):
    path = f"/api/v1/families/{world.families[family]}"
    version = (await client.get(path, headers=world.headers("pm"))).json()["version"]
    return await client.post(
        f"{path}/status", json={"version": version, **body}, headers=world.headers("pm")
    )


async def test_lifecycle_and_re_referral(client: httpx.AsyncClient, world: World) -> None:
    """Attach, close with a reason, reopen: within 12 months of closing is a re-referral."""
    assert (
        await status(client, world, "own", status="attached", on="2013-03-01")
    ).status_code == 200
    no_reason = await status(client, world, "own", status="closed", on="2013-09-01")
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    early = await status(
        client, world, "own", status="closed", on="2013-02-01", reason="moved_away"
    )
    assert early.status_code == 422
    closed = await status(
        client, world, "own", status="closed", on="2013-09-01", reason="outcomes_met"
    )
    assert closed.json()["status"] == "closed"
    reopened = await status(client, world, "own", status="reopened", on="2014-05-01")
    assert reopened.json()["status"] == "attached"
    assert reopened.json()["closed_on"] is None
    history = (
        await FamilyStatusChange.select()
        .where(FamilyStatusChange.family == world.families["own"])
        .order_by(FamilyStatusChange.id)
    )
    assert [h["status"] for h in history] == ["attached", "closed", "reopened"]
    assert history[-1]["is_re_referral"] is True

    await status(client, world, "own", status="closed", on="2014-06-01", reason="disengaged")
    late = await status(client, world, "own", status="reopened", on="2015-07-01")
    assert late.status_code == 200
    last = (
        await FamilyStatusChange.select()
        .where(FamilyStatusChange.family == world.families["own"])
        .order_by(FamilyStatusChange.id, ascending=False)
        .first()
    )
    assert last is not None
    assert last["is_re_referral"] is False


async def test_list_filters_sorting_and_pages(client: httpx.AsyncClient, world: World) -> None:
    """Filters narrow the list; keyset pages in any sort return every family exactly once."""
    headers = world.headers("pm")
    for number, ward in enumerate(["North", "North", "South", "East", "North"]):
        await create(
            client, world, "pm", family_ref=f"LIST-{number}", ward=ward, postcode=f"PE{number} 1AA"
        )

    async def refs(**params: object) -> list[str]:
        response = await client.get("/api/v1/families", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [f["family_ref"] for f in response.json()["families"]]

    assert await refs(ward="North", sort="family_ref") == ["LIST-0", "LIST-1", "LIST-4"]
    assert await refs(postcode="pe3") == ["LIST-3"]
    assert await refs(key_worker="kw_own", sort="family_ref") == ["F-own", "F-shared"]
    assert await refs(programme="P1", q="list-2") == ["LIST-2"]

    seen: list[str] = []
    cursor = None
    while True:
        params = {"sort": "-family_ref", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/families", params=params, headers=headers)).json()
        seen += [f["family_ref"] for f in page["families"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == 9
    bad = await client.get("/api/v1/families", params={"cursor": "nonsense"}, headers=headers)
    assert bad.status_code == 422


async def test_text_search_finds_members_by_name(client: httpx.AsyncClient, world: World) -> None:
    """Searching for a member's name finds their household."""
    path = f"/api/v1/families/{world.families['own']}/members"
    person = {"given_name": "Zebedee", "family_name": "Quill", "date_of_birth": "2006-02-03"}
    await client.post(
        path, json={"role": "child", "person": person}, headers=world.headers("kw_own")
    )
    response = await client.get(
        "/api/v1/families", params={"q": "zebedee"}, headers=world.headers("kw_own")
    )
    assert [f["family_ref"] for f in response.json()["families"]] == ["F-own"]


async def test_members_duplicates_and_moves(client: httpx.AsyncClient, world: World) -> None:
    """A possible duplicate is offered instead of created; a person can move household."""
    own = f"/api/v1/families/{world.families['own']}"
    shared = f"/api/v1/families/{world.families['shared']}"
    headers = world.headers("kw_own")
    person = {
        "given_name": "Amy",
        "family_name": "Brook",
        "date_of_birth": "2005-05-05",
        "upn": "A12345678901B",
    }
    added = await client.post(
        f"{own}/members", json={"role": "child", "person": person}, headers=headers
    )
    assert added.status_code == 201
    person_id = added.json()["person_id"]

    same = {**person, "given_name": "AMY", "upn": None}
    duplicate = await client.post(
        f"{shared}/members", json={"role": "child", "person": same}, headers=headers
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["matches"][0]["person_id"] == person_id
    assert "name_and_date_of_birth" in duplicate.json()["matches"][0]["matched_on"]

    membership = added.json()["membership_id"]
    left = await client.post(
        f"{own}/members/{membership}/leave",
        json={"version": 1, "left_on": "2014-01-01"},
        headers=headers,
    )
    assert left.status_code == 200
    assert (left.json()["left_on"], left.json()["membership_version"]) == ("2014-01-01", 2)
    family = (await client.get(own, headers=headers)).json()
    [member] = [m for m in family["members"] if m["person_id"] == person_id]
    assert (member["given_name"], member["role"], member["left_on"]) == (
        "Amy",
        "child",
        "2014-01-01",
    )
    assert (member["current"], member["membership_version"]) == (False, 2)
    assert family["members"] == (await client.get(f"{own}/members", headers=headers)).json()
    stale = await client.post(
        f"{own}/members/{membership}/leave",
        json={"version": 1, "left_on": "2014-01-01"},
        headers=headers,
    )
    assert stale.status_code == 404  # that row is history now
    moved = await client.post(
        f"{shared}/members",
        json={"role": "child", "person_id": person_id, "joined_on": "2014-01-01"},
        headers=headers,
    )
    assert moved.status_code == 201
    rows = await Membership.select().where(Membership.person == person_id)
    assert len(rows) == 3  # joined, superseded by leaving, joined the new household
    assert sum(r["superseded_at"] is None for r in rows) == 2

    forced = await client.post(
        f"{shared}/members",
        json={"role": "child", "person": {**person, "upn": None}, "create_anyway": True},
        headers=headers,
    )
    assert forced.status_code == 201
    assert forced.json()["person_id"] != person_id


@pytest.mark.parametrize(
    ("person", "field"),
    [
        ({"upn": "123"}, "upn"),
        ({"ni_number": "XX12"}, "ni_number"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"given_name": ""}, "given_name"),
    ],
)
async def test_bad_person_is_refused(
    client: httpx.AsyncClient, world: World, person: dict[str, str], field: str
) -> None:
    """Impossible people (future birth, malformed identifiers, no name) name the field."""
    body = {"given_name": "Ben", "family_name": "Cole", "date_of_birth": "2004-01-01", **person}
    response = await client.post(
        f"/api/v1/families/{world.families['own']}/members",
        json={"role": "child", "person": body},
        headers=world.headers("kw_own"),
    )
    assert response.status_code in (400, 422)
    assert field in response.text


async def test_person_correction_needs_the_current_version(
    client: httpx.AsyncClient, world: World
) -> None:
    """Correcting a person bumps their version; a stale correction is 409."""
    own = f"/api/v1/families/{world.families['own']}"
    headers = world.headers("kw_own")
    person = {"given_name": "Cal", "family_name": "Dee", "date_of_birth": "2004-01-01"}
    added = (
        await client.post(
            f"{own}/members", json={"role": "adult", "person": person}, headers=headers
        )
    ).json()
    path = f"{own}/people/{added['person_id']}"
    ok = await client.patch(path, json={"version": 1, "given_name": "Callum"}, headers=headers)
    assert (ok.status_code, ok.json()["given_name"], ok.json()["person_version"]) == (
        200,
        "Callum",
        2,
    )
    stale = await client.patch(path, json={"version": 1, "given_name": "Cal"}, headers=headers)
    assert stale.status_code == 409
    elsewhere = f"/api/v1/families/{world.families['shared']}/people/{added['person_id']}"
    assert (await client.patch(elsewhere, json={"version": 2}, headers=headers)).status_code == 404


async def test_allocation_rules_and_history(client: httpx.AsyncClient, world: World) -> None:
    """A team manager allocates within the team; history keeps every allocation."""
    path = f"/api/v1/families/{world.families['own']}"
    tm = world.headers("tm")
    moved = await client.put(
        f"{path}/allocation", json={"key_worker": "kw_spare", "reason": "Capacity"}, headers=tm
    )
    assert moved.status_code == 200
    assert moved.json()["key_worker"] == "kw_spare"
    again = await client.put(f"{path}/allocation", json={"key_worker": "kw_spare"}, headers=tm)
    assert again.status_code == 409
    other_team = await client.put(
        f"{path}/allocation", json={"key_worker": "kw_other"}, headers=tm
    )
    assert other_team.status_code == 403
    not_worker = await client.put(f"{path}/allocation", json={"key_worker": "pm"}, headers=tm)
    assert not_worker.status_code == 422
    history = (await client.get(f"{path}/allocations", headers=tm)).json()
    assert [a["key_worker"] for a in history] == ["kw_own", "kw_spare"]
    assert history[0]["ended_at"] is not None
    assert history[1]["ended_at"] is None
    assert (await client.get(path, headers=world.headers("kw_own"))).status_code == 404


async def test_caseloads_count_families_and_open_needs(
    client: httpx.AsyncClient, world: World
) -> None:
    """A key worker sees their counts; a team manager sees the team's, weighted by open needs."""
    await client.post(
        f"/api/v1/families/{world.families['own']}/needs",
        json={"headline": "education", "identified_on": "2013-02-01"},
        headers=world.headers("kw_own"),
    )
    mine = (await client.get("/api/v1/caseload", headers=world.headers("kw_own"))).json()
    assert (mine["families"], mine["open_needs"]) == (2, 1)
    team_id = (await client.get("/api/v1/auth/me", headers=world.headers("tm"))).json()["team_id"]
    team = await client.get(f"/api/v1/teams/{team_id}/caseloads", headers=world.headers("tm"))
    loads = {w["username"]: (w["families"], w["open_needs"]) for w in team.json()["workers"]}
    assert loads == {"kw_own": (2, 1), "kw_spare": (0, 0)}
    other = await client.get(f"/api/v1/teams/{team_id + 1}/caseloads", headers=world.headers("tm"))
    assert other.status_code == 404
    assert (await client.get("/api/v1/caseload", headers=world.headers("tm"))).status_code == 403


async def test_dates_are_in_england(monkeypatch: pytest.MonkeyPatch) -> None:
    """'Today' is the date in England, not the server's UTC date."""
    from connecting_families.domain import dates

    class LateEvening(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return dt.datetime(2024, 7, 1, 23, 30, tzinfo=dt.UTC).astimezone(tz)

    monkeypatch.setattr(dates.dt, "datetime", LateEvening)
    assert dates.today() == dt.date(2024, 7, 2)


async def test_a_person_from_another_caseload_cannot_be_pulled_in(
    client: httpx.AsyncClient, world: World
) -> None:
    """Adding someone by id from a household you may not write reveals nothing: 404."""
    other = f"/api/v1/families/{world.families['other_team']}/members"
    person = {"given_name": "Di", "family_name": "Elm", "date_of_birth": "2003-03-03"}
    added = await client.post(
        other, json={"role": "child", "person": person}, headers=world.headers("kw_other")
    )
    person_id = added.json()["person_id"]
    own = f"/api/v1/families/{world.families['own']}/members"
    pulled = await client.post(
        own, json={"role": "child", "person_id": person_id}, headers=world.headers("kw_own")
    )
    assert pulled.status_code == 404
    assert "Elm" not in pulled.text


async def test_concurrent_updates_with_one_version_lose_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    """Three updates sent at once against version 1: one wins, the others get 409."""
    path = f"/api/v1/families/{world.families['own']}"
    headers = world.headers("kw_own")
    answers = await asyncio.gather(
        *(
            client.patch(path, json={"version": 1, "ward": ward}, headers=headers)
            for ward in ("A", "B", "C")
        )
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409]
    assert (await client.get(path, headers=headers)).json()["version"] == 2


@pytest.mark.parametrize(
    ("sort", "payload"),
    [
        ("id", ["x", 1]),
        ("id", [1, 2**40]),
        ("id", [2**40, 1]),
        ("family_ref", [5, 1]),
        ("family_ref", [[1], 1]),
        ("identified_on", ["not a date", 1]),
    ],
)
async def test_forged_cursors_are_refused(
    client: httpx.AsyncClient, world: World, sort: str, payload: list[object]
) -> None:
    """A cursor this list did not give out is a 422 on both databases, never a 500."""
    cursor = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    response = await client.get(
        "/api/v1/families", params={"sort": sort, "cursor": cursor}, headers=world.headers("pm")
    )
    assert response.status_code == 422


async def test_impossible_dates_are_refused(client: httpx.AsyncClient, world: World) -> None:
    """A date before 1900, or identification after closure, is refused by name."""
    ancient = await create(client, world, "pm", identified_on="0001-01-01")
    assert ancient.status_code == 422
    path = f"/api/v1/families/{world.families['unallocated']}"
    closed = await status(
        client, world, "unallocated", status="closed", on="2013-02-01", reason="declined"
    )
    assert closed.status_code == 200
    moved = await client.patch(
        path, json={"version": 2, "identified_on": "2013-06-01"}, headers=world.headers("pm")
    )
    assert moved.status_code == 422
