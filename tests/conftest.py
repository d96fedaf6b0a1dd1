"""Fixtures shared by the whole suite.

Tests that touch the database run twice, on SQLite and on a real PostgreSQL cluster that the
suite starts itself (see `postgres_server.py`). Each test gets a fresh database copied from a
template migrated once per session, so tests never see each other's rows.

Building the app is most of a test's set-up (Litestar reads each of some 400 handlers), so a
test process builds one app for the settings most tests share and gives each test new state
in it: a new engine, new services and plugins, the fresh database and an empty data folder.
For that, each test's database and data folder are at the same place (`each_test`).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from argon2 import PasswordHasher
from litestar import Litestar

from connecting_families.accounts import credentials
from connecting_families.app import app_state, create_app
from connecting_families.database.engine import (
    AnyEngine,
    close_database,
    create_engine,
    open_database,
    use_engine,
)
from connecting_families.settings import Settings

# The test kit's own (`connecting_families.testing_service`), shared with plugin authors:
# `running` is imported from here by the suite's tests.
from connecting_families.testing_service import migrate_database as _migrate
from connecting_families.testing_service import running

from postgres_server import PostgresServer

DATABASE_KINDS = ["sqlite", "postgresql"]
# argon2's production parameters cost about 0.13 s of CPU for each password hashed or checked,
# and the suite signs in thousands of times: a fifth of the page tests' time. In the suite's own
# processes passwords are hashed with argon2id's least work instead; a test that is about the
# production parameters asks for them (`production_password_hashing`). The servers the suite
# starts as processes (`serve_process.py`) hash as production does.
_PRODUCTION_HASHER = credentials._hasher
credentials._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
TEST_SECRET = "test-secret-" + "x" * 40
_database_numbers = itertools.count(1)
# The apps a test process built, each with the settings it was built for (`app`).
_built: list[tuple[Settings, Litestar]] = []


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


@pytest.fixture(scope="session")
def each_test(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where each test's database file and data folder are: the same place every test."""
    return tmp_path_factory.mktemp("each_test")


@pytest.fixture
def production_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords hashed and checked with the service's own argon2 parameters."""
    monkeypatch.setattr(credentials, "_hasher", _PRODUCTION_HASHER)


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
    database_kind: str, request: pytest.FixtureRequest, each_test: Path
) -> Iterator[str]:
    """A fresh, fully migrated database of the kind under test."""
    if database_kind == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = each_test / "test.sqlite3"
        for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template_name: str = request.getfixturevalue("postgres_template")
    # FILE_COPY copies the template's files (a checkpoint, cheap with fsync off) instead of
    # writing every block through the WAL: half the time of PostgreSQL 15's default.
    _admin(server, f"CREATE DATABASE cf_test TEMPLATE {template_name} STRATEGY FILE_COPY")
    yield server.url("cf_test")
    # Dropped as each test ends, so the next test's is made afresh and a worker's cluster
    # stays small.
    _admin(server, "DROP DATABASE IF EXISTS cf_test WITH (FORCE)")


def make_settings(database_url: str, data_dir: Path) -> Settings:
    return Settings.from_env(
        {"CF_DATABASE_URL": database_url, "CF_SECRET_KEY": TEST_SECRET}, data_dir=data_dir
    )


@pytest.fixture
def settings(database_url: str, each_test: Path) -> Settings:
    data_dir = each_test / "var"
    shutil.rmtree(data_dir, ignore_errors=True)
    return make_settings(database_url, data_dir)


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AnyEngine]:
    """The engine of the test's database, open, for tests that work below the HTTP layer."""
    engine = create_engine(settings.database)
    use_engine(engine)
    await open_database(engine)
    yield engine
    await close_database(engine)


@pytest.fixture
def app(settings: Settings) -> Iterator[Litestar]:
    """The app for `settings` with new state: the one this process built for the same
    settings (one for each kind of database), else a new one. An app a test registered
    handlers of its own in is not given to another test."""
    app = next((app for built, app in _built if built == settings), None)
    if app is None:
        app = create_app(settings)
        _built.append((settings, app))
    else:
        state = app_state(settings)
        app.state.clear()
        app.state.update(state)
        use_engine(state["engine"])
    routes = len(app.routes)
    yield app
    if len(app.routes) != routes:
        _built.remove((settings, app))


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
