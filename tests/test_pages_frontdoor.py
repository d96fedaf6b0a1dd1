"""The front door's pages, through HTTP as a browser sends them: the queue, a contact recorded
(refused naming fields by their labels, screened, a repeat), decided in time or late, family
help and step up, who may see a contact, and the audit log."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from litestar import Litestar
from test_pages import post_form, sign_in, text_of

from connecting_families.audit.tables import AuditEvent
from connecting_families.domain.dates import ENGLAND, add_working_days, today
from connecting_families.families.tables import Allocation, Family, Membership
from connecting_families.frontdoor.tables import Contact

from access_world import World
from page_world import build_page_world

NEW = "/front-door/contacts/new"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


def received(on: dt.date | None = None, time: str = "00:00") -> dict[str, str]:
    # Midnight, so that today's contact is in the past at whatever hour the suite runs.
    on = on or today()
    return {
        "received_on-day": str(on.day),
        "received_on-month": str(on.month),
        "received_on-year": str(on.year),
        "received_time": time,
    }


def contact_form(**changes: str) -> dict[str, str]:
    form = {
        "kind": "contact",
        **received(),
        "channel": "phone",
        "source": "school",
        "source_name": "Head of year, Orton Academy",
        "person-0-given_name": "Alex",
        "person-0-family_name": "Newcomer",
        "person-0-date_of_birth-day": "3",
        "person-0-date_of_birth-month": "2",
        "person-0-date_of_birth-year": "1984",
        "person-0-role": "adult",
        "concerns": "education",
        "consent_to_share": "yes",
        "summary": "Attendance has fallen this term.",
        "action": "record",
    }
    return {**form, **changes}


async def record(client: httpx.AsyncClient, **changes: str) -> int:
    response = await post_form(client, NEW, contact_form(**changes))
    assert response.status_code == 303, text_of(response.text)
    match = re.fullmatch(
        r"/front-door/contacts/(\d+)\?saved=contact_recorded", response.headers["location"]
    )
    assert match, response.headers["location"]
    return int(match.group(1))


async def decide(client: httpx.AsyncClient, contact_id: int, **fields: str) -> httpx.Response:
    row = await Contact.select(Contact.version).where(Contact.id == contact_id).first()
    assert row is not None
    data = {"version": str(row["version"]), **fields}
    return await post_form(client, f"/front-door/contacts/{contact_id}/decision", data)


async def actions(resource_type: str, resource_id: int) -> list[str]:
    rows = (
        await AuditEvent.select(AuditEvent.action)
        .where(
            AuditEvent.resource_type == resource_type, AuditEvent.resource_id == str(resource_id)
        )
        .order_by(AuditEvent.id)
    )
    return [row["action"] for row in rows]


async def test_the_front_door_lands_on_its_queue(client: httpx.AsyncClient, world: World) -> None:
    """The front door's home is its queue, in its navigation, with the button to record."""
    await sign_in(client, "fd")
    home = await client.get("/")
    assert home.headers["location"] == "/front-door"
    queue = await client.get("/front-door")
    assert queue.status_code == 200, queue.text
    words = text_of(queue.text)
    assert "No contact is waiting for a decision." in words
    assert 'href="/front-door"' in queue.text
    assert "Front door" in words
    assert 'href="/front-door/contacts/new"' in queue.text


async def test_a_contact_is_recorded_and_queued_with_its_time_left(
    client: httpx.AsyncClient, world: World
) -> None:
    """Recorded through the form, the contact's page says so and the queue shows it due."""
    await sign_in(client, "fd")
    form = text_of((await client.get(NEW)).text)
    for words in ("Education", "Crime and anti-social behaviour", "Step down from", "Phone"):
        assert words in form
    contact_id = await record(client)
    shown = await client.get(f"/front-door/contacts/{contact_id}?saved=contact_recorded")
    words = text_of(shown.text)
    assert "The contact was recorded" in words
    assert "Alex Newcomer, born 3 Feb 1984, adult" in words
    assert "School or education: Head of year, Orton Academy" in words
    queue = text_of((await client.get("/front-door")).text)
    assert "Alex Newcomer" in queue
    days = (add_working_days(today(), 1) - today()).days
    assert "1 working day left" in queue or days == 0
    assert await actions("contact", contact_id) == ["contact.create", "contact.read"]


