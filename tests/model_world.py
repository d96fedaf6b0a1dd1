"""The model behind `test_model_stateful.py`: a running app driven synchronously, and what the
model expects of it.

A Hypothesis state machine is synchronous, and each of its runs wants a database of its own;
`Driven` holds one app on a fresh database with its own event loop (`asyncio.Runner`), so
every request is a plain call. The rest is the model's own bookkeeping, written from
`shared/domain/programme-rules.md` rather than from the service's code: families and who may
see them, the evidence recorded, claims and their lines, and the tf2012 claim rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import shutil
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import attrs
import httpx

from connecting_families.app import create_app
from connecting_families.settings import DatabaseUrl

from access_world import World, build_world
from conftest import make_settings, running

KEY_WORKERS = ("kw_own", "kw_other", "kw_spare")
TEAMS = {"kw_own": "team_a", "kw_spare": "team_a", "kw_other": "team_b"}
MANAGER_TEAM = "team_a"  # the access world's team manager, `tm`
CAE, CE, PTW = "crime_asb_education", "continuous_employment", "progress_to_work"
LIVE_STATUSES = ("draft", "sampled", "submitted", "accepted", "partly_rejected")
DECIDED = ("accepted", "partly_rejected")
CLAIMED_STATUSES = ("submitted", *DECIDED)
_numbers = itertools.count(1)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def pence(amount_gbp: str) -> int:
    return int(Decimal(amount_gbp) * 100)


# Databases, one per run of the machine


def fresh_sqlite(template: Path, directory: Path) -> Callable[[], str]:
    """A factory of fresh migrated SQLite files, copies of the session's template."""

    def make() -> str:
        path = directory / f"model-{next(_numbers)}.sqlite3"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"

    return make


def fresh_postgres(
    admin_url: str, template: str, url_of: Callable[[str], str]
) -> Callable[[], str]:
    """A factory of fresh migrated PostgreSQL databases, copies of the session's template."""

    def make() -> str:
        name = f"cf_model_{next(_numbers)}"

        async def create() -> None:
            connection = await asyncpg.connect(admin_url)
            try:
                await connection.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
            finally:
                await connection.close()

        asyncio.run(create())
        return url_of(name)

    return make


class Driven:
    """The app on a fresh database, its lifespan running on an event loop of its own."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        DatabaseUrl.parse(database_url)  # refuse a bad URL before starting anything
        self.runner = asyncio.Runner()
        self.app = create_app(make_settings(database_url, data_dir))
        self.stack = contextlib.AsyncExitStack()
        self.client: httpx.AsyncClient = self.runner.run(self._start())
        self.world: World = self.runner.run(build_world(self.app.state.accounts))
        self.requests = 0

    async def _start(self) -> httpx.AsyncClient:
        await self.stack.enter_async_context(running(self.app))
        return await self.stack.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.app), base_url="http://testserver"
            )
        )

    def call(self, user: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.requests += 1
        response: httpx.Response = self.runner.run(
            self.client.request(method, url, headers=self.world.headers(user), **kwargs)
        )
        assert response.status_code < 500, (method, url, response.text)
        return response

    def run(self, awaitable: Any) -> Any:
        """A coroutine on the app's loop, for the few checks made below the API."""
        return self.runner.run(awaitable)

    def close(self) -> None:
        try:
            self.runner.run(self.stack.aclose())
        finally:
            self.runner.close()


# The model's state


@attrs.define
class FamilyState:
    id: int
    ref: str
    programme: str
    identified_on: dt.date
    attached_on: dt.date | None = None
    closed_on: dt.date | None = None
    key_worker: str | None = None
    shared_with: set[str] = attrs.Factory(set)
    # People, for families the machine made: the child's and the adult's person_ref.
    child: str | None = None
    adult: str | None = None
    # person_ref -> the date they left the household.
    left: dict[str, dt.date] = attrs.Factory(dict)
    # (kind, natural key) -> the fields recorded last.
    evidence: dict[tuple[str, tuple[Any, ...]], dict[str, Any]] = attrs.Factory(dict)
    # Closure (status change) id -> signed off.
    closures: dict[int, bool] = attrs.Factory(dict)
    latest_closure: int | None = None

    @property
    def status(self) -> str:
        if self.closed_on is not None:
            return "closed"
        return "attached" if self.attached_on else "identified"


@attrs.define
class LineState:
    id: int
    claim_id: int
    family_id: int
    route: str
    amount_pence: int
    reverses: int | None
    excluded: bool
    sampled: bool = False
    signed_off: bool = False
    rejected: bool = False


