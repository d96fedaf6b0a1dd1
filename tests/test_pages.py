"""The pages, through HTTP as a browser sends it: session cookie, CSRF token, form posts."""

from __future__ import annotations

import re

import httpx
import pytest
from litestar import Litestar

from access_world import World
from page_world import PASSWORD, build_page_world


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar) -> World:
    return await build_page_world(client, app.state.accounts)


def csrf(client: httpx.AsyncClient) -> str:
    return str(client.cookies["csrftoken"])


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> None:
    await client.get("/sign-in")
    response = await client.post(
        "/sign-in",
        data={
            "username": username,
            "password": password,
            "next": "/",
            "_csrf_token": csrf(client),
        },
    )
    assert response.status_code in (302, 303), response.text
    assert "cf_session" in client.cookies


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, str], **headers: str
) -> httpx.Response:
    return await client.post(path, data={**data, "_csrf_token": csrf(client)}, headers=headers)


def text_of(html: str) -> str:
    """The page's words, without tags, in single spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_a_key_worker_sees_their_caseload_and_a_family(
    client: httpx.AsyncClient, world: World
) -> None:
    """The caseload lists the worker's families; the family page explains the verdict."""
    await sign_in(client, "kw_own")
    home = await client.get("/")
    assert home.headers["location"] == "/caseload"
    caseload = await client.get("/caseload")
    assert caseload.status_code == 200, caseload.text
    assert "FAM-1" in caseload.text
    family = await client.get(f"/families/{world.families['fam1']}")
    assert family.status_code == 200, family.text
    print(text_of(family.text))
