"""The audit log: what it records, who can search it, and that nobody can change it."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from connecting_families.audit.tables import AuditEvent
from connecting_families.cli import main
from connecting_families.database.engine import AnyEngine

from access_world import World, build_world

NOTE_TEXT = "Mother said the youngest is being bullied"


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_world(app.state.accounts)


async def test_reads_writes_and_denials_are_recorded(
    client: httpx.AsyncClient, world: World
) -> None:
    """A read, a write, an out-of-caseload attempt and a role refusal each leave an entry."""
    own, other = world.families["own"], world.families["other_team"]
    kw = world.headers("kw_own")
    await client.get(f"/api/v1/families/{own}", headers=kw)
    await client.post(
        f"/api/v1/families/{own}/notes",
        json={"occurred_on": "2014-01-01", "body": NOTE_TEXT},
        headers=kw,
    )
    await client.get(f"/api/v1/families/{other}", headers=kw)
    await client.get("/api/v1/audit", headers=kw)

    entries = (
        await AuditEvent.select()
        .where(AuditEvent.actor_name == "kw_own")
        .order_by(AuditEvent.id)
        .output(load_json=True)
    )
    seen = [(e["action"], e["resource_id"], e["allowed"]) for e in entries]
    assert ("family.read", str(own), True) in seen
    assert ("family.read", str(other), False) in seen
    denied = [e for e in entries if e["action"] == "access.denied"]
    assert [e["detail"]["route"] for e in denied] == ["/api/v1/audit"]
    assert any(action == "family.note.create" for action, _, _ in seen)
    assert all(e["actor_role"] == "key_worker" for e in entries)
    assert all(e["source"] for e in entries)


async def test_entries_hold_no_personal_data(client: httpx.AsyncClient, world: World) -> None:
    """Neither the note's text nor the family's reference is copied into the log."""
    own = world.families["own"]
    await client.post(
        f"/api/v1/families/{own}/notes",
        json={"occurred_on": "2014-01-01", "body": NOTE_TEXT},
        headers=world.headers("kw_own"),
    )
    everything = str(await AuditEvent.select())
    assert NOTE_TEXT not in everything
    assert "F-own" not in everything


async def test_auditor_searches_and_the_search_is_recorded(
    client: httpx.AsyncClient, world: World
) -> None:
    """Auditors filter the log through the API; their search is itself audited."""
    await client.get(f"/api/v1/families/{world.families['own']}", headers=world.headers("pm"))
    response = await client.get(
        "/api/v1/audit",
        params={"action": "family.read", "actor_name": "pm"},
        headers=world.headers("auditor"),
    )
    assert response.status_code == 200
    entries = response.json()
    assert len(entries) == 1
    assert entries[0]["resource_id"] == str(world.families["own"])
    assert await AuditEvent.exists().where(
        AuditEvent.action == "audit.search", AuditEvent.actor_name == "auditor"
    )
    admin = await client.get("/api/v1/audit", headers=world.headers("admin"))
    assert admin.status_code == 200


async def test_the_api_offers_no_way_to_change_the_log(
    client: httpx.AsyncClient, world: World
) -> None:
    """Only GET exists on the audit log; changing verbs are not allowed."""
    headers = world.headers("admin")
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        response = await client.request(method, "/api/v1/audit", headers=headers)
        assert response.status_code == 405, method


async def test_database_refuses_update_and_delete(
    client: httpx.AsyncClient, world: World, engine: AnyEngine
) -> None:
    """UPDATE and DELETE on the log fail in the database itself, for the app's own role."""
    await client.get(f"/api/v1/families/{world.families['own']}", headers=world.headers("pm"))
    count = await AuditEvent.count()
    assert count > 0
    with pytest.raises(Exception, match="append-only"):
        await engine.run_ddl("UPDATE audit_event SET allowed = NOT allowed")
    with pytest.raises(Exception, match="append-only"):
        await engine.run_ddl("DELETE FROM audit_event")
    assert await AuditEvent.count() == count


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI pointed at the test's migrated database."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CF_DATABASE_URL", database_url)
    monkeypatch.setenv("CF_SECRET_KEY", "cli-test-secret-" + "x" * 32)


@pytest.mark.usefixtures("cli_env")
def test_cli_user_commands_are_audited_as_the_operator(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`users create`, `list` and `deactivate` work and name the local operator in the log."""
    monkeypatch.setattr("sys.stdin", io.StringIO("first admin passphrase\n"))
    assert main(["users", "--operator", "jo", "create", "root.admin", "--display-name",
                 "Admin", "--role", "admin", "--password-stdin"]) == 0  # fmt: skip
    assert main(["users", "list"]) == 0
    assert "root.admin" in capsys.readouterr().out
    assert main(["users", "--operator", "jo", "deactivate", "root.admin"]) == 0
    assert main(["users", "list"]) == 0
    assert "inactive" in capsys.readouterr().out

    async def actions() -> list[tuple[str, str]]:
        rows = await AuditEvent.select(AuditEvent.actor_name, AuditEvent.action)
        return [(r["actor_name"], r["action"]) for r in rows]

    assert asyncio.run(actions()) == [("cli:jo", "user.create"), ("cli:jo", "user.deactivate")]


@pytest.mark.usefixtures("cli_env")
def test_cli_refuses_a_weak_first_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """There is no default password: a short one is refused with the reason."""
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "create", "admin", "--display-name", "A", "--role", "admin",
                 "--password-stdin"]) == 1  # fmt: skip
    assert "at least 12 characters" in capsys.readouterr().err
