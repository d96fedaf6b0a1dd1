"""The audit log: what it records, who can search it, and that nobody can change it."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from litestar import Litestar
from piccolo.querystring import QueryString

from connecting_families.audit import chain, verification
from connecting_families.audit.service import Actor, record
from connecting_families.audit.tables import AuditEvent
from connecting_families.cli import main
from connecting_families.database.engine import (
    AnyEngine,
    close_database,
    create_engine,
    open_database,
    run_with_database,
    use_engine,
)
from connecting_families.database.migrations import migrate, migration_status, rollback
from connecting_families.settings import DatabaseUrl

from access_world import World, build_world

T = TypeVar("T")
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


# Who reads what: an auditor reads their programmes' entries and their own; admins, all.


async def _probe_and_read(client: httpx.AsyncClient, world: World) -> None:
    """A probe of programme P2's family, a read of P1's, and a failed sign-in."""
    other = world.families["other_programme"]
    await client.get(f"/api/v1/families/{other}", headers=world.headers("kw_own"))
    await client.get(f"/api/v1/families/{world.families['own']}", headers=world.headers("pm"))
    await client.post(
        "/api/v1/auth/token", json={"username": "mallory.guess", "password": "wrong" * 4}
    )


async def _searched(client: httpx.AsyncClient, world: World, user: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/audit", params={"limit": 500}, headers=world.headers(user)
    )
    assert response.status_code == 200
    entries: list[dict[str, Any]] = response.json()
    return entries


async def test_an_auditor_reads_only_their_programmes_entries(
    client: httpx.AsyncClient, world: World
) -> None:
    """Through the API an auditor of P1 sees P1's entries and their own (about no programme),
    not P2's nor anyone's sign-ins; and no entry says which programme it is about."""
    await _probe_and_read(client, world)
    await _searched(client, world, "auditor")
    seen = await _searched(client, world, "auditor")
    about = {(e["action"], e["resource_id"]) for e in seen}
    assert ("family.read", str(world.families["own"])) in about
    assert ("family.read", str(world.families["other_programme"])) not in about
    assert not [e for e in seen if e["action"].startswith("auth.")]
    assert "mallory.guess" not in str(seen)
    assert [e["action"] for e in seen if e["actor_name"] == "auditor"] == ["audit.search"]
    assert not [e for e in seen if "programme" in e]


async def test_an_administrator_reads_the_whole_log(
    client: httpx.AsyncClient, world: World
) -> None:
    """An administrator sees every programme's entries and the failed sign-ins."""
    await _probe_and_read(client, world)
    seen = await _searched(client, world, "admin")
    about = {(e["action"], e["resource_id"]) for e in seen}
    assert ("family.read", str(world.families["other_programme"])) in about
    assert any(e["actor_name"] == "mallory.guess" for e in seen)


async def test_the_audit_page_keeps_to_the_auditors_programmes(
    client: httpx.AsyncClient, world: World
) -> None:
    """The /audit page shows an auditor neither P2's entries nor sign-ins; an admin both."""
    await _probe_and_read(client, world)
    other = str(world.families["other_programme"])
    for params in ({"resource_id": other}, {"action": "auth.login"}):
        auditor = await client.get("/audit", params=params, headers=world.page_headers("auditor"))
        assert auditor.status_code == 200
        assert "No entries match." in auditor.text
        admin = await client.get("/audit", params=params, headers=world.page_headers("admin"))
        assert admin.status_code == 200
        assert "No entries match." not in admin.text
    own = str(world.families["own"])
    auditor = await client.get(
        "/audit", params={"resource_id": own}, headers=world.page_headers("auditor")
    )
    assert "No entries match." not in auditor.text


async def test_a_family_list_entry_names_the_families_listed(
    client: httpx.AsyncClient, world: World
) -> None:
    """`family.list` records which families the page listed, under their programme."""
    response = await client.get("/api/v1/families", headers=world.headers("pm"))
    listed = sorted(f["id"] for f in response.json()["families"])
    entries = (
        await AuditEvent.select().where(AuditEvent.action == "family.list").output(load_json=True)
    )
    assert len(entries) == 1
    assert sorted(entries[0]["detail"]["families"]) == listed
    assert entries[0]["detail"]["returned"] == len(listed)
    assert entries[0]["programme"] == world.programmes["P1"]