async def test_a_refused_contact_names_every_field_by_its_label(
    client: httpx.AsyncClient, world: World
) -> None:
    """Nothing chosen, a date that is not real, a blank summary: each named by its label,
    and what was typed kept."""
    await sign_in(client, "fd")
    data = contact_form(
        channel="",
        source="",
        consent_to_share="",
        summary="",
        **{"received_on-day": "31", "received_on-month": "2"},
    )
    data["person-0-role"] = ""
    response = await post_form(client, NEW, data)
    assert response.status_code == 422
    words = text_of(response.text)
    for message in (
        "Select how the contact came",
        "Select who the contact is from",
        "Date received must be a real date",
        "Select adult or child of person 1",
        "Enter what the contact said",
    ):
        assert message in words, message
    assert "channel" not in words
    assert "consent_to_share" not in words
    assert 'value="Newcomer"' in response.text
    assert await Contact.count() == 0


async def test_no_one_named_asks_for_the_family_or_the_people(
    client: httpx.AsyncClient, world: World
) -> None:
    """A contact about no one is refused by the service's words, beside "About whom"."""
    await sign_in(client, "fd")
    data = {k: v for k, v in contact_form().items() if not k.startswith("person-")}
    response = await post_form(client, NEW, data)
    assert response.status_code == 422
    assert "Select the family, or enter the people it is about" in text_of(response.text)


async def test_the_family_is_found_and_chosen(client: httpx.AsyncClient, world: World) -> None:
    """ "Find the family" shows the programme's families by name; the contact is about it."""
    await sign_in(client, "fd")
    found = await post_form(client, NEW, contact_form(action="find", find="Cara Smith"))
    assert found.status_code == 200
    assert "Family FAM-1" in text_of(found.text)
    contact_id = await record(client, family_id=str(world.families["fam1"]))
    row = await Contact.select(Contact.family).where(Contact.id == contact_id).first()
    assert row == {"family": world.families["fam1"]}
    nothing = await post_form(client, NEW, contact_form(action="find", find="Nobody Atall"))
    assert "No family in your programmes was found" in text_of(nothing.text)


async def test_someone_who_may_be_known_is_asked_about(
    client: httpx.AsyncClient, world: World
) -> None:
    """A person like one known comes back with the people found and their family; "someone
    else" records them, "use family" makes the contact about that family."""
    await sign_in(client, "fd")
    cara = {
        "person-0-given_name": "Cara",
        "person-0-family_name": "Smith",
        "person-0-date_of_birth-day": "2",
        "person-0-date_of_birth-month": "2",
        "person-0-date_of_birth-year": "1980",
    }
    response = await post_form(client, NEW, contact_form(**cara))
    assert response.status_code == 409, text_of(response.text)
    words = text_of(response.text)
    assert "This person may already be known" in words
    assert "Use family FAM-1: Cara Smith" in words
    assert await Contact.count() == 0
    use = await record(client, **cara, **{"person-0-same": f"family-{world.families['fam1']}"})
    row = await Contact.select(Contact.family).where(Contact.id == use).first()
    assert row == {"family": world.families["fam1"]}
    other = await record(client, **cara, **{"person-0-same": "new"})
    row = await Contact.select(Contact.family).where(Contact.id == other).first()
    assert row == {"family": None}


async def test_a_family_closed_within_a_year_is_a_repeat_contact(
    client: httpx.AsyncClient, world: World
) -> None:
    """Choosing a family closed a month ago asks why it came back; the contact is a repeat."""
    fam = world.families["fam1"]
    await Family.update(
        {Family.status: "closed", Family.closed_on: today() - dt.timedelta(days=30)}
    ).where(Family.id == fam)
    await sign_in(client, "fd")
    response = await post_form(client, NEW, contact_form(family_id=str(fam)))
    assert response.status_code == 422
    words = text_of(response.text)
    assert "This is a repeat contact" in words
    assert "Select why the family has come back" in words
    contact_id = await record(client, family_id=str(fam), repeat_reason="incident")
    shown = text_of((await client.get(f"/front-door/contacts/{contact_id}")).text)
    assert "Repeat contact" in shown
    assert "An incident" in shown


