"""Faults a real server meets: killed mid-write, a locked or full database, PostgreSQL
restarted under it, and a graceful restart under load.

Each test runs `connecting-families serve` as a process and judges by what its clients saw
(status, problem detail, Retry-After) and by what the database holds afterwards.
"""

from __future__ import annotations

import datetime as dt
import resource
import sqlite3
import threading
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest

from connecting_families.accounts import credentials
from connecting_families.accounts.service import AccountService
from connecting_families.accounts.tables import User
from connecting_families.cli import main
from connecting_families.database.engine import SQLITE_BUSY_TIMEOUT_SECONDS, run_with_database
from connecting_families.demo import load_demo
from connecting_families.settings import DatabaseUrl

import fault_tools as db
from access_world import World, build_world
from conftest import TEST_SECRET, _migrate
from fault_tools import Outcome, load, send, tally
from postgres_server import PostgresServer
from serve_process import Server

PROBLEM_JSON = "application/problem+json"
CSV = {"Content-Type": "text/csv"}
# The import killed mid-write: more rows than one write chunk (20,000), and one marked row
# in the second chunk where the server's transaction is made to stall.
KILL_PEOPLE = 5_000
KILL_TERMS = 5
MARKED_ROW = 22_000
# Times PostgreSQL is restarted under one server.
PG_RESTARTS = 3
# Families of the demo programme whose claim is killed mid-write.
DEMO_FAMILIES = 100
# How long a client waits for any one answer; every fault must be answered well within it.
CLIENT_TIMEOUT_S = 30.0


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    """Servers a test starts; any still running at the end is killed."""
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


_logs = count(1)


def serve(servers: list[Server], url: str, cwd: Path, *extra: str) -> Server:
    """A ready server on `url`, logging to a file (a pipe nobody reads would fill up)."""
    server = Server(url, cwd, *extra, log_path=cwd / f"server-{next(_logs)}.log")
    servers.append(server)
    server.wait_ready()
    return server


def kill(server: Server) -> None:
    """SIGKILL, as the out-of-memory killer or a pulled plug would."""
    server.process.kill()
    server.process.communicate(timeout=30)


def in_database(url: str, work: Any) -> Any:
    """Run `work(engine)` on an engine of the test's own for `url`."""
    return run_with_database(DatabaseUrl.parse(url), work)


def world_at(url: str) -> World:
    """The access world (users, programmes P1/P2, families, tokens) written into `url`."""
    world: World = in_database(
        url, lambda engine: build_world(AccountService(engine, TEST_SECRET))
    )
    return world


def in_background(work: Any) -> tuple[threading.Thread, list[Any]]:
    """Start `work()` in a thread; its result lands in the returned list."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    return thread, result


def assert_problem(outcome: Outcome, status: int, *phrases: str) -> None:
    """`outcome` is a problem document of `status` whose detail says each of `phrases`."""
    assert outcome.status == status, outcome
    assert outcome.content_type.startswith(PROBLEM_JSON), outcome
    assert outcome.body is not None, outcome
    assert outcome.body["status"] == status, outcome
    for phrase in phrases:
        assert phrase in outcome.detail, outcome.detail


def add_note(
    client: httpx.Client, world: World, family: int, body: str, server: str = ""
) -> Outcome:
    return send(
        client,
        "write",
        "POST",
        f"{server}/api/v1/families/{family}/notes",
        json={"occurred_on": "2013-03-01", "body": body, "kind": "phone"},
        headers=world.headers("kw_own"),
    )


def read_notes(client: httpx.Client, world: World, family: int) -> Outcome:
    """The family's notes: a read, which also writes its audit entry."""
    return send(
        client,
        "read",
        "GET",
        f"/api/v1/families/{family}/notes",
        headers=world.headers("kw_own"),
    )


def acknowledged(outcomes: list[Outcome]) -> dict[int, str]:
    """Id and text of every note a client was told was saved."""
    return {
        o.body["id"]: o.body["body"]
        for o in outcomes
        if o.kind == "write" and o.status == 201 and o.body is not None
    }


