"""The new-family journey and the household section, over HTTP as a browser without JavaScript
sends them: every step's hidden fields posted back as they came."""

from __future__ import annotations

import html
import json
from html.parser import HTMLParser

import httpx
import pytest
from litestar import Litestar
from test_pages import csrf, sign_in, text_of

from connecting_families.audit.tables import AuditEvent
from connecting_families.families.tables import Allocation, Family, Membership, Person

from access_world import World
from page_world import build_page_world

AMY = {"given_name": "Amy", "family_name": "Smith", "born": ("1", "4", "2005")}
KNOWN_ELSEWHERE = "This person may already be known to the programme. Ask a team manager"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


class _Fields(HTMLParser):
    """The fields a browser would send from the page's form: hidden and typed inputs, and
    checked radios and checkboxes (not the buttons, which are sent only when pressed)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        name = found.get("name")
        if tag != "input" or not name or name == "_csrf_token":
            return
        kind = found.get("type", "text")
        if kind in ("radio", "checkbox") and "checked" not in found:
            return
        self.fields[name] = found.get("value") or ""


def fields_of(html: str) -> dict[str, str]:
    parser = _Fields()
    parser.feed(html)
    return parser.fields


async def press(
    client: httpx.AsyncClient,
    page: httpx.Response,
    action: str,
    path: str = "/families/new",
    **typed: str,
) -> httpx.Response:
    """Press the button `action` on `page`'s form, having typed `typed` into it."""
    data = {**fields_of(page.text), **typed, "action": action, "_csrf_token": csrf(client)}
    return await client.post(path, data=data)


def person(
    index: int, given: str, family: str, born: tuple[str, str, str], role: str
) -> dict[str, str]:
    prefix = f"member-{index}-"
    day, month, year = born
    return {
        f"{prefix}given_name": given,
        f"{prefix}family_name": family,
        f"{prefix}date_of_birth-day": day,
        f"{prefix}date_of_birth-month": month,
        f"{prefix}date_of_birth-year": year,
        f"{prefix}role": role,
    }


LEFT = {"left_on-day": "5", "left_on-month": "6", "left_on-year": "2024"}
DETAILS = {
    "family_ref": "NEW-1",
    "identified_on-day": "2",
    "identified_on-month": "3",
    "identified_on-year": "2024",
    "postcode": "pe3 3cc",
    "ward": "East",
}


ZOE = person(0, "Zoe", "Hart", ("3", "5", "1985"), "adult")


async def start(client: httpx.AsyncClient) -> httpx.Response:
    """The journey's first step filled in and sent: the household step."""
    first = await client.get("/families/new")
    assert first.status_code == 200, first.text
    household = await press(client, first, "continue", **DETAILS)
    assert household.status_code == 200, household.text
    assert "Who is in the household" in household.text
    return household


async def written() -> tuple[int, int, int]:
    return await Family.count(), await Person.count(), await Membership.count()


async def test_a_new_family_with_two_members_is_created_after_checking_answers(
    client: httpx.AsyncClient, world: World
) -> None:
    """Details, then "Add another" and "Remove" (plain buttons), then check your answers,
    then the family page; nothing is written before "Create family", then all of it."""
    await sign_in(client, "kw_own")
    before = await written()
    household = await start(client)
    assert 'name="member-0-given_name"' in household.text
    assert 'name="member-1-given_name"' not in household.text
    two = await press(
        client, household, "add", **person(0, "Zoe", "Hart", ("3", "5", "1985"), "adult")
    )
    assert 'name="member-1-given_name"' in two.text
    assert 'value="Zoe"' in two.text  # the first person kept
    three = await press(
        client, two, "add", **person(1, "Max", "Hart", ("9", "9", "2015"), "child")
    )
    assert 'name="member-2-given_name"' in three.text
    oops = person(2, "Oops", "Wrong", ("1", "1", "2000"), "adult")
    removed = await press(client, three, "remove-2", **oops)
    assert "Oops" not in removed.text
    assert 'name="member-2-given_name"' not in removed.text
    assert 'value="Max"' in removed.text
    check = await press(client, removed, "continue")
    assert check.status_code == 200, check.text
    words = text_of(check.text)
    assert "Check your answers before creating the family" in words
    for shown in ("NEW-1", "2 Mar 2024", "Zoe Hart", "3 May 1985", "Max Hart", "Child", "East"):
        assert shown in words
    assert "Oops" not in words
    assert await written() == before  # nothing yet
    assert "NEW-1" not in str(check.url)

    created = await press(client, check, "create")
    assert created.status_code == 303, created.text
    assert created.headers["location"].endswith("?saved=family_created")
    family = (
        await Family.select(Family.id, Family.postcode).where(Family.family_ref == "NEW-1").first()
    )
    assert family is not None
    assert family["postcode"] == "PE3 3CC"
    assert created.headers["location"] == f"/families/{family['id']}?saved=family_created"
    summary = await client.get(created.headers["location"])
    assert "The family was created." in summary.text
    page = text_of((await client.get(f"/families/{family['id']}/household")).text)
    assert "Zoe Hart" in page
    assert "Max Hart" in page
    assert await Allocation.count().where(Allocation.family == family["id"]) == 1
    families, people, memberships = before
    assert await written() == (families + 1, people + 2, memberships + 2)


