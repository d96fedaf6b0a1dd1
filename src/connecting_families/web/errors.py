"""Errors on pages: the same handlers as the API decide the status and the words; a person
gets a page, and a page that needs a signed-in user sends them to sign in first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.response import Redirect

from connecting_families.web.templating import page

# Paths that answer programs (problem details), not people.
NOT_PAGES = ("/api/", "/schema", "/health", "/auth/")

Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def is_page(request: Request[Any, Any, Any]) -> bool:
    """Whether a person is asking: not an API path, and not a program asking for JSON."""
    accept = request.headers.get("accept", "")
    wants_json = "json" in accept and "html" not in accept
    return not request.url.path.startswith(NOT_PAGES) and not wants_json


def for_pages(handler: Handler) -> Handler:
    """`handler` for the API; for pages, its status and message as an error page."""

    def handle(request: Request[Any, Any, Any], exc: Any) -> Response[Any]:
        response = handler(request, exc)
        if not is_page(request):
            return response
        if response.status_code == 401:
            return Redirect(f"/sign-in?next={quote(_local(request), safe='/')}")
        problem: dict[str, Any] = response.content
        error_page = page(
            "error.html",
            status=response.status_code or 500,
            code=response.status_code or 500,
            title=problem.get("title", "Error"),
            detail=problem.get("detail", ""),
            errors=problem.get("errors", []),
        )
        if request.headers.get("hx-request"):
            # HTMX asked for a fragment: the error page replaces the whole page instead.
            error_page.headers.update({"HX-Retarget": "body", "HX-Reswap": "innerHTML"})
        return error_page

    return handle


def _local(request: Request[Any, Any, Any]) -> str:
    """Where to come back to after signing in: a page of this service (never a form post)."""
    return request.url.path if request.method == "GET" else "/"


def safe_next(target: str | None) -> str:
    """A `next` address only if it is a page of this service, so a link cannot send a user
    who signs in to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
