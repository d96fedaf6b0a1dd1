"""Benchmark: a programme's totals, against the raw SQL of the same figures.

    python bench/programme_totals.py [--families 100000] [--database FILE]

Builds a fresh SQLite database with the `demo` generator in a child process (or uses
`--database`, an existing one); its families are shared between three programmes, so a
programme of 100,000 families needs `--families 300000`. Then, for each demo programme (or
each `--programme`), in the same run:

- first totals: `ReportService.totals`, which judges every family once (the verdict run);
- totals: the same call again, as every later call is until the evidence changes (the
  median of `--repeat` calls; goal: under a second for a programme of 100,000 families);
- raw SQL: the same aggregate statements through plain `sqlite3` (the median of as many);

and prints the ratio of totals to raw SQL (goal: at most 1.5).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from evaluate_cohort import build_in_child

from connecting_families.audit.service import Actor
from connecting_families.database.engine import (
    close_database,
    create_engine,
    open_database,
    use_engine,
)
from connecting_families.evaluation.service import EvaluationService
from connecting_families.hooks.host import PluginHost
from connecting_families.reports import totals as totals_sql
from connecting_families.reports.service import ReportService
from connecting_families.settings import DatabaseUrl

AS_OF = {
    "DEMO-TF12": dt.date(2015, 3, 31),
    "DEMO-TF15": dt.date(2019, 3, 31),
    "DEMO-SF22": dt.date(2025, 3, 31),
}


async def service_totals(path: Path, programme: str, repeat: int) -> tuple[float, list[float]]:
    """The first call's time, and each later call's."""
    engine = create_engine(DatabaseUrl.parse(f"sqlite:///{path}"))
    use_engine(engine)
    await open_database(engine)
    service = ReportService(engine, EvaluationService(engine, PluginHost()))
    actor = Actor.operator("bench")
    started = time.perf_counter()
    await service.totals(None, actor, programme, AS_OF[programme])
    first = time.perf_counter() - started
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await service.totals(None, actor, programme, AS_OF[programme])
        times.append(time.perf_counter() - started)
    await close_database(engine)
    return first, times


def raw_totals(path: Path, programme: str, repeat: int) -> list[float]:
    """Each run's time of the totals' statements through plain sqlite3."""
    db = sqlite3.connect(path)
    [(programme_id,)] = db.execute("SELECT id FROM programme WHERE code = ?", (programme,))
    [(run_id,)] = db.execute(
        "SELECT MAX(id) FROM verdict_run WHERE programme = ? AND as_of = ?",
        (programme_id, AS_OF[programme].isoformat()),
    )
    statements = totals_sql.statements(programme_id, run_id, AS_OF[programme].isoformat())
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _, sql, params in statements:
            db.execute(sql.replace("{}", "?"), params).fetchall()
        times.append(time.perf_counter() - started)
    db.close()
    return times


def run(path: Path, repeat: int, programmes: list[str]) -> None:
    ratios, service_all, sql_all = [], 0.0, 0.0
    for programme in programmes:
        first, times = asyncio.run(service_totals(path, programme, repeat))
        raw = raw_totals(path, programme, repeat)
        service, sql = statistics.median(times), statistics.median(raw)
        ratios.append(service / sql)
        service_all, sql_all = service_all + service, sql_all + sql
        print(
            f"{programme}: first totals (judging every family) {first:.2f} s; "
            f"totals {service * 1000:.0f} ms (goal < 1000), raw SQL {sql * 1000:.0f} ms, "
            f"ratio {service / sql:.2f} (goal <= 1.5)"
        )
    print(
        f"all: totals {service_all * 1000:.0f} ms, raw SQL {sql_all * 1000:.0f} ms, "
        f"ratio {service_all / sql_all:.2f}; worst programme's ratio {max(ratios):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--database", type=Path, help="an existing demo database to use")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--programme",
        action="append",
        choices=sorted(AS_OF),
        help="measure only this demo programme (repeatable; default: all three)",
    )
    args = parser.parse_args()
    programmes = args.programme or list(AS_OF)
    if args.database:
        run(args.database, args.repeat, programmes)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "totals.sqlite3"
        started = time.perf_counter()
        build_in_child(path, args.families)
        print(f"built {args.families:,} demo families in {time.perf_counter() - started:.0f} s")
        run(path, args.repeat, programmes)


if __name__ == "__main__":
    main()
