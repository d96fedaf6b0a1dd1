"""Sign-in, tokens, sessions with CSRF, throttling and security headers."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from litestar import Litestar

from connecting_families.accounts.service import (
    ADDRESS_FAILURE_LIMIT,
    USERNAME_FAILURE_LIMIT,
    AccountService,
)
from connecting_families.accounts.tables import AuthToken
from connecting_families.audit.service import Actor
from connecting_families.audit.tables import AuditEvent

from access_world import World, build_world

PASSWORD = "a long enough passphrase"


@pytest.fixture
def accounts(app: Litestar) -> AccountService:
    service: AccountService = app.state.accounts
    return service


@pytest.fixture
async def world(client: httpx.AsyncClient, accounts: AccountService) -> World:
    return await build_world(accounts)


@pytest.fixture
async def worker(client: httpx.AsyncClient, accounts: AccountService) -> str:
    """A key worker with a password."""
    await accounts.create_user(
        Actor.operator("test"),
        username="kw.pat",
        display_name="Pat",
        password=PASSWORD,
        roles=["key_worker"],
    )
    return "kw.pat"


async def token_for(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}
    )


async def test_password_gives_a_short_lived_access_token(
    client: httpx.AsyncClient, worker: str
) -> None:
    """The right password returns a bearer token that works, for 15 minutes at most."""
    response = await token_for(client, worker, PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert 0 < body["expires_in"] <= 15 * 60
    me = await client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["username"] == worker
    assert me.json()["roles"] == ["key_worker"]


async def test_wrong_password_and_unknown_user_look_the_same(
    client: httpx.AsyncClient, worker: str
) -> None:
    """A wrong password and an unknown username get the same 401, and both are audited."""
    wrong = await token_for(client, worker, "not the password at all")
    unknown = await token_for(client, "nobody", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    denied = await AuditEvent.count().where(
        AuditEvent.action == "auth.login", AuditEvent.allowed.eq(False)
    )
    assert denied == 2


async def test_no_token_is_401_with_a_bearer_challenge(client: httpx.AsyncClient) -> None:
    """Without a token the API answers 401 and says how to authenticate."""
    response = await client.get("/api/v1/families")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_revoked_expired_and_deactivated_tokens_stop_working(
    client: httpx.AsyncClient, world: World, accounts: AccountService
) -> None:
    """A revoked or expired token, or one of a deactivated user, is refused."""
    headers = world.headers("kw_own")
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    assert (await client.delete("/api/v1/auth/token", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401

    expired = await accounts.issue_token(
        world.users["pm"], "personal", name="old", lifetime=dt.timedelta(seconds=-1)
    )
    stale = {"Authorization": f"Bearer {expired.token}"}
    assert (await client.get("/api/v1/auth/me", headers=stale)).status_code == 401

    pm = world.headers("pm")
    assert (await client.get("/api/v1/auth/me", headers=pm)).status_code == 200
    await accounts.deactivate(Actor.operator("test"), "pm")
    assert (await client.get("/api/v1/auth/me", headers=pm)).status_code == 401


async def test_personal_tokens_are_shown_once_stored_hashed_and_revocable(
    client: httpx.AsyncClient, world: World
) -> None:
    """A personal token works, is not stored in clear, is listed without value, and revokes."""
    headers = world.headers("auditor")
    created = await client.post(
        "/api/v1/auth/personal-tokens", json={"name": "reports", "expires_in_days": 30},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("cfp_")
    assert not await AuthToken.exists().where(AuthToken.token_hash == token)
    personal = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/auth/me", headers=personal)).status_code == 200

    listed = (await client.get("/api/v1/auth/personal-tokens", headers=headers)).json()
    assert [t["name"] for t in listed] == ["reports"]
    assert "token" not in listed[0]

    token_id = created.json()["id"]
    other_user = world.headers("pm")
    revoke_path = f"/api/v1/auth/personal-tokens/{token_id}"
    assert (await client.delete(revoke_path, headers=other_user)).status_code == 404
    assert (await client.delete(revoke_path, headers=headers)).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=personal)).status_code == 401


async def test_request_cannot_set_server_owned_fields(
    client: httpx.AsyncClient, world: World
) -> None:
    """Unknown fields such as an id or an author are refused, not silently used."""
    path = f"/api/v1/families/{world.families['own']}/notes"
    for field, value in (("id", 99), ("author", "someone"), ("family_id", 1)):
        body = {"occurred_on": "2014-01-01", "body": "Visit.", field: value}
        response = await client.post(path, json=body, headers=world.headers("kw_own"))
        assert response.status_code == 400, field


async def test_repeated_failures_lock_the_username(client: httpx.AsyncClient, worker: str) -> None:
    """After 5 failures even the right password is refused with 429 and Retry-After."""
    for _ in range(USERNAME_FAILURE_LIMIT):
        assert (await token_for(client, worker, "wrong password here")).status_code == 401
    locked = await token_for(client, worker, PASSWORD)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60 + 1
    assert "try again" in locked.json()["detail"]


async def test_session_cookie_flags_and_csrf_on_logout(
    client: httpx.AsyncClient, worker: str
) -> None:
    """The session cookie is HttpOnly and SameSite=Lax; logging out needs the CSRF token."""
    await client.get("/sign-in")  # any page sets the CSRF cookie
    response = await client.post(
        "/auth/login",
        data={"username": worker, "password": PASSWORD},
        headers={"x-csrftoken": client.cookies["csrftoken"]},
    )
    assert response.status_code == 204
    cookie = response.headers["set-cookie"]
    assert "cf_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http here

    # The session is for pages: the API does not take it.
    assert (await client.get("/api/v1/auth/me")).status_code == 401

    refused = await client.post("/auth/logout")
    assert refused.status_code == 403
    session = await client.get("/auth/session")
    assert session.json()["username"] == worker
    csrf = client.cookies.get("csrftoken")
    assert csrf
    session_token = client.cookies.get("cf_session")
    accepted = await client.post("/auth/logout", headers={"x-csrftoken": csrf})
    assert accepted.status_code == 204
    assert await AuthToken.exists().where(
        AuthToken.kind == "session", AuthToken.revoked_at.is_not_null()
    )
    client.cookies.set("cf_session", session_token or "")
    assert (await client.get("/auth/session")).status_code == 401


async def test_session_cookie_is_secure_over_https(app: Litestar, worker: str) -> None:
    """Served over https, the session cookie is marked Secure and HSTS is sent."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    ) as https:
        await https.get("/sign-in")
        response = await https.post(
            "/auth/login",
            data={"username": worker, "password": PASSWORD},
            headers={"x-csrftoken": https.cookies["csrftoken"]},
        )
    assert response.status_code == 204
    assert "Secure" in response.headers["set-cookie"]
    assert "max-age" in response.headers["strict-transport-security"]


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    """CSP, nosniff and frame denial are on answers from routes and on 404s alike."""
    for path in ("/health", "/no/such/page"):
        headers = (await client.get(path)).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in headers  # plain http


async def test_cors_is_off_unless_configured(client: httpx.AsyncClient) -> None:
    """A browser on another origin gets no CORS permission."""
    response = await client.options(
        "/api/v1/families",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers


async def test_repeated_failures_from_one_address_lock_that_address(
    client: httpx.AsyncClient, worker: str
) -> None:
    """Guessing across many usernames from one address is throttled too."""
    for number in range(ADDRESS_FAILURE_LIMIT):
        response = await token_for(client, f"guess{number}", "wrong password here")
        assert response.status_code == 401
    assert (await token_for(client, worker, PASSWORD)).status_code == 429
