"""The whole service for a plugin author's test: its own database, only the plugins named.

    with TestService.start(tmp_path, plugin_host("tf2015", cf_my_council)) as service:
        service.create_programme("P1", "tf2015", config={"outcome_plan": plan})
        service.import_csv("families", "family_ref,programme,identified_on,attached_on\\n…")
        verdict = service.verdict("FAM-1", "2017-06-01")
        totals = service.evaluate_programme("2017-06-01")
        explained = service.explanation("FAM-1", "2017-06-01")
        claim = service.prepare_claim("2017-06-01")

Its methods are synchronous (the service runs on an event loop of its own), so an author's
tests need no asyncio plugin; each goes through the JSON API as a programme manager, as a
council's own scripts would, and a refused request fails with the service's own problem
details. The database is a SQLite file under the folder given, migrated afresh (or copied
from a migrated `template`, which is quicker when many tests start a service).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar

from connecting_families.access.caller import Caller
from connecting_families.accounts.users import UserDraft, UserService
from connecting_families.app import create_app
from connecting_families.audit.service import Actor
from connecting_families.database.engine import (
    close_database,
    create_engine,
    open_database,
    use_engine,
)
from connecting_families.database.migrations import migrate
from connecting_families.errors import DomainError
from connecting_families.hooks.host import PluginHost
from connecting_families.programmes.service import ProgrammeDraft
from connecting_families.settings import DatabaseUrl, Settings
from connecting_families.web.explain import Explained, Wording, explain

# The programme manager every request is made as: a programme's whole data is theirs.
MANAGER = "plugin_test_manager"


class RequestRefused(AssertionError):
    """The service refused a request; the message is its problem details."""


def migrate_database(url: str) -> None:
    """Apply every migration to the database at `url` (SQLite or PostgreSQL)."""
    asyncio.run(_migrate(url))


async def _migrate(url: str) -> None:
    engine = create_engine(DatabaseUrl.parse(url))
    use_engine(engine)
    await open_database(engine)
    try:
        await migrate(engine)
    finally:
        await close_database(engine)


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """Run the app's lifespan in a task of its own while the body runs.

    The lifespan's task group must be left by the task that entered it, and pytest-asyncio
    may finalise a fixture in another task than the one that set it up.
    """
    started = asyncio.Event()
    stop = asyncio.Event()

    async def hold_lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold_lifespan())
    waiting = asyncio.create_task(started.wait())
    await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiting.cancel()
        task.result()  # raises what startup raised
    try:
        yield
    finally:
        stop.set()
        await task


class TestService:
    """The service running for one test, and what an author's test asks of it."""

    __test__ = False  # a helper, not a test class, though its name starts with "Test"

    def __init__(self, app: Litestar, runner: asyncio.Runner, http: httpx.AsyncClient) -> None:
        self.app = app
        self.plugins: PluginHost = app.state.plugins
        self._runner = runner
        self._http = http
        self._headers: dict[str, str] = {}
        self.programme = ""

    @classmethod
    @contextmanager
    def start(
        cls, folder: Path, plugins: PluginHost, *, template: Path | None = None
    ) -> Iterator[TestService]:
        """The service on a new database in `folder`, judging with `plugins` alone."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass  # no loop running: the service can have one of its own
        else:
            raise RuntimeError(
                "the test service's methods are synchronous: use it from a plain "
                "`def test_…`, not an `async def` one"
            )
        database = folder / "service.sqlite3"
        if template is None:
            migrate_database(f"sqlite:///{database}")
        else:
            shutil.copyfile(template, database)
        settings = Settings.from_env(
            {
                "CF_DATABASE_URL": f"sqlite:///{database}",
                "CF_SECRET_KEY": secrets.token_urlsafe(48),
            },
            data_dir=folder / "var",
        )
        app = create_app(settings, plugins)
        with asyncio.Runner() as runner:
            lifespan = running(app)
            runner.run(lifespan.__aenter__())
            # httpx types an ASGI app more narrowly than Litestar's scopes and events.
            transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
            http = httpx.AsyncClient(transport=transport, base_url="http://testserver")
            try:
                yield cls(app, runner, http)
            finally:
                runner.run(http.aclose())
                runner.run(lifespan.__aexit__(None, None, None))

    def _request(
        self, method: str, path: str, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Any:
        response = self._runner.run(
            self._http.request(
                method, f"/api/v1{path}", headers={**self._headers, **(headers or {})}, **kwargs
            )
        )
        if response.status_code >= 400:
            raise RequestRefused(
                f"{method} {path} answered {response.status_code}: {response.text}"
            )
        return response.json() if "json" in response.headers.get("content-type", "") else None

    def create_programme(
        self, code: str, ruleset: str, *, config: Mapping[str, Any] | None = None
    ) -> None:
        """A programme judged by `ruleset` (an id, or `id@version`) configured with `config`,
        and its programme manager, as whom every later request is made. A configuration the
        rule set refuses fails here, naming the field."""

        async def create() -> str:
            programmes = self.app.state.programmes
            await programmes.create_programme(
                Actor.operator("plugin-test"),
                ProgrammeDraft(
                    code=code,
                    name=code,
                    local_authority="Test council",
                    ruleset_id=ruleset,
                    ruleset_config=dict(config or {}),
                    target_families=None,
                ),
            )
            users = UserService(self.app.state.engine)
            created = await users.create_user(
                Caller.local_operator("plugin-test"),
                MANAGER,
                UserDraft(
                    display_name="Programme manager",
                    roles=["programme_manager"],
                    programmes=[code],
                ),
                password=secrets.token_urlsafe(24),
            )
            issued = await self.app.state.accounts.issue_token(created.user.id, "access")
            return str(issued.token)

        try:
            token = self._runner.run(create())
        except DomainError as refused:
            problems = "".join(
                f"\n  {p.get('field', '')}: {p.get('message', p.get('text', ''))}"
                for p in refused.errors
            )
            raise RequestRefused(f"{refused.detail}{problems}") from None
        self._headers = {"Authorization": f"Bearer {token}"}
        self.programme = code

    def import_csv(self, kind: str, text: str) -> dict[str, Any]:
        """Import one file of `kind` (`families`, `people`, `observations`, … as in the data
        exchange formats) into the programme; every row error fails, listed."""
        result: dict[str, Any] = self._request(
            "POST",
            f"/programmes/{self.programme}/imports/{kind}",
            content=text.encode(),
            headers={"Content-Type": "text/csv"},
        )
        return result

    def family_id(self, family_ref: str) -> int:
        page = self._request(
            "GET", "/families", params={"programme": self.programme, "q": family_ref}
        )
        for family in page["families"]:
            if family["family_ref"] == family_ref:
                return int(family["id"])
        raise RequestRefused(f"no family {family_ref!r} in programme {self.programme}")

    def verdict(self, family_ref: str, as_of: str | dt.date) -> dict[str, Any]:
        """The family's verdict at `as_of` as the API answers it (`criteria`, `routes`, …)."""
        verdict: dict[str, Any] = self._request(
            "GET",
            f"/families/{self.family_id(family_ref)}/verdict",
            params={"as_of": str(as_of)},
        )
        return verdict

    def explanation(self, family_ref: str, as_of: str | dt.date) -> Explained:
        """The family's verdict at `as_of` in the words of its result page."""
        family_id = self.family_id(family_ref)
        evaluation = self.app.state.evaluation
        when = dt.date.fromisoformat(str(as_of))
        verdict = self._runner.run(evaluation.verdict_of(family_id, when))
        ruleset = self.plugins.ruleset(verdict.ruleset)
        return explain(verdict, Wording(ruleset=ruleset, criteria=self.plugins.criteria()))

    def evaluate_programme(self, as_of: str | dt.date) -> dict[str, Any]:
        """Every family of the programme judged at `as_of`: the totals (`families`,
        `eligible`, `turned_around`, `routes`, `amounts_gbp`, …)."""
        totals: dict[str, Any] = self._request(
            "POST", f"/programmes/{self.programme}/evaluations", json={"as_of": str(as_of)}
        )
        return totals

    def prepare_claim(self, as_of: str | dt.date) -> dict[str, Any]:
        """A draft claim of every result newly claimable at `as_of`, with its `lines`."""
        claim: dict[str, Any] = self._request(
            "POST", f"/programmes/{self.programme}/claims", json={"as_of": str(as_of)}
        )
        return claim