def saved_notes(url: str) -> dict[int, str]:
    return {int(row[0]): str(row[1]) for row in db.rows(url, "SELECT id, body FROM case_note")}


# Killed mid-write ---------------------------------------------------------------------------


def _add_people(url: str) -> None:
    """Many people in P1, written directly: the test is about the attendance import."""
    now = dt.datetime.now(dt.UTC)
    sqlite = url.startswith("sqlite")
    db.insert_many(
        url,
        "INSERT INTO person (programme, person_ref, given_name, family_name, date_of_birth,"
        " created_at, updated_at, version)"
        " SELECT id, {}, 'K', 'K', {}, {}, {}, 1 FROM programme WHERE code = 'P1'",
        [
            (
                f"K{n:06d}",
                "2010-01-01" if sqlite else dt.date(2010, 1, 1),
                str(now) if sqlite else now,
                str(now) if sqlite else now,
            )
            for n in range(KILL_PEOPLE)
        ],
    )


def _attendance_file() -> bytes:
    lines = ["person_ref,period_start,period_end,possible_sessions,unauthorised_absence_sessions"]
    for term in range(KILL_TERMS):
        start, end = dt.date(2013 + term, 9, 1), dt.date(2013 + term, 12, 20)
        lines += [f"K{n:06d},{start},{end},140,{n % 30}" for n in range(KILL_PEOPLE)]
    # The marked row: the one whose insert stalls.
    lines[MARKED_ROW + 1] = lines[MARKED_ROW + 1].replace(",140,", ",139,")
    return ("\n".join(lines) + "\n").encode()


def _post_import(url: str, world: World, data: bytes) -> Outcome:
    with httpx.Client(base_url=url, timeout=CLIENT_TIMEOUT_S) as client:
        return send(
            client,
            "import",
            "POST",
            "/api/v1/programmes/P1/imports/attendance",
            content=data,
            headers={**world.headers("pm"), **CSV},
        )


def test_an_api_import_killed_mid_write_leaves_nothing(
    database_url: str, tmp_path: Path, servers: list[Server]
) -> None:
    """SIGKILL inside an import's write transaction (held at a row of its second chunk): no
    row, no import run, no audit entry, an intact database; the same file then imports whole."""
    world = world_at(database_url)
    _add_people(database_url)
    data = _attendance_file()
    db.install_stall(database_url, "attendance", "NEW.possible_sessions = 139")
    server = serve(servers, database_url, tmp_path)

    request, answer = in_background(lambda: _post_import(server.url, world, data))
    db.wait_until_stalled(database_url, timeout=60)
    kill(server)
    request.join(timeout=CLIENT_TIMEOUT_S)
    db.release_stall(database_url)

    assert answer[0].status is None, answer  # the client got no answer: it was cut off
    assert db.count(database_url, "SELECT count(*) FROM attendance") == 0
    assert db.count(database_url, "SELECT count(*) FROM import_run") == 0
    audited = "SELECT count(*) FROM audit_event WHERE action = 'import.attendance'"
    assert db.count(database_url, audited) == 0
    assert db.integrity(database_url) == "ok"

    again = _post_import(serve(servers, database_url, tmp_path).url, world, data)
    assert again.status == 200, again
    assert again.body is not None
    assert again.body["inserted"] == KILL_PEOPLE * KILL_TERMS
    assert db.count(database_url, "SELECT count(*) FROM attendance") == KILL_PEOPLE * KILL_TERMS
    assert db.count(database_url, "SELECT count(*) FROM import_run") == 1
    assert db.count(database_url, audited) == 1


async def _demo_with_token(engine: Any) -> str:
    await load_demo(engine, families=DEMO_FAMILIES, programmes=("DEMO-TF12",))
    user = await User.select(User.id).where(User.username == "pm.tf12").first()
    assert user is not None
    issued = await AccountService(engine, TEST_SECRET).issue_token(user["id"], "access")
    return issued.token


def _prepare_claim(url: str, token: str) -> Outcome:
    with httpx.Client(base_url=url, timeout=CLIENT_TIMEOUT_S) as client:
        return send(
            client,
            "claim",
            "POST",
            "/api/v1/programmes/DEMO-TF12/claims",
            json={"as_of": "2015-03-31"},
            headers={"Authorization": f"Bearer {token}"},
        )


