"""What keeps another site from acting through a person's browser, beyond the CSRF token.

The CSRF token (Litestar's double-submit cookie, see `create_app`) is checked on every page
form, the sign-in forms included, so that a cross-site form cannot sign a victim's browser in
as the attacker (login CSRF). A double-submit cookie can be planted by a sibling subdomain or
over plain http, so a browser's own word on where a form came from is checked as well, and
cookies are Secure whenever the service is reached over https.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Message, Scope

from connecting_families.access.guard import API_PREFIX

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Sec-Fetch-Site values of a form sent by this service's own pages ("none": the person
# themselves, e.g. a bookmark). "same-site" is a sibling subdomain: another site here.
OWN_FETCHES = frozenset({"same-origin", "none"})


def sent_from_another_site(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """Whether the browser says this request came from another site.

    Sec-Fetch-Site, which a page cannot forge, decides when the browser sends it; else the
    Origin must name this service's host (the Host header: a proxy that rewrites it must
    also pass Sec-Fetch-Site, which every current browser sends). A request with neither
    comes from a program or an old browser, and the CSRF token alone protects it.
    """
    fetch_site = connection.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.lower() not in OWN_FETCHES
    origin = connection.headers.get("origin")
    if origin is None:
        return False
    parts = urlsplit(origin)
    if origin == "null" or parts.netloc.lower() != connection.headers.get("host", "").lower():
        return True
    # Over https, a form from the same host over plain http came through the network.
    return connection.url.scheme == "https" and parts.scheme != "https"


def requires_same_origin(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Refuse a page's unsafe request that the browser says another site sent.

    The API is left alone: it takes bearer tokens, never cookies, and may be called from
    the origins CORS allows.
    """
    if connection.scope.get("method") not in UNSAFE_METHODS:
        return
    if connection.url.path.startswith(API_PREFIX) or handler.opt.get("exclude_from_csrf"):
        return
    if sent_from_another_site(connection):
        raise PermissionDeniedException(
            "This form was sent from another site; this service takes forms only from its "
            "own pages."
        )


def _is_secure(cookie: bytes) -> bool:
    attributes = cookie.split(b";")[1:]
    return any(attribute.strip().lower() == b"secure" for attribute in attributes)


async def secure_cookies_over_https(message: Message, scope: Scope) -> None:
    """Mark every cookie Secure on a response served over https.

    A `before_send` hook, so it reaches the CSRF cookie, which Litestar's middleware sets
    with one static `cookie_secure` for every request; "over https" is decided per request
    as for the session cookie (`set_session_cookie`): the scheme uvicorn saw, or the one a
    trusted proxy (`CF_TRUSTED_PROXIES`) reported.
    """
    if message["type"] != "http.response.start" or scope.get("scheme") != "https":
        return
    message["headers"] = [
        (name, value + b"; Secure")
        if name.lower() == b"set-cookie" and not _is_secure(value)
        else (name, value)
        for name, value in message.get("headers", [])
    ]
