# ruff: noqa: S608 - the SQL here formats in fixed table names only; values are parameters.
"""Benchmark at national scale: every case as a ratio to its physical limit, on both databases.

    make bench        # or: .venv/bin/python bench/national.py [--sizes 1000,10000,100000]
                      #     [--databases sqlite,postgresql] [--seconds 10] [--out FILE]
    .venv/bin/python bench/national.py --quick    # a smoke run: API and pages, 1,000, SQLite

For each database and each size it takes a synthetic authority of that many families in one
programme (DEMO-TF12, the `demo` generator: about 4 people a family and their evidence), built
once and kept in `var/bench/` (rebuilt only when the generator or the migrations change), and
measures, on a fresh copy of it:

1. read: `GET /api/v1/families/{id}` (the family, its members and current allocation, as a key
   worker, rotating through their caseload) at 32 connections against one server worker,
   against the same server's `GET /health/live` (JSON, no database). Goal: at least 0.25 of it
   on SQLite and 0.2 on PostgreSQL, p99 under 50 ms.
2. list: `GET /api/v1/families?limit=50`, a page of the key worker's caseload, the same way.
   Goal: at least 0.15.
   pages: the key worker's caseload page, a family's summary page and one section page (notes),
   signed in with a session cookie as a browser is, each against `/health/live` of the same
   server and of a bare Litestar app (`bench/bare_app.py`) in the same run (issue 21: the pages
   must keep their ratio to `/health/live`).
3. import: attendance rows a second through `ImportService` (validation, people, live rows,
   writing, audit), against the same number of rows through the raw driver's `executemany`
   (other terms, so neither meets the other's rows). Goal: at least 0.2.
4. cohort: evaluating every family of the programme (in a child process, whose peak memory is
   reported), against a raw read of the rows it reads. Goal: at most 3 times, under 1 GiB.
5. totals: `ReportService.totals` once the verdicts are kept (the median of 3), against the
   same statements through the raw driver. Goal: at most 1.5 times, and under a second.
6. claim: preparing a claim for the whole cohort. Goal: under 60 seconds.

The load generator is wrk (Debian's package; `make bench` installs it when missing), on
loopback, bounded by `--seconds`. PostgreSQL runs in a cluster of the benchmark's own, kept in
`var/bench/postgres` with the server's default crash safety, started and stopped by the run.
It prints a table of figure, baseline and ratio for every case and size, then how each cost
grows with the number of families, and writes the same as JSON (`var/bench/results.json`).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import http.cookiejar
import json
import multiprocessing
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import attrs

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
# The test suite's throw-away PostgreSQL cluster, kept on disk here.
sys.path.insert(0, str(ROOT / "tests"))

from common import free_port, http_json, serve  # noqa: E402

from connecting_families.audit.service import Actor  # noqa: E402
from connecting_families.claims.service import ClaimService  # noqa: E402
from connecting_families.database.bulk import driver_sql  # noqa: E402
from connecting_families.database.engine import (  # noqa: E402
    close_database,
    create_engine,
    open_database,
    use_engine,
)
from connecting_families.database.migrations import migrate  # noqa: E402
from connecting_families.demo import load_demo  # noqa: E402
from connecting_families.evaluation.service import EvaluationService  # noqa: E402
from connecting_families.hooks.host import PluginHost  # noqa: E402
from connecting_families.imports.service import ImportRequest, ImportService  # noqa: E402
from connecting_families.reports import totals as totals_sql  # noqa: E402
from connecting_families.reports.service import ReportService  # noqa: E402
from connecting_families.settings import DatabaseUrl  # noqa: E402

from postgres_server import PostgresServer  # noqa: E402

# Bump when the dataset should be built anew for a reason the fingerprint cannot see.
DATASET_VERSION = "1"
PROGRAMME = "DEMO-TF12"
AS_OF = dt.date(2015, 3, 31)
KEY_WORKER = "kw.tf12.north1"
CONNECTIONS = 32
# Attendance terms of the import and of its raw baseline: before the demo's own data.
IMPORT_TERMS = [
    (dt.date(2006, 9, 4), dt.date(2006, 12, 20)),
    (dt.date(2007, 1, 8), dt.date(2007, 3, 30)),
]
RAW_TERMS = [
    (dt.date(2005, 9, 5), dt.date(2005, 12, 20)),
    (dt.date(2006, 1, 9), dt.date(2006, 3, 31)),
]
EVIDENCE = (
    "attendance",
    "exclusion",
    "offence",
    "antisocial_behaviour",
    "benefit_spell",
    "employment_spell",
    "work_programme_start",
    "observation",
)


@attrs.frozen
class Figure:
    """One measured case: the figure, its baseline from the same run, and the goal."""

    database: str
    families: int
    case: str
    figure: float
    unit: str
    baseline: float | None
    baseline_name: str
    ratio: float | None
    goal: str
    met: bool
    detail: dict[str, Any] = attrs.field(factory=dict)


# ---------------------------------------------------------------------------------------------
# The raw driver: the baselines' physical limit.


class Raw:
    """Plain driver access to one database: sqlite3, or asyncpg. SQL takes `{}` placeholders."""

    def __init__(self, url: str) -> None:
        self.url = DatabaseUrl.parse(url)
        self.postgres = self.url.kind != "sqlite"
        self.sqlite: sqlite3.Connection | None = None
        self.pg: asyncpg.Connection | None = None

    async def __aenter__(self) -> Raw:
        if self.postgres:
            self.pg = await asyncpg.connect(self.url.url)
        else:
            self.sqlite = sqlite3.connect(str(self.url.sqlite_path), isolation_level=None)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.pg is not None:
            await self.pg.close()
        if self.sqlite is not None:
            self.sqlite.close()

    def sql(self, template: str) -> str:
        return driver_sql(template, postgres=self.postgres)

    def day(self, day: dt.date) -> Any:
        return day if self.postgres else day.isoformat()

    async def fetch(self, template: str, *params: Any) -> list[Any]:
        if self.pg is not None:
            return list(await self.pg.fetch(self.sql(template), *params))
        assert self.sqlite is not None
        return self.sqlite.execute(self.sql(template), params).fetchall()

    async def insert_many(self, template: str, rows: list[tuple[Any, ...]]) -> None:
        """Insert `rows` in one transaction, committed."""
        if self.pg is not None:
            async with self.pg.transaction():
                await self.pg.executemany(self.sql(template), rows)
            return
        assert self.sqlite is not None
        self.sqlite.execute("BEGIN IMMEDIATE")
        self.sqlite.executemany(self.sql(template), rows)
        self.sqlite.execute("COMMIT")


# ---------------------------------------------------------------------------------------------
# The datasets, built once and kept.


def fingerprint() -> str:
    """Changes when the demo generator or the schema does."""
    digest = hashlib.sha256(DATASET_VERSION.encode())
    package = ROOT / "src" / "connecting_families"
    for path in [package / "demo.py", *sorted((ROOT / "migrations").rglob("*.py"))]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def build(url: str, families: int, logins: Path) -> None:
    """Migrate the database at `url` and load `families` demo families into PROGRAMME."""

    async def run() -> dict[str, str]:
        engine = create_engine(DatabaseUrl.parse(url))
        use_engine(engine)
        await open_database(engine)
        await migrate(engine)
        result = await load_demo(engine, families=families, programmes=(PROGRAMME,))
        await close_database(engine)
        return {login.username: login.password for login in result.logins}

    logins.write_text(json.dumps(asyncio.run(run())))


def build_in_child(url: str, families: int, logins: Path) -> None:
    started = time.perf_counter()
    print(f"  building {families:,} families (kept for later runs) ...", flush=True)
    child = multiprocessing.get_context("spawn").Process(
        target=build, args=(url, families, logins)
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"building the dataset failed (exit code {child.exitcode})")
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)


class SQLiteDatasets:
    name = "sqlite"

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        self.work = CACHE / "work.sqlite3"

    def working_copy(self, families: int) -> tuple[str, dict[str, str]]:
        kept = CACHE / f"sqlite-{families}-{self.fingerprint}.sqlite3"
        logins = kept.with_suffix(".logins.json")
        if not kept.exists():
            for stale in CACHE.glob(f"sqlite-{families}-*"):
                stale.unlink()
            building = kept.with_suffix(".building")
            _remove_sqlite(building)
            build_in_child(f"sqlite:///{building}", families, logins)
            with sqlite3.connect(building) as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            _remove_sqlite(building, keep_main=True)
            building.rename(kept)
        _remove_sqlite(self.work)
        shutil.copyfile(kept, self.work)
        return f"sqlite:///{self.work}", json.loads(logins.read_text())

    def close(self) -> None:
        _remove_sqlite(self.work)


def _remove_sqlite(path: Path, *, keep_main: bool = False) -> None:
    for suffix in ("-wal", "-shm") if keep_main else ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class PostgresDatasets:
    name = "postgresql"

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        self.server = PostgresServer.start(CACHE / "postgres", durable=True)

    async def _admin(self, *statements: str) -> list[Any]:
        connection = await asyncpg.connect(self.server.url())
        try:
            found = []
            for statement in statements:
                found.append(await connection.fetch(statement))
            return found
        finally:
            await connection.close()

    def working_copy(self, families: int) -> tuple[str, dict[str, str]]:
        kept = f"bench_{families}_{self.fingerprint}"
        logins = CACHE / f"postgresql-{families}-{self.fingerprint}.logins.json"
        [names] = asyncio.run(self._admin("SELECT datname FROM pg_database"))
        existing = {row["datname"] for row in names}
        if kept not in existing:
            stale = [name for name in existing if name.startswith(f"bench_{families}_")]
            asyncio.run(self._admin(*(f'DROP DATABASE "{name}"' for name in stale)))
            building = f"{kept}_building"
            asyncio.run(self._admin(f'CREATE DATABASE "{building}"'))
            build_in_child(self.server.url(building), families, logins)
            asyncio.run(self._admin(f'ALTER DATABASE "{building}" RENAME TO "{kept}"'))
        asyncio.run(
            self._admin(
                "DROP DATABASE IF EXISTS bench_work",
                f'CREATE DATABASE bench_work TEMPLATE "{kept}"',
            )
        )
        url = self.server.url("bench_work")
        asyncio.run(_analyze(url))
        return url, json.loads(logins.read_text())

    def close(self) -> None:
        try:
            asyncio.run(self._admin("DROP DATABASE IF EXISTS bench_work"))
        finally:
            self.server.stop(remove=False)


async def _analyze(url: str) -> None:
    """Gather the planner's statistics, as autovacuum would soon after a load: without them
    PostgreSQL plans a freshly built dataset as if its tables were empty (nested loops over
    100,000 families)."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


