"""`connecting-families backup`, `restore` and `purge`: a backup restores to identical data, and
a purge removes personal data but leaves every claim verifiable."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path
from typing import Any

import pytest
from piccolo.apps.migrations.tables import Migration
from piccolo.querystring import QueryString

from connecting_families.cli import main
from connecting_families.database.engine import AnyEngine, run_with_database
from connecting_families.database.registry import TABLES
from connecting_families.families.retention import REMOVED_NAME, REMOVED_TEXT
from connecting_families.families.tables import Membership
from connecting_families.settings import DatabaseUrl

from conftest import _admin
from postgres_server import PostgresServer

Rows = dict[str, list[dict[str, Any]]]
_copies = itertools.count(1)


@pytest.fixture(scope="module")
def demo_templates() -> dict[str, str]:
    """A database holding the demo authority, made once a module for each kind."""
    return {}


@pytest.fixture
def cli_env(
    database_kind: str,
    database_url: str,
    demo_templates: dict[str, str],
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """A fresh database holding the demo authority (30 families), as the CLI's."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CF_DATABASE_URL", database_url)
    monkeypatch.setenv("CF_SECRET_KEY", "cli-test-secret-" + "x" * 32)
    template = demo_templates.get(database_kind)
    if template is None:
        # The first test of each kind makes it (hashing the demo's passwords takes a while).
        assert main(["demo", "--families", "30"]) == 0
        if database_kind == "sqlite":
            kept = tmp_path.parent / "demo-template.sqlite3"
            shutil.copyfile(DatabaseUrl.parse(database_url).sqlite_path or "", kept)
            demo_templates[database_kind] = str(kept)
        else:
            # The template is a copy of its own: this test's database is dropped as it ends.
            # Later tests copy the template; this test works on a copy too.
            demo_templates[database_kind] = _copy_postgres(request, database_url)
            database_url = _copy_postgres(request, demo_templates[database_kind])
        monkeypatch.setenv("CF_DATABASE_URL", database_url)
        return database_url
    if database_kind == "sqlite":
        path = DatabaseUrl.parse(database_url).sqlite_path
        assert path is not None
        shutil.copyfile(template, path)
        return database_url
    copy = _copy_postgres(request, template)
    monkeypatch.setenv("CF_DATABASE_URL", copy)
    return copy


def _copy_postgres(request: pytest.FixtureRequest, template_url: str) -> str:
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"cf_demo_copy_{next(_copies)}"
    template_name = template_url.rsplit("/", 1)[1]
    _admin(server, f"CREATE DATABASE {name} TEMPLATE {template_name}")
    return server.url(name)


def _query(url: str, sql: str, *args: Any) -> list[dict[str, Any]]:
    async def run(engine: AnyEngine) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await engine.run_querystring(QueryString(sql, *args))
        return rows

    return run_with_database(DatabaseUrl.parse(url), run)


def _everything(url: str) -> Rows:
    """Every row of every table (and the migration log), in id order."""

    async def run(engine: AnyEngine) -> Rows:
        return {
            table._meta.tablename: await engine.run_querystring(
                QueryString(f'SELECT * FROM "{table._meta.tablename}" ORDER BY id')  # noqa: S608
            )
            for table in (*TABLES, Migration)
        }

    return run_with_database(DatabaseUrl.parse(url), run)


def _without_restore_entry(rows: Rows) -> Rows:
    """`rows` less the audit entry the restore itself appends (asserted to be there)."""
    *kept, last = rows["audit_event"]
    assert last["action"] == "database.restore"
    assert last["actor_name"] == "cli:tester"
    return {**rows, "audit_event": kept}


