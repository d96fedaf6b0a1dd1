"""The front door through the API: a contact recorded, screened, queued, decided in time or
late, family help bringing the family in, repeat contacts, scope and the audit log."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from litestar import Litestar

from connecting_families.audit.service import Actor
from connecting_families.audit.tables import AuditEvent
from connecting_families.domain.dates import add_working_days, today
from connecting_families.families.retention import REMOVED_TEXT, purge
from connecting_families.families.tables import (
    Allocation,
    Family,
    FamilyStatusChange,
    Membership,
    Person,
)
from connecting_families.frontdoor.tables import Contact, ContactPerson

from access_world import World, build_world

CONTACTS = "/api/v1/contacts"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_world(app.state.accounts)


def contact_body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "programme": "P1",
        "received_at": dt.datetime.now(dt.UTC).isoformat(),
        "channel": "phone",
        "source": "school",
        "source_name": "Head of year, Orton Academy",
        "consent_to_share": "yes",
        "summary": "Attendance has fallen this term and the children seem hungry.",
        "concerns": ["education"],
        "people": [
            {
                "given_name": "Alex",
                "family_name": "Frontdoor",
                "date_of_birth": "1984-02-03",
                "role": "adult",
            },
            {
                "given_name": "Jo",
                "family_name": "Frontdoor",
                "date_of_birth": "2010-05-06",
                "role": "child",
            },
        ],
    }
    return {**body, **changes}


async def record(client: httpx.AsyncClient, world: World, **changes: object) -> dict:
    response = await client.post(
        CONTACTS, json=contact_body(**changes), headers=world.headers("fd")
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def decide(
    client: httpx.AsyncClient, world: World, contact: dict, decision: str, **changes: object
) -> httpx.Response:
    return await client.post(
        f"{CONTACTS}/{contact['id']}/decision",
        json={"version": contact["version"], "decision": decision, **changes},
        headers=world.headers("fd"),
    )


async def test_a_contact_is_recorded_due_within_one_working_day(
    client: httpx.AsyncClient, world: World
) -> None:
    contact = await record(client, world)
    assert contact["decision"] is None
    assert contact["decide_by"] == add_working_days(today(), 1).isoformat()
    assert [p["given_name"] for p in contact["people"]] == ["Alex", "Jo"]
    queue = await client.get(CONTACTS, headers=world.headers("fd"))
    assert [c["id"] for c in queue.json()] == [contact["id"]]
    created = await AuditEvent.select(AuditEvent.action, AuditEvent.programme).where(
        AuditEvent.resource_type == "contact", AuditEvent.resource_id == str(contact["id"])
    )
    assert created == [{"action": "contact.create", "programme": world.programmes["P1"]}]


async def test_bad_contacts_are_refused_naming_the_fields(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await client.post(
        CONTACTS,
        json=contact_body(source="the moon", summary=" ", concerns=["nope"], people=[]),
        headers=world.headers("fd"),
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"source", "summary", "concerns", "family_id"}
    step_down = await client.post(
        CONTACTS, json=contact_body(kind="step_down"), headers=world.headers("fd")
    )
    assert [e["field"] for e in step_down.json()["errors"]] == ["social_care_ref"]
    assert await Contact.count() == 0


async def test_family_help_creates_the_family_waiting_for_allocation(
    client: httpx.AsyncClient, world: World
) -> None:
    contact = await record(client, world)
    response = await decide(client, world, contact, "family_help", family_ref="FD-NEW-1")
    assert response.status_code == 200, response.text
    decided = response.json()
    assert decided["decision"]["decision"] == "family_help"
    assert decided["decision"]["within_timescale"] is True
    family = await Family.select().where(Family.family_ref == "FD-NEW-1").first()
    assert family is not None
    assert decided["family_id"] == family["id"]
    assert family["status"] == "attached"
    assert family["attached_on"] == today()
    assert not await Allocation.exists().where(Allocation.family == family["id"])
    members = await Membership.select(Membership.person.given_name.as_alias("name")).where(
        Membership.family == family["id"]
    )
    assert sorted(m["name"] for m in members) == ["Alex", "Jo"]
    # The team manager sees it waiting for a key worker; the family shows the contact.
    waiting = await client.get(
        "/api/v1/families", params={"unallocated": "true"}, headers=world.headers("tm")
    )
    assert "FD-NEW-1" in {f["family_ref"] for f in waiting.json()["families"]}
    contacts = await client.get(
        f"/api/v1/families/{family['id']}/contacts", headers=world.headers("tm")
    )
    assert [c["id"] for c in contacts.json()] == [contact["id"]]
    # Decided once: not again, and not in the queue.
    again = await decide(client, world, decided, "no_further_action")
    assert again.status_code == 409
    assert (await client.get(CONTACTS, headers=world.headers("fd"))).json() == []


async def test_a_person_who_may_be_known_is_refused_until_confirmed(
    client: httpx.AsyncClient, world: World
) -> None:
    person = await Person.insert(
        Person(
            programme=world.programmes["P1"],
            person_ref="KNOWN-1",
            given_name="Alex",
            family_name="Frontdoor",
            date_of_birth=dt.date(1984, 2, 3),
        )
    ).returning(Person.id)
    await Membership.insert(
        Membership(
            programme=world.programmes["P1"],
            person=person[0]["id"],
            family=world.families["own"],
            role="adult",
        )
    )
    refused = await client.post(CONTACTS, json=contact_body(), headers=world.headers("fd"))
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "person-0"
    assert [m["person_id"] for m in refused.json()["matches"]] == [person[0]["id"]]
    people = contact_body()["people"]
    assert isinstance(people, list)
    people[0] = {**people[0], "create_anyway": True}
    assert (await record(client, world, people=people))["people"][0]["person_id"] is None


async def test_a_late_decision_needs_a_reason(client: httpx.AsyncClient, world: World) -> None:
    received = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    contact = await record(client, world, received_at=received.isoformat())
    refused = await decide(client, world, contact, "advice")
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["late_reason_code"]
    response = await decide(
        client, world, contact, "advice", late_reason_code="awaiting_other_agency"
    )
    decision = response.json()["decision"]
    assert decision["within_timescale"] is False
    assert decision["late_reason_code"] == "awaiting_other_agency"


async def test_a_contact_after_closure_is_a_repeat_and_family_help_a_re_referral(
    client: httpx.AsyncClient, world: World
) -> None:
    family_id = world.families["own"]
    closed_on = today() - dt.timedelta(days=30)
    await Family.update(
        {Family.status: "closed", Family.closed_on: closed_on, Family.attached_on: closed_on}
    ).where(Family.id == family_id)
    refused = await client.post(
        CONTACTS, json=contact_body(family_id=family_id, people=[]), headers=world.headers("fd")
    )
    assert [e["field"] for e in refused.json()["errors"]] == ["repeat_reason"]
    contact = await record(client, world, family_id=family_id, people=[], repeat_reason="incident")
    assert contact["repeat"] is True
    response = await decide(client, world, contact, "family_help")
    assert response.status_code == 200, response.text
    family = await Family.select(Family.status).where(Family.id == family_id).first()
    assert family == {"status": "attached"}
    reopened = await FamilyStatusChange.select(FamilyStatusChange.is_re_referral).where(
        FamilyStatusChange.family == family_id, FamilyStatusChange.status == "reopened"
    )
    assert reopened == [{"is_re_referral": True}]


async def test_step_up_records_social_cares_reference(
    client: httpx.AsyncClient, world: World
) -> None:
    contact = await record(client, world)
    refused = await decide(client, world, contact, "step_up")
    assert [e["field"] for e in refused.json()["errors"]] == ["social_care_ref"]
    stepped = await decide(client, world, contact, "step_up", social_care_ref="LL-12345")
    assert stepped.json()["social_care_ref"] == "LL-12345"
    assert stepped.json()["family_id"] is None


async def test_contacts_are_the_front_doors_and_their_familys(
    client: httpx.AsyncClient, world: World
) -> None:
    """A contact about no family is the front door's alone; one about a family is seen by
    whoever may read the family, and by no one else: not found, whatever the reason."""
    loose = await record(client, world)
    about_own = await record(client, world, family_id=world.families["own"], people=[])
    for user, sees in {
        "fd": {loose["id"], about_own["id"]},
        "kw_own": {about_own["id"]},
        "kw_other": set(),
        "tm": {about_own["id"]},
        "pm": {about_own["id"]},
        "auditor": {about_own["id"]},
    }.items():
        for contact in (loose, about_own):
            response = await client.get(f"{CONTACTS}/{contact['id']}", headers=world.headers(user))
            expected = 200 if contact["id"] in sees else 404
            assert response.status_code == expected, (user, contact["id"])
    assert (await client.get(CONTACTS, headers=world.headers("kw_own"))).status_code == 403
    assert (
        await client.get(f"{CONTACTS}/{loose['id']}", headers=world.headers("admin"))
    ).status_code == 403
    other = await client.post(
        CONTACTS,
        json=contact_body(family_id=world.families["other_programme"], people=[]),
        headers=world.headers("fd"),
    )
    assert [e["field"] for e in other.json()["errors"]] == ["family_id"]


async def test_a_purge_removes_what_the_contacts_said(
    client: httpx.AsyncClient, world: World, app: Litestar
) -> None:
    """Retention clears a purged family's contacts: what was said, who said it, the names of
    the people named and the reasons decided on; a contact about another family keeps them."""
    own = await record(client, world, family_id=world.families["own"])
    kept = await record(client, world, family_id=world.families["other_team"], people=[])
    await decide(client, world, own, "advice", note="Signposted to the food bank")
    await Family.update({Family.status: "closed", Family.closed_on: dt.date(2014, 3, 1)}).where(
        Family.id == world.families["own"]
    )
    result = await purge(app.state.engine, Actor("dpo", "cli"), dt.date(2015, 1, 1), dry_run=False)
    assert result.texts == {"contact": 1, "contact_person": 2}
    purged = await Contact.select().where(Contact.id == own["id"]).first()
    assert purged is not None
    assert (purged["summary"], purged["source_name"], purged["decision_note"]) == (
        REMOVED_TEXT,
        None,
        None,
    )
    names = await ContactPerson.select(ContactPerson.given_name).where(
        ContactPerson.contact == own["id"]
    )
    assert {n["given_name"] for n in names} == {"(removed)"}
    untouched = await Contact.select(Contact.summary).where(Contact.id == kept["id"]).first()
    assert untouched == {"summary": contact_body()["summary"]}


async def test_the_day_a_contact_came_is_englands(client: httpx.AsyncClient, world: World) -> None:
    """In summer England is an hour ahead of UTC: 23:30 UTC on Thursday 7 August 2014 is
    Friday in England, so the contact is due on Monday; at 22:59 UTC it is still Thursday, due
    on Friday. A time sent without an offset is UTC."""
    assert (await record(client, world, received_at="2014-08-07T23:30:00"))["decide_by"] == (
        "2014-08-11"
    )
    late_thursday = await record(client, world, received_at="2014-08-07T22:59:00+00:00")
    assert late_thursday["decide_by"] == "2014-08-08"