@attrs.define
class ClaimState:
    id: int
    as_of: dt.date
    status: str
    lines: dict[int, LineState]
    # What a submitted claim showed (its lines, its export); it must never change after.
    snapshot: Any = None


@attrs.define
class Model:
    families: dict[int, FamilyState] = attrs.Factory(dict)
    claims: dict[int, ClaimState] = attrs.Factory(dict)

    # Who sees what (see access/policy.py's module docstring, and design.md)

    def caseload(self, worker: str) -> set[int]:
        return {
            f.id
            for f in self.families.values()
            if f.key_worker == worker or worker in f.shared_with
        }

    def manager_scope(self) -> set[int]:
        """The team manager's families: allocated to their team, or to nobody yet (P1)."""
        return {
            f.id
            for f in self.families.values()
            if (f.key_worker is not None and TEAMS[f.key_worker] == MANAGER_TEAM)
            or (f.key_worker is None and f.programme == "P1")
        }

    def writable(self, user: str, family: FamilyState) -> bool:
        if user in KEY_WORKERS:
            return family.id in self.caseload(user)
        if user == "tm":
            return family.id in self.manager_scope()
        if user == "pm":
            return family.programme == "P1"
        return False

    # Claim lines

    def lines(self) -> Iterator[tuple[ClaimState, LineState]]:
        for claim in self.claims.values():
            for line in claim.lines.values():
                yield claim, line

    def line(self, line_id: int) -> tuple[ClaimState, LineState]:
        return next((c, x) for c, x in self.lines() if x.id == line_id)

    def counted(self, claim: ClaimState, line: LineState) -> bool:
        """Whether a line is in the live set before any reversal: claimed, not withdrawn."""
        return claim.status != "withdrawn" and not line.excluded and not line.rejected

    def reversed_for_good(self, line: LineState) -> bool:
        """An accepted reversal (decided, not rejected) takes its line out of the live set."""
        return any(
            r.reverses == line.id and c.status in DECIDED and self.counted(c, r)
            for c, r in self.lines()
        )

    def live(self, claim: ClaimState, line: LineState) -> bool:
        return self.counted(claim, line) and not self.reversed_for_good(line)

    def earlier(self) -> dict[int, dict[str, int]]:
        """Family -> route -> pence of the live lines a new claim must leave out."""
        found: dict[int, dict[str, int]] = {}
        for claim, line in self.lines():
            if line.reverses is None and self.live(claim, line):
                found.setdefault(line.family_id, {})[line.route] = line.amount_pence
        return found

    def unreversed(self) -> list[tuple[ClaimState, LineState]]:
        """Decided live lines that no live reversal line names yet."""
        reversing = {
            r.reverses for c, r in self.lines() if r.reverses is not None and self.live(c, r)
        }
        return [
            (c, x)
            for c, x in self.lines()
            if c.status in DECIDED
            and x.reverses is None
            and self.live(c, x)
            and x.id not in reversing
        ]

    def being_reversed(self) -> set[int]:
        return {
            x.family_id
            for c, x in self.lines()
            if x.reverses is not None
            and self.live(c, x)
            and c.status in ("draft", "sampled", "submitted")
        }


def payable(verdict: dict[str, Any]) -> dict[str, int]:
    """The routes of a verdict (as the API shows it) met with a payment, in pence."""
    return {
        route["route"]: pence(route["amount_gbp"])
        for route in verdict["routes"]
        if route["met"] and Decimal(route["amount_gbp"]) > 0
    }


def tf2012_claimable(met: dict[str, int], earlier: dict[str, int]) -> list[tuple[str, int]]:
    """Claim rules 1-3 of tf2012 (programme-rules.md), written again from the text: each
    route once; crime_asb_education and continuous_employment exclude each other, the former
    first; progress_to_work never with or after continuous_employment, whose later amount is
    netted of the progress_to_work claimed."""
    lines: list[tuple[str, int]] = []
    exclusive_claimed = CAE in earlier or CE in earlier
    now = None
    if not exclusive_claimed:
        if CAE in met:
            now = CAE
        elif CE in met:
            now = CE
    if now == CAE:
        lines.append((CAE, met[CAE]))
    if now == CE:
        lines.append((CE, met[CE] - earlier.get(PTW, 0)))
    if PTW in met and PTW not in earlier and CE not in earlier and now != CE:
        lines.append((PTW, met[PTW]))
    return sorted(line for line in lines if line[1] > 0)
