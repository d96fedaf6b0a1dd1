"""Existence probes: every lookup that can answer "already exists", asked by a key worker.

A match in the caller's own caseload is named, so they can use the record that is there; a
match in another caseload gets one answer whatever matched (nothing of the record, its family
or how many there are), and the probe is audited against the family it matched.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest
from litestar import Litestar

from connecting_families.accounts.tables import User, UserProgramme
from connecting_families.assessments.tables import Assessment, Need
from connecting_families.audit.tables import AuditEvent
from connecting_families.families.tables import Membership, Person
from connecting_families.plans.tables import FamilyPlan, PlanGoal

from access_world import World, build_world

# kw_own's caseload holds "own" and "shared"; "other_team" is kw_other's, "unallocated" nobody's.
OWN, OTHER, NOBODYS = "shared", "other_team", "unallocated"

# One person per family the tests match against, each findable by any one of three things.
PEOPLE = {
    OWN: ("Ada", "Lovell", dt.date(2004, 4, 4), "A10000000001A", "AB100001A"),
    OTHER: ("Bea", "Marsh", dt.date(2005, 5, 5), "B20000000002B", "AB200002B"),
    NOBODYS: ("Cal", "Nolan", dt.date(2006, 6, 6), "C30000000003C", "AB300003C"),
}


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    world = await build_world(app.state.accounts)
    await client.get("/sign-in")  # the app issues a CSRF token in a cookie, for the pages
    world.csrf = str(client.cookies["csrftoken"])
    client.cookies.clear()
    return world


def family_path(world: World, name: str = "own") -> str:
    return f"/api/v1/families/{world.families[name]}"


async def _person_in(world: World, family: str) -> dict[str, Any]:
    """The person of `PEOPLE[family]`, as a member of that family."""
    given, surname, born, upn, ni_number = PEOPLE[family]
    inserted = await Person.insert(
        Person(
            programme=world.programmes["P1"],
            person_ref=f"P-{family}",
            given_name=given,
            family_name=surname,
            date_of_birth=born,
            upn=upn,
            ni_number=ni_number,
        )
    ).returning(Person.id)
    await Membership.insert(
        Membership(
            programme=world.programmes["P1"],
            person=inserted[0]["id"],
            family=world.families[family],
            role="child",
        )
    )
    return {"id": inserted[0]["id"], "ref": f"P-{family}"}


def _new_person(family: str, matched_on: str) -> dict[str, str]:
    """A new person who matches the one in `family` only by `matched_on`."""
    given, surname, born, upn, ni_number = PEOPLE[family]
    if matched_on == "name_and_date_of_birth":
        return {"given_name": given, "family_name": surname, "date_of_birth": born.isoformat()}
    person = {"given_name": "Dee", "family_name": "Other", "date_of_birth": "2010-10-10"}
    return {**person, matched_on: upn if matched_on == "upn" else ni_number}


async def _add(
    client: httpx.AsyncClient, world: World, person: dict[str, str], **more: object
) -> httpx.Response:
    return await client.post(
        f"{family_path(world)}/members",
        json={"role": "child", "person": person, **more},
        headers=world.headers("kw_own"),
    )


async def _probes(action: str) -> list[dict[str, Any]]:
    rows = await AuditEvent.select(
        AuditEvent.resource_type,
        AuditEvent.resource_id,
        AuditEvent.allowed,
        AuditEvent.detail,
        AuditEvent.actor_name,
    ).where(AuditEvent.action == action)
    return [
        {
            **row,
            "detail": json.loads(row["detail"])
            if isinstance(row["detail"], str)
            else row["detail"],
        }
        for row in rows
    ]


def _reveals_nothing(response: httpx.Response, world: World, *secrets: object) -> None:
    """`response` names none of `secrets` (ids, refs, names), and no other family's id."""
    text = response.text
    for secret in secrets:
        assert str(secret) not in text, secret
    for name in (OTHER, NOBODYS):
        assert f"F-{name}" not in text
    assert "matches" not in response.json()


MATCHES = ["ni_number", "upn", "name_and_date_of_birth"]


