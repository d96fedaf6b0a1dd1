"""Credentials: a new password ends the old credentials, sign-in cannot be forged from another
site, cookies are Secure over https, and the client address is the peer unless a trusted
proxy names another."""

from __future__ import annotations

import io
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from argon2 import extract_parameters
from litestar import Litestar

from connecting_families.accounts import credentials
from connecting_families.accounts.service import ADDRESS_FAILURE_LIMIT, AccountService
from connecting_families.accounts.tables import AuthToken, LoginAttempt
from connecting_families.audit.service import Actor
from connecting_families.audit.tables import AuditEvent
from connecting_families.cli import main
from connecting_families.database.engine import AnyEngine, run_with_database
from connecting_families.settings import DatabaseUrl, Settings, SettingsError

from conftest import TEST_SECRET
from serve_process import Server

PASSWORD = "a long enough passphrase"
NEW_PASSWORD = "another long passphrase"
FOREIGN = "https://attacker.example"


@pytest.fixture
def accounts(app: Litestar) -> AccountService:
    service: AccountService = app.state.accounts
    return service


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


async def sign_in_page(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, **headers: str
) -> httpx.Response:
    """The sign-in form as the page sends it: the CSRF token the page's GET set, in the form."""
    await client.get("/sign-in")
    return await client.post(
        "/sign-in",
        data={
            "username": username,
            "password": password,
            "next": "/",
            "_csrf_token": client.cookies["csrftoken"],
        },
        headers=headers,
    )


async def sessions_issued() -> int:
    return await AuthToken.count().where(AuthToken.kind == "session")


# A new password ends every credential made before it -------------------------------------


async def test_set_password_revokes_sessions_access_and_personal_tokens(
    client: httpx.AsyncClient, accounts: AccountService, worker: str
) -> None:
    """After set_password, the user's earlier session, access and personal tokens get 401."""
    access = (
        await client.post("/api/v1/auth/token", json={"username": worker, "password": PASSWORD})
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    personal = (
        await client.post("/api/v1/auth/personal-tokens", json={"name": "s"}, headers=bearer)
    ).json()["token"]
    assert (await sign_in_page(client, worker)).status_code == 302
    assert (await client.get("/auth/session")).status_code == 200

    await accounts.set_password(Actor.operator("test"), worker, NEW_PASSWORD)

    assert (await client.get("/auth/session")).status_code == 401
    for token in (access, personal):
        me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 401
    renewed = await client.post(
        "/api/v1/auth/token", json={"username": worker, "password": NEW_PASSWORD}
    )
    assert renewed.status_code == 200


async def test_set_password_audit_entry_counts_what_it_revoked(
    client: httpx.AsyncClient, accounts: AccountService, worker: str
) -> None:
    """The user.set_password entry says how many sessions and tokens of each kind it ended."""
    user_id = (await accounts.get_user(worker)).id
    for kind in ("session", "session", "access", "personal"):
        await accounts.issue_token(user_id, kind)
    revoked = await accounts.issue_token(user_id, "access")
    await AuthToken.update({AuthToken.revoked_at: AuthToken.created_at}).where(
        AuthToken.id == revoked.id
    )

    await accounts.set_password(Actor.operator("test"), worker, NEW_PASSWORD)

    entries = (
        await AuditEvent.select(AuditEvent.detail)
        .where(AuditEvent.action == "user.set_password")
        .output(load_json=True)
    )
    assert [e["detail"] for e in entries] == [
        {"revoked": {"session": 2, "access": 1, "personal": 1}}
    ]


def test_users_set_password_command_revokes_the_users_tokens(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`users set-password` on the command line ends the user's tokens, and says how many."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CF_DATABASE_URL", database_url)
    monkeypatch.setenv("CF_SECRET_KEY", TEST_SECRET)
    database = DatabaseUrl.parse(database_url)

    async def make_user(engine: AnyEngine) -> list[str]:
        accounts = AccountService(engine, TEST_SECRET)
        user = await accounts.create_user(
            Actor.operator("test"),
            username="kw.pat",
            display_name="Pat",
            password=PASSWORD,
            roles=["key_worker"],
        )
        return [
            (await accounts.issue_token(user.id, kind)).token for kind in ("access", "personal")
        ]

    tokens = run_with_database(database, make_user)
    monkeypatch.setattr(sys, "stdin", io.StringIO(NEW_PASSWORD + "\n"))
    assert main(["users", "set-password", "kw.pat", "--password-stdin"]) == 0
    assert "1 access token(s) and 1 personal token(s)" in capsys.readouterr().out

    async def still_working(engine: AnyEngine) -> list[bool]:
        accounts = AccountService(engine, TEST_SECRET)
        kinds = frozenset({"access", "personal"})
        return [await accounts.credential_for(token, kinds) is not None for token in tokens]

    assert run_with_database(database, still_working) == [False, False]


async def test_deactivate_still_revokes_and_counts(
    client: httpx.AsyncClient, accounts: AccountService, worker: str
) -> None:
    """Deactivating revokes the user's tokens as before, and returns how many."""
    user_id = (await accounts.get_user(worker)).id
    token = (await accounts.issue_token(user_id, "personal")).token
    revoked = await accounts.deactivate(Actor.operator("test"), worker)
    assert revoked.personal == 1
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


# Signing in cannot be forged from another site -------------------------------------------


async def test_login_endpoint_without_csrf_token_is_refused(
    client: httpx.AsyncClient, worker: str
) -> None:
    """POST /auth/login without the CSRF token is 403, and nobody is signed in."""
    await client.get("/sign-in")
    response = await client.post("/auth/login", data={"username": worker, "password": PASSWORD})
    assert response.status_code == 403
    assert "cf_session" not in response.headers.get("set-cookie", "")
    assert await sessions_issued() == 0


async def test_sign_in_form_without_csrf_token_is_refused(
    client: httpx.AsyncClient, worker: str
) -> None:
    """The sign-in form posted without its CSRF token gets the 403 page; nobody signs in."""
    response = await client.post(
        "/sign-in", data={"username": worker, "password": PASSWORD, "next": "/"}
    )
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert await sessions_issued() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": FOREIGN},
        {"Origin": "null"},
        {"Origin": FOREIGN, "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
    ids=["origin", "null-origin", "both", "fetch-site", "sibling-subdomain"],
)
async def test_sign_in_form_from_another_site_is_refused(
    client: httpx.AsyncClient, worker: str, headers: dict[str, str]
) -> None:
    """A sign-in form another site sent is a 403 page, even with a valid CSRF token."""
    response = await sign_in_page(client, worker, **headers)
    assert response.status_code == 403
    assert "another site" in response.text
    assert await sessions_issued() == 0


async def test_login_endpoint_from_another_origin_is_refused(
    client: httpx.AsyncClient, worker: str
) -> None:
    """POST /auth/login with a valid CSRF token but a foreign Origin is 403."""
    await client.get("/sign-in")
    response = await client.post(
        "/auth/login",
        data={"username": worker, "password": PASSWORD},
        headers={"x-csrftoken": client.cookies["csrftoken"], "Origin": FOREIGN},
    )
    assert response.status_code == 403
    assert await sessions_issued() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://testserver"},
        {"Sec-Fetch-Site": "same-origin"},
    ],
    ids=["browser", "origin-only", "fetch-site-only"],
)
async def test_sign_in_form_from_its_own_page_signs_in(
    client: httpx.AsyncClient, worker: str, headers: dict[str, str]
) -> None:
    """The sign-in form sent from the service's own page signs in, as a browser sends it."""
    response = await sign_in_page(client, worker, **headers)
    assert response.status_code == 302
    assert "cf_session" in client.cookies