# ---------------------------------------------------------------------------------------------
# 1 and 2: the API under load.


WRK_SCRIPT = """
local paths = {%(paths)s}
local token = "%(token)s"
local cookie = "%(cookie)s"
local n = 0
request = function()
  n = n + 1
  local headers = {}
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  if cookie ~= "" then headers["Cookie"] = cookie end
  return wrk.format("GET", paths[(n %% #paths) + 1], headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %%d, "seconds": %%.6f, "errors": %%d, "non_2xx": %%d,'
    .. ' "p50_ms": %%.3f, "p99_ms": %%.3f}\\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def wrk(
    port: int, paths: list[str], seconds: float, token: str = "", cookie: str = ""
) -> dict[str, float]:
    """Requests a second and latency of GETs of `paths` (in turn) at CONNECTIONS connections,
    with a bearer `token` (the API) or a session `cookie` (the pages)."""
    script = CACHE / "wrk.lua"
    paths_lua = ", ".join(json.dumps(p) for p in paths)
    script.write_text(WRK_SCRIPT % {"paths": paths_lua, "token": token, "cookie": cookie})
    result = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{round(seconds)}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("WRK "))
    found: dict[str, float] = json.loads(line[4:])
    found["per_second"] = found["requests"] / found["seconds"]
    if found["errors"] or found["non_2xx"]:
        raise SystemExit(f"wrk saw failures on {paths[0]}: {found}")
    return found


@contextmanager
def server(url: str) -> Iterator[int]:
    """`connecting-families serve` with one worker on `url`; yields its port."""
    with serve(url, CACHE / "serve.log", workers=1) as running:
        yield running.port


def api_cases(
    database: str, families: int, url: str, logins: dict[str, str], seconds: float
) -> list[Figure]:
    with server(url) as port:
        token = http_json(
            port,
            "/api/v1/auth/token",
            body={"username": KEY_WORKER, "password": logins[KEY_WORKER]},
        )["access_token"]
        caseload = http_json(port, "/api/v1/families?limit=200", token)["families"]
        reads = [f"/api/v1/families/{family['id']}" for family in caseload]
        listing = ["/api/v1/families?limit=50"]
        wrk(port, ["/health/live"], 2)  # warm up: imports, caches, connections
        wrk(port, reads, 2, token)
        cases = []
        read_goal = 0.25 if database == "sqlite" else 0.2
        for case, paths, goal in (("read", reads, read_goal), ("list", listing, 0.15)):
            baseline = wrk(port, ["/health/live"], seconds)
            found = wrk(port, paths, seconds, token)
            ratio = found["per_second"] / baseline["per_second"]
            met = ratio >= goal and (case != "read" or found["p99_ms"] < 50)
            cases.append(
                Figure(
                    database=database,
                    families=families,
                    case=f"API {case}",
                    figure=found["per_second"],
                    unit="req/s",
                    baseline=baseline["per_second"],
                    baseline_name="GET /health/live req/s",
                    ratio=ratio,
                    goal=f">= {goal}" + (", p99 < 50 ms" if case == "read" else ""),
                    met=met,
                    detail={
                        "p50_ms": found["p50_ms"],
                        "p99_ms": found["p99_ms"],
                        "baseline_p99_ms": baseline["p99_ms"],
                        "requests": found["requests"],
                        "families_in_caseload_page": len(caseload),
                    },
                )
            )
        return cases


# ---------------------------------------------------------------------------------------------
# The pages: a key worker's caseload, a family's summary and one section, against
# `/health/live` of the same server and of a bare Litestar app, in the same run.


def page_session(port: int, username: str, password: str) -> str:
    """The `Cookie` header of a signed-in page session: the sign-in form, as a browser sends it."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    opener.open(f"{base}/sign-in", timeout=30).read()  # loopback only
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "next": "/", "_csrf_token": csrf or ""}
    ).encode()
    opener.open(f"{base}/sign-in", data=form, timeout=30).read()
    if not any(c.name == "cf_session" for c in jar):
        raise SystemExit(f"could not sign in to the pages as {username}")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