@pytest.mark.parametrize("matched_on", MATCHES)
async def test_duplicate_in_own_caseload_is_offered(
    client: httpx.AsyncClient, world: World, matched_on: str
) -> None:
    """A new person matching one of the caller's families is offered by id and ref."""
    known = await _person_in(world, OWN)
    response = await _add(client, world, _new_person(OWN, matched_on))
    assert response.status_code == 409
    [match] = response.json()["matches"]
    assert (match["person_id"], match["person_ref"]) == (known["id"], known["ref"])
    assert match["matched_on"] == [matched_on]


@pytest.mark.parametrize("matched_on", MATCHES)
async def test_duplicate_in_another_caseload_gets_the_generic_answer(
    client: httpx.AsyncClient, world: World, matched_on: str
) -> None:
    """A match in another caseload answers exactly as a match in nobody's, naming nothing."""
    other = await _person_in(world, OTHER)
    await _person_in(world, NOBODYS)
    generic = await _add(client, world, _new_person(NOBODYS, "name_and_date_of_birth"))
    response = await _add(client, world, _new_person(OTHER, matched_on))
    assert (response.status_code, generic.status_code) == (409, 409)
    assert response.json() == generic.json()
    assert "ask a team manager" in response.json()["detail"]
    _reveals_nothing(response, world, other["id"], other["ref"], world.families[OTHER], "Bea")


@pytest.mark.parametrize("matched_on", MATCHES)
async def test_duplicate_probe_is_audited_against_the_matched_family(
    client: httpx.AsyncClient, world: World, matched_on: str
) -> None:
    """The refused probe is kept in the audit log against the family it matched, refused."""
    await _person_in(world, OTHER)
    await _add(client, world, _new_person(OTHER, matched_on))
    [probe] = await _probes("person.duplicate_probe")
    assert (probe["resource_type"], probe["resource_id"], probe["allowed"]) == (
        "family",
        str(world.families[OTHER]),
        False,
    )
    assert probe["actor_name"] == "kw_own"
    assert probe["detail"] == {"from_family": world.families["own"], "matched_on": [matched_on]}


async def test_only_matches_in_scope_are_offered(client: httpx.AsyncClient, world: World) -> None:
    """With matches in and out of the caller's caseload, only their own is offered."""
    mine = await _person_in(world, OWN)
    await _person_in(world, OTHER)
    person = {**_new_person(OWN, "name_and_date_of_birth"), "upn": PEOPLE[OTHER][3]}
    response = await _add(client, world, person)
    assert response.status_code == 409
    assert [m["person_id"] for m in response.json()["matches"]] == [mine["id"]]
    assert "P-other_team" not in response.text
    assert len(await _probes("person.duplicate_probe")) == 1


async def test_someone_else_can_still_be_added(client: httpx.AsyncClient, world: World) -> None:
    """create_anyway adds a new person despite a match in another caseload."""
    await _person_in(world, OTHER)
    response = await _add(
        client, world, _new_person(OTHER, "name_and_date_of_birth"), create_anyway=True
    )
    assert response.status_code == 201


async def test_another_caseloads_person_is_not_found_by_id(
    client: httpx.AsyncClient, world: World
) -> None:
    """Adding another caseload's person by id is answered as an id nobody has, and audited."""
    other = await _person_in(world, OTHER)
    answers = {}
    for person_id in (other["id"], other["id"] + 1000):
        response = await client.post(
            f"{family_path(world)}/members",
            json={"role": "child", "person_id": person_id},
            headers=world.headers("kw_own"),
        )
        assert response.status_code == 404
        answers[person_id] = response.text.replace(str(person_id), "ID")
    assert answers[other["id"]] == answers[other["id"] + 1000]
    [probe] = await _probes("person.add_probe")
    assert (probe["resource_id"], probe["allowed"]) == (str(world.families[OTHER]), False)


async def test_person_ref_in_own_caseload_is_named(
    client: httpx.AsyncClient, world: World
) -> None:
    """A person_ref used in the caller's caseload is refused as already used."""
    await _person_in(world, OWN)
    person = {**_new_person(OWN, "upn"), "upn": None, "person_ref": "P-shared"}
    response = await _add(client, world, person, create_anyway=True)
    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "person_ref", "message": "already used"}]