async def test_change_on_check_your_answers_goes_back_with_everything_kept(
    client: httpx.AsyncClient, world: World
) -> None:
    """ "Change" takes the user back to the step, everything they typed still there."""
    await sign_in(client, "kw_own")
    household = await start(client)
    check = await press(
        client, household, "continue", **person(0, "Zoe", "Hart", ("3", "5", "1985"), "adult")
    )
    details = await press(client, check, "change-family")
    assert 'value="NEW-1"' in details.text
    changed = await press(client, details, "continue", family_ref="NEW-2")
    assert 'value="Zoe"' in changed.text
    check = await press(client, changed, "continue")
    assert "NEW-2" in text_of(check.text)
    created = await press(client, check, "create")
    assert created.status_code == 303
    assert await Family.exists().where(Family.family_ref == "NEW-2")


async def test_a_refused_household_names_each_wrong_field_by_person(
    client: httpx.AsyncClient, world: World
) -> None:
    """Every wrong field of every person at once, each saying whose it is; values kept."""
    await sign_in(client, "kw_own")
    household = await start(client)
    two = await press(
        client, household, "add", **person(0, "Zoe", "Hart", ("3", "5", "1985"), "adult")
    )
    refused = await press(
        client, two, "continue", **person(1, "", "Hart", ("31", "2", "2015"), "")
    )
    assert refused.status_code == 422
    words = text_of(refused.text)
    assert "Enter given name of person 2" in words
    assert "Date of birth of person 2 must be a real date" in words
    assert "Select whether person 2 is an adult or a child" in words
    assert 'value="Zoe"' in refused.text
    assert await Family.count().where(Family.family_ref == "NEW-1") == 0


async def test_a_duplicate_in_scope_is_named_and_can_be_the_existing_person(
    client: httpx.AsyncClient, world: World
) -> None:
    """kw_own types FAM-1's Amy: she is offered by name, and choosing her adds her (the same
    person, no new record) to the new family."""
    await sign_in(client, "kw_own")
    household = await start(client)
    asked = await press(
        client, household, "continue", **person(0, "amy", "SMITH", AMY["born"], "child")
    )
    assert asked.status_code == 409, asked.text
    words = text_of(asked.text)
    assert "Amy Smith, born 1 Apr 2005, reference C1, in family FAM-1" in words
    assert "Select whether person 1 is one of the people found, or someone else" in words
    amy = await Person.select(Person.id).where(Person.person_ref == "C1").first()
    assert amy is not None
    people = await Person.count()
    check = await press(client, asked, "continue", **{"member-0-same": f"person-{amy['id']}"})
    assert "The person already known" in text_of(check.text)
    created = await press(client, check, "create")
    assert created.status_code == 303, created.text
    assert await Person.count() == people
    family = await Family.select(Family.id).where(Family.family_ref == "NEW-1").first()
    assert family is not None
    assert await Membership.exists().where(
        Membership.family == family["id"], Membership.person == amy["id"]
    )


async def test_a_duplicate_outside_scope_is_not_named(
    client: httpx.AsyncClient, world: World
) -> None:
    """kw_other cannot see FAM-1: typing its Amy gets the fixed words, no name, ref or family,
    the probe is audited, and "they are someone else" records a new person."""
    await sign_in(client, "kw_other")
    household = await start(client)
    asked = await press(
        client, household, "continue", **person(0, "Amy", "Smith", AMY["born"], "child")
    )
    assert asked.status_code == 409, asked.text
    words = text_of(asked.text)
    assert KNOWN_ELSEWHERE in words
    for hidden in ("C1", "FAM-1", "1 Apr 2005"):
        assert hidden not in words
    assert await AuditEvent.exists().where(AuditEvent.action == "person.duplicate_probe")
    people = await Person.count()
    check = await press(client, asked, "continue", **{"member-0-same": "new"})
    assert "Check your answers" in check.text
    # The answer was for Amy: changed to FAM-1's Ben, the person is checked again.
    again = await press(client, check, "change-household")
    ben = person(0, "Ben", "Smith", ("1", "6", "2007"), "child")
    asked_again = await press(client, again, "continue", **ben)
    assert asked_again.status_code == 409, asked_again.text
    assert KNOWN_ELSEWHERE in text_of(asked_again.text)
    amy = person(0, "Amy", "Smith", AMY["born"], "child")
    asked = await press(client, asked_again, "continue", **amy)
    check = await press(client, asked, "continue", **{"member-0-same": "new"})
    created = await press(client, check, "create")
    assert created.status_code == 303, created.text
    assert await Person.count() == people + 1


