"""Requests generated from the app's own OpenAPI document, sent as each role: none may get
a 5xx, and every answer must be one the document describes (status, content type, body).

Schemathesis drives the app in process: its ASGI transport runs the app and its lifespan on
an event loop thread of its own. Each database kind gets a fresh copy of a seeded demo
authority (`schema_world.py`), and the generated paths name its real records half the time.
Every generated request is sent as every role in turn, writes included, on that one copy.

The number of examples per operation is `CF_FUZZ_EXAMPLES` (default 5). The long run:

    CF_FUZZ_EXAMPLES=200 .venv/bin/pytest tests/test_api_schema.py -p no:cacheprovider -rP

(`-rP` shows each run's summary: examples, requests, and the answers each role got.)
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

import attrs
import httpx
import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.routes import HTTPRoute
from schemathesis import APIOperation, BaseSchema, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi
from schemathesis.specs.openapi import checks as openapi_checks

from connecting_families.app import create_app

import schema_world
from access_world import build_world
from conftest import _admin, make_settings
from postgres_server import PostgresServer
from schema_world import ROLES, SchemaWorld, seed_world

FUZZ_EXAMPLES = int(os.environ.get("CF_FUZZ_EXAMPLES", "5"))
SCHEMA_PATH = "/schema/openapi.json"
CHECKS = [
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]
# The route that revokes the token it is called with; it gets the role's spare token, so the
# rest of the run keeps its own.
SIGN_OUT = ("DELETE", "/api/v1/auth/token")
_copies = itertools.count(1)


def _seed(url: str, data_dir: Path) -> SchemaWorld:
    return asyncio.run(seed_world(create_app(make_settings(url, data_dir))))


@pytest.fixture(scope="session")
def sqlite_schema_world(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, SchemaWorld]:
    """A migrated SQLite file holding the seeded world, to copy for each test."""
    directory = tmp_path_factory.mktemp("schema_world")
    path = directory / "world.sqlite3"
    shutil.copyfile(sqlite_template, path)
    world = _seed(f"sqlite:///{path}", directory / "var")
    return path, world


@pytest.fixture(scope="session")
def postgres_schema_world(
    postgres_server: PostgresServer,
    postgres_template: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, SchemaWorld]:
    """A PostgreSQL database holding the seeded world, to use as a template."""
    _admin(postgres_server, f"CREATE DATABASE cf_schema_world TEMPLATE {postgres_template}")
    world = _seed(
        postgres_server.url("cf_schema_world"), tmp_path_factory.mktemp("schema_world") / "var"
    )
    return "cf_schema_world", world


@pytest.fixture
def world_copy(
    database_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[str, SchemaWorld]:
    """A fresh copy of the seeded world: its database URL, and what is in it."""
    if database_kind == "sqlite":
        path, world = request.getfixturevalue("sqlite_schema_world")
        copy = tmp_path / "world.sqlite3"
        shutil.copyfile(path, copy)
        return f"sqlite:///{copy}", world
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template, world = request.getfixturevalue("postgres_schema_world")
    name = f"cf_schema_{next(_copies)}"
    _admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    return server.url(name), world


def _load_schema(app: Litestar, world: SchemaWorld) -> BaseSchema:
    """The app's OpenAPI document, as the app serves it, with real ids mixed into paths."""
    # The role's own token goes with every request: generated credentials would only ever
    # test the "no valid token" answer, which the anonymous run covers.
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_asgi(SCHEMA_PATH, app, config=config)
    real_path = schema_world.path_parameters(world)

    @schema.hook
    def flatmap_path_parameters(
        context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
    ) -> st.SearchStrategy[dict[str, Any]]:
        assert context.operation is not None
        return real_path(context.operation.path, path_parameters or {})

    @schema.hook
    def flatmap_query(
        context: schemathesis.HookContext, query: dict[str, Any] | None
    ) -> st.SearchStrategy[dict[str, Any]]:
        return schema_world.query(world, query or {})

    return schema


