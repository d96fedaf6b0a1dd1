# ruff: noqa: S608 - the SQL here formats in fixed table names only; values are parameters.
"""Benchmark: evaluate a whole programme's cohort, against a raw read of the same evidence.

    python bench/evaluate_cohort.py [--families 100000] [--workers 2]

Builds a fresh SQLite database with the `demo` generator, in a child process (its families
are shared between the three demo programmes), then, in the same run, for each programme:

- evaluation: `EvaluationService.evaluate_programme` (load each family's evidence set-based,
  1,000 families a chunk, judge it with the rule set, total the routes), once judging in this
  process and once in `--workers` worker processes while this one loads;
- raw: a plain `sqlite3` read of the same rows (the families, their memberships and people,
  and every evidence row of those people and families).

It prints families a second, the ratio of each evaluation's time to the raw read's (goal: at
most 3) and the peak memory of this process, which only evaluates (goal: under 1 GB).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import resource
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
from connecting_families.demo import load_demo
from connecting_families.evaluation.service import EvaluationService
from connecting_families.hooks.host import PluginHost
from connecting_families.settings import DatabaseUrl

AS_OF = {
    "DEMO-TF12": dt.date(2015, 3, 31),
    "DEMO-TF15": dt.date(2019, 3, 31),
    "DEMO-SF22": dt.date(2025, 3, 31),
}
EVIDENCE = (
    ("attendance", "person"),
    ("exclusion", "person"),
    ("offence", "person"),
    ("antisocial_behaviour", "person"),
    ("benefit_spell", "person"),
    ("employment_spell", "person"),
    ("work_programme_start", "person"),
    ("observation", "person"),
)


def raw_read(path: Path, programme: str) -> int:
    """Every row the evaluation reads, with plain sqlite3; the number of rows."""
    db = sqlite3.connect(path)
    families = "SELECT f.id FROM family f JOIN programme p ON p.id = f.programme WHERE p.code = ?"
    # Only fixed names are formatted into the SQL; the programme is a parameter.
    rows = db.execute(f"SELECT * FROM family WHERE id IN ({families})", (programme,)).fetchall()
    members = db.execute(
        "SELECT m.*, p.person_ref, p.date_of_birth FROM membership m JOIN person p"
        f" ON p.id = m.person WHERE m.family IN ({families}) AND m.superseded_at IS NULL",
        (programme,),
    ).fetchall()
    count = len(rows) + len(members)
    people = f"SELECT person FROM membership WHERE family IN ({families})"
    for table, column in EVIDENCE:
        count += len(
            db.execute(
                f"SELECT * FROM {table} WHERE {column} IN ({people}) AND superseded_at IS NULL",
                (programme,),
            ).fetchall()
        )
    count += len(
        db.execute(
            f"SELECT * FROM need WHERE family IN ({families}) AND superseded_at IS NULL",
            (programme,),
        ).fetchall()
    )
    db.close()
    return count


async def build(path: Path, families: int) -> None:
    engine = create_engine(DatabaseUrl.parse(f"sqlite:///{path}"))
    use_engine(engine)
    await open_database(engine)
    await migrate(engine)
    await load_demo(engine, families=families)
    await close_database(engine)


def build_database(path: Path, families: int) -> None:
    asyncio.run(build(path, families))


def build_in_child(path: Path, families: int) -> None:
    """Build the database in a child process, so this one's peak memory is the evaluation's."""
    child = multiprocessing.get_context("spawn").Process(
        target=build_database, args=(path, families)
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"building the demo database failed (exit code {child.exitcode})")


async def evaluate(path: Path, programme: str, workers: int) -> tuple[float, int]:
    engine = create_engine(DatabaseUrl.parse(f"sqlite:///{path}"))
    use_engine(engine)
    await open_database(engine)
    service = EvaluationService(engine, PluginHost())
    started = time.perf_counter()
    result = await service.evaluate_programme(
        None, Actor.operator("bench"), programme, AS_OF[programme], None, workers=workers
    )
    elapsed = time.perf_counter() - started
    await close_database(engine)
    return elapsed, result.families


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    ways = {"in process": 0, f"{args.workers} workers": args.workers}
    totals = dict.fromkeys([*ways, "raw read"], 0.0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cohort.sqlite3"
        started = time.perf_counter()
        build_in_child(path, args.families)
        print(f"built {args.families:,} demo families in {time.perf_counter() - started:.0f} s")
        for programme in AS_OF:
            started = time.perf_counter()
            rows = raw_read(path, programme)
            raw = time.perf_counter() - started
            totals["raw read"] += raw
            print(f"{programme}: raw read of {rows:,} rows {raw:.2f} s")
            for way, workers in ways.items():
                seconds, families = asyncio.run(evaluate(path, programme, workers))
                totals[way] += seconds
                print(
                    f"  {way}: {families:,} families in {seconds:.2f} s "
                    f"({families / seconds:,.0f} families/s), ratio {seconds / raw:.2f}"
                )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    raw = totals.pop("raw read")
    print(f"all: raw read {raw:.2f} s")
    for way, seconds in totals.items():
        print(f"  {way}: {seconds:.2f} s, ratio {seconds / raw:.2f} (goal <= 3)")
    print(f"peak memory of the evaluating process {peak_mib:,.0f} MiB (goal < 1024)")


if __name__ == "__main__":
    main()
