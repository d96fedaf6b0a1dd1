"""A key worker's view of evidence: recording one item, the timeline, as known at."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from litestar import Litestar

from connecting_families.families.tables import Family

from access_world import World, build_world
from import_cases import CASES, FAMILIES, PEOPLE

CSV = {"Content-Type": "text/csv"}


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    world = await build_world(app.state.accounts)
    for kind, text in (("families", FAMILIES), ("people", PEOPLE)):
        response = await client.post(
            f"/api/v1/programmes/P1/imports/{kind}",
            content=text.encode(),
            headers={**world.headers("pm"), **CSV},
        )
        assert response.status_code == 200, response.text
    row = await Family.select(Family.id).where(Family.family_ref == "FAM-1").first()
    assert row is not None
    world.families["fam1"] = row["id"]  # allocated to kw_own by the import
    return world


def evidence_url(world: World, kind: str = "", family: str = "fam1") -> str:
    return f"/api/v1/families/{world.families[family]}/evidence" + (f"/{kind}" if kind else "")


async def test_a_key_worker_records_corrects_and_repeats_an_item(
    client: httpx.AsyncClient, world: World
) -> None:
    """New: 201 inserted; the same again: 200 unchanged; changed: 201 superseded, version 2."""
    headers = world.headers("kw_own")
    item = {
        "person_ref": "C1",
        "asb_ref": "ASB-9",
        "incident_date": "2013-05-01",
        "kind": "incident",
    }
    first = await client.post(evidence_url(world, "asb"), json=item, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["outcome"] == "inserted"
    assert first.json()["record"]["version"] == 1
    again = await client.post(evidence_url(world, "asb"), json=item, headers=headers)
    assert (again.status_code, again.json()["outcome"]) == (200, "unchanged")
    changed = await client.post(
        evidence_url(world, "asb"), json={**item, "kind": "intervention"}, headers=headers
    )
    assert (changed.status_code, changed.json()["outcome"]) == (201, "superseded")
    assert (changed.json()["record"]["kind"], changed.json()["record"]["version"]) == (
        "intervention",
        2,
    )


async def test_a_household_item_needs_no_person(client: httpx.AsyncClient, world: World) -> None:
    """Without a person, an ASB item is the household's, of the family in the path."""
    response = await client.post(
        evidence_url(world, "asb"),
        json={"asb_ref": "ASB-H", "incident_date": "2013-05-01", "kind": "incident"},
        headers=world.headers("kw_own"),
    )
    assert response.status_code == 201, response.text
    record = response.json()["record"]
    assert (record["family"], record["person"]) == (world.families["fam1"], None)


async def test_items_are_validated_like_file_rows(client: httpx.AsyncClient, world: World) -> None:
    """Each bad field is named; a person of another household is refused."""
    headers = world.headers("kw_own")
    response = await client.post(
        evidence_url(world, "employment"),
        json={"person_ref": "A1", "start_date": "2013-02-30", "hours_per_week": 200},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "start_date", "message": "is not a real date"},
        {"field": "hours_per_week", "message": "is not a number of hours from 0 to 168"},
    ]
    other_household = await client.post(
        evidence_url(world, "employment"),
        json={"person_ref": "D1", "start_date": "2013-02-01"},
        headers=headers,
    )
    assert other_household.status_code == 422
    assert other_household.json()["errors"] == [
        {"field": "person_ref", "message": "is not a member of this family"}
    ]
    unknown = await client.post(
        evidence_url(world, "employment"), json={"salary": 1}, headers=headers
    )
    assert unknown.json()["errors"] == [
        {"field": "salary", "message": "is not a field of this kind"}
    ]
    no_kind = await client.post(evidence_url(world, "shoes"), json={}, headers=headers)
    assert no_kind.status_code == 404


async def test_another_caseload_cannot_record(client: httpx.AsyncClient, world: World) -> None:
    """A key worker of another team gets 404 and nothing is written."""
    response = await client.post(
        evidence_url(world, "asb"),
        json={"asb_ref": "ASB-X", "incident_date": "2013-05-01", "kind": "incident"},
        headers=world.headers("kw_other"),
    )
    assert response.status_code == 404
    listed = await client.get(evidence_url(world), headers=world.headers("kw_own"))
    assert listed.json()["asb"] == []


async def test_the_timeline_merges_everything_newest_first(
    client: httpx.AsyncClient, world: World
) -> None:
    """Imported evidence, an assessment, a need and a note, each at its own date."""
    for kind in ("attendance", "offences", "assessments", "needs"):
        response = await client.post(
            f"/api/v1/programmes/P1/imports/{kind}",
            content=CASES[kind].text().encode(),
            headers={**world.headers("pm"), **CSV},
        )
        assert response.status_code == 200, response.text
    note = await client.post(
        f"/api/v1/families/{world.families['fam1']}/notes",
        json={"kind": "visit", "occurred_on": "2013-04-02", "body": "Home visit"},
        headers=world.headers("kw_own"),
    )
    assert note.status_code == 201, note.text
    timeline = await client.get(
        f"/api/v1/families/{world.families['fam1']}/timeline", headers=world.headers("kw_own")
    )
    assert timeline.status_code == 200
    entries = timeline.json()
    dates = [entry["on"] for entry in entries]
    assert dates == sorted(dates, reverse=True)
    kinds = {entry["kind"] for entry in entries}
    assert kinds == {"attendance", "offences", "assessments", "needs", "note"}
    # FAM-2's assessment is not FAM-1's.
    assert sum(entry["kind"] == "assessments" for entry in entries) == 1
    visit = next(entry for entry in entries if entry["kind"] == "note")
    assert (visit["on"], visit["details"]["body"]) == ("2013-04-02", "Home visit")


async def test_the_timeline_as_known_at_an_earlier_instant(
    client: httpx.AsyncClient, world: World
) -> None:
    """A correction made later does not show in the timeline as known before it."""
    headers = world.headers("kw_own")
    item = {
        "person_ref": "C1",
        "asb_ref": "ASB-7",
        "incident_date": "2013-05-01",
        "kind": "incident",
    }
    await client.post(evidence_url(world, "asb"), json=item, headers=headers)
    await asyncio.sleep(0.01)
    between = dt.datetime.now(dt.UTC).isoformat()
    await asyncio.sleep(0.01)
    await client.post(
        evidence_url(world, "asb"), json={**item, "incident_date": "2013-06-01"}, headers=headers
    )
    url = f"/api/v1/families/{world.families['fam1']}/timeline"
    then = (await client.get(url, params={"known_at": between}, headers=headers)).json()
    now = (await client.get(url, headers=headers)).json()
    assert [e["on"] for e in then if e["kind"] == "asb"] == ["2013-05-01"]
    assert [e["on"] for e in now if e["kind"] == "asb"] == ["2013-06-01"]
    listed = await client.get(
        evidence_url(world), params={"known_at": between, "kind": "asb"}, headers=headers
    )
    assert [row["version"] for row in listed.json()["asb"]] == [1]
