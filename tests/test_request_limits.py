"""Limits on a request's body, held on the stream: size, nesting and time."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from litestar import Litestar

from connecting_families.app import create_app
from connecting_families.request_limits import MULTIPART_OVERHEAD_BYTES, json_depth_within
from connecting_families.settings import Settings, SettingsError

from access_world import World, build_world
from conftest import running

TOKEN = "/api/v1/auth/token"
CSV = {"Content-Type": "text/csv"}


@asynccontextmanager
async def client_of(settings: Settings, **limits: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app built with `limits` changed in `settings`."""
    app = create_app(attrs.evolve(settings, **limits))
    async with (
        running(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http,
    ):
        yield http


async def trickle(pieces: list[bytes], pause: float = 0.0) -> AsyncIterator[bytes]:
    """A chunked body (no Content-Length), a piece at a time."""
    for piece in pieces:
        await asyncio.sleep(pause)
        yield piece


def _is_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == status


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_world(app.state.accounts)


async def test_a_json_body_announced_over_the_limit_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A Content-Length over CF_MAX_BODY_BYTES is a 413 problem, even before signing in."""
    body = b'{"username": "' + b"x" * settings.max_body_bytes + b'"}'
    response = await client.post(TOKEN, content=body, headers={"Content-Type": "application/json"})
    _is_problem(response, 413)


async def test_a_chunked_json_body_over_the_limit_is_refused(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A chunked body is counted as it arrives and refused once over the limit."""
    pieces = [b'{"username": "', *[b"x" * 65536] * (settings.max_body_bytes // 65536 + 1), b'"}']
    response = await client.post(
        TOKEN, content=trickle(pieces), headers={"Content-Type": "application/json"}
    )
    _is_problem(response, 413)


async def test_an_import_may_be_larger_than_a_json_body(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    """An import file over the JSON limit is not refused for its size."""
    rows = b"".join(b"F%07d,%07d\n" % (n, n) for n in range(settings.max_body_bytes // 16 + 1))
    response = await client.post(
        "/api/v1/programmes/P1/imports/families",
        content=trickle([b"family_ref,household_ref\n", rows]),
        headers={**world.headers("pm"), **CSV},
    )
    assert response.status_code != 413, response.text


async def test_a_chunked_import_over_its_limit_is_refused_before_it_is_all_read(
    settings: Settings, world: World
) -> None:
    """An import sent chunked is refused once past CF_MAX_IMPORT_BYTES and its framing,
    without reading the rest of it."""
    sent = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(MULTIPART_OVERHEAD_BYTES // 4096 + 100):
            sent += 1
            yield b"x" * 4096

    async with client_of(settings, max_import_bytes=1000) as http:
        response = await http.post(
            "/api/v1/programmes/P1/imports/families",
            content=counted(),
            headers={**world.headers("pm"), **CSV},
        )
    _is_problem(response, 413)
    assert sent <= MULTIPART_OVERHEAD_BYTES // 4096 + 2


async def test_deeply_nested_json_is_a_400_not_a_500(client: httpx.AsyncClient) -> None:
    """About a thousand nested brackets are a 400 with a plain message, before signing in."""
    response = await client.post(
        TOKEN, content=b"[" * 1000 + b"]" * 1000, headers={"Content-Type": "application/json"}
    )
    _is_problem(response, 400)
    assert "nested more than 64 levels" in response.json()["detail"]


def test_the_depth_scan_skips_brackets_inside_strings() -> None:
    """Brackets in a string are text; 64 levels pass and 65 do not."""
    assert json_depth_within(b'{"a": "' + b"[" * 500 + b'\\"[["}')
    assert json_depth_within(b"[" * 64 + b"]" * 64)
    assert not json_depth_within(b"[" * 65 + b"]" * 65)


async def test_a_stalled_body_is_timed_out(settings: Settings) -> None:
    """A body whose next piece does not come within the idle timeout is a 408 problem."""
    async with client_of(settings, body_idle_timeout_seconds=0.2) as http:
        response = await http.post(
            TOKEN,
            content=trickle([b'{"username": ', b'"x"}'], pause=1.0),
            headers={"Content-Type": "application/json"},
        )
    _is_problem(response, 408)


async def test_a_body_trickled_past_the_total_timeout_is_timed_out(settings: Settings) -> None:
    """A body that keeps coming, a little at a time, past the total timeout is a 408."""
    async with client_of(settings, body_timeout_seconds=0.5) as http:
        response = await http.post(
            TOKEN,
            content=trickle([b" "] * 20 + [b"{}"], pause=0.1),
            headers={"Content-Type": "application/json"},
        )
    _is_problem(response, 408)


def test_the_limits_are_read_from_the_environment(tmp_path: Path) -> None:
    """Each limit's CF_* variable sets it; unset, each has its default."""
    env = {"CF_SECRET_KEY": "s" * 40}
    default = Settings.from_env(env, data_dir=tmp_path)
    assert (default.max_body_bytes, default.header_timeout_seconds) == (1024 * 1024, 10.0)
    settings = Settings.from_env(
        {
            **env,
            "CF_MAX_BODY_BYTES": "2048",
            "CF_HEADER_TIMEOUT_SECONDS": "2.5",
            "CF_BODY_IDLE_TIMEOUT_SECONDS": "3",
            "CF_BODY_TIMEOUT_SECONDS": "4",
            "CF_IMPORT_TIMEOUT_SECONDS": "5",
        },
        data_dir=tmp_path,
    )
    assert settings.max_body_bytes == 2048
    assert (
        settings.header_timeout_seconds,
        settings.body_idle_timeout_seconds,
        settings.body_timeout_seconds,
        settings.import_timeout_seconds,
    ) == (2.5, 3.0, 4.0, 5.0)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CF_MAX_BODY_BYTES", "1.5"), ("CF_MAX_BODY_BYTES", "0"), ("CF_BODY_TIMEOUT_SECONDS", "-1")],
)
def test_a_bad_limit_names_its_variable(tmp_path: Path, variable: str, value: str) -> None:
    """A limit that is not a positive number is refused, naming its variable."""
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({"CF_SECRET_KEY": "s" * 40, variable: value}, data_dir=tmp_path)
