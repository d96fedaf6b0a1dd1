"""The caseload and the family summary read kept verdicts, and never show a stale one as current.

A kept verdict is planted wrong ("Not yet turned around" for FAM-1, which is turned around):
while nothing has changed the pages show the planted one, which proves they read what is kept;
after a note, a household change, an import, a change to the programme's rule set
configuration or a new judging day, they must show FAM-1's true result instead.
"""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from litestar import Litestar

from connecting_families.domain.dates import today
from connecting_families.evaluation.tables import KeptVerdict
from connecting_families.programmes.tables import Programme

from access_world import World
from page_world import PASSWORD, build_page_world, offend_recently

TRUE = "Turned around"
PLANTED = "Not yet turned around"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    world = await build_page_world(client, app.state.accounts)
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={
            "username": "kw_own",
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": str(client.cookies["csrftoken"]),
        },
    )
    assert response.status_code in (302, 303), response.text
    return world


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def caseload_row(client: httpx.AsyncClient) -> str:
    """FAM-1's row of the caseload, in words."""
    response = await client.get("/caseload")
    assert response.status_code == 200, response.text
    words = text_of(response.text)
    row = words[words.index("FAM-1") :]
    return row[: row.index("FAM-", 1)] if "FAM-" in row[1:] else row


def result_of(row: str) -> str:
    """The result badge's words in a caseload row or on a summary page."""
    for words in (PLANTED, "Not evaluated", "Not eligible", "No verdict", TRUE):
        if words in row:
            return words
    raise AssertionError(f"no result in {row!r}")


async def plant_wrong(world: World) -> None:
    """Make every kept verdict of FAM-1 say it is not yet turned around (it is)."""
    changed = await KeptVerdict.update(
        {KeptVerdict.evaluated: True, KeptVerdict.eligible: True, KeptVerdict.turned_around: False}
    ).where(KeptVerdict.family == world.families["fam1"])
    assert changed is not None


async def kept_and_planted(client: httpx.AsyncClient, world: World) -> None:
    """View the caseload (which keeps FAM-1's verdict), plant it wrong, and check the page now
    shows the planted one: the page reads the kept verdict while nothing has changed."""
    assert result_of(await caseload_row(client)) == TRUE
    assert await KeptVerdict.count().where(KeptVerdict.family == world.families["fam1"]) == 1
    await plant_wrong(world)
    assert result_of(await caseload_row(client)) == PLANTED


async def test_the_caseload_keeps_each_verdict_it_judges(
    client: httpx.AsyncClient, world: World
) -> None:
    """A caseload view keeps the verdicts it judged, at today's date and the evidence version."""
    await caseload_row(client)
    kept = await KeptVerdict.select().where(KeptVerdict.family == world.families["fam1"])
    programme = (
        await Programme.select(Programme.evidence_version).where(Programme.code == "P1").first()
    )
    assert programme is not None
    assert [(row["as_of"], row["evidence_version"]) for row in kept] == [
        (today(), programme["evidence_version"])
    ]
    assert kept[0]["turned_around"]


async def test_a_note_makes_the_kept_verdict_stale(
    client: httpx.AsyncClient, world: World
) -> None:
    """After a note is added, the caseload judges the family again rather than show the kept."""
    await kept_and_planted(client, world)
    note = await client.post(
        f"/api/v1/families/{world.families['fam1']}/notes",
        json={
            "occurred_on": today().isoformat(),
            "kind": "visit",
            "attendees": "Cara",
            "body": "Visited at home.",
        },
        headers=world.headers("kw_own"),
    )
    assert note.status_code == 201, note.text
    assert result_of(await caseload_row(client)) == TRUE


async def test_a_household_change_makes_the_kept_verdict_stale(
    client: httpx.AsyncClient, world: World
) -> None:
    """After a member joins the household, the caseload judges the family again."""
    await kept_and_planted(client, world)
    person = {"given_name": "Dora", "family_name": "Smith", "date_of_birth": "2012-03-04"}
    joined = await client.post(
        f"/api/v1/families/{world.families['fam1']}/members",
        json={"role": "child", "person": person},
        headers=world.headers("kw_own"),
    )
    assert joined.status_code == 201, joined.text
    row = await caseload_row(client)
    assert result_of(row) == TRUE
    assert "Dora Smith" in row