async def test_a_page_form_from_another_site_is_refused_when_signed_in(
    client: httpx.AsyncClient, worker: str
) -> None:
    """Every page form, not only sign-in, refuses what another site sent (sign-out here)."""
    assert (await sign_in_page(client, worker)).status_code == 302
    response = await client.post(
        "/sign-out",
        data={"_csrf_token": client.cookies["csrftoken"]},
        headers={"Origin": FOREIGN},
    )
    assert response.status_code == 403
    assert (await client.get("/auth/session")).status_code == 200


async def test_api_is_not_checked_for_origin(client: httpx.AsyncClient, worker: str) -> None:
    """The API (bearer tokens, CORS) takes a request from another origin as before."""
    response = await client.post(
        "/api/v1/auth/token",
        json={"username": worker, "password": PASSWORD},
        headers={"Origin": FOREIGN, "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 200


# The CSRF cookie is Secure over https ----------------------------------------------------


async def test_csrf_cookie_is_secure_over_https_only(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    """The csrftoken cookie is marked Secure when the page is served over https, not over http."""
    plain = (await client.get("/sign-in")).headers["set-cookie"]
    assert plain.startswith("csrftoken=")
    assert "secure" not in plain.lower()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    ) as https:
        secure = (await https.get("/sign-in")).headers["set-cookie"]
    assert secure.startswith("csrftoken=")
    assert "; Secure" in secure


# The client address is the peer, unless a trusted proxy names another --------------------


def test_trusted_proxies_default_to_none(tmp_path: Path) -> None:
    """Without CF_TRUSTED_PROXIES no proxy is trusted."""
    settings = Settings.from_env({"CF_SECRET_KEY": TEST_SECRET}, data_dir=tmp_path)
    assert settings.trusted_proxies == ()


def test_trusted_proxies_take_addresses_and_networks(tmp_path: Path) -> None:
    """CF_TRUSTED_PROXIES takes IPv4 and IPv6 addresses and CIDR networks, comma separated."""
    env = {"CF_SECRET_KEY": TEST_SECRET, "CF_TRUSTED_PROXIES": " 10.0.0.5, 10.1.0.0/16,::1 ,"}
    settings = Settings.from_env(env, data_dir=tmp_path)
    assert settings.trusted_proxies == ("10.0.0.5/32", "10.1.0.0/16", "::1/128")


@pytest.mark.parametrize("value", ["*", "proxy.local", "10.0.0.1/8", "10.0.0.300"])
def test_bad_trusted_proxy_is_refused_by_name(tmp_path: Path, value: str) -> None:
    """Anything but an address or network is refused, naming the setting and the entry."""
    env = {"CF_SECRET_KEY": TEST_SECRET, "CF_TRUSTED_PROXIES": value}
    with pytest.raises(SettingsError, match=f"CF_TRUSTED_PROXIES: '{value}'"):
        Settings.from_env(env, data_dir=tmp_path)


async def test_app_never_reads_forwarded_for_itself(
    client: httpx.AsyncClient, worker: str
) -> None:
    """In the app, a sign-in with X-Forwarded-For is counted and audited at the peer's address."""
    await client.post(
        "/api/v1/auth/token",
        json={"username": worker, "password": "not the password at all"},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    attempts = await LoginAttempt.select(LoginAttempt.address)
    audited = await AuditEvent.select(AuditEvent.source).where(AuditEvent.action == "auth.login")
    assert [a["address"] for a in attempts] == ["127.0.0.1"]
    assert [a["source"] for a in audited] == ["127.0.0.1"]


@pytest.fixture
def served() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


def _serve(
    served: list[Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trusted: str | None
) -> tuple[Server, Path]:
    # Whatever the test runner's environment says, only CF_TRUSTED_PROXIES decides.
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    if trusted is None:
        monkeypatch.delenv("CF_TRUSTED_PROXIES", raising=False)
    else:
        monkeypatch.setenv("CF_TRUSTED_PROXIES", trusted)
    path = tmp_path / "serve.sqlite3"
    server = Server(f"sqlite:///{path}", tmp_path)
    served.append(server)
    server.wait_ready()
    return server, path


def _failed_sign_in(server: Server, forwarded_for: str, username: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/auth/token",
        json={"username": username, "password": "not the password at all"},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=10,
    )


def _audited_sources(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT source FROM audit_event WHERE action = 'auth.login' ORDER BY id"
        ).fetchall()
    return [row[0] for row in rows]


def test_served_forwarded_for_from_an_untrusted_peer_is_ignored(
    served: list[Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no trusted proxies, a new X-Forwarded-For per guess does not escape the throttle,
    and the audit log records the real peer (a real `serve`, as the header lives in uvicorn)."""
    server, path = _serve(served, tmp_path, monkeypatch, trusted=None)
    for number in range(ADDRESS_FAILURE_LIMIT):
        assert _failed_sign_in(server, f"198.51.100.{number}", f"guess{number}").status_code == 401
    assert _failed_sign_in(server, "198.51.100.250", "another").status_code == 429
    assert set(_audited_sources(path)) == {"127.0.0.1"}


def test_served_forwarded_for_from_a_trusted_proxy_is_used(
    served: list[Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 127.0.0.1 trusted, the address the proxy forwarded is throttled and audited."""
    server, path = _serve(served, tmp_path, monkeypatch, trusted="127.0.0.1")
    assert _failed_sign_in(server, "198.51.100.7", "nobody").status_code == 401
    assert _audited_sources(path) == ["198.51.100.7"]


def test_served_behind_a_trusted_tls_proxy_cookies_are_secure(
    served: list[Server], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind a trusted proxy that says X-Forwarded-Proto: https, the CSRF cookie is Secure."""
    server, _ = _serve(served, tmp_path, monkeypatch, trusted="127.0.0.0/8")
    forwarded = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
    headers = httpx.get(f"{server.url}/sign-in", headers=forwarded, timeout=10).headers
    assert headers["set-cookie"].startswith("csrftoken=")
    assert "; Secure" in headers["set-cookie"]
    assert "max-age" in headers["strict-transport-security"]


@pytest.mark.usefixtures("production_password_hashing")
def test_an_unknown_username_is_checked_against_a_hash_of_todays_parameters() -> None:
    """The hash a miss is verified against is made with the hasher's own parameters, so an
    unknown username takes as long as a known one."""
    used = extract_parameters(credentials._DUMMY_HASH)
    hasher = credentials._hasher
    assert (used.time_cost, used.memory_cost, used.parallelism, used.hash_len) == (
        hasher.time_cost,
        hasher.memory_cost,
        hasher.parallelism,
        hasher.hash_len,
    )
    assert not credentials.verify_password(None, "any password at all")
