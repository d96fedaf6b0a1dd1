"""The audit log page reads as events a person did: one per page view, however many records
the page read, with filters by user, family, person, action and date, each refusal by label."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from litestar import Litestar

from connecting_families.audit.tables import AuditEvent

from access_world import World
from page_world import PASSWORD, build_page_world


@pytest.fixture
def database_kind() -> str:
    return "sqlite"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    client.cookies.clear()
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={
            "username": username,
            "password": PASSWORD,
            "next": "/",
            "_csrf_token": str(client.cookies["csrftoken"]),
        },
    )
    assert response.status_code in (302, 303), response.text


def events(page: str) -> list[str]:
    """The "What they did" cell of each event row, without its entries."""
    body = page.split('id="audit-events"')[1].split("</table>")[0]
    rows = re.findall(r'<tr class="govuk-table__row"><td.*?</tr>', body, re.S)
    return [text_of(row.split("<details")[0].split("</td>")[2]).strip() for row in rows]


async def test_one_page_view_is_one_event(client: httpx.AsyncClient, world: World) -> None:
    """The caseload page writes several entries; the log shows them as one event."""
    await sign_in(client, "kw_own")
    before = await AuditEvent.count()
    await client.get("/caseload")
    assert await AuditEvent.count() - before > 1
    await sign_in(client, "admin")
    page = (await client.get("/audit", params={"actor_name": "kw_own"})).text
    assert events(page)[0] == "Opened their caseload"
    assert events(page).count("Opened their caseload") == 1


async def test_entries_of_one_view_share_its_mark(client: httpx.AsyncClient, world: World) -> None:
    """Each entry a page view writes carries the same mark and the page's route."""
    await sign_in(client, "kw_own")
    last = await AuditEvent.count()
    await client.get("/caseload")
    rows = (
        await AuditEvent.select(AuditEvent.detail)
        .where(AuditEvent.id > last)
        .output(load_json=True)
    )
    assert len({row["detail"]["page_view"] for row in rows}) == 1
    assert {row["detail"]["page"] for row in rows} == {"/caseload"}


async def test_an_api_call_carries_no_page_mark(client: httpx.AsyncClient, world: World) -> None:
    """Entries written by the API are not marked as a page view."""
    last = await AuditEvent.count()
    await client.get(f"/api/v1/families/{world.families['fam1']}", headers=world.headers("kw_own"))
    rows = (
        await AuditEvent.select(AuditEvent.detail)
        .where(AuditEvent.id > last)
        .output(load_json=True)
    )
    assert rows
    assert all("page_view" not in row["detail"] for row in rows)


async def test_the_family_filter_finds_a_familys_events(
    client: httpx.AsyncClient, world: World
) -> None:
    """Filtering by FAM-1 shows the views of its pages and not another family's."""
    await sign_in(client, "kw_own")
    await client.get(f"/families/{world.families['fam1']}/result")
    await client.get(f"/families/{world.families['own']}")
    await sign_in(client, "auditor")
    page = (await client.get("/audit", params={"family_ref": "FAM-1"})).text
    assert "Opened a family's result" in events(page)
    assert f"family {world.families['own']}" not in text_of(page)


async def test_the_person_filter_finds_their_familys_events(
    client: httpx.AsyncClient, world: World
) -> None:
    """Filtering by a person's reference shows the events about their family."""
    await sign_in(client, "kw_own")
    await client.get(f"/families/{world.families['fam1']}/household")
    await sign_in(client, "auditor")
    page = (await client.get("/audit", params={"person_ref": "C1"})).text
    assert "Opened a family's household" in events(page)


async def test_a_family_outside_the_auditors_programmes_matches_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    """A family of another programme is not found: no events, nothing said about it."""
    await sign_in(client, "auditor")
    page = (await client.get("/audit", params={"family_ref": "F-other_programme"})).text
    assert "No entries match." in text_of(page)


async def test_the_action_and_user_filters(client: httpx.AsyncClient, world: World) -> None:
    """Only the user's entries of that action are shown."""
    await sign_in(client, "kw_own")
    await client.get(f"/families/{world.families['fam1']}/notes")
    await sign_in(client, "auditor")
    page = (
        await client.get("/audit", params={"actor_name": "kw_own", "action": "family.page.read"})
    ).text
    assert events(page) == ["Opened a family's notes"]


async def test_every_date_problem_is_shown_by_its_label(
    client: httpx.AsyncClient, world: World
) -> None:
    """A From date that is not real and a To date before it are both refused, by label."""
    await sign_in(client, "auditor")
    bad = await client.get(
        "/audit",
        params={"since-day": "31", "since-month": "4", "since-year": "2026", "until-day": "x"},
    )
    assert bad.status_code == 422
    said = text_of(bad.text)
    assert "From must be a real date" in said
    assert "To must be a real date" in said
    assert 'href="#audit-since-day"' in bad.text
    backwards = await client.get(
        "/audit",
        params={
            "since-day": "2",
            "since-month": "3",
            "since-year": "2026",
            "until-day": "1",
            "until-month": "3",
            "until-year": "2026",
        },
    )
    assert backwards.status_code == 422
    assert "To must be the same as or after From" in text_of(backwards.text)
    assert 'name="until-day" type="text" value="1"' in backwards.text
