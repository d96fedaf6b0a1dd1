"""One page view, one event in the audit log: the entries a page's services write while one
page is being shown carry the same `page_view` mark in their detail (and the page's route), so
the audit log page shows them as one thing a person did.

A page may read through several services, each auditing its own read (the caseload page: the
families, the overdue work, the next reviews, the verdicts); the mark ties them together
without each service knowing it is part of a page. Only page views (GET, not the API or
static files) are marked: a form's POST and an API call are one action each already.
"""

from __future__ import annotations

import contextvars
import secrets
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

# The page view being shown, as (its mark, the ASGI scope that has its route's template).
PAGE_VIEW: contextvars.ContextVar[tuple[str, Scope] | None] = contextvars.ContextVar(
    "page_view", default=None
)
UNMARKED = ("/api/", "/static/", "/schema")


def page_view_mark() -> dict[str, Any]:
    """What `audit.service.record` adds to an entry's detail during a page view: the view's
    mark and the page's route; nothing outside one."""
    view = PAGE_VIEW.get()
    if view is None:
        return {}
    mark, scope = view
    return {"page_view": mark, "page": str(scope.get("path_template") or scope.get("path", ""))}


def page_view_middleware(app: ASGIApp) -> ASGIApp:
    """Mark each page view (a GET of a page) for the time it is being answered."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        is_page = scope["type"] == ScopeType.HTTP and scope.get("method") == "GET"
        if not is_page or path.startswith(UNMARKED):
            token = PAGE_VIEW.set(None)
        else:
            token = PAGE_VIEW.set((secrets.token_hex(6), scope))
        try:
            await app(scope, receive, send)
        finally:
            PAGE_VIEW.reset(token)

    return middleware