async def test_person_ref_in_another_caseload_says_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    """A person_ref of another caseload is refused as one of nobody's is, and audited."""
    other = await _person_in(world, OTHER)
    await _person_in(world, NOBODYS)
    base = {"given_name": "Dee", "family_name": "Other", "date_of_birth": "2010-10-10"}
    generic = await _add(client, world, {**base, "person_ref": "P-unallocated"})
    response = await _add(client, world, {**base, "person_ref": "P-other_team"})
    assert (response.status_code, response.json()) == (409, generic.json())
    _reveals_nothing(response, world, other["ref"], other["id"], world.families[OTHER])
    probes = await _probes("person.ref_probe")
    assert {(p["resource_id"], p["allowed"]) for p in probes} == {
        (str(world.families[OTHER]), False),
        (str(world.families[NOBODYS]), False),
    }


async def _create_family(client: httpx.AsyncClient, world: World, ref: str) -> httpx.Response:
    body = {"programme": "P1", "family_ref": ref, "identified_on": "2014-01-01"}
    return await client.post("/api/v1/families", json=body, headers=world.headers("kw_own"))


async def test_family_ref_in_own_caseload_is_named(
    client: httpx.AsyncClient, world: World
) -> None:
    """A family_ref of one of the caller's families is refused as already used."""
    response = await _create_family(client, world, "F-own")
    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "family_ref", "message": "already used"}]


async def test_family_ref_in_another_caseload_says_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    """Another caseload's family_ref is refused as nobody's family's is, and audited."""
    generic = await _create_family(client, world, "F-unallocated")
    response = await _create_family(client, world, "F-other_team")
    assert (response.status_code, response.json()) == (409, generic.json())
    _reveals_nothing(response, world, "F-other_team", world.families[OTHER])
    probes = {p["resource_id"]: p for p in await _probes("family.ref_probe")}
    assert set(probes) == {str(world.families[NOBODYS]), str(world.families[OTHER])}
    probe = probes[str(world.families[OTHER])]
    assert (probe["resource_type"], probe["allowed"]) == ("family", False)
    assert probe["detail"] == {"field": "family_ref", "from_family": None}


async def test_family_ref_of_another_programme_is_free(
    client: httpx.AsyncClient, world: World
) -> None:
    """Refs are unique per programme: another programme's family_ref can be used."""
    assert (await _create_family(client, world, "F-other_programme")).status_code == 201


async def _need_in(world: World, family: str, ref: str) -> None:
    await Need.insert(
        Need(
            programme=world.programmes["P1"],
            family=world.families[family],
            need_ref=ref,
            headline="education",
            identified_on=dt.date(2013, 3, 1),
        )
    )


async def _assessment_in(world: World, family: str, ref: str) -> None:
    await Assessment.insert(
        Assessment(
            programme=world.programmes["P1"],
            family=world.families[family],
            assessment_ref=ref,
            started_on=dt.date(2013, 3, 1),
        )
    )


async def _add_need(client: httpx.AsyncClient, world: World, ref: str) -> httpx.Response:
    body = {"headline": "education", "identified_on": "2014-01-01", "need_ref": ref}
    return await client.post(
        f"{family_path(world)}/needs", json=body, headers=world.headers("kw_own")
    )


async def _start(client: httpx.AsyncClient, world: World, ref: str) -> httpx.Response:
    body = {"started_on": "2014-01-01", "assessment_ref": ref}
    return await client.post(
        f"{family_path(world)}/assessments", json=body, headers=world.headers("kw_own")
    )


REF_KINDS = {
    "need_ref": (_need_in, _add_need),
    "assessment_ref": (_assessment_in, _start),
}


@pytest.mark.parametrize("field", REF_KINDS)
async def test_ref_in_own_caseload_is_named(
    client: httpx.AsyncClient, world: World, field: str
) -> None:
    """A need or assessment ref used in the caller's caseload is refused as already used."""
    put, send = REF_KINDS[field]
    await put(world, OWN, "R-MINE")
    response = await send(client, world, "R-MINE")
    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": field, "message": "already used"}]