async def test_an_import_shows_the_new_result_not_the_kept_one(
    client: httpx.AsyncClient, world: World
) -> None:
    """Imported offences turn FAM-1's result round, and the caseload shows the new result."""
    assert result_of(await caseload_row(client)) == TRUE
    await offend_recently(client, world)
    assert result_of(await caseload_row(client)) == PLANTED  # judged again: truly not yet


async def test_an_import_of_another_family_makes_the_kept_verdict_stale(
    client: httpx.AsyncClient, world: World
) -> None:
    """Any import into the programme moves its evidence on: kept verdicts are judged again."""
    await kept_and_planted(client, world)
    response = await client.post(
        "/api/v1/programmes/P1/imports/offences",
        content=b"person_ref,offence_ref,offence_date\nD1,OF-9,2013-01-01\n",
        headers={**world.headers("pm"), "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert result_of(await caseload_row(client)) == TRUE


async def test_a_new_judging_day_makes_the_kept_verdict_stale(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tomorrow, today's kept verdict is not shown: the family is judged on the new day."""
    await kept_and_planted(client, world)
    tomorrow = today() + dt.timedelta(days=1)
    monkeypatch.setattr("connecting_families.web.family_pages.today", lambda: tomorrow)
    assert result_of(await caseload_row(client)) == TRUE
    days = await KeptVerdict.select(KeptVerdict.as_of).where(
        KeptVerdict.family == world.families["fam1"]
    )
    assert sorted(row["as_of"] for row in days) == [today(), tomorrow]


async def test_the_programme_ending_makes_the_kept_verdict_stale(
    client: httpx.AsyncClient, world: World
) -> None:
    """Once the programme has ended its families are judged on its last day, not from today's."""
    await kept_and_planted(client, world)
    await Programme.update({Programme.ends_on: today() - dt.timedelta(days=1)}).where(
        Programme.code == "P1"
    )
    assert result_of(await caseload_row(client)) == TRUE


async def test_a_rule_set_configuration_change_makes_the_kept_verdict_stale(
    client: httpx.AsyncClient, world: World
) -> None:
    """A programme's new configuration of its rule set judges its families again."""
    await kept_and_planted(client, world)
    programme = await client.get("/api/v1/programmes/P1", headers=world.headers("admin"))
    assert programme.status_code == 200, programme.text
    changed = await client.patch(
        "/api/v1/programmes/P1",
        json={"version": programme.json()["version"], "name": "Programme one, renamed"},
        headers=world.headers("admin"),
    )
    assert changed.status_code == 200, changed.text
    assert result_of(await caseload_row(client)) == TRUE


async def test_the_summary_page_reads_the_kept_verdict_until_a_change(
    client: httpx.AsyncClient, world: World
) -> None:
    """The family summary shows the kept result while nothing changed, and the true one after
    a note."""
    summary = f"/families/{world.families['fam1']}"
    assert result_of(text_of((await client.get(summary)).text)) == TRUE
    await plant_wrong(world)
    assert result_of(text_of((await client.get(summary)).text)) == PLANTED
    note = await client.post(
        f"/api/v1/families/{world.families['fam1']}/notes",
        json={
            "occurred_on": today().isoformat(),
            "kind": "phone",
            "attendees": "Cara",
            "body": "Rang Cara.",
        },
        headers=world.headers("kw_own"),
    )
    assert note.status_code == 201, note.text
    assert result_of(text_of((await client.get(summary)).text)) == TRUE


async def test_the_caseload_still_shows_names_and_what_is_due(
    client: httpx.AsyncClient, world: World
) -> None:
    """Read from kept verdicts, a row still has the people by name and age, the status, the
    next review and the result."""
    await caseload_row(client)
    row = await caseload_row(client)
    for words in ("Amy Smith, aged", "Ben Smith, aged", "Cara Smith, aged", "15 May 2013"):
        assert words in row
    assert result_of(row) == TRUE
