"""Find a family: by name, reference, date of birth or postcode, within the caller's scope only,
audited as the list of the families shown, and with nothing typed in an address or a log."""

from __future__ import annotations

import datetime as dt
import json
import logging

import httpx
import pytest
from litestar import Litestar
from test_pages import post_form, sign_in, text_of

from connecting_families.audit.tables import AuditEvent
from connecting_families.families.tables import Family, Membership, Person

from access_world import World
from page_world import build_page_world


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    world = await build_page_world(client, app.state.accounts)
    # Another caseload's family (kw_other's) with a person of the same name as FAM-1's Amy.
    other = world.families["other_team"]
    family = await Family.select(Family.programme).where(Family.id == other).first()
    assert family is not None
    person = await Person.insert(
        Person(
            programme=family["programme"],
            person_ref="X9",
            given_name="Amy",
            family_name="Smith",
            date_of_birth=dt.date(2005, 4, 1),
        )
    ).returning(Person.id)
    await Membership.insert(
        Membership(
            programme=family["programme"], person=person[0]["id"], family=other, role="child"
        )
    )
    await Family.update({Family.postcode: "PE1 9ZZ"}).where(Family.id == other)
    return world


async def search(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    response = await post_form(client, "/families/search", fields)
    assert response.status_code in (200, 422), response.text
    return response


def found_refs(html: str) -> list[str]:
    words = text_of(html)
    return [ref for ref in ("FAM-1", "FAM-2", "F-other_team", "F-own") if f" {ref} " in words]


async def last_listing() -> list[int]:
    entry = (
        await AuditEvent.select(AuditEvent.detail)
        .where(AuditEvent.action == "family.list")
        .order_by(AuditEvent.id, ascending=False)
        .first()
    )
    assert entry is not None
    detail = entry["detail"]
    return list((json.loads(detail) if isinstance(detail, str) else detail)["families"])


async def test_a_key_worker_finds_a_family_by_each_criterion(
    client: httpx.AsyncClient, world: World
) -> None:
    """Name, family ref, person ref, date of birth and postcode each find FAM-1 and show its
    people by name and age, its key worker and status."""
    await sign_in(client, "kw_own")
    for fields in (
        {"name": "amy smith"},
        {"name": "Cara"},
        {"ref": "fam-1"},
        {"ref": "C1"},
        {"date_of_birth-day": "1", "date_of_birth-month": "4", "date_of_birth-year": "2005"},
        {"postcode": "pe1"},
    ):
        response = await search(client, **fields)
        assert found_refs(response.text) == ["FAM-1"], fields
        words = text_of(response.text)
        for shown in ("Amy Smith, aged", "Ben Smith, aged", "kw_own", "Attached"):
            assert shown in words, fields


async def test_the_parts_of_a_search_must_all_match(
    client: httpx.AsyncClient, world: World
) -> None:
    """A name with someone else's date of birth finds nothing."""
    await sign_in(client, "kw_own")
    response = await search(
        client,
        name="Amy",
        **{"date_of_birth-day": "2", "date_of_birth-month": "2", "date_of_birth-year": "1980"},
    )
    assert found_refs(response.text) == []
    assert "No families found" in response.text


async def test_a_search_never_shows_another_caseloads_family(
    client: httpx.AsyncClient, world: World
) -> None:
    """kw_own's search for Amy Smith finds FAM-1 only, though kw_other's family has an Amy
    Smith born the same day; the audit entry lists exactly the family shown."""
    await sign_in(client, "kw_own")
    response = await search(client, name="Amy Smith")
    assert found_refs(response.text) == ["FAM-1"]
    assert "X9" not in response.text
    assert await last_listing() == [world.families["fam1"]]
    response = await search(client, postcode="PE1")
    assert found_refs(response.text) == ["FAM-1"]
    assert await last_listing() == [world.families["fam1"]]


async def test_another_key_worker_finds_only_their_own(
    client: httpx.AsyncClient, world: World
) -> None:
    """kw_other finds their own Amy Smith, and not FAM-1's."""
    await sign_in(client, "kw_other")
    response = await search(client, name="smith")
    assert found_refs(response.text) == ["F-other_team"]
    assert await last_listing() == [world.families["other_team"]]


async def test_a_team_manager_finds_the_unallocated_family_too(
    client: httpx.AsyncClient, world: World
) -> None:
    """A team manager's scope holds unallocated families: Dan Jones's FAM-2 is found."""
    await sign_in(client, "tm")
    response = await search(client, name="Dan")
    assert found_refs(response.text) == ["FAM-2"]
    assert "Not allocated" in text_of(response.text)


async def test_an_empty_or_wrong_search_says_what_to_do(
    client: httpx.AsyncClient, world: World
) -> None:
    """Nothing typed asks for something; a date that is not real says so; nothing is listed."""
    await sign_in(client, "kw_own")
    listed = await AuditEvent.count().where(AuditEvent.action == "family.list")
    empty = await search(client)
    assert empty.status_code == 422
    assert "Enter a name, reference, date of birth or postcode" in empty.text
    wrong = await search(
        client,
        **{"date_of_birth-day": "31", "date_of_birth-month": "2", "date_of_birth-year": "2005"},
    )
    assert wrong.status_code == 422
    assert "Date of birth must be a real date" in wrong.text
    assert 'value="31"' in wrong.text
    assert await AuditEvent.count().where(AuditEvent.action == "family.list") == listed


async def test_a_name_searched_is_in_no_address_or_log(
    client: httpx.AsyncClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The search is a form post answered by the results themselves: no redirect, nothing
    in the address, and the request log names only the route."""
    await sign_in(client, "kw_own")
    caplog.set_level(logging.DEBUG)
    response = await search(client, name="Amelia Zebedee")
    assert response.status_code == 200
    assert not response.history  # answered directly, not redirected
    assert "Zebedee" not in str(response.url)
    assert "Zebedee" not in caplog.text
    routes = [getattr(r, "route", None) for r in caplog.records]
    assert "/families/search" in routes
    form = (await client.get("/families/search")).text
    assert 'method="post" action="/families/search"' in form


async def test_the_service_navigation_offers_find_a_family(
    client: httpx.AsyncClient, world: World
) -> None:
    """Key workers and team managers have "Find a family" in the navigation; an auditor not."""
    for user, shown in (("kw_own", True), ("tm", True), ("auditor", False)):
        client.cookies.clear()
        await sign_in(client, user)
        home = await client.get("/programmes" if user == "auditor" else "/families/search")
        assert ('href="/families/search"' in home.text) is shown, user
