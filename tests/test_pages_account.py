"""Your account, for everyone: change your password, your tokens, sign out everywhere; a
temporary password sends you to change it before any other page."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar

from connecting_families.accounts.tables import AuthToken

from access_world import World
from admin_world import NEW_PASSWORD, PASSWORD, build_admin_world, post_form, sign_in, text_of


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_admin_world(app)


async def test_the_header_leads_to_your_account(client: httpx.AsyncClient, world: World) -> None:
    """Every page's header has "Your account"; the page lists this session."""
    await sign_in(client, "kw_own")
    caseload = await client.get("/caseload")
    assert '<a class="govuk-service-navigation__link" href="/account"' in caseload.text
    account = text_of((await client.get("/account")).text)
    for shown in ("Username kw_own", "Full name kw_own", "Roles Key worker", "Team team_a"):
        assert shown in account
    assert "This session" in account


async def test_after_a_change_the_old_password_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    """The new password signs in, the old one does not; this session goes on."""
    await sign_in(client, "kw_own")
    changed = await post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 303, changed.text
    assert (await client.get("/account")).status_code == 200
    assert (await sign_in(client, "kw_own", PASSWORD)).status_code == 422
    assert (await sign_in(client, "kw_own", NEW_PASSWORD)).status_code == 302


async def test_a_wrong_current_password_and_a_short_new_one_are_both_named(
    client: httpx.AsyncClient, world: World
) -> None:
    """Every problem at once, by its label, and no password typed is shown again."""
    await sign_in(client, "kw_own")
    short = await post_form(
        client, "/account/password", {"current_password": "", "new_password": "short"}
    )
    assert short.status_code == 422
    words = text_of(short.text)
    assert "Enter current password" in words
    assert "The new password needs at least 12 characters" in words
    wrong = await post_form(
        client,
        "/account/password",
        {"current_password": "not my password", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422
    assert "The current password is wrong" in text_of(wrong.text)
    assert NEW_PASSWORD not in wrong.text
    assert (await sign_in(client, "kw_own", PASSWORD)).status_code == 302


async def test_sign_out_everywhere_revokes_every_token(
    client: httpx.AsyncClient, world: World
) -> None:
    """Sessions, access and personal tokens all end, this session too."""
    await sign_in(client, "kw_own")
    personal = world.headers("kw_own")
    signed_out = await post_form(client, "/account/sign-out-everywhere", {})
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/sign-in")
    assert (await client.get("/api/v1/auth/me", headers=personal)).status_code == 401
    live = await AuthToken.count().where(
        AuthToken.user == world.users["kw_own"], AuthToken.revoked_at.is_null()
    )
    assert live == 0
    assert (await client.get("/account")).headers["location"].startswith("/sign-in")


async def test_a_token_of_yours_is_revoked_and_another_users_is_not_found(
    client: httpx.AsyncClient, world: World
) -> None:
    """Revoking your own token from the page works; another user's token id answers 404."""
    await sign_in(client, "kw_own")
    made = await client.post(
        "/api/v1/auth/personal-tokens", json={"name": "laptop"}, headers=world.headers("kw_own")
    )
    assert made.status_code == 201, made.text
    assert "laptop" in (await client.get("/account")).text
    mine = await post_form(client, f"/account/tokens/{made.json()['id']}/revoke", {})
    assert mine.status_code == 303
    other = await AuthToken.select(AuthToken.id).where(AuthToken.user == world.users["pm"])
    theirs = await post_form(client, f"/account/tokens/{other[0]['id']}/revoke", {})
    assert theirs.status_code == 404


async def test_a_temporary_password_allows_nothing_but_changing_it(
    client: httpx.AsyncClient, world: World
) -> None:
    """Every page redirects to the change-password page until the password is changed."""
    await sign_in(client, "admin")
    shown = await post_form(client, f"/admin/users/{world.users['kw_own']}/temporary-password", {})
    temporary = shown.text.split('id="temporary-password">')[1].split("<")[0]
    await sign_in(client, "kw_own", temporary)
    for path in ("/", "/caseload", "/account", f"/families/{world.families['own']}"):
        response = await client.get(path)
        assert response.headers.get("location") == "/account/password", path
    form = text_of((await client.get("/account/password")).text)
    assert "You signed in with a temporary password" in form
    changed = await post_form(
        client,
        "/account/password",
        {"current_password": temporary, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 303
    assert (await client.get("/caseload")).status_code == 200
