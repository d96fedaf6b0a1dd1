"""The consent pages, through HTTP as a browser sends them: the section, recording consent,
withdrawing it, and the warning every page of a family without current consent shows."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar
from test_pages import post_form, sign_in, text_of

from connecting_families.consent.tables import Consent
from connecting_families.families.tables import Person

from access_world import World
from page_world import build_page_world

WARNING = "No current consent to share information."
GIVEN = {"given_on-day": "6", "given_on-month": "1", "given_on-year": "2026"}


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


async def person(ref: str) -> int:
    row = await Person.select(Person.id).where(Person.person_ref == ref).first()
    assert row is not None
    return int(row["id"])


async def record(client: httpx.AsyncClient, family: str) -> httpx.Response:
    """Consent given by Cara Smith (A1) in person, covering school and health."""
    data = {"person_id": str(await person("A1")), **GIVEN, "method": "in_person"}
    return await client.post(
        f"{family}/consent/new",
        data={
            **data,
            "agencies": ["school", "health"],
            "_csrf_token": client.cookies["csrftoken"],
        },
    )


async def test_consent_is_recorded_through_the_form(
    client: httpx.AsyncClient, world: World
) -> None:
    """The form offers the household by name; consent recorded, the section shows it and the
    family's pages no longer warn."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    form = text_of((await client.get(f"{family}/consent/new")).text)
    for words in ("Cara Smith (adult)", "Amy Smith (child)", "By phone", "Police"):
        assert words in form
    response = await record(client, family)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{family}/consent?saved=consent"
    shown = text_of((await client.get(response.headers["location"])).text)
    assert "The consent was recorded." in shown
    assert "Given by Cara Smith on 6 Jan 2026" in shown
    assert "School or education, Health" in shown
    assert "In person" in shown
    assert WARNING not in shown
    assert await Consent.count() == 1


async def test_a_refused_consent_names_every_field_by_its_label(
    client: httpx.AsyncClient, world: World
) -> None:
    """Nothing chosen and a date that is not real: every field is named by its label, in the
    summary and beside the field, and what was typed is kept."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    date = {"given_on-day": "31", "given_on-month": "2", "given_on-year": "2026"}
    response = await post_form(client, f"{family}/consent/new", {**date})
    assert response.status_code == 422
    words = text_of(response.text)
    for message in (
        "Select who gave consent",
        "Date consent was given must be a real date",
        "Select how consent was given",
        "Select at least one kind of agency the consent covers",
    ):
        assert words.count(message) == 2, message  # the summary and beside the field
    for name in ("person_id", "given_on", "method"):
        assert name not in words, name
    assert 'name="given_on-day" type="text" value="31"' in response.text
    assert "<title>Error: Record consent" in response.text
    assert await Consent.count() == 0


async def test_a_refused_consent_keeps_the_choices_made(
    client: httpx.AsyncClient, world: World
) -> None:
    """A consent dated in the future comes back with the person, method and agencies still
    chosen."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    cara = str(await person("A1"))
    future = {"given_on-day": "1", "given_on-month": "1", "given_on-year": "2099"}
    response = await client.post(
        f"{family}/consent/new",
        data={
            "person_id": cara,
            **future,
            "method": "phone",
            "agencies": ["police", "housing"],
            "_csrf_token": client.cookies["csrftoken"],
        },
    )
    assert response.status_code == 422
    assert "Date consent was given must not be in the future" in text_of(response.text)
    for name, value in (
        ("person_id", cara),
        ("method", "phone"),
        ("agencies", "police"),
        ("agencies", "housing"),
    ):
        assert (
            f'name="{name}" type="{"checkbox" if name == "agencies" else "radio"}"'
            f' value="{value}" checked' in response.text
        ), (name, value)
    assert 'value="school" checked' not in response.text
    assert await Consent.count() == 0


async def test_consent_is_withdrawn_after_a_confirmation(
    client: httpx.AsyncClient, world: World
) -> None:
    """Withdrawing asks for the date on a page of its own; withdrawn, the consent stays in the
    history and the family's pages warn again."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    await record(client, family)
    consent = await Consent.select(Consent.id).first()
    assert consent is not None
    withdraw = f"{family}/consents/{consent['id']}/withdraw"
    confirm = text_of((await client.get(withdraw)).text)
    assert "Withdraw consent" in confirm
    assert "Cara Smith" in confirm
    early = {"withdrawn_on-day": "5", "withdrawn_on-month": "1", "withdrawn_on-year": "2026"}
    too_early = await post_form(client, withdraw, {"version": "1", **early, "reason": "Kept"})
    assert too_early.status_code == 422
    assert (
        "Date consent was withdrawn must be the same as or after the date it was given"
        in text_of(too_early.text)
    )
    assert ">Kept</textarea>" in too_early.text
    on = {"withdrawn_on-day": "7", "withdrawn_on-month": "1", "withdrawn_on-year": "2026"}
    done = await post_form(client, withdraw, {"version": "1", **on, "reason": "Moved away"})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{family}/consent?saved=consent_withdrawn"
    shown = text_of((await client.get(done.headers["location"])).text)
    assert "The withdrawal of consent was recorded." in shown
    assert "Withdrawn on 7 Jan 2026" in shown
    assert "Moved away" in shown
    assert WARNING in shown
    stale = await post_form(client, withdraw, {"version": "1", **on})
    assert stale.status_code == 409
    assert "Reload it and make your change again" in text_of(stale.text)


async def test_every_family_page_warns_without_current_consent(
    client: httpx.AsyncClient, world: World
) -> None:
    """Each section of the family says at the top that there is no current consent, with a
    link to record it; once recorded, none does."""
    await sign_in(client, "kw_own")
    family = f"/families/{world.families['fam1']}"
    sections = [
        "",
        "/household",
        "/consent",
        "/assessments",
        "/plan",
        "/meetings",
        "/notes",
        "/result",
    ]
    for section in sections:
        html = (await client.get(family + section)).text
        assert WARNING in text_of(html), section
        assert f'href="{family}/consent/new">Record consent</a>' in html, section
        assert "govuk-notification-banner--success" not in html, section
    await record(client, family)
    for section in sections:
        assert WARNING not in text_of((await client.get(family + section)).text), section


async def test_a_reader_sees_the_warning_but_no_form(
    client: httpx.AsyncClient, world: World
) -> None:
    """An auditor reads that there is no consent, and is offered no form to record it."""
    await sign_in(client, "auditor")
    family = f"/families/{world.families['fam1']}"
    html = (await client.get(f"{family}/consent")).text
    assert WARNING in text_of(html)
    assert "/consent/new" not in html
    assert (await client.get(f"{family}/consent/new")).status_code == 403