async def test_family_help_creates_the_family_waiting_for_allocation(
    client: httpx.AsyncClient, world: World
) -> None:
    """Family help, in time: the banner says the family waits for allocation and links to it,
    whose page shows the contact that brought it in."""
    await sign_in(client, "fd")
    contact_id = await record(client)
    page = text_of((await client.get(f"/front-door/contacts/{contact_id}")).text)
    assert "Family help" in page
    assert "Save the decision" in page
    assert "Why the decision is late" not in page
    response = await decide(
        client, contact_id, decision="family_help", family_ref="FD-PAGE-1", note="Needs support"
    )
    assert response.status_code == 303, text_of(response.text)
    shown = await client.get(response.headers["location"])
    words = text_of(shown.text)
    assert "Family help: the family is waiting for allocation" in words
    family = await Family.select(Family.id).where(Family.family_ref == "FD-PAGE-1").first()
    assert family is not None
    assert f'href="/families/{family["id"]}"' in shown.text
    assert "Yes, within the timescale" in words
    assert await Allocation.count().where(Allocation.family == family["id"]) == 0
    assert await Membership.count().where(Membership.family == family["id"]) == 1
    summary = text_of((await client.get(f"/families/{family['id']}")).text)
    assert "How the family came in" in summary
    assert "Family help" in summary
    assert "contact.decide" in await actions("contact", contact_id)


async def test_a_late_decision_asks_why(client: httpx.AsyncClient, world: World) -> None:
    """Past its day, the form asks why it is late, and the contact says it was late and why."""
    await sign_in(client, "fd")
    contact_id = await record(client)
    await Contact.update({Contact.decide_by: today() - dt.timedelta(days=7)}).where(
        Contact.id == contact_id
    )
    page = text_of((await client.get(f"/front-door/contacts/{contact_id}")).text)
    assert "Why the decision is late" in page
    queue = text_of((await client.get("/front-door")).text)
    assert "Late:" in queue
    refused = await decide(client, contact_id, decision="advice")
    assert refused.status_code == 422
    assert "Select why the decision is late" in text_of(refused.text)
    other = await decide(client, contact_id, decision="advice", late_reason_code="other")
    assert "Enter why the decision is late" in text_of(other.text)
    accepted = await decide(
        client, contact_id, decision="advice", late_reason_code="awaiting_other_agency"
    )
    assert accepted.status_code == 303
    words = text_of((await client.get(accepted.headers["location"])).text)
    assert "Decided: Information, advice or signposting" in words
    assert "No, late: Awaiting information from another agency" in words


async def test_step_up_needs_social_care_reference(
    client: httpx.AsyncClient, world: World
) -> None:
    """Step up asks for social care's reference, and keeps it."""
    await sign_in(client, "fd")
    contact_id = await record(client)
    refused = await decide(client, contact_id, decision="step_up")
    assert refused.status_code == 422
    assert "Enter the social care reference" in text_of(refused.text)
    missing = await decide(client, contact_id)
    assert "Select decision" in text_of(missing.text)
    accepted = await decide(client, contact_id, decision="step_up", social_care_ref="CSC-123")
    assert accepted.status_code == 303
    words = text_of((await client.get(accepted.headers["location"])).text)
    assert "Step up to children" in words
    assert "CSC-123" in words
    assert "Save the decision" not in words


