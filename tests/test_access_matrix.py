"""The caseload matrix: every family-level route x every role x own and other caseload.

The routes come from the app's own route table, so a new family route is covered the moment it
exists; one with no example request here fails until someone adds one.
"""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from connecting_families.access.guard import route_access
from connecting_families.access.policy import Access
from connecting_families.families.tables import CaseNote

from access_world import OWN_AND_OTHER, USERS, World, build_world

# (method, route template) -> JSON body for a valid request.
EXAMPLE_BODIES: dict[tuple[str, str], object] = {
    ("GET", "/api/v1/families/{family_id:int}"): None,
    ("POST", "/api/v1/families/{family_id:int}/notes"): {
        "occurred_on": "2014-01-02",
        "body": "Home visit.",
    },
}


def family_routes(app: Litestar) -> list[tuple[str, str, str]]:
    """(method, path template, 'read' or 'write') for every family-level route."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            access = route_access(handler)
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                if "{family_id" in route.path:
                    assert access.family, f"{method} {route.path} takes a family but no scope"
                if access.family:
                    found.append((method, route.path, access.family))
    return found


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_world(app.state.accounts)


def test_every_family_route_has_an_example(app: Litestar) -> None:
    """A new family route must be added to this matrix before the suite passes."""
    routes = family_routes(app)
    assert routes, "no family-level routes found"
    missing = [(m, p) for m, p, _ in routes if (m, p) not in EXAMPLE_BODIES]
    assert not missing, f"add example requests for {missing}"


@pytest.mark.parametrize("user", sorted(USERS))
async def test_no_cross_caseload_access(
    app: Litestar, client: httpx.AsyncClient, world: World, user: str
) -> None:
    """Own caseload: allowed by role. Other caseload: 404 (or 403 by role). Never a write."""
    roles, _, _ = USERS[user]
    own, other = OWN_AND_OTHER[user]
    for method, template, action in family_routes(app):
        access = route_access_of(app, method, template)
        role_allows = bool(set(roles) & set(access.roles or ()))
        for which, family in (("own", own), ("other", other)):
            family_id = world.families[family]
            path = template.replace("{family_id:int}", str(family_id))
            notes_before = await CaseNote.count().where(CaseNote.family == family_id)
            response = await client.request(
                method, path, json=EXAMPLE_BODIES[(method, template)], headers=world.headers(user)
            )
            label = f"{user} {method} {template} on {which} caseload"
            if not role_allows:
                assert response.status_code == 403, label
            elif which == "other":
                assert response.status_code == 404, label
                assert str(family_id) not in response.headers.get("location", ""), label
            else:
                assert 200 <= response.status_code < 300, f"{label}: {response.text}"
            if which == "other" or not role_allows or action == "read":
                assert await CaseNote.count().where(CaseNote.family == family_id) == notes_before


def route_access_of(app: Litestar, method: str, template: str) -> Access:
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path == template:
            for handler in route.route_handlers:
                if method in handler.http_methods:
                    return route_access(handler)
    raise AssertionError(f"no route {method} {template}")


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("kw_own", {"own"}),
        ("kw_other", {"other_team"}),
        ("tm", {"own", "unallocated"}),
        ("pm", {"own", "other_team", "unallocated"}),
        ("auditor", {"own", "other_team", "unallocated"}),
    ],
)
async def test_family_list_follows_the_caseload(
    client: httpx.AsyncClient, world: World, user: str, visible: set[str]
) -> None:
    """The list shows exactly the families in the caller's scope."""
    response = await client.get("/api/v1/families", headers=world.headers(user))
    assert response.status_code == 200
    assert {f["family_ref"] for f in response.json()} == {f"F-{name}" for name in visible}


async def test_admin_sees_no_family_data(client: httpx.AsyncClient, world: World) -> None:
    """An administrator without a programme role cannot list families."""
    response = await client.get("/api/v1/families", headers=world.headers("admin"))
    assert response.status_code == 403


async def test_sharing_a_family_opens_it_to_another_worker(
    client: httpx.AsyncClient, world: World
) -> None:
    """A family shared with a key worker is in their caseload too, until revoked."""
    import datetime as dt

    from connecting_families.families.tables import FamilyShare

    path = f"/api/v1/families/{world.families['own']}"
    assert (await client.get(path, headers=world.headers("kw_other"))).status_code == 404
    await FamilyShare.insert(
        FamilyShare(family=world.families["own"], user=world.users["kw_other"])
    )
    assert (await client.get(path, headers=world.headers("kw_other"))).status_code == 200
    await FamilyShare.update({FamilyShare.revoked_at: dt.datetime.now(dt.UTC)}).where(
        FamilyShare.family == world.families["own"]
    )
    assert (await client.get(path, headers=world.headers("kw_other"))).status_code == 404


async def test_reallocation_moves_access(client: httpx.AsyncClient, world: World) -> None:
    """When a family is reallocated, the old key worker loses it and the new one gains it."""
    import datetime as dt

    from connecting_families.families.tables import Allocation

    family = world.families["own"]
    now = dt.datetime.now(dt.UTC)
    await Allocation.update({Allocation.ended_at: now}).where(Allocation.family == family)
    await Allocation.insert(
        Allocation(family=family, key_worker=world.users["kw_other"], started_at=now)
    )
    path = f"/api/v1/families/{family}"
    assert (await client.get(path, headers=world.headers("kw_own"))).status_code == 404
    assert (await client.get(path, headers=world.headers("kw_other"))).status_code == 200
