"""An administrator's pages: users (create, change, deactivate, reset a password) and teams,
programmes created; nobody else reaches them, and an administrator reaches no family page."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar

from connecting_families.accounts.tables import Team, User
from connecting_families.programmes.tables import Programme

from access_world import World
from admin_world import (
    build_admin_world,
    post_form,
    sign_in,
    temporary_password_in,
    text_of,
)

ADMIN_PAGES = ("/admin", "/admin/users", "/admin/users/new", "/admin/teams", "/admin/teams/new")


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_admin_world(app)


async def test_an_admin_creates_a_key_worker_and_sees_the_password_once(
    client: httpx.AsyncClient, world: World
) -> None:
    """The form makes the user; the answer shows the temporary password, not cached."""
    await sign_in(client, "admin")
    assert (await client.get("/")).headers["location"] == "/admin"
    created = await post_form(
        client,
        "/admin/users",
        {
            "username": "kw.nia",
            "display_name": "Nia Evans",
            "roles": ["key_worker"],
            "team": "team_a",
            "programmes": ["P1"],
        },
    )
    assert created.status_code == 200, created.text
    assert created.headers["cache-control"] == "no-store"
    assert len(temporary_password_in(created.text)) == 23
    listed = text_of((await client.get("/admin/users")).text)
    assert "kw.nia Nia Evans Key worker team_a P1 Temporary password" in listed


async def test_a_refused_user_form_names_every_field_and_keeps_what_was_typed(
    client: httpx.AsyncClient, world: World
) -> None:
    """A bad username and no role at once, by their labels; the name typed is kept."""
    await sign_in(client, "admin")
    refused = await post_form(
        client, "/admin/users", {"username": "Nia Evans", "display_name": "Nia Evans"}
    )
    assert refused.status_code == 422
    words = text_of(refused.text)
    assert "There is a problem" in words
    assert "Username must be 1 to 64 lower-case letters" in words
    assert "Select at least one role" in words
    assert 'value="Nia Evans"' in refused.text
    assert await User.count().where(User.display_name == "Nia Evans") == 0


async def test_an_admin_changes_roles_and_deactivates_and_reactivates(
    client: httpx.AsyncClient, world: World
) -> None:
    """The change form replaces the roles; deactivated, the user cannot sign in; reactivated,
    they can."""
    await sign_in(client, "admin")
    user_id = world.users["kw_spare"]
    changed = await post_form(
        client,
        f"/admin/users/{user_id}",
        {"display_name": "Spare", "roles": ["key_worker", "team_manager"], "team": "team_b"},
    )
    assert changed.status_code == 303, changed.text
    page = text_of((await client.get(changed.headers["location"])).text)
    assert "The user's details were changed." in page
    assert "Key worker, Team manager" in page
    assert (await post_form(client, f"/admin/users/{user_id}/deactivate", {})).status_code == 303
    assert (await sign_in(client, "kw_spare")).status_code == 422
    await sign_in(client, "admin")
    assert (await post_form(client, f"/admin/users/{user_id}/reactivate", {})).status_code == 303
    assert (await sign_in(client, "kw_spare")).status_code == 302


async def test_a_reset_is_confirmed_then_the_password_is_shown_once(
    client: httpx.AsyncClient, world: World
) -> None:
    """The confirmation page warns; the post shows a temporary password the user signs in with."""
    await sign_in(client, "admin")
    user_id = world.users["kw_own"]
    confirm = await client.get(f"/admin/users/{user_id}/temporary-password")
    assert "Their current password stops working" in text_of(confirm.text)
    shown = await post_form(client, f"/admin/users/{user_id}/temporary-password", {})
    assert shown.status_code == 200
    temporary = temporary_password_in(shown.text)
    signed_in = await sign_in(client, "kw_own", temporary)
    assert signed_in.status_code == 302
    assert (await client.get("/caseload")).headers["location"] == "/account/password"


async def test_an_admin_creates_a_team_and_sets_its_members_and_manager(
    client: httpx.AsyncClient, world: World
) -> None:
    """Create, then one form renames it and sets members and the manager (given the role)."""
    await sign_in(client, "admin")
    made = await post_form(client, "/admin/teams", {"name": "East", "programme": "P1"})
    assert made.status_code == 303, made.text
    team_path = made.headers["location"].split("?")[0]
    changed = await post_form(
        client,
        team_path,
        {"name": "East Locality", "members": ["kw_spare", "kw_other"], "manager": "kw_spare"},
    )
    assert changed.status_code == 303, changed.text
    teams = text_of((await client.get("/admin/teams")).text)
    assert "East Locality P1 kw_spare 2" in teams
    both_wrong = await post_form(
        client, team_path, {"name": "", "members": ["kw_other"], "manager": "kw_spare"}
    )
    assert both_wrong.status_code == 422
    words = text_of(both_wrong.text)
    assert "Enter team name" in words
    assert "The manager must be one of the members" in words
    assert await Team.count().where(Team.name == "East Locality") == 1


async def test_an_admin_creates_a_programme(client: httpx.AsyncClient, world: World) -> None:
    """The programme form creates one through the programmes' service."""
    await sign_in(client, "admin")
    form = await client.get("/admin/programmes/new")
    assert "tf2015" in form.text
    made = await post_form(
        client,
        "/admin/programmes",
        {
            "code": "P3",
            "name": "Third",
            "local_authority": "Peterborough",
            "ruleset_id": "tf2015",
            "starts_on-day": "1",
            "starts_on-month": "4",
            "starts_on-year": "2015",
        },
    )
    assert made.status_code == 303, made.text
    assert await Programme.count().where(Programme.code == "P3") == 1
    refused = await post_form(client, "/admin/programmes", {"code": "P4"})
    assert refused.status_code == 422
    assert "Enter programme name" in text_of(refused.text)


async def test_nobody_else_reaches_the_admin_pages(
    client: httpx.AsyncClient, world: World
) -> None:
    """Every other role is refused every admin page and form."""
    for who in ("kw_own", "tm", "pm", "auditor"):
        await sign_in(client, who)
        for path in ADMIN_PAGES:
            assert (await client.get(path)).status_code == 403, (who, path)
        made = await post_form(client, "/admin/users", {"username": "x1", "roles": "admin"})
        assert made.status_code == 403
    assert await User.count().where(User.username == "x1") == 0


async def test_an_admin_reaches_no_family_page(client: httpx.AsyncClient, world: World) -> None:
    """A family's pages, the caseload and the search are not for an administrator."""
    await sign_in(client, "admin")
    family = world.families["own"]
    for path in (
        f"/families/{family}",
        f"/families/{family}/notes",
        "/caseload",
        "/families/search",
    ):
        assert (await client.get(path)).status_code in (403, 404), path