def test_a_backup_restores_identical_data(
    cli_env: str, empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Backed up, then changed, then restored: every row of every table is as at the backup;
    restored into a new database, the same; an occupied database needs --replace."""
    before = _everything(cli_env)
    assert len(before["family"]) == 30
    backup = tmp_path / "nightly.backup"
    assert main(["backup", str(backup), "--operator", "tester"]) == 0
    assert backup.stat().st_size > 0
    assert not list(tmp_path.glob(".*partial"))

    # Work goes on after the backup: a note removed, a person renamed.
    _query(cli_env, "DELETE FROM case_note WHERE id = (SELECT min(id) FROM case_note)")
    _query(cli_env, "UPDATE person SET given_name = 'Changed' WHERE id = 1")
    changed = _everything(cli_env)
    assert changed["case_note"] != before["case_note"]
    assert changed["audit_event"][-1]["action"] == "database.backup"

    # Restoring over records is refused without --replace, and changes nothing.
    assert main(["restore", str(backup), "--operator", "tester"]) == 1
    assert _everything(cli_env) == changed

    assert main(["restore", str(backup), "--replace", "--operator", "tester"]) == 0
    assert _without_restore_entry(_everything(cli_env)) == before

    # Into a database that is new and empty (no migrations even): no --replace needed.
    monkeypatch.setenv("CF_DATABASE_URL", empty_database_url)
    assert main(["restore", str(backup), "--operator", "tester"]) == 0
    assert _without_restore_entry(_everything(empty_database_url)) == before


def test_backup_and_restore_refuse_bad_files(
    cli_env: str, tmp_path: Path, database_kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An existing backup is never overwritten; a file that is not a backup, or a backup of
    the other kind of database, is refused with a message saying so, and nothing changes."""
    existing = tmp_path / "kept.backup"
    existing.write_bytes(b"yesterday's backup")
    assert main(["backup", str(existing)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert existing.read_bytes() == b"yesterday's backup"

    before = _everything(cli_env)
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("family,name\n1,Smith\n")
    assert main(["restore", str(not_a_backup), "--replace"]) == 1
    assert "is not a backup made by `connecting-families backup`" in capsys.readouterr().err

    other = tmp_path / "other.backup"
    other.write_bytes(b"PGDMP..." if database_kind == "sqlite" else b"SQLite format 3\x00...")
    assert main(["restore", str(other), "--replace"]) == 1
    assert "Restore it into a database of the same kind" in capsys.readouterr().err

    assert main(["restore", str(tmp_path / "missing.backup"), "--replace"]) == 1
    assert "Cannot read" in capsys.readouterr().err
    assert _everything(cli_env) == before


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_a_damaged_sqlite_backup_is_refused(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backup file damaged (a bad copy, a failing disk) is found out before it replaces
    anything."""
    good = tmp_path / "good.backup"
    assert main(["backup", str(good)]) == 0
    damaged = tmp_path / "damaged.backup"
    data = good.read_bytes()
    damaged.write_bytes(data[:100] + b"\xff" * 4096 + data[4196 : len(data) // 2])

    before = _everything(cli_env)
    assert main(["restore", str(damaged), "--replace"]) == 1
    assert "is damaged" in capsys.readouterr().err
    assert _everything(cli_env) == before


def _family_people(url: str, family_id: int) -> list[dict[str, Any]]:
    return _query(
        url,
        "SELECT DISTINCT person.* FROM person JOIN membership ON membership.person = person.id"
        " WHERE membership.family = {} ORDER BY person.id",
        family_id,
    )


def test_purge_removes_personal_data_and_claims_still_verify(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Families closed before the date lose names, identifiers, postcode and free text; the
    claim their lines are in re-verifies with no difference; a person also in an open family
    keeps their details; a dry run changes nothing; each family's purge is audited."""
    assert main(["claims", "prepare", "--programme", "DEMO-TF12", "--as-of", "2014-03-31"]) == 0
    claim_id = int(capsys.readouterr().out.split()[-1])
    closed = _query(
        cli_env,
        "SELECT id FROM family WHERE status = 'closed' AND closed_on < {} ORDER BY id",
        dt.date(2015, 1, 1),
    )
    closed_ids = [row["id"] for row in closed]
    claimed = {
        row["family"]
        for row in _query(cli_env, "SELECT family FROM claim_line WHERE claim = {}", claim_id)
    }
    assert claimed & set(closed_ids), "the claim must hold a family the purge will reach"
    open_family = _query(cli_env, "SELECT id FROM family WHERE status <> 'closed' LIMIT 1")[0]
    # One person of a closed family also lives in a family still being worked with.
    shared = _family_people(cli_env, closed_ids[0])[0]

    programme = _query(cli_env, "SELECT programme FROM family WHERE id = {}", open_family["id"])

    async def join(engine: AnyEngine) -> None:
        await Membership(
            programme=programme[0]["programme"],
            family=open_family["id"],
            person=shared["id"],
            role="adult",
            recorded_at=dt.datetime.now(dt.UTC),
        ).save()

    run_with_database(DatabaseUrl.parse(cli_env), join)
    before = _everything(cli_env)

    assert main(["purge", "--closed-before", "2015-01-01", "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert f"would remove the personal data of {len(closed_ids)} families" in dry
    assert "dry run: nothing was changed" in dry
    after_dry = _everything(cli_env)
    assert after_dry["audit_event"][-1]["action"] == "retention.purge"
    assert {**after_dry, "audit_event": before["audit_event"]} == before

    assert main(["purge", "--closed-before", "2015-01-01", "--operator", "dpo"]) == 0
    assert f"removed the personal data of {len(closed_ids)} families" in capsys.readouterr().out

    for family_id in closed_ids:
        family = _query(cli_env, "SELECT * FROM family WHERE id = {}", family_id)[0]
        assert family["postcode"] is None
        assert family["purged_at"] is not None
        for person in _family_people(cli_env, family_id):
            if person["id"] == shared["id"]:
                continue
            assert person["given_name"] == REMOVED_NAME
            assert (person["family_name"], person["upn"], person["ni_number"]) == ("", None, None)
        notes = _query(cli_env, "SELECT * FROM case_note WHERE family = {}", family_id)
        assert all(n["body"] == REMOVED_TEXT and n["attendees"] is None for n in notes)
    kept = _query(cli_env, "SELECT * FROM person WHERE id = {}", shared["id"])[0]
    assert kept == next(p for p in before["person"] if p["id"] == shared["id"])

    # Nothing else changed: the open families, the evidence and the claim's lines.
    after = _everything(cli_env)
    for table in ("attendance", "offence", "benefit_spell", "membership", "claim_line"):
        assert after[table] == before[table], table
    others = [f for f in after["family"] if f["id"] not in closed_ids]
    assert others == [f for f in before["family"] if f["id"] not in closed_ids]

    assert main(["claims", "verify", str(claim_id)]) == 0
    audited = _query(
        cli_env,
        "SELECT resource_id FROM audit_event WHERE action = 'family.purge'"
        " AND actor_name = 'cli:dpo' ORDER BY id",
    )
    assert [int(row["resource_id"]) for row in audited] == closed_ids

    # A second purge finds nothing left to do.
    capsys.readouterr()
    assert main(["purge", "--closed-before", "2015-01-01"]) == 0
    assert "of 0 families" in capsys.readouterr().out


def test_purge_refuses_a_date_in_the_future(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A date after today would reach families closed yesterday: refused, nothing changed."""
    before = _everything(cli_env)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert main(["purge", "--closed-before", tomorrow.isoformat()]) == 1
    assert "is in the future" in capsys.readouterr().err
    assert _everything(cli_env) == before


def test_a_backup_that_fails_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pg_dump failing (no server there) is reported with its reason; no file, not even a
    partial one, is left to be mistaken for a backup, and the password is not shown."""
    monkeypatch.setenv("CF_SECRET_KEY", "cli-test-secret-" + "x" * 32)
    monkeypatch.setenv("CF_DATABASE_URL", "postgresql://someone:s3cret@127.0.0.1:1/nowhere")
    target = tmp_path / "nightly.backup"
    assert main(["backup", str(target)]) == 1
    error = capsys.readouterr().err
    assert "The backup failed" in error
    assert "Connection refused" in error
    assert "s3cret" not in error
    assert list(tmp_path.iterdir()) == []
