"""What the service writes to disk is its own user's alone, and a restore leaves nothing
beside the backup it read."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from connecting_families.cli import main
from connecting_families.database.backup import backup_database
from connecting_families.settings import DatabaseUrl

from conftest import TEST_SECRET


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The umask most shells start with: new files readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_directory_database_and_secret_are_the_owners_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_umask: None
) -> None:
    """The default var/ is 0700; the database, its -wal and -shm, and the secret are 0600."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CF_DATABASE_URL", raising=False)
    monkeypatch.delenv("CF_SECRET_KEY", raising=False)
    assert main(["db", "migrate"]) == 0
    var = tmp_path / "var"
    database = var / "connecting_families.sqlite3"
    assert _mode(var) == 0o700
    assert _mode(var / "secret_key") == 0o600
    assert _mode(database) == 0o600
    with closing(sqlite3.connect(database)) as connection:
        # SQLite gives the write-ahead log and its index the database's own mode.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE probe (n INTEGER)")
        connection.commit()
        assert _mode(var / "connecting_families.sqlite3-wal") == 0o600
        assert _mode(var / "connecting_families.sqlite3-shm") == 0o600


def test_a_backup_is_the_owners_alone(database_url: str, tmp_path: Path, open_umask: None) -> None:
    """A backup file is 0600 whoever calls for it, on either database."""
    target = tmp_path / "nightly.backup"
    backup_database(DatabaseUrl.parse(database_url), target)
    assert _mode(target) == 0o600


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_a_restore_leaves_no_wal_or_shm_beside_the_backup(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Restoring reads the backup without leaving -wal or -shm files beside it."""
    monkeypatch.setenv("CF_DATABASE_URL", database_url)
    monkeypatch.setenv("CF_SECRET_KEY", TEST_SECRET)
    backups = tmp_path / "backups"
    backups.mkdir()
    backup = backups / "nightly.backup"
    assert main(["backup", str(backup), "--operator", "tester"]) == 0
    assert main(["restore", str(backup), "--replace", "--operator", "tester"]) == 0
    assert sorted(path.name for path in backups.iterdir()) == ["nightly.backup"]