async def test_a_taken_family_ref_sends_the_user_back_to_the_details(
    client: httpx.AsyncClient, world: World
) -> None:
    """A ref in the caller's caseload already is named at the family's details, not lost."""
    await sign_in(client, "kw_own")
    first = await client.get("/families/new")
    household = await press(client, first, "continue", **{**DETAILS, "family_ref": "FAM-1"})
    zoe = person(0, "Zoe", "Hart", ("3", "5", "1985"), "adult")
    check = await press(client, household, "continue", **zoe)
    before = await written()
    refused = await press(client, check, "create")
    assert refused.status_code == 409, refused.text
    words = html.unescape(text_of(refused.text))
    assert "The family's details" in words
    assert "Family reference already used" in words
    assert 'value="FAM-1"' in refused.text
    assert fields_of(refused.text)["member-0-given_name"] == "Zoe"  # carried, hidden
    assert await written() == before


async def test_a_taken_person_ref_is_named_at_the_person(
    client: httpx.AsyncClient, world: World
) -> None:
    """A person reference FAM-1's Amy has is refused beside person 1's field; nothing written."""
    await sign_in(client, "kw_own")
    household = await start(client)
    check = await press(client, household, "continue", **ZOE, **{"member-0-person_ref": "C1"})
    before = await written()
    refused = await press(client, check, "create")
    assert refused.status_code == 409, refused.text
    assert "Person reference of person 1 already used" in text_of(refused.text)
    assert 'href="#member-0-person_ref"' in refused.text
    assert await written() == before


# The household section.


async def test_a_member_is_added_after_the_duplicate_check(
    client: httpx.AsyncClient, world: World
) -> None:
    """A new person is added; one who matches FAM-1's Amy is offered by name first."""
    await sign_in(client, "kw_own")
    family = world.families["own"]
    form = await client.get(f"/families/{family}/household/new")
    assert form.status_code == 200
    path = f"/families/{family}/household"
    new = {
        "given_name": "Kit",
        "family_name": "Long",
        "date_of_birth-day": "4",
        "date_of_birth-month": "4",
        "date_of_birth-year": "2012",
        "role": "child",
    }
    added = await press(client, form, "", path, **new)
    assert added.status_code == 303, added.text
    assert "Kit Long" in text_of((await client.get(added.headers["location"])).text)
    amy = {
        **new,
        "given_name": "Amy",
        "family_name": "Smith",
        "date_of_birth-day": "1",
        "date_of_birth-year": "2005",
    }
    asked = await press(client, form, "", path, **amy)
    assert asked.status_code == 409
    assert "Amy Smith, born 1 Apr 2005, reference C1" in text_of(asked.text)
    row = await Person.select(Person.id).where(Person.person_ref == "C1").first()
    assert row is not None
    people = await Person.count()
    added = await press(client, asked, "", path, same=f"person-{row['id']}")
    assert added.status_code == 303, added.text
    assert await Person.count() == people
    assert await Membership.exists().where(
        Membership.family == family, Membership.person == row["id"]
    )


async def test_someone_already_known_is_found_by_name_and_added(
    client: httpx.AsyncClient, world: World
) -> None:
    """The search finds people of the caller's own families only (not those already in this
    household), and adding one makes no new person."""
    await sign_in(client, "kw_own")
    family = world.families["own"]
    form = await client.get(f"/families/{family}/household/known")
    assert form.status_code == 200
    found = await press(client, form, "", f"/families/{family}/household/known", name="smi")
    assert found.status_code == 200, found.text
    words = text_of(found.text)
    assert "Cara Smith, born 2 Feb 1980, reference A1, in family FAM-1" in words
    assert "Dan Jones" not in words
    nobody = await press(client, form, "", f"/families/{family}/household/known", name="jones")
    assert "Nobody of that name was found" in text_of(nobody.text)  # FAM-2 is not kw_own's
    cara = await Person.select(Person.id).where(Person.person_ref == "A1").first()
    assert cara is not None
    people = await Person.count()
    added = await press(
        client,
        found,
        "",
        f"/families/{family}/household",
        same=f"person-{cara['id']}",
        role="adult",
    )
    assert added.status_code == 303, added.text
    assert await Person.count() == people
    again = await press(client, form, "", f"/families/{family}/household/known", name="cara")
    assert "Cara Smith" not in text_of(again.text)  # in this household now