@contextmanager
def bare_server() -> Iterator[int]:
    """`bench/bare_app.py` under uvicorn, one worker, as `serve` runs the service."""
    port = free_port()
    with (CACHE / "bare.log").open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bare_app:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
                "--app-dir",
                str(ROOT / "bench"),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    http_json(port, "/health/live")
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("the bare Litestar app did not start") from None
                    time.sleep(0.2)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)


# The least share of `/health/live` each page must answer at: the ratios the pages had before
# issue 21's pages (`--quick`, SQLite, 1,000 families, on a shared 2-core machine, so
# provisional; a quiet machine's run should replace them): caseload 0.010, summary 0.009
# (it read every section then), a section (notes) 0.147.
PAGE_GOALS = {"caseload page": 0.010, "family summary page": 0.009, "family section page": 0.147}


def page_cases(
    database: str, families: int, url: str, logins: dict[str, str], seconds: float
) -> list[Figure]:
    with server(url) as port, bare_server() as bare_port:
        token = http_json(
            port,
            "/api/v1/auth/token",
            body={"username": KEY_WORKER, "password": logins[KEY_WORKER]},
        )["access_token"]
        caseload = http_json(port, "/api/v1/families?limit=50", token)["families"]
        cookie = page_session(port, KEY_WORKER, logins[KEY_WORKER])
        pages = {
            "caseload page": ["/caseload"],
            "family summary page": [f"/families/{family['id']}" for family in caseload],
            "family section page": [f"/families/{family['id']}/notes" for family in caseload],
        }
        wrk(port, ["/health/live"], 2)  # warm up
        wrk(bare_port, ["/health/live"], 2)
        wrk(port, pages["family summary page"], 2, cookie=cookie)
        cases = []
        for case, paths in pages.items():
            baseline = wrk(port, ["/health/live"], seconds)
            bare = wrk(bare_port, ["/health/live"], seconds)
            found = wrk(port, paths, seconds, cookie=cookie)
            ratio = found["per_second"] / baseline["per_second"]
            cases.append(
                Figure(
                    database=database,
                    families=families,
                    case=case,
                    figure=found["per_second"],
                    unit="req/s",
                    baseline=baseline["per_second"],
                    baseline_name="GET /health/live req/s",
                    ratio=ratio,
                    goal=f">= {PAGE_GOALS[case]}",
                    met=ratio >= PAGE_GOALS[case],
                    detail={
                        "p50_ms": found["p50_ms"],
                        "p99_ms": found["p99_ms"],
                        "bare_litestar_per_second": bare["per_second"],
                        "ratio_to_bare_litestar": found["per_second"] / bare["per_second"],
                        "health_to_bare_litestar": baseline["per_second"] / bare["per_second"],
                    },
                )
            )
        return cases