# The hash chain: verify names the first broken link; a DBA's tampering is what it is for.

ANYONE = Actor.operator("chain-test")


async def _log_of(count: int) -> list[int]:
    """`count` entries appended to the log; their ids."""
    for number in range(count):
        await record(ANYONE, "test.entry", "thing", number, detail={"n": number})
    rows = await AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id)
    return [row["id"] for row in rows]


async def _as_dba(engine: AnyEngine, *statements: QueryString) -> None:
    """Run `statements` as a database administrator would: the log's triggers out of the way."""
    if engine.engine_type == "sqlite":
        await engine.run_ddl("DROP TRIGGER audit_event_no_update")
        await engine.run_ddl("DROP TRIGGER audit_event_no_delete")
    else:
        await engine.run_ddl("ALTER TABLE audit_event DISABLE TRIGGER USER")
    for statement in statements:
        await engine.run_querystring(statement)
    if engine.engine_type != "sqlite":
        await engine.run_ddl("ALTER TABLE audit_event ENABLE TRIGGER USER")


async def test_a_normal_log_verifies(client: httpx.AsyncClient, world: World) -> None:
    """Requests of every kind leave a chain that verifies whole, ending at the last entry."""
    await _probe_and_read(client, world)
    await _searched(client, world, "admin")
    engine = AuditEvent._meta.db
    result = await verification.verify(engine)
    last = await AuditEvent.select().order_by(AuditEvent.id, ascending=False).first()
    assert last is not None
    assert result.broken is None
    assert result.entries == await AuditEvent.count()
    assert result.head == verification.Head(last["id"], last["seq"], last["hash"])


async def test_concurrent_appends_keep_one_chain(engine: AnyEngine) -> None:
    """Entries appended side by side (PostgreSQL: on ten connections) still form one chain."""
    await asyncio.gather(
        *(record(ANYONE, "test.entry", "thing", n, detail={"n": n}) for n in range(60))
    )
    result = await verification.verify(engine)
    assert result.broken is None
    assert result.entries == 60
    rows = await AuditEvent.select(AuditEvent.seq).order_by(AuditEvent.id)
    assert [row["seq"] for row in rows] == list(range(1, 61))


WORKER = """
import asyncio, sys
from connecting_families.audit.service import Actor, record
from connecting_families.database.engine import run_with_database
from connecting_families.settings import DatabaseUrl

async def work(engine):
    for n in range(40):
        await asyncio.gather(*(record(Actor.operator(sys.argv[2]), "test.entry", "thing", n)
                               for _ in range(3)))

run_with_database(DatabaseUrl.parse(sys.argv[1]), work)
"""


def test_two_workers_appending_at_once_keep_one_chain(database_url: str) -> None:
    """Two processes (as two server workers) appending side by side leave one whole chain."""
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, database_url, name])
        for name in ("one", "two")
    ]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
    result = _on(database_url, verification.verify)
    assert result.broken is None
    assert result.entries == 240


async def test_a_changed_entry_is_named(engine: AnyEngine) -> None:
    """An entry whose detail was changed in SQL is the first broken link."""
    ids = await _log_of(5)
    await _as_dba(
        engine,
        QueryString("UPDATE audit_event SET detail = {} WHERE id = {}", '{"n": 99}', ids[2]),
    )
    result = await verification.verify(engine)
    assert result.broken is not None
    assert result.broken.entry_id == ids[2]
    assert result.broken.problem.startswith("content changed")


async def test_a_rehashed_entry_breaks_the_next_link(engine: AnyEngine) -> None:
    """Changed and its own hash recomputed, an entry no longer links to the next one."""
    ids = await _log_of(5)
    row = await AuditEvent.select().where(AuditEvent.id == ids[2]).first().output(load_json=True)
    assert row is not None
    forged = {**row, "allowed": False}
    await _as_dba(
        engine,
        QueryString(
            "UPDATE audit_event SET allowed = {}, hash = {} WHERE id = {}",
            False,
            chain.entry_hash(forged),
            ids[2],
        ),
    )
    result = await verification.verify(engine)
    assert result.broken is not None
    assert result.broken.entry_id == ids[3]
    assert result.broken.problem.startswith("link broken")


