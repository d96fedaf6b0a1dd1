"""Soak test: mixed casework and management traffic against two server workers for minutes.

    make soak         # or: .venv/bin/python bench/soak.py [--minutes 10] [--connections 24]
                      #     [--families 1000] [--database sqlite|postgresql] [--out FILE]

It makes a fresh database with `connecting-families demo` (three programmes, their managers
and 18 key workers), starts `connecting-families serve --workers 2` on loopback, signs every
key worker, team manager and programme manager in (bearer tokens for the API, session cookies
for the pages) and then, for `--minutes` (at most 10; access tokens are renewed before they
expire, as an API client would), keeps it busy:

- key workers, on most of the connections, one request after another: their caseload list and
  summary, family records, members, notes, timeline and verdict, the caseload and family pages,
  and writes: case notes and evidence items (household ASB incidents);
- managers, on a sixth of the connections, with a pause between requests as people make:
  team caseloads, closures awaiting sign-off and the team page; programme totals, the programme
  dashboard page, the claims list, an import dry run and a small import of ASB records.

Each client opens a new connection every `--lifetime` requests, so the two workers share the
clients anew as the run goes on (and connection set-up is soaked too). Every answer other than
the expected status (200, or 201 for a created note or record) is an
error, counted by endpoint and status; so are timeouts and dropped connections. Every
`--sample-seconds` it reads the resident memory (VmRSS) and CPU time of the uvicorn
supervisor and of each worker from /proc. It prints, and writes as JSON to
`var/soak/results.json`: requests tried, errors by endpoint and kind, requests a second held
minute by minute, memory minute by minute and its growth from the end of the first minute
(the warm-up) to the end, and latency percentiles (p50/p90/p99/max) per endpoint and overall.
The exit status is 1 when there was any error, any ERROR line in the server's log, a worker
was replaced during the run, or memory grew more than `--max-growth` percent.

The load generator is a plain HTTP/1.1 keep-alive client on asyncio streams, in this process:
on a 2-core machine every cycle the generator spends is taken from the server, so it is kept
small (the report gives its CPU beside the workers'). Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import attrs

ROOT = Path(__file__).resolve().parent.parent
SOAK = ROOT / "var" / "soak"
# The test suite's PostgreSQL cluster helper, for `--database postgresql`.
sys.path.insert(0, str(ROOT / "tests"))

from common import COMMAND, serve, server_environment  # noqa: E402

from connecting_families.demo import DemoProgramme, demo_programmes  # noqa: E402
from connecting_families.domain.dates import judging_day, today  # noqa: E402

from postgres_server import PostgresServer  # noqa: E402

MAX_MINUTES = 10
WORKERS = 2
REQUEST_TIMEOUT_S = 30.0
# Renew an access token when it has less than this left.
TOKEN_RENEWAL_S = 120.0
# Uvicorn closes a keep-alive connection idle for 5 seconds (its default); a client that
# reused one idle that long could meet the close half-way.
IDLE_REUSE_S = 4.0
# The first minute warms the workers up (imports, caches, connection pools); memory growth is
# measured from its end.
WARM_UP_S = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
LOGIN_LINE = re.compile(r"^  (\S+)\s+(\S+)\s+(\S+)$")


# ---------------------------------------------------------------------------------------------
# A small HTTP/1.1 client.


@attrs.frozen
class Request:
    kind: str  # what the latency and error tables call it, e.g. "kw GET family"
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    expected: int = 200


@attrs.frozen
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """A keep-alive connection to the server, opened again after a failure, after it has
    served `lifetime` requests (so that the workers share the connections anew, as clients come
    and go), and after an idle spell the server may have closed it in."""

    def __init__(self, port: int, lifetime: int = 0) -> None:
        self.port = port
        self.lifetime = lifetime
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.served = 0
        self.last_used = 0.0
        self.opened = 0

    async def send(self, request: Request) -> Reply:
        stale = time.monotonic() - self.last_used > IDLE_REUSE_S
        if self.reader is not None and (stale or self.reader.at_eof()):
            await self.close()
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.opened += 1
            self.served = 0
        assert self.reader is not None
        lines = [f"{request.method} {request.path} HTTP/1.1", f"host: 127.0.0.1:{self.port}"]
        lines += [f"{name}: {value}" for name, value in request.headers]
        lines.append(f"content-length: {len(request.body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + request.body)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in head[1:]:
            if line:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                value = value.strip()
                # Several Set-Cookie headers: keep them all, joined.
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked()
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        self.served += 1
        self.last_used = time.monotonic()
        if headers.get("connection", "").lower() == "close" or self.served == self.lifetime:
            await self.close()
        return Reply(status, headers, body)

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers from uvicorn
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def cookie(session: str) -> tuple[tuple[str, str], ...]:
    return (("cookie", f"cf_session={session}"),)


JSON = (("content-type", "application/json"),)
CSV = (("content-type", "text/csv"),)
FORM = (("content-type", "application/x-www-form-urlencoded"),)


# ---------------------------------------------------------------------------------------------
# Who signs in, and what they ask for.


@attrs.define
class User:
    username: str
    role: str  # key_worker, team_manager or programme_manager
    programme: DemoProgramme
    password: str  # kept in memory only, to renew the access token
    token: str = ""
    token_expires: float = 0.0  # time.monotonic()
    session: str = ""
    team_id: int | None = None
    family_ids: list[int] = attrs.field(factory=list)
    family_refs: list[str] = attrs.field(factory=list)


@attrs.define
class World:
    key_workers: list[User]
    team_managers: list[User]
    programme_managers: list[User]
    serial: int = 0

    def users(self) -> list[User]:
        return [*self.key_workers, *self.team_managers, *self.programme_managers]

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial


def _day(rng: random.Random, programme: DemoProgramme) -> str:
    span = (min(programme.ends_on, dt.date.today()) - programme.starts_on).days
    return (programme.starts_on + dt.timedelta(days=rng.randrange(span))).isoformat()


def _family(rng: random.Random, world: World) -> tuple[User, int]:
    user = rng.choice(world.key_workers)
    return user, rng.choice(user.family_ids)


def kw_list(rng: random.Random, world: World) -> Request:
    user = rng.choice(world.key_workers)
    status = rng.choice(("", "", "&status=attached", "&status=closed"))
    return Request(
        "kw GET families list", "GET", f"/api/v1/families?limit=50{status}", bearer(user.token)
    )


def kw_caseload(rng: random.Random, world: World) -> Request:
    user = rng.choice(world.key_workers)
    return Request("kw GET caseload", "GET", "/api/v1/caseload", bearer(user.token))


def kw_family_read(part: str, kind: str) -> Callable[[random.Random, World], Request]:
    def build(rng: random.Random, world: World) -> Request:
        user, family = _family(rng, world)
        path = f"/api/v1/families/{family}{part}"
        if part == "/verdict":
            path += f"?as_of={judging_day(user.programme.ends_on, today()).isoformat()}"
        return Request(kind, "GET", path, bearer(user.token))

    return build


def kw_add_note(rng: random.Random, world: World) -> Request:
    user, family = _family(rng, world)
    note = {
        "kind": rng.choice(("visit", "phone", "meeting", "message")),
        "occurred_on": _day(rng, user.programme),
        "body": f"Soak note {world.next_serial()}: home visit, plan reviewed.",
    }
    return Request(
        "kw POST note",
        "POST",
        f"/api/v1/families/{family}/notes",
        bearer(user.token) + JSON,
        json.dumps(note).encode(),
        201,
    )


def kw_record_evidence(rng: random.Random, world: World) -> Request:
    user, family = _family(rng, world)
    item = {
        "asb_ref": f"SOAK-ASB-{world.next_serial()}",
        "incident_date": _day(rng, user.programme),
        "kind": rng.choice(("incident", "intervention")),
    }
    return Request(
        "kw POST evidence",
        "POST",
        f"/api/v1/families/{family}/evidence/asb",
        bearer(user.token) + JSON,
        json.dumps(item).encode(),
        201,
    )


def kw_caseload_page(rng: random.Random, world: World) -> Request:
    user = rng.choice(world.key_workers)
    return Request("kw page caseload", "GET", "/caseload", cookie(user.session))


def kw_family_page(rng: random.Random, world: World) -> Request:
    user, family = _family(rng, world)
    return Request("kw page family", "GET", f"/families/{family}", cookie(user.session))


def tm_caseloads(rng: random.Random, world: World) -> Request:
    user = rng.choice(world.team_managers)
    return Request(
        "tm GET team caseloads",
        "GET",
        f"/api/v1/teams/{user.team_id}/caseloads",
        bearer(user.token),
    )


def tm_closures(rng: random.Random, world: World) -> Request:
    user = rng.choice(world.team_managers)
    return Request(
        "tm GET closures awaiting", "GET", "/api/v1/closures/awaiting-sign-off", bearer(user.token)
    )


def tm_team_page(rng: random.Random, world: World) -> Request:
    user = rng.choice(world.team_managers)
    return Request("tm page team", "GET", "/team", cookie(user.session))


def pm_totals(rng: random.Random, world: World) -> Request:
    user = rng.choice(world.programme_managers)
    code, as_of = user.programme.code, judging_day(user.programme.ends_on, today()).isoformat()
    return Request(
        "pm GET totals",
        "GET",
        f"/api/v1/programmes/{code}/totals?as_of={as_of}",
        bearer(user.token),
    )


def pm_dashboard(rng: random.Random, world: World) -> Request:
    user = rng.choice(world.programme_managers)
    return Request(
        "pm page dashboard", "GET", f"/programmes/{user.programme.code}", cookie(user.session)
    )


def pm_claims(rng: random.Random, world: World) -> Request:
    user = rng.choice(world.programme_managers)
    return Request(
        "pm GET claims",
        "GET",
        f"/api/v1/programmes/{user.programme.code}/claims",
        bearer(user.token),
    )


def pm_import_dry_run(rng: random.Random, world: World) -> Request:
    """A term's attendance of 20 of the programme's people (the demo's `-P1` members)."""
    user = rng.choice(world.programme_managers)
    start = user.programme.starts_on + dt.timedelta(days=rng.randrange(0, 600))
    end = start + dt.timedelta(days=70)
    rows = ["person_ref,period_start,period_end,possible_sessions,unauthorised_absence_sessions"]
    for ref in rng.sample(user.family_refs, min(20, len(user.family_refs))):
        rows.append(f"{ref}-P1,{start},{end},120,{rng.randrange(0, 40)}")
    path = f"/api/v1/programmes/{user.programme.code}/imports/attendance?dry_run=true"
    body = ("\n".join(rows) + "\n").encode()
    return Request("pm POST import dry run", "POST", path, bearer(user.token) + CSV, body)


def pm_import(rng: random.Random, world: World) -> Request:
    """Five new household ASB records from the police."""
    user = rng.choice(world.programme_managers)
    rows = ["family_ref,asb_ref,incident_date,kind"]
    for ref in rng.sample(user.family_refs, min(5, len(user.family_refs))):
        serial = world.next_serial()
        rows.append(f"{ref},SOAK-POLICE-{serial},{_day(rng, user.programme)},incident")
    path = f"/api/v1/programmes/{user.programme.code}/imports/asb"
    body = ("\n".join(rows) + "\n").encode()
    return Request("pm POST import", "POST", path, bearer(user.token) + CSV, body)


Mix = list[tuple[Callable[[random.Random, World], Request], int]]

# Relative weights. Key workers do most of the traffic; reads outnumber writes 3 to 1.
KEY_WORKER_MIX: Mix = [
    (kw_list, 14),
    (kw_caseload, 5),
    (kw_family_read("", "kw GET family"), 20),
    (kw_family_read("/members", "kw GET members"), 6),
    (kw_family_read("/notes", "kw GET notes"), 6),
    (kw_family_read("/timeline", "kw GET timeline"), 6),
    (kw_family_read("/verdict", "kw GET verdict"), 5),
    (kw_caseload_page, 5),
    (kw_family_page, 8),
    (kw_add_note, 15),
    (kw_record_evidence, 10),
]
MANAGER_MIX: Mix = [
    (tm_caseloads, 4),
    (tm_closures, 2),
    (tm_team_page, 3),
    (pm_totals, 4),
    (pm_dashboard, 3),
    (pm_claims, 3),
    (pm_import_dry_run, 2),
    (pm_import, 1),
]


# ---------------------------------------------------------------------------------------------
# What happened.


@attrs.define
class Tally:
    started: float
    latencies: dict[str, list[float]] = attrs.field(factory=dict)
    errors: Counter[tuple[str, str]] = attrs.field(factory=Counter)
    # The first answer of each (endpoint, status) error, shortened, to see what went wrong.
    examples: dict[str, str] = attrs.field(factory=dict)
    # Requests tried and errors in each second of the run.
    tried_by_second: Counter[int] = attrs.field(factory=Counter)
    errors_by_second: Counter[int] = attrs.field(factory=Counter)
    connections_opened: int = 0

    def done(self, request: Request, seconds: float, reply: Reply | None, failure: str) -> None:
        second = int(time.monotonic() - self.started)
        self.tried_by_second[second] += 1
        if reply is not None:
            self.latencies.setdefault(request.kind, []).append(seconds)
        if reply is not None and reply.status == request.expected:
            return
        what = failure or f"HTTP {reply.status if reply else '?'}"
        self.errors[(request.kind, what)] += 1
        self.errors_by_second[second] += 1
        if reply is not None:
            self.examples.setdefault(
                f"{request.kind}: {what}", reply.body[:300].decode("utf-8", "replace")
            )


async def attempt(connection: Connection, request: Request, tally: Tally) -> Reply | None:
    """Send `request` and count what came of it; its reply, if it had one."""
    started = time.perf_counter()
    reply, failure = None, ""
    try:
        reply = await asyncio.wait_for(connection.send(request), REQUEST_TIMEOUT_S)
    # A timeout, a dropped connection or an answer that is not HTTP: the connection is of no
    # more use.
    except (
        OSError,
        EOFError,
        TimeoutError,
        asyncio.LimitOverrunError,
        ValueError,
        IndexError,
    ) as error:
        failure = type(error).__name__
        await connection.close()
    tally.done(request, time.perf_counter() - started, reply, failure)
    return reply


async def drive(
    number: int,
    port: int,
    world: World,
    mix: Mix,
    pause: float,
    until: float,
    tally: Tally,
    seed: int,
    lifetime: int,
) -> None:
    """One client's requests until `until`, `pause` seconds apart on average."""
    rng = random.Random(seed * 1000 + number)  # noqa: S311 - a repeatable mix, not a secret
    builders, weights = zip(*mix, strict=True)
    connection = Connection(port, lifetime)
    try:
        while time.monotonic() < until:
            [build] = rng.choices(builders, weights)
            await attempt(connection, build(rng, world), tally)
            if pause:
                await asyncio.sleep(min(rng.expovariate(1 / pause), until - time.monotonic()))
    finally:
        await connection.close()
        tally.connections_opened += connection.opened


async def renew_tokens(port: int, world: World, until: float, tally: Tally) -> None:
    """Ask for a new access token a while before the old one expires, as an API client does
    (tokens live 15 minutes; a run with a slow start could outlive the first ones)."""
    connection = Connection(port)
    try:
        while time.monotonic() < until:
            for user in world.users():
                if user.token_expires - time.monotonic() < TOKEN_RENEWAL_S:
                    reply = await attempt(connection, token_request(user), tally)
                    if reply is not None and reply.status == 200:
                        took_token(user, reply)
            await asyncio.sleep(min(5.0, max(0.0, until - time.monotonic())))
    finally:
        await connection.close()


# ---------------------------------------------------------------------------------------------
# The server's processes.


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def workers_of(supervisor: int) -> list[int]:
    """Uvicorn's worker processes: the supervisor's children started by multiprocessing's spawn
    (not its resource tracker)."""
    found = []
    for child in _children(supervisor):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            found.append(child)
    return sorted(found)


def process_figures(pid: int) -> tuple[float, float] | None:
    """(resident MiB, CPU seconds so far) of a process, or None once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    [rss_kib] = [line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")]
    # Fields after the command name (which may hold spaces) in brackets; utime, stime: 14, 15.
    fields = stat.rpartition(")")[2].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return int(rss_kib) / 1024, cpu


@attrs.define
class Sampler:
    supervisor: int
    workers: list[int]
    started: float
    client_cpu_at_start: float
    samples: list[dict[str, Any]] = attrs.field(factory=list)
    restarts: list[str] = attrs.field(factory=list)

    def sample(self) -> None:
        entry: dict[str, Any] = {"t": round(time.monotonic() - self.started, 1)}
        names = {"supervisor": self.supervisor} | {
            f"worker{n + 1}": pid for n, pid in enumerate(self.workers)
        }
        for name, pid in names.items():
            figures = process_figures(pid)
            entry[name] = (
                None
                if figures is None
                else {"rss_mib": round(figures[0], 1), "cpu_s": round(figures[1], 2)}
            )
        entry["client_cpu_s"] = round(time.process_time(), 2)
        now = workers_of(self.supervisor)
        if now != self.workers:
            self.restarts.append(f"at {entry['t']} s the workers were {now}, not {self.workers}")
            self.workers = now
        self.samples.append(entry)

    async def run(self, every: float, until: float) -> None:
        while time.monotonic() < until:
            self.sample()
            await asyncio.sleep(min(every, max(0.0, until - time.monotonic())))
        self.sample()


# ---------------------------------------------------------------------------------------------
# The database, the demo authority, signing in.


class Database:
    """A fresh database for each run: an SQLite file, or a database in a kept cluster."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.postgres: PostgresServer | None = None

    def fresh(self) -> str:
        if self.kind == "sqlite":
            path = SOAK / "soak.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return f"sqlite:///{path}"
        self.postgres = PostgresServer.start(SOAK / "postgres", durable=True)
        asyncio.run(self._admin("DROP DATABASE IF EXISTS soak", "CREATE DATABASE soak"))
        url: str = self.postgres.url("soak")
        subprocess.run(
            [COMMAND, "db", "migrate"],
            env=server_environment(url),
            check=True,
            capture_output=True,
        )
        return url

    async def _admin(self, *statements: str) -> None:
        assert self.postgres is not None
        connection = await asyncpg.connect(self.postgres.url())
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    def close(self) -> None:
        if self.postgres is not None:
            self.postgres.stop(remove=False)


def load_demo(url: str, families: int, seed: int) -> dict[str, tuple[str, str]]:
    """`connecting-families demo` on `url`; each login's (role, password)."""
    result = subprocess.run(
        [COMMAND, "demo", "--families", str(families), "--seed", str(seed)],
        env=server_environment(url),
        capture_output=True,
        text=True,
        check=True,
    )
    logins = {}
    for line in result.stdout.split("Demo logins", 1)[1].splitlines():
        found = LOGIN_LINE.match(line)
        if found:
            logins[found[1]] = (found[2], found[3])
    return logins


def token_request(user: User) -> Request:
    credentials = {"username": user.username, "password": user.password}
    return Request(
        "auth POST token", "POST", "/api/v1/auth/token", JSON, json.dumps(credentials).encode()
    )


def took_token(user: User, reply: Reply) -> None:
    answer = reply.json()
    user.token = answer["access_token"]
    user.token_expires = time.monotonic() + answer["expires_in"]


async def sign_in(port: int, logins: dict[str, tuple[str, str]]) -> World:
    """Tokens and page sessions for every key worker and manager; what each needs to know."""
    # The programmes as `load_demo` made them, today.
    programmes = {p.code.split("-")[1].lower(): p for p in demo_programmes(today())}
    users = [
        User(username, role, programmes[username.split(".")[1]], password)
        for username, (role, password) in logins.items()
        if role in ("key_worker", "team_manager", "programme_manager")
    ]
    # Signing in is mostly password hashing: a few at once keep both workers at it.
    turns = asyncio.Semaphore(4)
    await asyncio.gather(*(prepare(port, user, turns) for user in users))
    return World(
        key_workers=[u for u in users if u.role == "key_worker" and u.family_ids],
        team_managers=[u for u in users if u.role == "team_manager"],
        programme_managers=[u for u in users if u.role == "programme_manager"],
    )


async def prepare(port: int, user: User, turns: asyncio.Semaphore) -> None:
    connection = Connection(port)

    async def call(request: Request) -> Reply:
        reply = await connection.send(request)
        if reply.status != request.expected:
            raise SystemExit(
                f"setting up: {request.method} {request.path} answered "
                f"{reply.status}: {reply.body[:300]!r}"
            )
        return reply

    async with turns:
        took_token(user, await call(token_request(user)))
        form = urllib.parse.urlencode({"username": user.username, "password": user.password})
        reply = await call(Request("setup", "POST", "/auth/login", FORM, form.encode(), 204))
        found = re.search(r"cf_session=([^;]+)", reply.headers.get("set-cookie", ""))
        if found is None:
            raise SystemExit("setting up: signing in to the pages set no session cookie")
        user.session = found[1]
        me = await call(Request("setup", "GET", "/api/v1/auth/me", bearer(user.token)))
        user.team_id = me.json()["team_id"]
        if user.role == "key_worker":
            cursor = ""
            while True:
                path = f"/api/v1/families?limit=200{cursor}"
                page = (await call(Request("setup", "GET", path, bearer(user.token)))).json()
                user.family_ids += [family["id"] for family in page["families"]]
                if not page["next_cursor"]:
                    break
                cursor = "&cursor=" + urllib.parse.quote(page["next_cursor"])
        elif user.role == "programme_manager":
            path = f"/api/v1/families?limit=200&programme={user.programme.code}"
            page = (await call(Request("setup", "GET", path, bearer(user.token)))).json()
            user.family_refs = [family["family_ref"] for family in page["families"]]
            # A claim for the programme, so that the claims list has lines to show.
            judged_on = judging_day(user.programme.ends_on, today())
            claim = json.dumps({"as_of": judged_on.isoformat()}).encode()
            path = f"/api/v1/programmes/{user.programme.code}/claims"
            await call(Request("setup", "POST", path, bearer(user.token) + JSON, claim, 201))
    await connection.close()


def wait_for_workers(supervisor: int) -> list[int]:
    deadline = time.monotonic() + 60
    while len(found := workers_of(supervisor)) < WORKERS:
        if time.monotonic() > deadline:
            raise SystemExit(f"the server started {len(found)} workers, not {WORKERS}")
        time.sleep(0.2)
    return found


# ---------------------------------------------------------------------------------------------
# The run and its report.


async def soak(
    port: int, supervisor: int, workers: list[int], world: World, args: argparse.Namespace
) -> tuple[Tally, Sampler, float]:
    managers = max(1, round(args.connections / 6))
    started = time.monotonic()
    until = started + args.minutes * 60
    tally = Tally(started)
    sampler = Sampler(supervisor, workers, started, client_cpu_at_start=time.process_time())
    connections = [
        drive(n, port, world, KEY_WORKER_MIX, 0.0, until, tally, args.seed, args.lifetime)
        for n in range(args.connections - managers)
    ] + [
        drive(
            n, port, world, MANAGER_MIX, args.manager_pause, until, tally, args.seed, args.lifetime
        )
        for n in range(args.connections - managers, args.connections)
    ]
    await asyncio.gather(
        sampler.run(args.sample_seconds, until),
        renew_tokens(port, world, until, tally),
        *connections,
    )
    return tally, sampler, time.monotonic() - started


def percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))] * 1000

    return {
        "count": len(ordered),
        "p50_ms": round(at(0.5), 1),
        "p90_ms": round(at(0.9), 1),
        "p99_ms": round(at(0.99), 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def _at(samples: list[dict[str, Any]], t: float) -> dict[str, Any]:
    """The last sample taken by `t` seconds (with a little slack for the sampler's timing)."""
    taken = [sample for sample in samples if sample["t"] <= t + 1]
    return taken[-1] if taken else samples[0]


PROCESSES = ("supervisor", "worker1", "worker2")


def _rss(sample: dict[str, Any], name: str) -> float | None:
    return sample[name]["rss_mib"] if sample.get(name) else None


def _cpu(sample: dict[str, Any]) -> float:
    return float(sum(sample[name]["cpu_s"] for name in PROCESSES[1:] if sample.get(name)))


def _slope(points: list[tuple[float, float | None]]) -> float | None:
    """The least-squares slope of y over x: a steady leak shows here even when noise hides it
    in the difference between two samples."""
    known = [(x, y) for x, y in points if y is not None]
    if len(known) < 2:
        return None
    mean_x = sum(x for x, _ in known) / len(known)
    mean_y = sum(y for _, y in known) / len(known)
    spread = sum((x - mean_x) ** 2 for x, _ in known)
    if not spread:
        return None
    return round(sum((x - mean_x) * (y - mean_y) for x, y in known) / spread, 2)


def summarise(
    tally: Tally, sampler: Sampler, elapsed: float, args: argparse.Namespace, log: Path
) -> dict[str, Any]:
    samples = sampler.samples
    tried = sum(tally.tried_by_second.values())
    errors = sum(tally.errors.values())
    minutes = []
    planned = args.minutes * 60
    last_minute = int(-(-planned // 60))
    for minute in range(1, last_minute + 1):
        begin, end = (minute - 1) * 60, min(minute * 60, planned)
        # The last minute also counts the answers that came in after the end.
        seconds = range(int(begin), int(elapsed) + 1 if minute == last_minute else int(end))
        count = sum(tally.tried_by_second[s] for s in seconds)
        length = (elapsed if minute == last_minute else end) - begin
        first, last = _at(samples, begin), _at(samples, end)
        minutes.append(
            {
                "minute": minute,
                "tried": count,
                "per_second": round(count / length, 1),
                "errors": sum(tally.errors_by_second[s] for s in seconds),
                "rss_mib": {name: _rss(last, name) for name in PROCESSES},
                "worker_cpu_cores": round(
                    (_cpu(last) - _cpu(first)) / max(last["t"] - first["t"], 1), 2
                ),
            }
        )
    baseline_t = min(WARM_UP_S, planned / 2)
    baseline = next(sample for sample in samples if sample["t"] >= baseline_t - 1)
    final = samples[-1]
    growth: dict[str, Any] = {}
    for name in PROCESSES:
        before, after = _rss(baseline, name), _rss(final, name)
        if before and after:
            growth[name] = {
                "slope_mib_per_minute": _slope(
                    [(s["t"] / 60, _rss(s, name)) for s in samples if s["t"] >= baseline["t"]]
                ),
                "from_mib": before,
                "to_mib": after,
                "percent": round((after - before) / before * 100, 1),
            }
    flat = len(growth) == len(PROCESSES) and all(
        g["percent"] <= args.max_growth for g in growth.values()
    )
    log_text = log.read_text(errors="replace")
    log_levels = Counter(re.findall(r'"level": "([A-Z]+)"', log_text))
    log_errors = log_levels["ERROR"] + log_levels["CRITICAL"]
    # Uvicorn's supervisor kills a worker that does not answer its ping within 5 seconds and
    # starts another; it logs that at INFO.
    worker_deaths = len(re.findall(r"Child process \[\d+\] died", log_text))
    everything = [s for kind in tally.latencies.values() for s in kind]
    by_kind = {
        kind: percentiles(values)
        | {"errors": sum(n for (k, _), n in tally.errors.items() if k == kind)}
        for kind, values in sorted(tally.latencies.items())
    }
    client_cpu = final["client_cpu_s"] - sampler.client_cpu_at_start
    results = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": args.database,
        "families": args.families,
        "workers": WORKERS,
        "connections": args.connections,
        "manager_connections": max(1, round(args.connections / 6)),
        "manager_pause_s": args.manager_pause,
        "seconds": round(elapsed, 1),
        "requests": {
            "connections_opened": tally.connections_opened,
            "tried": tried,
            "errors": errors,
            "per_second": round(tried / elapsed, 1),
        },
        "errors": [
            {"endpoint": kind, "what": what, "count": count}
            for (kind, what), count in tally.errors.most_common()
        ],
        "error_examples": tally.examples,
        "server_log_errors": log_errors,
        "server_log_levels": dict(log_levels),
        "worker_restarts": sampler.restarts,
        "worker_deaths_in_log": worker_deaths,
        "latency": {"overall": percentiles(everything) if everything else {}} | by_kind,
        "minutes": minutes,
        "memory": {
            "measured_from_s": baseline["t"],
            "to_s": final["t"],
            "growth": growth,
            "max_growth_percent": args.max_growth,
            "flat": flat,
        },
        "cpu": {
            "worker_cores": round((_cpu(final) - _cpu(samples[0])) / max(final["t"], 1), 2),
            "client_cores": round(client_cpu / max(final["t"], 1), 2),
        },
        "samples": samples,
    }
    results["passed"] = not errors and not log_errors and not sampler.restarts and flat
    return results


def report(results: dict[str, Any]) -> None:
    requests = results["requests"]
    print(
        f"\n{results['database']}, {results['families']:,} families, {results['workers']} "
        f"workers, {results['connections']} clients ({results['manager_connections']} "
        f"of managers; {requests['connections_opened']:,} connections opened), "
        f"{results['seconds']:.0f} s"
    )
    print(
        f"requests tried: {requests['tried']:,}   errors: {requests['errors']:,}   "
        f"held: {requests['per_second']:,.1f} req/s   server workers busy: "
        f"{results['cpu']['worker_cores']} cores, load generator: "
        f"{results['cpu']['client_cores']} cores"
    )
    print(
        f"\n{'minute':>6} {'req/s':>8} {'errors':>7} {'workers cpu':>12} "
        + " ".join(f"{name + ' MiB':>15}" for name in PROCESSES)
    )
    for minute in results["minutes"]:
        rss = " ".join(f"{minute['rss_mib'][name] or 0:>15.1f}" for name in PROCESSES)
        print(
            f"{minute['minute']:>6} {minute['per_second']:>8.1f} {minute['errors']:>7} "
            f"{minute['worker_cpu_cores']:>12.2f} {rss}"
        )
    memory = results["memory"]
    print(
        f"\nmemory from {memory['measured_from_s']:.0f} s to {memory['to_s']:.0f} s: "
        + ", ".join(
            f"{name} {g['from_mib']:.1f} -> {g['to_mib']:.1f} MiB ({g['percent']:+.1f}%, "
            f"trend {g['slope_mib_per_minute'] or 0:+.2f} MiB/min)"
            for name, g in memory["growth"].items()
        )
        + f"; {'flat' if memory['flat'] else 'NOT FLAT'} (limit +{memory['max_growth_percent']}%)"
    )
    print(
        f"\n{'endpoint':<26} {'count':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'errors':>7}"
    )
    for kind, figures in results["latency"].items():
        if not figures:
            continue
        print(
            f"{kind:<26} {figures['count']:>7} {figures['p50_ms']:>8.1f} "
            f"{figures['p90_ms']:>8.1f} {figures['p99_ms']:>8.1f} {figures['max_ms']:>8.1f} "
            f"{figures.get('errors', requests['errors']):>7}"
        )
    if results["errors"]:
        print("\nerrors:")
        for error in results["errors"]:
            print(f"  {error['count']:>6}  {error['endpoint']}: {error['what']}")
        for what, example in results["error_examples"].items():
            print(f"  e.g. {what}: {example[:200]}")
    if results["server_log_errors"]:
        print(f"\nthe server logged {results['server_log_errors']} ERROR line(s): see serve.log")
    for restart in results["worker_restarts"]:
        print(f"\na worker was replaced during the run: {restart}")
    if results["worker_deaths_in_log"]:
        print(
            f"\nuvicorn's supervisor killed and replaced a worker "
            f'{results["worker_deaths_in_log"]} time(s) ("Child process [...] died" in '
            "serve.log; before the run, unless listed above)"
        )
    print(f"\n{'PASSED' if results['passed'] else 'FAILED'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="at most 10 (default 10)")
    parser.add_argument(
        "--connections",
        type=int,
        default=24,
        help="clients, each with a connection at a time; a sixth are managers' (default 24)",
    )
    parser.add_argument("--families", type=int, default=1000, help="the demo's families")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--manager-pause",
        type=float,
        default=1.0,
        help="a manager's mean pause between requests, seconds",
    )
    parser.add_argument(
        "--lifetime",
        type=int,
        default=50,
        help="requests a connection serves before the client opens a new one",
    )
    parser.add_argument("--sample-seconds", type=float, default=5.0)
    parser.add_argument(
        "--max-growth",
        type=float,
        default=10.0,
        help="memory growth allowed after the first minute, percent",
    )
    parser.add_argument("--seed", type=int, default=2012)
    parser.add_argument("--out", type=Path, default=SOAK / "results.json")
    args = parser.parse_args()
    if not 0 < args.minutes <= MAX_MINUTES:
        parser.error(f"--minutes must be more than 0 and at most {MAX_MINUTES}")
    if args.connections < 2:
        parser.error("--connections must be at least 2")
    SOAK.mkdir(parents=True, exist_ok=True)
    log = SOAK / "serve.log"
    database = Database(args.database)
    try:
        url = database.fresh()
        print(f"making the demo authority ({args.families:,} families) ...", flush=True)
        logins = load_demo(url, args.families, args.seed)
        with serve(url, log, workers=WORKERS) as running:
            wait_for_workers(running.process.pid)
            world = asyncio.run(sign_in(running.port, logins))
            # The workers serving now: uvicorn may have replaced one while signing in.
            workers = wait_for_workers(running.process.pid)
            print(
                f"signed in {len(world.key_workers)} key workers, {len(world.team_managers)} "
                f"team and {len(world.programme_managers)} programme managers; soaking for "
                f"{args.minutes:g} minute(s) ...",
                flush=True,
            )
            tally, sampler, elapsed = asyncio.run(
                soak(running.port, running.process.pid, workers, world, args)
            )
    finally:
        database.close()
    results = summarise(tally, sampler, elapsed, args, log)
    report(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