# ---------------------------------------------------------------------------------------------
# 3: import.


async def import_case(database: str, families: int, url: str, rows: int) -> Figure:
    engine = create_engine(DatabaseUrl.parse(url))
    use_engine(engine)
    await open_database(engine)
    async with Raw(url) as raw:
        [(programme_id,)] = await raw.fetch("SELECT id FROM programme WHERE code = {}", PROGRAMME)
        people = await raw.fetch(
            "SELECT id, person_ref FROM person WHERE programme = {} ORDER BY id", programme_id
        )
        rows = min(rows, len(people) * len(IMPORT_TERMS))
        chosen = [(people[n % len(people)], n // len(people)) for n in range(rows)]
        lines = [
            "person_ref,period_start,period_end,possible_sessions,"
            "authorised_absence_sessions,unauthorised_absence_sessions,school_urn"
        ]
        for (_, ref), term in chosen:
            start, end = IMPORT_TERMS[term]
            lines.append(f"{ref},{start},{end},120,4,{len(ref) % 30},100001")
        data = ("\n".join(lines) + "\n").encode()
        service = ImportService(engine, len(data) + 1, PluginHost())
        started = time.perf_counter()
        result = await service.run(
            None,
            Actor.operator("bench"),
            ImportRequest(
                kind="attendance", programme_code=PROGRAMME, data=data, file_name="a.csv"
            ),
        )
        imported = time.perf_counter() - started
        if result.inserted != rows:
            raise SystemExit(f"the benchmark's import was refused: {result}")

        now = dt.datetime.now(dt.UTC)
        [(run_id,)] = await raw.fetch(
            "INSERT INTO import_run (programme, kind, file_name, sha256, started_at)"
            " VALUES ({}, 'attendance', 'raw', '', {}) RETURNING id",
            programme_id,
            now if raw.postgres else str(now),
        )
        recorded_at = now if raw.postgres else str(now)
        terms = [(raw.day(start), raw.day(end)) for start, end in RAW_TERMS]
        records = [
            (programme_id, recorded_at, run_id, person_id, *terms[term], 120, 4, 7, "100001")
            for (person_id, _), term in chosen
        ]
        started = time.perf_counter()
        await raw.insert_many(
            "INSERT INTO attendance (programme, recorded_at, import_run, person, period_start,"
            " period_end, possible_sessions, authorised_absence_sessions,"
            " unauthorised_absence_sessions, school_urn) VALUES ({}, {}, {}, {}, {}, {}, {}, {},"
            " {}, {})",
            records,
        )
        raw_seconds = time.perf_counter() - started
    await close_database(engine)
    ratio = raw_seconds / imported
    return Figure(
        database=database,
        families=families,
        case="import",
        figure=rows / imported,
        unit="rows/s",
        baseline=rows / raw_seconds,
        baseline_name="raw driver executemany rows/s",
        ratio=ratio,
        goal=">= 0.2",
        met=ratio >= 0.2,
        detail={"rows": rows, "bytes": len(data), "import_phases_s": result.seconds},
    )


# ---------------------------------------------------------------------------------------------
# 4, 5 and 6: evaluation, totals, claims.


async def raw_read(url: str) -> int:
    """Every row the evaluation reads, through the raw driver; the number of rows."""
    families = "SELECT f.id FROM family f JOIN programme p ON p.id = f.programme WHERE p.code = {}"
    people = f"SELECT person FROM membership WHERE family IN ({families})"
    statements = [
        f"SELECT * FROM family WHERE id IN ({families})",
        "SELECT m.*, p.person_ref, p.date_of_birth FROM membership m JOIN person p"
        f" ON p.id = m.person WHERE m.family IN ({families}) AND m.superseded_at IS NULL",
        *(
            f"SELECT * FROM {table} WHERE person IN ({people}) AND superseded_at IS NULL"
            for table in EVIDENCE
        ),
        f"SELECT * FROM need WHERE family IN ({families}) AND superseded_at IS NULL",
    ]
    count = 0
    async with Raw(url) as raw:
        for statement in statements:
            count += len(await raw.fetch(statement, PROGRAMME))
    return count


def evaluate(url: str, answer: Any) -> None:
    """In a child process: evaluate the cohort; send (seconds, families, peak MiB)."""

    async def run() -> tuple[float, int]:
        engine = create_engine(DatabaseUrl.parse(url))
        use_engine(engine)
        await open_database(engine)
        service = EvaluationService(engine, PluginHost())
        started = time.perf_counter()
        result = await service.evaluate_programme(
            None, Actor.operator("bench"), PROGRAMME, AS_OF, None
        )
        elapsed = time.perf_counter() - started
        await close_database(engine)
        return elapsed, result.families

    seconds, families = asyncio.run(run())
    # VmHWM, the peak of this process's own memory: Linux keeps ru_maxrss across exec, so it
    # would report the parent's peak from before this child started.
    status = Path("/proc/self/status").read_text()
    [peak_kib] = [line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")]
    answer.put((seconds, families, int(peak_kib) / 1024))


def cohort_case(database: str, families: int, url: str) -> Figure:
    started = time.perf_counter()
    rows = asyncio.run(raw_read(url))
    raw_seconds = time.perf_counter() - started
    context = multiprocessing.get_context("spawn")
    answer = context.Queue()
    child = context.Process(target=evaluate, args=(url, answer))
    child.start()
    seconds, judged, peak_mib = answer.get(timeout=3600)
    child.join()
    ratio = seconds / raw_seconds
    return Figure(
        database=database,
        families=families,
        case="cohort evaluation",
        figure=seconds,
        unit="s",
        baseline=raw_seconds,
        baseline_name="raw read of its rows, s",
        ratio=ratio,
        goal="<= 3, peak < 1024 MiB",
        met=ratio <= 3 and peak_mib < 1024,
        detail={"families": judged, "rows_read": rows, "peak_mib": round(peak_mib)},
    )


async def totals_and_claim_cases(database: str, families: int, url: str) -> list[Figure]:
    engine = create_engine(DatabaseUrl.parse(url))
    use_engine(engine)
    await open_database(engine)
    evaluation = EvaluationService(engine, PluginHost())
    reports, claims = ReportService(engine, evaluation), ClaimService(engine, evaluation)
    actor = Actor.operator("bench")
    started = time.perf_counter()
    await reports.totals(None, actor, PROGRAMME, AS_OF)
    first = time.perf_counter() - started
    service_times = []
    for _ in range(3):
        started = time.perf_counter()
        await reports.totals(None, actor, PROGRAMME, AS_OF)
        service_times.append(time.perf_counter() - started)
    raw_times = []
    async with Raw(url) as raw:
        [(programme_id,)] = await raw.fetch("SELECT id FROM programme WHERE code = {}", PROGRAMME)
        [(run_id,)] = await raw.fetch(
            "SELECT MAX(id) FROM verdict_run WHERE programme = {} AND as_of = {}",
            programme_id,
            raw.day(AS_OF),
        )
        statements = totals_sql.statements(programme_id, run_id, raw.day(AS_OF))
        for _ in range(3):
            started = time.perf_counter()
            for _, sql, params in statements:
                await raw.fetch(sql, *params)
            raw_times.append(time.perf_counter() - started)
    totals, raw_totals = statistics.median(service_times), statistics.median(raw_times)

    started = time.perf_counter()
    claim = await claims.prepare(None, actor, PROGRAMME, as_of=AS_OF)
    preparing = time.perf_counter() - started
    await close_database(engine)
    ratio = totals / raw_totals
    return [
        Figure(
            database=database,
            families=families,
            case="programme totals",
            figure=totals,
            unit="s",
            baseline=raw_totals,
            baseline_name="the same SQL, raw driver, s",
            ratio=ratio,
            goal="<= 1.5, < 1 s",
            met=ratio <= 1.5 and totals < 1,
            detail={"first_totals_s": round(first, 3)},
        ),
        Figure(
            database=database,
            families=families,
            case="claim preparation",
            figure=preparing,
            unit="s",
            baseline=None,
            baseline_name="",
            ratio=None,
            goal="< 60 s",
            met=preparing < 60,
            detail={
                "lines": len(claim.get("lines", [])),
                "near_misses": len(claim.get("near_misses", [])),
            },
        ),
    ]


# ---------------------------------------------------------------------------------------------
# The run and its report.


def measure(datasets: Any, families: int, args: argparse.Namespace) -> list[Figure]:
    database = datasets.name
    print(f"{database}, {families:,} families:", flush=True)
    url, logins = datasets.working_copy(families)
    figures = api_cases(database, families, url, logins, args.seconds)
    figures += page_cases(database, families, url, logins, args.seconds)
    if args.quick:
        for figure in figures:
            print("  " + row(figure), flush=True)
        return figures
    figures.append(cohort_case(database, families, url))
    figures += asyncio.run(totals_and_claim_cases(database, families, url))
    figures.append(asyncio.run(import_case(database, families, url, args.import_rows)))
    for figure in figures:
        print("  " + row(figure), flush=True)
    return figures


# What the table shows of each case's detail, beside the figure.
SHOWN = {
    "p99_ms": "p99 {:.0f} ms",
    "ratio_to_bare_litestar": "bare Litestar {:.3f}",
    "peak_mib": "peak {} MiB",
    "first_totals_s": "first {} s",
}


def row(figure: Figure) -> str:
    baseline = "" if figure.baseline is None else f"{figure.baseline:,.2f}"
    ratio = "" if figure.ratio is None else f"{figure.ratio:.3f}"
    shown = ", ".join(
        SHOWN[key].format(figure.detail[key]) for key in SHOWN if key in figure.detail
    )
    return (
        f"{figure.database:<10} {figure.families:>8,} {figure.case:<18} "
        f"{figure.figure:>12,.2f} {figure.unit:<6} {baseline:>12} {ratio:>7} "
        f"{figure.goal:<24} {'met' if figure.met else 'NOT MET':<8} {shown}"
    )


def report(figures: list[Figure], out: Path) -> None:
    print()
    print(
        f"{'database':<10} {'families':>8} {'case':<18} {'figure':>12} {'unit':<6} "
        f"{'baseline':>12} {'ratio':>7} {'goal':<24} {'result':<8} detail"
    )
    for figure in figures:
        print(row(figure))
    print("\nHow each cost grows with size (figure, and per 1,000 families for times):")
    for database in sorted({f.database for f in figures}):
        for case in dict.fromkeys(f.case for f in figures):
            found = [f for f in figures if f.database == database and f.case == case]
            cells = []
            for figure in found:
                cell = f"{figure.families:,}: {figure.figure:,.2f} {figure.unit}"
                if figure.unit == "s":
                    cell += f" ({figure.figure / figure.families * 1000:.3f} s/1k)"
                cells.append(cell)
            print(f"  {database:<10} {case:<18} " + "; ".join(cells))
    out.write_text(json.dumps([attrs.asdict(f) for f in figures], indent=2) + "\n")
    print(f"\nwritten to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="families, comma separated")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=10, help="each load test's length")
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=CACHE / "results.json")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: the API and the pages only, 1,000 families on SQLite, 6 s each",
    )
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.databases, args.seconds = "1000", "sqlite", 6
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (Debian package wrk)")
    CACHE.mkdir(parents=True, exist_ok=True)
    sizes = [int(size) for size in args.sizes.split(",")]
    kinds = {"sqlite": SQLiteDatasets, "postgresql": PostgresDatasets}
    figures: list[Figure] = []
    for name in args.databases.split(","):
        datasets = kinds[name](fingerprint())
        try:
            for families in sizes:
                figures += measure(datasets, families, args)
        finally:
            datasets.close()
    report(figures, args.out)


if __name__ == "__main__":
    main()