async def test_a_member_leaving_is_confirmed_with_a_date(
    client: httpx.AsyncClient, world: World
) -> None:
    """The confirmation page asks the date; the household then shows when they left."""
    await sign_in(client, "kw_own")
    family = world.families["fam1"]
    ben = (
        await Membership.select(Membership.id)
        .where(Membership.person.person_ref == "C2", Membership.superseded_at.is_null())
        .first()
    )
    assert ben is not None
    path = f"/families/{family}/household/{ben['id']}/leave"
    confirm = await client.get(path)
    assert "Record that Ben Smith left the household" in text_of(confirm.text)
    refused = await press(client, confirm, "", path)
    assert refused.status_code == 422
    assert "Enter date they left" in text_of(refused.text)
    done = await press(
        client,
        confirm,
        "",
        path,
        **{"left_on-day": "5", "left_on-month": "6", "left_on-year": "2024"},
    )
    assert done.status_code == 303, done.text
    page = html.unescape(text_of((await client.get(done.headers["location"])).text))
    assert "The member's leaving was recorded." in page
    assert "5 Jun 2024" in page


async def test_a_person_is_corrected_and_a_stale_form_says_what_changed(
    client: httpx.AsyncClient, world: World
) -> None:
    """A correction opened before someone else's change is refused, naming the field they
    changed and keeping what was typed; sent again, both changes hold."""
    await sign_in(client, "kw_own")
    family = world.families["fam1"]
    cara = await Person.select(Person.id, Person.version).where(Person.person_ref == "A1").first()
    assert cara is not None
    path = f"/families/{family}/people/{cara['id']}"
    form = await client.get(f"{path}/edit")
    assert form.status_code == 200
    assert 'value="Cara"' in form.text
    # Someone else corrects her family name meanwhile, through the API.
    patched = await client.patch(
        f"/api/v1/families/{family}/people/{cara['id']}",
        json={"version": cara["version"], "family_name": "Smyth"},
        headers=world.headers("kw_own"),
    )
    assert patched.status_code == 200, patched.text
    stale = await press(client, form, "", path, given_name="Clara")
    assert stale.status_code == 409, stale.text
    words = text_of(stale.text)
    assert "Someone else changed these details after you opened this page: Family name" in words
    assert 'value="Clara"' in stale.text  # what the user typed
    assert 'value="Smyth"' in stale.text  # their change, shown
    saved = await press(client, stale, "", path)
    assert saved.status_code == 303, saved.text
    row = (
        await Person.select(Person.given_name, Person.family_name)
        .where(Person.id == cara["id"])
        .first()
    )
    assert row == {"given_name": "Clara", "family_name": "Smyth"}
    entry = (
        await AuditEvent.select(AuditEvent.detail)
        .where(AuditEvent.action == "person.update")
        .order_by(AuditEvent.id, ascending=False)
        .first()
    )
    assert entry is not None
    detail = entry["detail"]
    assert (json.loads(detail) if isinstance(detail, str) else detail)["fields"] == ["given_name"]


async def test_a_correction_emptying_a_name_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """A required detail emptied is refused by its label; nothing changes."""
    await sign_in(client, "kw_own")
    family = world.families["fam1"]
    cara = await Person.select(Person.id).where(Person.person_ref == "A1").first()
    assert cara is not None
    path = f"/families/{family}/people/{cara['id']}"
    form = await client.get(f"{path}/edit")
    refused = await press(client, form, "", path, family_name="")
    assert refused.status_code == 422
    assert "Enter family name" in text_of(refused.text)
    assert await Person.exists().where(Person.id == cara["id"], Person.family_name == "Smith")


async def test_the_household_forms_are_not_offered_to_an_auditor(
    client: httpx.AsyncClient, world: World
) -> None:
    """An auditor reads the household but is offered no form to change it."""
    await sign_in(client, "auditor")
    page = await client.get(f"/families/{world.families['fam1']}/household")
    assert page.status_code == 200
    assert "Cara Smith" in text_of(page.text)
    assert "/household/new" not in page.text
    assert "/edit" not in page.text
