"""Benchmark: import a large synthetic attendance.csv on SQLite, against raw sqlite3.

    python bench/import_attendance.py [--rows 500000] [--people 100000]

Builds a fresh, migrated SQLite database with one programme and `--people` people, writes an
attendance file of `--rows` rows, and in the same run measures

- the import: `ImportService.run` from the file's bytes to the commit (reading, validating
  every row, resolving people, comparing with live rows, writing, the import run and audit);
- raw: `sqlite3.executemany` of the same rows, already as tuples, into the same table of a
  copy of the same database, and the commit.

It prints both in rows a second and their ratio. The goal (issue 5) is at least 100,000 rows a
second and at least 0.2 of raw.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from connecting_families.audit.service import Actor
from connecting_families.database.engine import (
    close_database,
    create_engine,
    open_database,
    use_engine,
)
from connecting_families.database.migrations import migrate
from connecting_families.hooks.host import PluginHost
from connecting_families.imports.service import ImportRequest, ImportService
from connecting_families.settings import DatabaseUrl

TERMS = [
    (dt.date(2024, 9, 2), dt.date(2024, 12, 20)),
    (dt.date(2025, 1, 6), dt.date(2025, 3, 28)),
    (dt.date(2025, 4, 14), dt.date(2025, 7, 18)),
    (dt.date(2025, 9, 1), dt.date(2025, 12, 19)),
    (dt.date(2026, 1, 5), dt.date(2026, 3, 27)),
    (dt.date(2026, 4, 13), dt.date(2026, 7, 17)),
]


def build_database(path: Path, people: int) -> None:
    """A migrated database with programme BENCH and `people` people."""

    async def prepare() -> None:
        engine = create_engine(DatabaseUrl.parse(f"sqlite:///{path}"))
        use_engine(engine)
        await open_database(engine)
        await migrate(engine)
        await close_database(engine)

    asyncio.run(prepare())
    now = dt.datetime.now(dt.UTC)
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO programme (code, name, local_authority, ruleset_id, ruleset_config,"
            " assessment_timescale_days, version) VALUES ('BENCH', 'Bench', 'Bench', 'tf2012',"
            " '{}', 45, 1)"
        )
        db.executemany(
            "INSERT INTO person (programme, person_ref, given_name, family_name, date_of_birth,"
            " created_at, updated_at, version) VALUES (1, ?, 'A', 'B', '2012-01-01', ?, ?, 1)",
            [(f"P{n:07d}", str(now), str(now)) for n in range(1, people + 1)],
        )


def synthetic_rows(rows: int, people: int) -> list[tuple[int, dt.date, dt.date, int, int, int]]:
    """(person number, period start, period end, possible, authorised, unauthorised)."""
    rng = random.Random(2012)  # noqa: S311 - synthetic data, the same on every run
    out = []
    for n in range(rows):
        start, end = TERMS[n // people % len(TERMS)]
        possible = rng.randint(100, 150)
        unauthorised = rng.randint(0, 40)
        out.append((n % people + 1, start, end, possible, rng.randint(0, 10), unauthorised))
    return out


def csv_bytes(rows: list[tuple[int, dt.date, dt.date, int, int, int]]) -> bytes:
    lines = [
        "person_ref,period_start,period_end,possible_sessions,"
        "authorised_absence_sessions,unauthorised_absence_sessions,school_urn"
    ]
    lines += [
        f"P{p:07d},{s.isoformat()},{e.isoformat()},{pos},{auth},{unauth},100001"
        for p, s, e, pos, auth, unauth in rows
    ]
    return ("\n".join(lines) + "\n").encode()


def time_import(path: Path, data: bytes) -> float:
    async def run() -> float:
        engine = create_engine(DatabaseUrl.parse(f"sqlite:///{path}"))
        use_engine(engine)
        await open_database(engine)
        service = ImportService(engine, len(data) + 1, PluginHost())
        started = time.perf_counter()
        result = await service.run(
            None,
            Actor.operator("bench"),
            ImportRequest(kind="attendance", programme_code="BENCH", data=data, file_name="a.csv"),
        )
        elapsed = time.perf_counter() - started
        await close_database(engine)
        assert result.inserted == data.count(b"\n") - 1, result
        return elapsed

    return asyncio.run(run())


def time_raw(path: Path, rows: list[tuple[int, dt.date, dt.date, int, int, int]]) -> float:
    now = str(dt.datetime.now(dt.UTC))
    records = [
        (1, now, 1, p, s.isoformat(), e.isoformat(), pos, auth, unauth, "100001")
        for p, s, e, pos, auth, unauth in rows
    ]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(
        "INSERT INTO import_run (programme, kind, file_name, sha256, started_at)"
        " VALUES (1, 'attendance', 'raw', '', ?)",
        (now,),
    )
    started = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    db.executemany(
        "INSERT INTO attendance (programme, recorded_at, import_run, person, period_start,"
        " period_end, possible_sessions, authorised_absence_sessions,"
        " unauthorised_absence_sessions, school_urn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        records,
    )
    db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--people", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "template.sqlite3"
        build_database(template, args.people)
        rows = synthetic_rows(args.rows, args.people)
        data = csv_bytes(rows)
        imported, raw = Path(folder) / "import.sqlite3", Path(folder) / "raw.sqlite3"
        shutil.copy(template, imported)
        shutil.copy(template, raw)
        import_seconds = time_import(imported, data)
        raw_seconds = time_raw(raw, rows)
    import_rate, raw_rate = args.rows / import_seconds, args.rows / raw_seconds
    print(f"rows: {args.rows:,} attendance rows of {args.people:,} people, {len(data):,} bytes")
    print(
        f"import (validate + write, SQLite): {import_seconds:6.2f} s  {import_rate:>10,.0f} rows/s"
    )
    print(f"raw sqlite3.executemany:           {raw_seconds:6.2f} s  {raw_rate:>10,.0f} rows/s")
    print(f"ratio import / raw: {import_rate / raw_rate:.2f} (goals: 0.20, 100,000 rows/s)")


if __name__ == "__main__":
    main()