async def test_a_key_worker_sees_their_own_familys_contacts_only(
    client: httpx.AsyncClient, world: World
) -> None:
    """Through the family: kw_own reaches FAM-1's contact; kw_other gets 404, audited."""
    await sign_in(client, "fd")
    contact_id = await record(client, family_id=str(world.families["fam1"]))
    client.cookies.clear()
    await sign_in(client, "kw_own")
    own = await client.get(f"/front-door/contacts/{contact_id}")
    assert own.status_code == 200
    assert "Save the decision" not in own.text
    family = text_of((await client.get(f"/families/{world.families['fam1']}")).text)
    assert "How the family came in" in family
    client.cookies.clear()
    await sign_in(client, "kw_other")
    other = await client.get(f"/front-door/contacts/{contact_id}")
    assert other.status_code == 404
    refused = await AuditEvent.count().where(
        AuditEvent.action == "contact.read", AuditEvent.allowed.eq(False)
    )
    assert refused == 1


@pytest.mark.parametrize("user", ["kw_own", "tm", "pm", "auditor", "admin"])
async def test_only_the_front_door_has_the_queue_and_the_form(
    client: httpx.AsyncClient, world: World, user: str
) -> None:
    """Every other role is refused the queue, the form and the decision."""
    await sign_in(client, user)
    assert (await client.get("/front-door")).status_code == 403
    assert (await client.get(NEW)).status_code == 403
    assert (await post_form(client, NEW, contact_form())).status_code == 403
    assert await Contact.count() == 0


async def test_the_contact_decision_timescale_is_a_programme_figure(
    client: httpx.AsyncClient, world: World
) -> None:
    """The figures page sets the programme's contact decision timescale, 1 to 30 days."""
    await sign_in(client, "pm")
    path = "/programmes/P1/settings/figures"
    form = await client.get(path)
    assert "Contact decision timescale" in text_of(form.text)
    version = re.search(r'name="version" value="(\d+)"', form.text)
    assert version
    base = {"version": version.group(1), "assessment_timescale_days": "45"}
    wrong = await post_form(client, path, {**base, "contact_decision_days": "31"})
    assert wrong.status_code == 422
    assert "Contact decision timescale must be 30 or less" in text_of(wrong.text)
    saved = await post_form(client, path, {**base, "contact_decision_days": "3"})
    assert saved.status_code == 303, text_of(saved.text)
    settings = text_of((await client.get("/programmes/P1/settings")).text)
    assert "3 working days from a contact's arrival" in settings


async def test_a_contact_received_tomorrow_is_refused_beside_the_date(
    client: httpx.AsyncClient, world: World
) -> None:
    """The service's words about the instant received are placed beside the date asked for."""
    await sign_in(client, "fd")
    response = await post_form(
        client, NEW, contact_form(**received(today() + dt.timedelta(days=2)))
    )
    assert response.status_code == 422
    assert 'href="#received_on-day">Date received must be today or in the past' in response.text
    assert await Contact.count() == 0


async def test_a_time_later_today_is_refused_beside_the_time(
    client: httpx.AsyncClient, world: World
) -> None:
    """Today's date with a time still to come is the time's mistake, and is named as such."""
    await sign_in(client, "fd")
    later = dt.datetime.now(ENGLAND) + dt.timedelta(minutes=30)
    response = await post_form(
        client, NEW, contact_form(**received(later.date(), f"{later:%H:%M}"))
    )
    assert response.status_code == 422
    if later.date() == today():
        assert 'href="#received_time">Time received must be now or earlier' in response.text
    else:  # run in the last half hour of the day: the date is tomorrow's
        assert (
            'href="#received_on-day">Date received must be today or in the past' in response.text
        )
    assert await Contact.count() == 0


async def test_a_tampered_answer_about_someone_known_is_refused_not_a_500(
    client: httpx.AsyncClient, world: World
) -> None:
    """The "may already be known" answer is one of the choices the page offered; anything else
    sent in its place is refused with the form again, and nothing is recorded."""
    await sign_in(client, "fd")
    for tampered in ("person-abc", "person-99999999999", "family-", "someone"):
        response = await post_form(client, NEW, contact_form(**{"person-0-same": tampered}))
        assert response.status_code == 422, tampered
    assert await Contact.count() == 0
