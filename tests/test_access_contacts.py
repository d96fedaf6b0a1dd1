"""The contacts matrix: every front-door route (marked `contacts` in its access) x every user
x a contact about no family, one about a family in the user's caseload, one outside it, and
one of another programme.

The front door sees every contact of its programmes; anyone else reads a contact only through
the family it is about, as far as they may read that family; nobody else learns that it exists
(404, never 403, for a contact out of scope). The routes come from the app's own route table, so
a new front-door route fails here until it has an example request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from connecting_families.access.guard import route_access
from connecting_families.access.policy import ADMIN, Access
from connecting_families.domain.dates import add_working_days, today
from connecting_families.frontdoor.tables import Contact, ContactPerson

from access_world import USERS, World, build_world

Example = Callable[[int], Awaitable[dict[str, object] | None]]


async def _contact(world: World, programme: str, family: str | None) -> int:
    inserted = await Contact.insert(
        Contact(
            programme=world.programmes[programme],
            received_at=dt.datetime.now(dt.UTC),
            channel="phone",
            source="school",
            family=world.families[family] if family else None,
            consent_to_share="yes",
            summary="Matrix contact",
            decide_by=add_working_days(today(), 1),
            recorded_by=world.users["fd"],
            recorded_at=dt.datetime.now(dt.UTC),
        )
    ).returning(Contact.id)
    contact_id = int(inserted[0]["id"])
    await ContactPerson.insert(
        ContactPerson(
            contact=contact_id,
            given_name="Matrix",
            family_name=f"Person{contact_id}",
            date_of_birth=dt.date(2010, 1, 1),
            role="child",
        )
    )
    return contact_id


async def _none(contact_id: int) -> None:
    return None


def _new_contact(world: World) -> Example:
    async def body(contact_id: int) -> dict[str, object]:
        return {
            "programme": "P1",
            "received_at": dt.datetime.now(dt.UTC).isoformat(),
            "channel": "email",
            "source": "health",
            "consent_to_share": "not_known",
            "summary": "A new matrix contact",
            "people": [
                {
                    "given_name": "New",
                    "family_name": f"Matrix{contact_id}",
                    "date_of_birth": "2011-01-01",
                    "role": "child",
                }
            ],
        }

    return body


def _new_contact_form(contact_id: int) -> Awaitable[dict[str, object]]:
    async def form() -> dict[str, object]:
        on = today()
        return {
            "kind": "contact",
            "received_on-day": on.day,
            "received_on-month": on.month,
            "received_on-year": on.year,
            "received_time": "00:01",
            "channel": "email",
            "source": "health",
            "person-0-given_name": "New",
            "person-0-family_name": f"Page{contact_id}",
            "person-0-date_of_birth-day": 1,
            "person-0-date_of_birth-month": 1,
            "person-0-date_of_birth-year": 2011,
            "person-0-role": "child",
            "consent_to_share": "not_known",
            "summary": "A new matrix contact, by its page",
            "action": "record",
        }

    return form()


async def _decision(contact_id: int) -> dict[str, object]:
    row = await Contact.select(Contact.version).where(Contact.id == contact_id).first()
    return {"version": row["version"] if row else 1, "decision": "advice"}


def contact_routes(app: Litestar) -> list[tuple[str, str, Access]]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            access = route_access(handler)
            if access.contacts:
                for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                    found.append((method, route.path, access))
    return found


def examples(world: World) -> dict[tuple[str, str], Example]:
    return {
        ("GET", "/api/v1/contacts"): _none,
        ("POST", "/api/v1/contacts"): _new_contact(world),
        ("GET", "/api/v1/contacts/{contact_id:int}"): _none,
        ("POST", "/api/v1/contacts/{contact_id:int}/decision"): _decision,
        ("GET", "/front-door"): _none,
        ("GET", "/front-door/contacts/new"): _none,
        ("POST", "/front-door/contacts/new"): _new_contact_form,
        ("GET", "/front-door/contacts/{contact_id:int}"): _none,
        ("POST", "/front-door/contacts/{contact_id:int}/decision"): _decision,
    }


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    world = await build_world(app.state.accounts)
    await client.get("/sign-in")  # the app issues a CSRF token in a cookie
    world.csrf = str(client.cookies["csrftoken"])
    client.cookies.clear()
    return world


def test_every_contact_route_has_an_example(app: Litestar, world: World) -> None:
    routes = contact_routes(app)
    assert len(routes) >= 9
    missing = [(m, p) for m, p, _ in routes if (m, p) not in examples(world)]
    assert not missing, f"add example requests for {missing}"


def test_no_contact_route_lets_an_administrator_in(app: Litestar) -> None:
    for method, path, access in contact_routes(app):
        assert ADMIN not in (access.roles or ()), f"{method} {path}"


async def _send(
    client: httpx.AsyncClient, world: World, user: str, method: str, path: str, body: object
) -> httpx.Response:
    if path.startswith("/api/"):
        return await client.request(method, path, json=body, headers=world.headers(user))
    form = {name: str(value) for name, value in (body or {}).items()}  # type: ignore[attr-defined]
    return await client.request(method, path, data=form, headers=world.page_headers(user))


async def _state() -> list[object]:
    return [str(r) for r in await Contact.select().order_by(Contact.id)]


# Which contacts each user may see: about no family, about a family in their caseload ("own"
# for all but kw_other, whose caseload is "other_team"), and another programme's.
SEES = {
    "fd": {"loose", "own", "other_team"},
    "kw_own": {"own"},
    "kw_other": {"other_team"},
    "kw_spare": set(),
    "tm": {"own"},
    "pm": {"own", "other_team"},
    "auditor": {"own", "other_team"},
    "admin": set(),
}


@pytest.mark.parametrize("user", sorted(USERS))
async def test_no_contact_outside_role_and_scope(
    app: Litestar, client: httpx.AsyncClient, world: World, user: str
) -> None:
    """Allowed by role and scope: 2xx (a page, 200 or a redirect after a form). Out of scope:
    404. Not the role's: 403. Nothing written unless allowed."""
    roles = set(USERS[user][0])
    bodies = examples(world)
    for method, template, access in contact_routes(app):
        # Fresh contacts for each route, so that one decided by the API is not a page's 409.
        contacts = {
            "loose": await _contact(world, "P1", None),
            "own": await _contact(world, "P1", "own"),
            "other_team": await _contact(world, "P1", "other_team"),
            "other_programme": await _contact(world, "P2", "other_programme"),
        }
        role_allows = bool(roles & set(access.roles or ()))
        for which, contact_id in contacts.items():
            if "{contact_id" not in template and which != "loose":
                continue  # a route about no one contact: once is enough
            path = template.replace("{contact_id:int}", str(contact_id))
            body = await bodies[(method, template)](contact_id)
            before = await _state()
            response = await _send(client, world, user, method, path, body)
            label = f"{user} {method} {template} on {which}"
            in_scope = "{contact_id" not in template or which in SEES[user]
            if not role_allows:
                assert response.status_code == 403, label
            elif not in_scope:
                assert response.status_code == 404, f"{label}: {response.text}"
            else:
                assert response.status_code < 400, f"{label}: {response.text}"
            writes = method == "POST" and role_allows and in_scope
            if not writes:
                assert await _state() == before, f"{label} changed a contact"
