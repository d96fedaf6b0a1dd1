"""`/api/v1/users` and `/api/v1/admin/teams`: administrators only, typed answers, every problem
by field, audited; a temporary password must be changed before the API does anything else."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar

from connecting_families.accounts.tables import User
from connecting_families.audit.tables import AuditEvent

from access_world import World
from admin_world import NEW_PASSWORD, PASSWORD, build_admin_world

NEW_USER = {
    "username": "kw.new",
    "display_name": "Nia Evans",
    "roles": ["key_worker"],
    "team": "team_a",
    "programme_codes": ["P1"],
}


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_admin_world(app)


async def token(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}
    )


async def test_an_admin_creates_a_user_with_a_temporary_password(
    client: httpx.AsyncClient, world: World
) -> None:
    """The answer holds the user and a temporary password; only a hash of it is stored."""
    response = await client.post("/api/v1/users", json=NEW_USER, headers=world.headers("admin"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user"]["roles"] == ["key_worker"]
    assert body["user"]["team"] == "team_a"
    assert body["user"]["programmes"] == ["P1"]
    assert body["user"]["must_change_password"] is True
    stored = await User.select(User.password_hash).where(User.username == "kw.new").first()
    assert stored is not None
    assert body["temporary_password"] not in stored["password_hash"]
    assert stored["password_hash"].startswith("$argon2id$")
    entry = await AuditEvent.select(AuditEvent.actor).where(AuditEvent.action == "user.create")
    assert entry == [{"actor": world.users["admin"]}]


async def test_every_problem_is_named_by_its_field(
    client: httpx.AsyncClient, world: World
) -> None:
    """A bad username, an empty name and an unknown role come back together, by field."""
    response = await client.post(
        "/api/v1/users",
        json={"username": "Bad Name/..", "display_name": " ", "roles": []},
        headers=world.headers("admin"),
    )
    assert response.status_code == 422, response.text
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"username", "display_name", "roles"}


async def test_a_taken_username_is_a_conflict(client: httpx.AsyncClient, world: World) -> None:
    """Creating a second `kw_own` answers 409 on the username field."""
    response = await client.post(
        "/api/v1/users", json={**NEW_USER, "username": "kw_own"}, headers=world.headers("admin")
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "username"


async def test_a_non_admin_gets_nothing_from_users(
    client: httpx.AsyncClient, world: World
) -> None:
    """Every other role is refused the list, one user, and creating one."""
    for who in ("kw_own", "tm", "pm", "auditor"):
        headers = world.headers(who)
        assert (await client.get("/api/v1/users", headers=headers)).status_code == 403
        one = await client.get(f"/api/v1/users/{world.users['kw_own']}", headers=headers)
        assert one.status_code == 403
        made = await client.post("/api/v1/users", json=NEW_USER, headers=headers)
        assert made.status_code == 403
    assert await User.count().where(User.username == "kw.new") == 0


async def test_roles_team_and_programmes_change(client: httpx.AsyncClient, world: World) -> None:
    """PATCH replaces the roles and moves the user to another team; the list shows it."""
    user_id = world.users["kw_spare"]
    response = await client.patch(
        f"/api/v1/users/{user_id}",
        json={"roles": ["key_worker", "team_manager"], "team": "team_b"},
        headers=world.headers("admin"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["key_worker", "team_manager"]
    assert response.json()["team"] == "team_b"
    unknown = await client.patch(
        f"/api/v1/users/{user_id}", json={"team": "nowhere"}, headers=world.headers("admin")
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "team"


async def test_deactivating_revokes_and_reactivating_lets_them_in(
    client: httpx.AsyncClient, world: World
) -> None:
    """A deactivated user's token stops at once and their password is refused; reactivated,
    the password works again."""
    pm = world.headers("pm")
    admin = world.headers("admin")
    gone = await client.post(f"/api/v1/users/{world.users['pm']}/deactivate", headers=admin)
    assert gone.status_code == 200
    assert gone.json()["access"] == 1
    assert (await client.get("/api/v1/auth/me", headers=pm)).status_code == 401
    assert (await token(client, "pm", PASSWORD)).status_code == 401
    back = await client.post(f"/api/v1/users/{world.users['pm']}/reactivate", headers=admin)
    assert back.status_code == 200
    assert back.json()["is_active"] is True
    assert (await token(client, "pm", PASSWORD)).status_code == 200


async def test_an_admin_cannot_deactivate_themselves(
    client: httpx.AsyncClient, world: World
) -> None:
    """So that the last administrator cannot lock everyone out by a slip."""
    response = await client.post(
        f"/api/v1/users/{world.users['admin']}/deactivate", headers=world.headers("admin")
    )
    assert response.status_code == 403


async def test_a_reset_password_must_be_changed_before_anything_else(
    client: httpx.AsyncClient, world: World
) -> None:
    """The old password stops; the temporary one gives a token that can only change it (403
    with words saying so), and after the change the API works and the temporary one is gone."""
    reset = await client.post(
        f"/api/v1/users/{world.users['kw_own']}/temporary-password",
        headers=world.headers("admin"),
    )
    assert reset.status_code == 200, reset.text
    temporary = reset.json()["temporary_password"]
    assert (await token(client, "kw_own", PASSWORD)).status_code == 401
    issued = await token(client, "kw_own", temporary)
    assert issued.status_code == 200
    bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    refused = await client.get("/api/v1/caseload", headers=bearer)
    assert refused.status_code == 403
    assert "temporary password" in refused.json()["detail"]
    changed = await client.post(
        "/api/v1/auth/password",
        json={"current_password": temporary, "new_password": NEW_PASSWORD},
        headers=bearer,
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get("/api/v1/caseload", headers=bearer)).status_code == 200
    assert (await token(client, "kw_own", temporary)).status_code == 401
    assert (await token(client, "kw_own", NEW_PASSWORD)).status_code == 200


async def test_an_expired_temporary_password_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """Past its expiry a temporary password no longer signs in, and says why."""
    reset = await client.post(
        f"/api/v1/users/{world.users['kw_own']}/temporary-password",
        headers=world.headers("admin"),
    )
    await User.update({User.temporary_password_expires_at: User.created_at}).where(
        User.username == "kw_own"
    )
    refused = await token(client, "kw_own", reset.json()["temporary_password"])
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]


async def test_teams_are_created_renamed_and_given_members_and_a_manager(
    client: httpx.AsyncClient, world: World
) -> None:
    """A new team, renamed, with two members, one of them made its manager (given the role)."""
    admin = world.headers("admin")
    made = await client.post(
        "/api/v1/admin/teams", json={"name": "East", "programme": "P1"}, headers=admin
    )
    assert made.status_code == 201, made.text
    team_id = made.json()["id"]
    changed = await client.patch(
        f"/api/v1/admin/teams/{team_id}",
        json={
            "name": "East Locality",
            "member_usernames": ["kw_spare", "kw_other"],
            "manager": "kw_spare",
        },
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        "id": team_id,
        "name": "East Locality",
        "programme": "P1",
        "members": ["kw_other", "kw_spare"],
        "managers": ["kw_spare"],
    }
    not_a_member = await client.patch(
        f"/api/v1/admin/teams/{team_id}",
        json={"name": "", "member_usernames": ["kw_other"], "manager": "tm"},
        headers=admin,
    )
    assert not_a_member.status_code == 422
    assert {e["field"] for e in not_a_member.json()["errors"]} == {"name", "manager"}
