"""The family meetings pages, through HTTP as a browser sends them: the section, the form to
record a meeting, its refusals named by label, and the next meeting on the summary."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from litestar import Litestar
from test_pages import post_form, sign_in, text_of

from connecting_families.domain.dates import today
from connecting_families.families.tables import Family, Person
from connecting_families.meetings.tables import FamilyMeeting
from connecting_families.web.templating import day

from access_world import World
from page_world import build_page_world

HELD = {"held_on-day": "6", "held_on-month": "1", "held_on-year": "2026"}


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


async def person(ref: str) -> int:
    row = await Person.select(Person.id).where(Person.person_ref == ref).first()
    assert row is not None
    return int(row["id"])


def date_fields(name: str, on: dt.date) -> dict[str, str]:
    return {
        f"{name}-day": str(on.day),
        f"{name}-month": str(on.month),
        f"{name}-year": str(on.year),
    }


async def record(client: httpx.AsyncClient, family: str, next_on: dt.date) -> httpx.Response:
    """A family group decision-making meeting Cara Smith (A1) came to, with the next one."""
    return await client.post(
        f"{family}/meetings/new",
        data={
            "kind": "fgdm",
            **HELD,
            "attendees": "Cara, her sister Dee, Mr Patel from school",
            "members_present": [str(await person("A1"))],
            "agreed_plan": "Dee walks Amy to school.\nCara calls the housing officer.",
            **date_fields("next_on", next_on),
            "_csrf_token": client.cookies["csrftoken"],
        },
    )


async def test_a_meeting_is_recorded_through_the_form(
    client: httpx.AsyncClient, world: World
) -> None:
    """The form offers the kinds and the household by name; recorded, the section shows the
    meeting and the summary the next one, while it is to come."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    section = text_of((await client.get(f"{family}/meetings")).text)
    assert "No meetings have been recorded." in section
    form = text_of((await client.get(f"{family}/meetings/new")).text)
    for words in (
        "Family group decision-making meeting",
        "Family network meeting",
        "Cara Smith (adult)",
        "Amy Smith (child)",
        "Date of the next meeting (optional)",
    ):
        assert words in form, words
    next_on = today() + dt.timedelta(days=28)
    response = await record(client, family, next_on)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{family}/meetings?saved=meeting"
    section = (await client.get(response.headers["location"])).text
    # Each line typed is a line shown.
    assert "Dee walks Amy to school.<br>Cara calls the housing officer." in section
    shown = text_of(section)
    assert "The meeting was recorded." in shown
    assert "Family group decision-making meeting on 6 Jan 2026" in shown
    assert "Cara, her sister Dee, Mr Patel from school" in shown
    assert "Members of the household who came Cara Smith" in shown
    assert "Dee walks Amy to school." in shown
    assert f"Next meeting {day(next_on)}" in shown
    summary = text_of((await client.get(family)).text)
    assert f"Next meeting {day(next_on)}" in summary
    assert await FamilyMeeting.count() == 1


async def test_a_next_meeting_that_has_passed_is_not_on_the_summary(
    client: httpx.AsyncClient, world: World
) -> None:
    """The summary says nothing of a next meeting whose day has gone."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    response = await record(client, family, dt.date(2026, 2, 3))
    assert response.status_code == 303, response.text
    assert "Next meeting" not in text_of((await client.get(family)).text)


async def test_a_refused_meeting_names_every_field_by_its_label(
    client: httpx.AsyncClient, world: World
) -> None:
    """Nothing typed: every required field is named by its label, in the summary and beside
    the field, and nothing is saved."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    response = await post_form(client, f"{family}/meetings/new", {})
    assert response.status_code == 422
    words = text_of(response.text)
    for message in (
        "Select kind of meeting",
        "Enter date of the meeting",
        "Enter who came",
        "Enter the plan the family agreed",
    ):
        assert words.count(message) == 2, message  # the summary and beside the field
    for name in ("held_on", "attendees", "agreed_plan"):
        assert name not in words, name
    assert "<title>Error: Record a family meeting" in response.text
    assert await FamilyMeeting.count() == 0


async def test_a_next_meeting_before_the_meeting_is_refused_keeping_what_was_typed(
    client: httpx.AsyncClient, world: World
) -> None:
    """A next meeting dated before the meeting is refused beside its field, with the kind, the
    people ticked and the text typed kept."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    cara = str(await person("A1"))
    response = await client.post(
        f"{family}/meetings/new",
        data={
            "kind": "family_network",
            **HELD,
            "attendees": "Cara and Nan",
            "members_present": [cara],
            "agreed_plan": "Nan has the children on Fridays",
            **date_fields("next_on", dt.date(2026, 1, 5)),
            "_csrf_token": client.cookies["csrftoken"],
        },
    )
    assert response.status_code == 422
    words = text_of(response.text)
    message = "Date of the next meeting must be the same as or after the date of the meeting"
    assert words.count(message) == 2
    assert 'name="kind" type="radio" value="family_network" checked' in response.text
    assert f'name="members_present" type="checkbox" value="{cara}" checked' in response.text
    assert ">Cara and Nan</textarea>" in response.text
    assert ">Nan has the children on Fridays</textarea>" in response.text
    assert await FamilyMeeting.count() == 0


async def test_a_reader_sees_the_meetings_but_no_form(
    client: httpx.AsyncClient, world: World
) -> None:
    """An auditor reads the section, and is offered no form to record a meeting."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    await record(client, family, today() + dt.timedelta(days=7))
    client.cookies.clear()
    await sign_in(client, "auditor")
    html = (await client.get(f"{family}/meetings")).text
    assert "Family group decision-making meeting on 6 Jan 2026" in text_of(html)
    assert "/meetings/new" not in html
    assert (await client.get(f"{family}/meetings/new")).status_code == 403


async def test_a_closed_family_offers_no_form_and_refuses_one(
    client: httpx.AsyncClient, world: World
) -> None:
    """A closed family's section offers no form; a form sent anyway says to reopen the case."""
    await Family.update({Family.status: "closed", Family.closed_on: dt.date(2026, 3, 1)}).where(
        Family.id == world.families["fam1"]
    )
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    assert "/meetings/new" not in (await client.get(f"{family}/meetings")).text
    response = await record(client, family, today() + dt.timedelta(days=7))
    assert response.status_code == 409
    assert "reopen it to change its records" in text_of(response.text)
    assert await FamilyMeeting.count() == 0


async def test_a_meeting_is_a_line_of_the_outcome_timeline(
    client: httpx.AsyncClient, world: World
) -> None:
    """The evidence section's timeline names the meeting by its kind, with the next date, and
    leaves what was said to the meetings section."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    await record(client, family, dt.date(2026, 2, 3))
    timeline = text_of((await client.get(f"{family}/evidence")).text)
    assert (
        "6 Jan 2026 : Family group decision-making meeting, The household: next meeting 3 Feb 2026"
        in timeline
    )
    assert "Dee walks Amy" not in timeline
