"""The access world with a password for each user, and a browser's way of signing in and
sending forms, for the administrator's and the account pages' tests."""

from __future__ import annotations

import re
from html import unescape

import httpx
from litestar import Litestar

from connecting_families.accounts import credentials
from connecting_families.accounts.tables import User

from access_world import World, build_world

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a different long passphrase"


async def build_admin_world(app: Litestar) -> World:
    world = await build_world(app.state.accounts)
    await User.update({User.password_hash: credentials.hash_password(PASSWORD)}, force=True)
    return world


def csrf(client: httpx.AsyncClient) -> str:
    return str(client.cookies["csrftoken"])


async def sign_in(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    """Sign in through the page; the answer is the redirect (or the refused form)."""
    client.cookies.delete("cf_session")
    await client.get("/sign-in")
    return await client.post(
        "/sign-in",
        data={"username": username, "password": password, "_csrf_token": csrf(client)},
    )


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, str | list[str]]
) -> httpx.Response:
    return await client.post(path, data={**data, "_csrf_token": csrf(client)})


def text_of(html: str) -> str:
    """The page's words, without tags, in single spaces."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def temporary_password_in(html: str) -> str:
    found = re.search(r'id="temporary-password">([^<]+)<', html)
    assert found, "no temporary password on the page"
    return found.group(1)
