"""A closed family's record is what was closed: the API refuses changes to it (409, saying
to reopen it first, naming no family), and reopening it, which a closed case still takes,
works."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar

from connecting_families.families.scope import CLOSED_CASE

from access_world import World, build_world


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_world(app.state.accounts)


def family_path(world: World, name: str = "own") -> str:
    return f"/api/v1/families/{world.families[name]}"


async def change_status(client: httpx.AsyncClient, world: World, **body: object) -> httpx.Response:
    version = (await client.get(family_path(world), headers=world.headers("pm"))).json()["version"]
    return await client.post(
        family_path(world) + "/status",
        json={"version": version, **body},
        headers=world.headers("pm"),
    )


async def closed(client: httpx.AsyncClient, world: World) -> None:
    attached = await change_status(client, world, status="attached", on="2014-01-02")
    assert attached.status_code == 200, attached.text
    done = await change_status(
        client, world, status="closed", on="2014-03-01", reason="outcomes_met"
    )
    assert done.status_code == 200, done.text


async def test_a_note_on_a_closed_family_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """A note on a closed family is a 409 saying to reopen it, and is not kept."""
    await closed(client, world)
    note = {"occurred_on": "2014-03-02", "kind": "visit", "body": "Called in after closing"}
    path = family_path(world) + "/notes"
    refused = await client.post(path, json=note, headers=world.headers("kw_own"))
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == CLOSED_CASE
    assert str(world.families["own"]) not in refused.json()["detail"]
    notes = await client.get(path, headers=world.headers("kw_own"))
    assert notes.json() == [] or notes.json().get("items", []) == []


async def test_a_need_and_a_member_on_a_closed_family_are_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """A need, and a new household member, on a closed family are both refused with 409."""
    await closed(client, world)
    kw = world.headers("kw_own")
    need = await client.post(
        family_path(world) + "/needs",
        json={"headline": "education", "identified_on": "2014-03-02", "evidence": "Absent"},
        headers=kw,
    )
    assert need.status_code == 409, need.text
    person = {"given_name": "Ada", "family_name": "Late", "date_of_birth": "1980-01-01"}
    member = await client.post(
        family_path(world) + "/members", json={"role": "adult", "person": person}, headers=kw
    )
    assert member.status_code == 409, member.text


async def test_a_closed_family_outside_the_caseload_is_not_found(
    client: httpx.AsyncClient, world: World
) -> None:
    """Another key worker writing to a closed family gets 404, not the closed case's 409."""
    await closed(client, world)
    note = {"occurred_on": "2014-03-02", "kind": "visit", "body": "Not mine"}
    response = await client.post(
        family_path(world) + "/notes", json=note, headers=world.headers("kw_other")
    )
    assert response.status_code == 404


async def test_a_reopened_family_takes_notes_again(
    client: httpx.AsyncClient, world: World
) -> None:
    """Reopening is allowed on a closed family, and after it a note is accepted."""
    await closed(client, world)
    reopened = await change_status(client, world, status="reopened", on="2014-04-01")
    assert reopened.status_code == 200, reopened.text
    note = {"occurred_on": "2014-04-02", "kind": "visit", "body": "Back with us"}
    added = await client.post(
        family_path(world) + "/notes", json=note, headers=world.headers("kw_own")
    )
    assert added.status_code == 201, added.text