@attrs.define
class Tally:
    """What one run sent and what came back, for the summary line."""

    examples: int = 0
    requests: int = 0
    statuses: Counter[tuple[str, int]] = attrs.Factory(Counter)
    failures: list[str] = attrs.Factory(list)

    def answered(self, role: str, status: int) -> int:
        return self.statuses[role, status]

    def summary(self) -> str:
        lines = [f"{self.examples} examples, {self.requests} requests"]
        for role in ROLES:
            counts = {s: n for (r, s), n in sorted(self.statuses.items()) if r == role}
            lines.append(f"  {role}: {counts}")
        return "\n".join(lines)


def _exercise(operation: APIOperation, world: SchemaWorld, tally: Tally) -> None:
    """Send `FUZZ_EXAMPLES` generated requests, valid and invalid, to one operation, each
    as every role in turn (generating a request costs more than sending it six times)."""
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    spare = (operation.method.upper(), operation.path) == SIGN_OUT

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def send(case: schemathesis.Case) -> None:
        tally.examples += 1
        for role in ROLES:
            tally.requests += 1
            try:
                response = case.call_and_validate(
                    headers=world.headers(role, spare=spare), checks=CHECKS
                )
            except FailureGroup as failure:
                failure.add_note(f"Sent as: {role}")
                raise
            tally.statuses[role, response.status_code] += 1

    send()


def test_generated_requests_get_documented_answers(
    world_copy: tuple[str, SchemaWorld], tmp_path: Path
) -> None:
    """No generated request, as any role, gets a 5xx or an answer the document does not allow."""
    url, world = world_copy
    app = create_app(make_settings(url, tmp_path / "var"))
    tally = Tally()
    try:
        schema = _load_schema(app, world)
        for result in schema.get_all_operations():
            operation = result.ok()
            try:
                _exercise(operation, world, tally)
            # Every operation is tried, and every failure reported; a check failure is a group.
            except (Exception, FailureGroup) as exc:
                notes = "\n".join(getattr(exc, "__notes__", []))
                tally.failures.append(f"{operation.label}: {exc}\n{notes}")
    finally:
        asgi.shutdown_lifespans()
    print(tally.summary())
    assert not tally.failures, "\n\n".join(tally.failures)
    # A run whose tokens did not work would pass on 401s alone: each role got through.
    for role in (r for r in ROLES if r != "anonymous"):
        assert tally.answered(role, 200) > 0, tally.summary()
    assert tally.answered("anonymous", 401) > 0, tally.summary()


async def test_nul_in_a_query_or_path_is_refused_by_name(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    """A NUL in a query or path parameter is a 422 on both databases, never a 500 on
    PostgreSQL (found by the generated requests above)."""
    world = await build_world(app.state.accounts)
    for url in ("/api/v1/audit?resource_id=%00x", "/api/v1/programmes/P%001"):
        response = await client.get(url, headers=world.headers("admin"))
        assert response.status_code == 422, url
        assert "NUL" in response.json()["detail"]


def test_no_body_field_is_named_like_a_dependency(tmp_path: Path) -> None:
    """No request body has a field named like a dependency: Litestar takes a validation error
    in such a field for a failed dependency and answers 500 (a need's `evidence` did)."""
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'unused.sqlite3'}", tmp_path))
    clashes = []
    for route in app.routes:
        for handler in route.route_handlers if isinstance(route, HTTPRoute) else []:
            data = handler.parsed_fn_signature.parameters.get("data")
            body = data.annotation if data else None
            if get_origin(body) is Annotated:
                body = get_args(body)[0]
            if isinstance(body, type) and issubclass(body, msgspec.Struct):
                shared = set(body.__struct_fields__) & set(handler.resolve_dependencies())
                clashes += [f"{route.path}: {name}" for name in sorted(shared)]
    assert not clashes
