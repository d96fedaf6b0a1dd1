"""Fixtures shared by the whole suite.

Tests that touch the database run twice, on SQLite and on a real PostgreSQL cluster that the
suite starts itself (see `postgres_server.py`). Each test gets a fresh database copied from a
template migrated once per session, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar import Litestar

from connecting_families.app import create_app
from connecting_families.database.engine import (
    AnyEngine,
    close_database,
    create_engine,
    open_database,
    use_engine,
)
from connecting_families.database.migrations import migrate
from connecting_families.settings import DatabaseUrl, Settings

from postgres_server import PostgresServer

DATABASE_KINDS = ["sqlite", "postgresql"]
TEST_SECRET = "test-secret-" + "x" * 40
_database_numbers = itertools.count(1)


def _migrate(url: str) -> None:
    async def run() -> None:
        engine = create_engine(DatabaseUrl.parse(url))
        use_engine(engine)
        await open_database(engine)
        try:
            await migrate(engine)
        finally:
            await close_database(engine)

    asyncio.run(run())


def _admin(server: PostgresServer, sql: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(server.url())
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster for the whole session; skipped only when CF_SKIP_POSTGRES=1."""
    if os.environ.get("CF_SKIP_POSTGRES") == "1":
        pytest.skip("CF_SKIP_POSTGRES=1 was set by hand")
    server = PostgresServer.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """The name of a PostgreSQL database with every migration applied, to copy from."""
    _admin(postgres_server, "CREATE DATABASE cf_template")
    _migrate(postgres_server.url("cf_template"))
    return "cf_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every migration applied, to copy from."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _migrate(f"sqlite:///{path}")
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The page tests (`tests/test_pages*.py`) run on SQLite only. They test what a page shows
    and how its forms behave; what the database does behind them is tested through the API
    and the services on both kinds, and the access matrix requests every page on both. Run
    on PostgreSQL as well, they cost a tenth of the suite's time."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        kind = callspec.params.get("database_kind") if callspec else None
        page_test = item.path.name.startswith("test_pages")
        (dropped if page_test and kind == "postgresql" else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(params=DATABASE_KINDS)
def database_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def empty_database_url(database_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of the kind under test with nothing in it, not even migrations."""
    if database_kind == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"cf_empty_{next(_database_numbers)}"
    _admin(server, f"CREATE DATABASE {name}")
    return server.url(name)


@pytest.fixture
def database_url(
    database_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A fresh, fully migrated database of the kind under test."""
    if database_kind == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"cf_test_{next(_database_numbers)}"
    # FILE_COPY copies the template's files (a checkpoint, cheap with fsync off) instead of
    # writing every block through the WAL: half the time of PostgreSQL 15's default.
    _admin(server, f"CREATE DATABASE {name} TEMPLATE {template_name} STRATEGY FILE_COPY")
    yield server.url(name)
    # Dropped as each test ends, so a worker's cluster stays small (16 MB a database, some
    # 700 of them a run otherwise) and its removal at the end of the session is quick.
    _admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def make_settings(database_url: str, data_dir: Path) -> Settings:
    return Settings.from_env(
        {"CF_DATABASE_URL": database_url, "CF_SECRET_KEY": TEST_SECRET}, data_dir=data_dir
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "var")


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AnyEngine]:
    """The engine of the test's database, open, for tests that work below the HTTP layer."""
    engine = create_engine(settings.database)
    use_engine(engine)
    await open_database(engine)
    yield engine
    await close_database(engine)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, running its lifespan on the test's own event loop.

    Litestar's AsyncTestClient runs the app on a second event loop, where a PostgreSQL pool
    opened by the lifespan could not be shared with the test's own queries.
    """
    async with (
        running(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http,
    ):
        yield http


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