async def test_a_deleted_entry_is_named(engine: AnyEngine) -> None:
    """An entry deleted from the middle shows at the entry after it, as one missing."""
    ids = await _log_of(5)
    await _as_dba(engine, QueryString("DELETE FROM audit_event WHERE id = {}", ids[2]))
    result = await verification.verify(engine)
    assert result.broken is not None
    assert result.broken.entry_id == ids[3]
    assert result.broken.problem == f"entry missing: 1 entry deleted after entry {ids[1]}"


async def test_a_moved_entry_is_named_as_out_of_order(engine: AnyEngine) -> None:
    """An entry given a later id (and its hash recomputed for it) breaks the order."""
    ids = await _log_of(5)
    row = await AuditEvent.select().where(AuditEvent.id == ids[1]).first().output(load_json=True)
    assert row is not None
    new_id = ids[-1] + 100
    moved = {**row, "id": new_id}
    await _as_dba(
        engine,
        QueryString(
            "UPDATE audit_event SET id = {}, hash = {} WHERE id = {}",
            new_id,
            chain.entry_hash(moved),
            ids[1],
        ),
    )
    result = await verification.verify(engine)
    assert result.broken is not None
    assert result.broken.entry_id == ids[2]
    assert result.broken.problem.startswith("order broken")
    assert f"first: entry {new_id}" in result.broken.problem


async def test_a_cut_tail_shows_only_against_an_anchor(engine: AnyEngine) -> None:
    """Deleting the last entries leaves a whole, shorter chain: an anchor kept earlier shows it."""
    ids = await _log_of(5)
    anchor = (await verification.verify(engine)).head
    assert anchor is not None
    await _as_dba(engine, QueryString("DELETE FROM audit_event WHERE id >= {}", ids[3]))
    assert (await verification.verify(engine)).broken is None  # the honest limit
    result = await verification.verify(engine, verification.parse_anchor(anchor.anchor))
    assert result.broken is not None
    assert result.broken.entry_id is None
    assert result.broken.problem.startswith("truncated: the anchored entry 5 is gone")


async def test_a_rewritten_log_shows_against_an_anchor(engine: AnyEngine) -> None:
    """A log rewritten and rehashed from an entry on is whole, but not the anchored one."""
    await _log_of(3)
    anchor = (await verification.verify(engine)).head
    assert anchor is not None
    rows = await AuditEvent.select().order_by(AuditEvent.id).output(load_json=True)
    statements = []
    previous = chain.GENESIS
    for row in rows:  # every entry changed, and the whole chain recomputed
        row = {**row, "detail": {"n": -1}, "prev_hash": previous}
        previous = chain.entry_hash(row)
        statements.append(
            QueryString(
                "UPDATE audit_event SET detail = {}, prev_hash = {}, hash = {} WHERE id = {}",
                '{"n": -1}',
                row["prev_hash"],
                previous,
                row["id"],
            )
        )
    await _as_dba(engine, *statements)
    assert (await verification.verify(engine)).broken is None
    result = await verification.verify(engine, verification.parse_anchor(anchor.anchor))
    assert result.broken is not None
    assert result.broken.entry_id == rows[-1]["id"]
    assert result.broken.problem.startswith("not the anchored entry")


def _on(url: str, work: Callable[[AnyEngine], Awaitable[T]]) -> T:
    return run_with_database(DatabaseUrl.parse(url), work)


async def _entries(engine: AnyEngine) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await AuditEvent.select().order_by(AuditEvent.id).output(load_json=True)
    )
    return rows


def _users(*names: str) -> None:
    for name in names:
        assert main(["users", "--operator", "jo", "create", name, "--display-name", name,
                     "--role", "auditor", "--password-stdin"]) == 0  # fmt: skip


