"""One mapping from exceptions to RFC 9457 problem details (`application/problem+json`).

Every error the API returns goes through here, so none is a bare 500 and none leaks a
database message (which can quote a row's values) to the caller or to the log.
"""

from __future__ import annotations

import logging
import sqlite3
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from connecting_families.errors import DomainError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://connecting-families.invalid/problems/"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[dict[str, Any]]:
    """A problem details response."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra or {})
    return Response(
        content=body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {})
    )


def _instance(request: Request[Any, Any, Any]) -> str:
    # The route template, not the concrete path: paths may carry record identifiers.
    return str(request.scope.get("path_template") or request.url.path)


def handle_domain_error(
    request: Request[Any, Any, Any], exc: DomainError
) -> Response[dict[str, Any]]:
    extra = {"errors": exc.errors} if exc.errors else {}
    extra.update(exc.extra)
    return problem(exc.status_code, exc.title, exc.detail, extra=extra, headers=exc.headers)


def handle_http_exception(
    request: Request[Any, Any, Any], exc: HTTPException
) -> Response[dict[str, Any]]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        errors = exc.extra if isinstance(exc.extra, list) else []
        return problem(
            400,
            "Invalid request",
            "The request did not match what this endpoint accepts; see errors.",
            extra={"errors": errors},
        )
    title = _TITLES.get(status, "Error")
    # Litestar's own detail for a bare status is just its phrase; say something useful.
    generic = not exc.detail or exc.detail.lower() == title.lower()
    detail = _DETAILS.get(status, title) if generic else exc.detail
    return problem(status, title, detail, headers=exc.headers)


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if _is_unique_violation(exc):
        # Two requests raced to create the same record; the database kept one.
        return problem(
            409,
            "Conflict",
            "That record was created by someone else a moment ago. Reload and try again.",
        )
    if _is_database_unavailable(exc):
        log.warning("database unavailable", extra={"error_type": type(exc).__name__})
        return problem(
            503,
            "Service unavailable",
            "The database is busy or unreachable. Nothing was changed; try again shortly.",
            headers={"Retry-After": "5"},
        )
    # The traceback's frames say where; the exception's message is left out because
    # database errors quote the values of the row they failed on.
    log.error(
        "unhandled error",
        extra={
            "error_type": type(exc).__name__,
            "route": _instance(request),
            "frames": traceback.format_tb(exc.__traceback__),
        },
    )
    return problem(
        500,
        "Internal server error",
        "Something went wrong on our side. Nothing was changed; the error has been logged.",
    )


def _is_unique_violation(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc)
    return isinstance(exc, asyncpg.exceptions.UniqueViolationError)


def _is_database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.OperationalError):
        message = str(exc).lower()
        return any(s in message for s in ("locked", "busy", "disk", "full", "unable to open"))
    if isinstance(exc, ConnectionError | OSError | TimeoutError):
        return True
    return isinstance(
        exc,
        asyncpg.exceptions.PostgresConnectionError
        | asyncpg.exceptions.CannotConnectNowError
        | asyncpg.exceptions.TooManyConnectionsError
        | asyncpg.exceptions.DiskFullError
        | asyncpg.exceptions.InterfaceError,
    )


_TITLES = {
    400: "Bad request",
    401: "Unauthorised",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
_DETAILS = {
    401: "Sign in to use this endpoint.",
    403: "You do not have permission to do this.",
    404: "There is nothing at this address, or you may not see it.",
    405: "This address does not accept that method.",
}

EXCEPTION_HANDLERS: dict[int | type[Exception], Callable[..., Response[Any]]] = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "problem"]