def test_a_claim_preparation_killed_mid_write_leaves_no_claim(
    database_url: str, tmp_path: Path, servers: list[Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL once a claim and all its lines are written, before the commit: no claim, no
    line, an intact database; preparing again makes the whole claim."""
    # Nobody signs in with a password here; hashing twenty of them took seconds.
    monkeypatch.setattr(credentials, "hash_password", lambda password: "unusable")
    token: str = in_database(database_url, _demo_with_token)
    # The audit entry is the last statement of the preparation's transaction.
    db.install_stall(database_url, "audit_event", "NEW.action = 'claim.prepare'")
    server = serve(servers, database_url, tmp_path)

    request, answer = in_background(lambda: _prepare_claim(server.url, token))
    db.wait_until_stalled(database_url, timeout=60)
    kill(server)
    request.join(timeout=CLIENT_TIMEOUT_S)
    db.release_stall(database_url)

    assert answer[0].status is None, answer
    assert db.count(database_url, "SELECT count(*) FROM claim") == 0
    assert db.count(database_url, "SELECT count(*) FROM claim_line") == 0
    assert db.integrity(database_url) == "ok"

    again = _prepare_claim(serve(servers, database_url, tmp_path).url, token)
    assert again.status == 201, again
    assert again.body is not None
    lines = len(again.body["lines"])
    assert lines > 10
    assert db.count(database_url, "SELECT count(*) FROM claim") == 1
    assert db.count(database_url, "SELECT count(*) FROM claim_line") == lines


# A locked or full SQLite database -----------------------------------------------------------


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_a_locked_database_answers_503_and_then_recovers(
    database_url: str, tmp_path: Path, servers: list[Server]
) -> None:
    """Another process holds the write lock past the busy timeout: a write, and a read that
    must audit, answer 503 saying the database is busy, with Retry-After; /health still
    answers; once the lock goes, both work and nothing was lost or corrupted."""
    world = world_at(database_url)
    family = world.families["own"]
    server = serve(servers, database_url, tmp_path)
    with httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT_S) as client:
        assert add_note(client, world, family, "before the lock").status == 201

    path = DatabaseUrl.parse(database_url).sqlite_path
    holder = sqlite3.connect(str(path), isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("DELETE FROM case_note")  # a change that is never committed
        with httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT_S) as client:
            write, wrote = in_background(lambda: add_note(client, world, family, "locked out"))
            read, was_read = in_background(lambda: read_notes(client, world, family))
            health = send(client, "health", "GET", "/health")
            write.join()
            read.join()
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    # WAL readers read on: the database answers, though nobody can write.
    assert health.status == 200, health
    for outcome in (wrote[0], was_read[0]):
        assert_problem(outcome, 503, "The database is busy", "Nothing was changed")
        assert outcome.retry_after == "5"
        # It waited out the busy timeout, and not much longer.
        assert SQLITE_BUSY_TIMEOUT_SECONDS - 0.5 < outcome.took < SQLITE_BUSY_TIMEOUT_SECONDS + 5

    with httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT_S) as client:
        assert add_note(client, world, family, "after the lock").status == 201
        after = read_notes(client, world, family)
    assert after.status == 200
    assert sorted(saved_notes(database_url).values()) == ["after the lock", "before the lock"]
    assert db.integrity(database_url) == "ok"
    server.stop(timeout=10)


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_a_full_disk_answers_503_and_writes_resume_when_there_is_room(
    database_url: str, tmp_path: Path, servers: list[Server]
) -> None:
    """The server may write no more bytes (its file size limit is cut to nothing, as a full
    disk would): writes answer 503 saying the disk may be full, /health still answers;
    once there is room again, the same server writes, and the file is intact."""
    world = world_at(database_url)
    family = world.families["own"]
    server = serve(servers, database_url, tmp_path)
    pid = server.process.pid
    unlimited = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
    with httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT_S) as client:
        assert add_note(client, world, family, "before the disk filled").status == 201
        # Python ignores SIGXFSZ, so a write past the limit fails with EFBIG, as on a full disk.
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))
        try:
            full = [add_note(client, world, family, f"no room {n}") for n in range(3)]
            audited_read = read_notes(client, world, family)
            health = send(client, "health", "GET", "/health")
        finally:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, unlimited)
        again = add_note(client, world, family, "after the disk was freed")
        read_again = read_notes(client, world, family)

    for outcome in [*full, audited_read]:
        assert_problem(outcome, 503, "could not write to its disk", "Nothing was changed")
        assert outcome.retry_after == "60"
    assert health.status == 200, health
    assert again.status == 201, again
    assert read_again.status == 200
    assert sorted(saved_notes(database_url).values()) == [
        "after the disk was freed",
        "before the disk filled",
    ]
    assert db.integrity(database_url) == "ok"
    server.stop(timeout=10)


# PostgreSQL restarted under load ------------------------------------------------------------


@pytest.mark.alone
def test_postgresql_restarted_under_load_fails_clearly_and_recovers(
    tmp_path: Path, servers: list[Server]
) -> None:
    """PostgreSQL stopped (fast) under reads and writes: requests fail fast with 503
    problems, /health says 503; started again: the same server process answers again by
    itself within seconds, and every acknowledged note is kept."""
    cluster = PostgresServer.start()  # its own: stopping it must not disturb other tests
    try:
        db.execute(cluster.url(), "CREATE DATABASE cf_restart")
        url = cluster.url("cf_restart")
        _migrate(url)
        world = world_at(url)
        family = world.families["own"]
        server = serve(servers, url, tmp_path)
        clients = [httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT_S) for _ in range(8)]
        probe = httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT_S)

        def request(worker: int, n: int) -> Outcome:
            if worker % 2:
                return read_notes(clients[worker], world, family)
            return add_note(clients[worker], world, family, f"restart {worker}-{n}")

        health_down: list[Outcome] = []
        recoveries: list[float] = []
        with load(len(clients), request, pause=0.01) as outcomes:
            # Again and again: connections lost with each restart must not pile up.
            for _ in range(PG_RESTARTS):
                time.sleep(0.5)
                cluster.stop_fast()
                time.sleep(0.5)
                health_down.append(send(probe, "health", "GET", "/health"))
                cluster.start_again()
                started = time.monotonic()
                recoveries.append(_recovered(outcomes, after=started, timeout=20) - started)
            time.sleep(0.5)
        health_up = send(probe, "health", "GET", "/health")
        for client in [*clients, probe]:
            client.close()
        assert server.process.poll() is None, "the server must not have needed a restart"
        server.stop(timeout=10)
        saved = saved_notes(url)
    finally:
        cluster.stop()

    seen = tally(outcomes)
    print(
        f"\nPostgreSQL restarted {PG_RESTARTS} times: {len(outcomes)} requests, {dict(seen)};"
        f" slowest {max(o.took for o in outcomes):.2f} s; answering again"
        f" {', '.join(f'{r:.2f}' for r in recoveries)} s after PostgreSQL was started"
    )
    assert set(seen) <= {"200", "201", "503"}, seen  # never a 500, never a hang
    assert seen["503"] > 0
    assert max(o.took for o in outcomes) < 5.0
    for outcome in outcomes:
        if outcome.status == 503:
            assert_problem(outcome, 503, "cannot be reached", "Nothing was changed")
            assert outcome.retry_after == "5"
    for outcome in health_down:
        assert_problem(outcome, 503, "The database did not answer.")
        assert outcome.retry_after == "5"
    assert health_up.status == 200
    assert max(recoveries) < 10.0
    assert acknowledged(outcomes).items() <= saved.items()


def _recovered(outcomes: list[Outcome], after: float, timeout: float) -> float:
    """When every kind of request first succeeded again after `after`."""
    deadline = after + timeout
    while time.monotonic() < deadline:
        recent = [o for o in list(outcomes) if o.started > after]
        for kind in ("read", "write"):
            if not any(o.kind == kind and o.status in (200, 201) for o in recent):
                break
        else:
            return max(
                min(o.started + o.took for o in recent if o.kind == k and o.status in (200, 201))
                for k in ("read", "write")
            )
        time.sleep(0.05)
    raise AssertionError(f"no recovery within {timeout} s: {tally(outcomes)}")


# Graceful restart under load ----------------------------------------------------------------


# `--workers 2` passes too (no acknowledged write lost) but doubles the cost of each start.
@pytest.mark.parametrize(("database_kind", "workers"), [("sqlite", "1"), ("postgresql", "1")])
def test_a_graceful_restart_under_load_loses_no_acknowledged_write(
    database_url: str, tmp_path: Path, servers: list[Server], workers: str
) -> None:
    """Writers keep adding notes while the server gets SIGTERM and a new one starts on the
    same database: every note acknowledged with 201 is saved, and a request cut off is a
    connection error or a 503, never a 2xx whose write was lost."""
    world = world_at(database_url)
    family = world.families["own"]
    old = serve(servers, database_url, tmp_path, "--workers", workers)
    current = {"url": old.url}

    clients = [httpx.Client(timeout=CLIENT_TIMEOUT_S) for _ in range(4)]

    def write(worker: int, n: int) -> Outcome:
        server = current["url"]
        outcome = add_note(clients[worker], world, family, f"restart {worker}-{n}", server)
        if outcome.status is None:
            time.sleep(0.1)  # no server at that address: try again in a moment, as clients do
        return outcome

    with load(len(clients), write) as outcomes:
        time.sleep(1.0)
        old.stop(timeout=15)
        new = serve(servers, database_url, tmp_path, "--workers", workers)
        current["url"] = new.url
        time.sleep(1.0)
    for client in clients:
        client.close()
    new.stop(timeout=15)

    seen = tally(outcomes)
    print(f"\ngraceful restart ({workers} worker(s)): {len(outcomes)} writes, {dict(seen)}")
    assert set(seen) <= {"201", "503", "ConnectError", "RemoteProtocolError", "ReadError"}, seen
    for server in (old, new):
        took = [o for o in outcomes if o.status == 201 and o.target.startswith(server.url)]
        assert took, f"{server.url} acknowledged no write"
    saved = saved_notes(database_url)
    assert acknowledged(outcomes).items() <= saved.items()
    assert db.integrity(database_url) == "ok"


# Backup while serving -----------------------------------------------------------------------


def test_a_backup_taken_under_load_is_consistent(
    database_url: str,
    empty_database_url: str,
    tmp_path: Path,
    servers: list[Server],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`backup` while key workers keep adding notes: the service keeps answering, and the
    backup restores to a database holding every note acknowledged before the backup began
    and none that was never saved."""
    world = world_at(database_url)
    family = world.families["own"]
    server = serve(servers, database_url, tmp_path)
    clients = [httpx.Client(base_url=server.url, timeout=CLIENT_TIMEOUT_S) for _ in range(3)]
    monkeypatch.setenv("CF_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("CF_DATABASE_URL", database_url)
    backup = tmp_path / "under-load.backup"

    def write(worker: int, n: int) -> Outcome:
        return add_note(clients[worker], world, family, f"backup {worker}-{n}")

    with load(len(clients), write) as outcomes:
        time.sleep(1.0)
        began = time.monotonic()
        assert main(["backup", str(backup)]) == 0
        ended = time.monotonic()
        time.sleep(0.5)
    for client in clients:
        client.close()

    seen = tally(outcomes)
    print(f"\nbackup under load: {len(outcomes)} writes, {dict(seen)}, {ended - began:.2f} s")
    assert set(seen) == {"201"}, seen
    assert any(o.started > ended for o in outcomes), "no write after the backup"

    monkeypatch.setenv("CF_DATABASE_URL", empty_database_url)
    assert main(["restore", str(backup)]) == 0
    restored = saved_notes(empty_database_url)
    before = {
        o.body["id"]: o.body["body"]
        for o in outcomes
        if o.body is not None and o.started + o.took < began
    }
    assert before.items() <= restored.items()
    assert restored.items() <= saved_notes(database_url).items()
    assert db.integrity(empty_database_url) == "ok"
