"""Errors on pages: the same handlers as the API decide the status and the words; a person
gets a page, and a page that needs a signed-in user sends them to sign in first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect

from connecting_families.web.cross_site import sent_from_another_site
from connecting_families.web.forms import typed_fields
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
            if typed := _typed_back(request, 401):
                # A form sent after the session ended: what was typed first, then sign in.
                return page(
                    "error.html",
                    status=401,
                    code=401,
                    title="You have been signed out",
                    detail=SIGNED_OUT,
                    errors=[],
                    typed=typed,
                    signed_out=True,
                )
            return Redirect(f"/sign-in?next={quote(_local(request), safe='/')}")
        problem: dict[str, Any] = response.content
        detail = problem.get("detail", "")
        stale = _csrf_refused(exc)
        if stale:
            detail = STALE_FORM
        error_page = page(
            "error.html",
            status=response.status_code or 500,
            code=response.status_code or 500,
            title=problem.get("title", "Error"),
            detail=detail,
            errors=problem.get("errors", []),
            typed=_typed_back(request, response.status_code),
            stale=stale,
        )
        if request.headers.get("hx-request"):
            # HTMX asked for a fragment: the error page replaces the whole page instead.
            error_page.headers.update({"HX-Retarget": "body", "HX-Reswap": "innerHTML"})
        return error_page

    return handle


# Litestar's CSRF middleware refuses with these words, which are not for people.
CSRF_REFUSAL = "CSRF token verification failed"
STALE_FORM = (
    "The form could not be sent: it was open for a long time, or the page it came from is no "
    "longer current. Nothing was saved."
)


SIGNED_OUT = "Your session ended before the form was sent, so nothing was saved."


def _csrf_refused(exc: Any) -> bool:
    return isinstance(exc, PermissionDeniedException) and exc.detail == CSRF_REFUSAL


def _typed_back(request: Request[Any, Any, Any], status: int | None) -> tuple[Any, ...]:
    """What a refused page form held, to give back on its 403 (or signed-out) page so that
    nothing typed is lost.

    Not for a form the browser says another site sent (its words are not the user's, and
    this page must not show them under the service's name)."""
    if status not in (401, 403) or request.method != "POST":
        return ()
    if sent_from_another_site(request):
        return ()
    return typed_fields(request)


def _local(request: Request[Any, Any, Any]) -> str:
    """Where to come back to after signing in: a page of this service (never a form post)."""
    return request.url.path if request.method == "GET" else "/"


def safe_next(target: str | None) -> str:
    """A `next` address only if it is a page of this service, so a link cannot send a user
    who signs in to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
