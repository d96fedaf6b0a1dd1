"""`connecting-families import`: output, problems on stderr, and a process killed mid-write."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from connecting_families.cli import main
from connecting_families.settings import DatabaseUrl

from conftest import TEST_SECRET
from import_cases import CASES, FAMILIES, PEOPLE

KILL_PEOPLE = 40_000
KILL_TERMS = 5


@pytest.fixture
def cli_db(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated database with programme P1, FAM-1/FAM-2 and their people, from the CLI."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CF_DATABASE_URL", database_url)
    monkeypatch.setenv("CF_SECRET_KEY", TEST_SECRET)
    assert main(["programme", "create", "P1", "--name", "P1", "--ruleset", "tf2012"]) == 0
    families = FAMILIES.replace("kw_own", "")
    for kind, text in (("families", families), ("people", PEOPLE)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        assert main(["import", kind, str(path), "--programme", "P1"]) == 0
    return database_url


def test_an_import_prints_what_it_did(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A clean file: exit 0 and a summary; the same file again: every row unchanged."""
    path = tmp_path / "attendance.csv"
    path.write_text(CASES["attendance"].text())
    capsys.readouterr()
    assert main(["import", "attendance", str(path), "--programme", "P1"]) == 0
    assert "3 rows of attendance: 3 new, 0 corrected, 0 unchanged" in capsys.readouterr().out
    assert main(["import", "attendance", str(path), "--programme", "P1"]) == 0
    assert "0 new, 0 corrected, 3 unchanged" in capsys.readouterr().out


def test_a_bad_file_exits_1_with_every_problem_on_stderr(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each problem is a `line N, column C: message` line on stderr."""
    case = CASES["exclusions"]
    path = tmp_path / "exclusions.csv"
    path.write_text(case.text(case.rows + tuple(row for row, _ in case.bad)))
    capsys.readouterr()
    assert main(["import", "exclusions", str(path), "--programme", "P1"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "error: The file has 4 problem(s); nothing was imported."
    assert err[1:] == [
        "  line 4, column kind: is 'expelled', not one of fixed, permanent",
        "  line 5, column start_date: is in the future",
        "  line 6, column exclusion_ref: has a leading or trailing space",
        "  line 7: repeats line 2 (the same exclusion_ref)",
    ]


def test_a_missing_file_is_an_error_not_a_traceback(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A path that does not exist is reported in one line."""
    assert main(["import", "offences", str(tmp_path / "nope.csv"), "--programme", "P1"]) == 1
    assert "cannot read" in capsys.readouterr().err


def _add_people(url: str, count: int) -> None:
    """Many people in P1, written directly: the test is about the attendance import."""
    now = dt.datetime.now(dt.UTC)
    rows = [(f"K{n:06d}", "K", "K", dt.date(2010, 1, 1), now, now) for n in range(count)]
    sql = (
        "INSERT INTO person (programme, person_ref, given_name, family_name, date_of_birth,"
        " created_at, updated_at, version) SELECT id, {}, {}, {}, {}, {}, {}, 1"
        " FROM programme WHERE code = 'P1'"
    )
    database = DatabaseUrl.parse(url)
    if database.sqlite_path is not None:
        with sqlite3.connect(database.sqlite_path) as connection:
            connection.executemany(
                sql.replace("{}", "?"),
                [(r[0], r[1], r[2], r[3].isoformat(), str(r[4]), str(r[5])) for r in rows],
            )
        return

    async def insert() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.executemany(sql.format(*(f"${i}" for i in range(1, 7))), rows)
        finally:
            await connection.close()

    asyncio.run(insert())


def _count(url: str, sql: str) -> int:
    database = DatabaseUrl.parse(url)
    if database.sqlite_path is not None:
        with sqlite3.connect(database.sqlite_path) as connection:
            return int(connection.execute(sql).fetchone()[0])

    async def count() -> int:
        connection = await asyncpg.connect(url)
        try:
            return int(await connection.fetchval(sql))
        finally:
            await connection.close()

    return asyncio.run(count())


def test_an_import_killed_while_writing_leaves_nothing(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGKILL after the first chunk is written: no row, no import run; a new import works."""
    _add_people(cli_db, KILL_PEOPLE)
    lines = ["person_ref,period_start,period_end,possible_sessions,unauthorised_absence_sessions"]
    for term in range(KILL_TERMS):
        start = dt.date(2013 + term, 9, 1).isoformat()
        end = dt.date(2013 + term, 12, 20).isoformat()
        lines += [f"K{n:06d},{start},{end},140,{n % 30}" for n in range(KILL_PEOPLE)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connecting_families",
            "import",
            "attendance",
            str(path),
            "--programme",
            "P1",
        ],
        env={**os.environ, "CF_DATABASE_URL": cli_db, "CF_SECRET_KEY": TEST_SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        seen = process.stderr.readline()  # blocks until the first chunk has been written
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    assert "writing" in seen, seen
    assert process.returncode == -signal.SIGKILL
    assert _count(cli_db, "SELECT count(*) FROM attendance") == 0
    assert _count(cli_db, "SELECT count(*) FROM import_run WHERE kind = 'attendance'") == 0
    capsys.readouterr()
    assert main(["import", "attendance", str(path), "--programme", "P1"]) == 0
    assert f"{KILL_PEOPLE * KILL_TERMS} new" in capsys.readouterr().out