@pytest.mark.usefixtures("cli_env")
def test_audit_verify_prints_the_head_and_exits_0(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a whole log `audit verify` exits 0 and prints the head to keep as an anchor."""
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    _users("first.auditor")
    head = _on(database_url, verification.verify).head
    assert head is not None
    assert main(["audit", "verify"]) == 0
    assert f"anchor {head.anchor}" in capsys.readouterr().out
    assert main(["audit", "verify", "--anchor", head.anchor]) == 0
    assert _on(database_url, _entries)[-1]["action"] == "audit.verify"


@pytest.mark.usefixtures("cli_env")
def test_audit_verify_names_the_broken_entry_and_exits_1(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A tampered log makes `audit verify` exit 1, naming the entry and what is wrong."""

    async def tamper(engine: AnyEngine) -> int:
        ids = await _log_of(3)
        await _as_dba(
            engine, QueryString("UPDATE audit_event SET action = 'x' WHERE id = {}", ids[1])
        )
        return ids[1]

    changed = _on(database_url, tamper)
    assert main(["audit", "verify"]) == 1
    assert f"audit log broken at entry {changed}: content changed" in capsys.readouterr().err


@pytest.mark.usefixtures("cli_env")
def test_a_restore_says_which_entries_it_removed(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Restoring an older backup records the entries it takes out and the head it replaced."""
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n" * 3))
    _users("before.backup")
    backup = tmp_path / "older.backup"
    assert main(["backup", str(backup), "--operator", "jo"]) == 0
    _users("after.one", "after.two")
    entries = _on(database_url, _entries)
    # The backup's own entry comes after the copy was taken: it goes too.
    since = entries[[e["action"] for e in entries].index("database.backup") :]
    head = _on(database_url, verification.verify).head
    assert head is not None

    assert main(["restore", str(backup), "--replace", "--operator", "jo"]) == 0
    entries = _on(database_url, _entries)
    removed = entries[-1]["detail"]["audit_removed"]
    assert [e["action"] for e in since] == ["database.backup", "user.create", "user.create"]
    assert removed == {
        "count": 3,
        "first_id": since[0]["id"],
        "last_id": since[-1]["id"],
        "first_at": chain.instant_text(since[0]["occurred_at"]),
        "last_at": chain.instant_text(since[-1]["occurred_at"]),
        "replaced_head": {"id": head.id, "seq": head.seq, "hash": head.hash},
    }
    assert _on(database_url, verification.verify).broken is None


CHAIN_MIGRATION = "2026-12-03T07:42:50:171632"


async def test_the_migration_chains_the_entries_already_written(
    empty_database_url: str,
) -> None:
    """Entries from before the chain are chained in id order, each with its programme."""
    engine = create_engine(DatabaseUrl.parse(empty_database_url))
    use_engine(engine)
    await open_database(engine)
    try:
        await migrate(engine)
        later = [s for s in await migration_status() if s.migration_id >= CHAIN_MIGRATION]
        await rollback(engine, len(later))
        # Written as the tables were then: columns added by later migrations are not there.
        programme = await engine.run_querystring(
            QueryString(
                "INSERT INTO programme (code, name, local_authority, ruleset_id)"
                " VALUES ('OLD', 'Old', 'LA', 'tf2012') RETURNING id"
            )
        )
        family = await engine.run_querystring(
            QueryString(
                "INSERT INTO family (programme, family_ref, identified_on)"
                " VALUES ({}, 'F1', {}) RETURNING id",
                programme[0]["id"],
                dt.date(2013, 1, 1),
            )
        )
        for resource_type, resource_id in (
            ("family", family[0]["id"]),
            ("user", 1),
            ("programme", "OLD"),
        ):
            await engine.run_querystring(
                QueryString(
                    "INSERT INTO audit_event (occurred_at, actor_name, action, resource_type,"
                    " resource_id, allowed, detail)"
                    " VALUES ({}, 'old', 'old.entry', {}, {}, {}, {})",
                    dt.datetime(2014, 1, 1, tzinfo=dt.UTC),
                    resource_type,
                    str(resource_id),
                    True,
                    "{}",
                )
            )
        await migrate(engine)
        result = await verification.verify(engine)
        rows = await AuditEvent.select(AuditEvent.seq, AuditEvent.programme).order_by(
            AuditEvent.id
        )
    finally:
        await close_database(engine)
    assert result.broken is None
    assert result.entries == 3
    assert rows == [
        {"seq": 1, "programme": programme[0]["id"]},
        {"seq": 2, "programme": None},
        {"seq": 3, "programme": programme[0]["id"]},
    ]