@pytest.mark.parametrize("field", REF_KINDS)
async def test_ref_in_another_caseload_says_nothing(
    client: httpx.AsyncClient, world: World, field: str
) -> None:
    """Another caseload's need or assessment ref is refused as nobody's family's is."""
    put, send = REF_KINDS[field]
    await put(world, OTHER, "R-THEIRS")
    await put(world, NOBODYS, "R-NOBODYS")
    generic = await send(client, world, "R-NOBODYS")
    response = await send(client, world, "R-THEIRS")
    assert (response.status_code, response.json()) == (409, generic.json())
    assert "leave it out" in response.json()["detail"]
    _reveals_nothing(response, world, "R-THEIRS", world.families[OTHER])


@pytest.mark.parametrize("field", REF_KINDS)
async def test_ref_probe_is_audited_against_the_holding_family(
    client: httpx.AsyncClient, world: World, field: str
) -> None:
    """The refused ref probe is kept in the audit log against the family holding the ref."""
    put, send = REF_KINDS[field]
    await put(world, OTHER, "R-THEIRS")
    await send(client, world, "R-THEIRS")
    [probe] = await _probes(f"{field.removesuffix('_ref')}.ref_probe")
    assert (probe["resource_type"], probe["resource_id"], probe["allowed"]) == (
        "family",
        str(world.families[OTHER]),
        False,
    )
    assert probe["detail"] == {"field": field, "from_family": world.families["own"]}


async def _other_users(world: World) -> None:
    """A user of the other programme only, "in_p2", and a deactivated one of P1, "gone"."""
    p2 = await User.insert(User(username="in_p2", display_name="in_p2")).returning(User.id)
    await UserProgramme.insert(UserProgramme(user=p2[0]["id"], programme=world.programmes["P2"]))
    gone = await User.insert(
        User(username="gone", display_name="gone", is_active=False)
    ).returning(User.id)
    await UserProgramme.insert(UserProgramme(user=gone[0]["id"], programme=world.programmes["P1"]))


async def _goal(world: World) -> str:
    plan = await FamilyPlan.insert(
        FamilyPlan(family=world.families["own"], created_by=world.users["kw_own"])
    ).returning(FamilyPlan.id)
    goal = await PlanGoal.insert(PlanGoal(plan=plan[0]["id"], description="School")).returning(
        PlanGoal.id
    )
    return f"{family_path(world)}/plans/{plan[0]['id']}/goals/{goal[0]['id']}/actions"


async def _owned_by(client: httpx.AsyncClient, world: World, path: str, owner: str) -> Any:
    return await client.post(
        path, json={"description": "Meet", "owner": owner}, headers=world.headers("kw_own")
    )


async def test_owner_of_the_programme_is_accepted(client: httpx.AsyncClient, world: World) -> None:
    """An action may be owned by any active worker of the family's programme."""
    path = await _goal(world)
    response = await _owned_by(client, world, path, "kw_other")
    assert response.status_code == 201
    assert response.json()["goals"][0]["actions"][0]["owner"] == "kw_other"


@pytest.mark.parametrize("owner", ["in_p2", "admin", "gone"])
async def test_owner_outside_the_programme_is_refused_as_an_unknown_one(
    client: httpx.AsyncClient, world: World, owner: str
) -> None:
    """A user of another programme, of none, or deactivated is refused as no user is."""
    await _other_users(world)
    path = await _goal(world)
    unknown = await _owned_by(client, world, path, "nobody_at_all")
    response = await _owned_by(client, world, path, owner)
    assert (response.status_code, response.json()) == (422, unknown.json())
    assert response.json()["errors"][0]["field"] == "owner"


async def test_owner_on_the_action_form_is_refused_as_an_unknown_one(
    client: httpx.AsyncClient, world: World
) -> None:
    """On the family page, another programme's user is refused as no user is."""
    await _other_users(world)
    path = (await _goal(world)).removeprefix("/api/v1")
    answers = {}
    for owner in ("nobody_at_all", "in_p2"):
        response = await client.post(
            path,
            data={"description": "Meet", "owner": owner, "_csrf_token": world.csrf},
            headers=world.page_headers("kw_own"),
        )
        assert response.status_code == 422
        answers[owner] = response.text.replace(owner, "OWNER")
    assert answers["in_p2"] == answers["nobody_at_all"]
    assert "worker in this family" in answers["in_p2"]
