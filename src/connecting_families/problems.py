"""One mapping from exceptions to RFC 9457 problem details (`application/problem+json`).

Every error the API returns goes through here, so none is a bare 500 and none leaks a
database message (which can quote a row's values) to the caller or to the log.
"""

from __future__ import annotations

import logging
import sqlite3
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from connecting_families.database.engine import SQLITE_BUSY_TIMEOUT_SECONDS
from connecting_families.domain.refs import REF_RULE
from connecting_families.errors import ClientDisconnected, DomainError

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
        errors = [_plain(error) for error in exc.extra] if isinstance(exc.extra, list) else []
        return problem(
            400,
            "Invalid request",
            "The request did not match what this endpoint accepts; see errors.",
            extra={"errors": errors},
        )
    if status >= 500:
        # Litestar's own server errors ("stream consumed", …) are bugs like any other.
        _log_unexpected(request, exc)
    title = _TITLES.get(status, "Error")
    # Litestar's own detail for a bare status is just its phrase; say something useful.
    generic = not exc.detail or exc.detail.lower() == title.lower()
    detail = _DETAILS.get(status, title) if generic else exc.detail
    return problem(status, title, detail, headers=exc.headers)


def _plain(error: Any) -> Any:
    """A validation error whose message is a regular expression, in words: the one pattern the
    API checks is the ref grammar."""
    if isinstance(error, dict) and "matching regex" in str(error.get("message", "")):
        return {**error, "message": f"must be only {REF_RULE}"}
    return error


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if _is_unique_violation(exc):
        # Two requests raced to create the same record; the database kept one.
        return problem(
            409,
            "Conflict",
            "That record was created by someone else a moment ago. Reload and try again.",
        )
    if (unavailable := _database_unavailable(exc)) is not None:
        detail, retry_after = unavailable
        log.warning("database unavailable", extra={"error_type": type(exc).__name__})
        return problem(
            503, "Service unavailable", detail, headers={"Retry-After": str(retry_after)}
        )
    _log_unexpected(request, exc)
    return problem(
        500,
        "Internal server error",
        "Something went wrong on our side. Nothing was changed; the error has been logged.",
    )


# Nginx's status for a request whose client closed the connection; nobody receives it.
CLIENT_CLOSED_REQUEST = 499


def handle_client_disconnected(
    request: Request[Any, Any, Any], exc: ClientDisconnected
) -> Response[dict[str, Any]]:
    """A client that went away mid-request: noted, not an error of the service."""
    log.info("client disconnected", extra={"route": _instance(request)})
    return problem(
        CLIENT_CLOSED_REQUEST,
        "Client closed request",
        "The connection closed before the request had all arrived.",
    )


def _log_unexpected(request: Request[Any, Any, Any], exc: BaseException) -> None:
    """Log where a server error happened: the type and the frames (file, line, function) of
    the exception and of those it was raised from. Never the message, nor the values of
    any variable: database errors quote the row they failed on, which can be personal."""
    log.error(
        "unhandled error",
        extra={
            "error_type": type(exc).__name__,
            "route": _instance(request),
            "frames": _frames(exc),
            "raised_from": [type(cause).__name__ for cause in _causes(exc)],
        },
    )


def _causes(exc: BaseException) -> list[BaseException]:
    causes: list[BaseException] = []
    cause = exc.__cause__ or exc.__context__
    while cause is not None and cause not in causes and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    return causes


def _frames(exc: BaseException) -> list[str]:
    """`file:line in function` for each frame, innermost last, of `exc` and its causes."""
    frames: list[str] = []
    for each in [*reversed(_causes(exc)), exc]:
        frames.extend(
            f"{frame.filename}:{frame.lineno} in {frame.name}"
            for frame in traceback.extract_tb(each.__traceback__)
        )
    return frames


def _is_unique_violation(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc)
    return isinstance(exc, asyncpg.exceptions.UniqueViolationError)


# Why the database could not serve a request, as the caller is told, and the seconds after
# which trying again may help.
_BUSY = (
    "The database is busy: another change held it for longer than "
    f"{SQLITE_BUSY_TIMEOUT_SECONDS:.0f} seconds. Nothing was changed; try again shortly.",
    5,
)
_FULL = (
    "The database could not write to its disk, which may be full. Nothing was changed; "
    "tell the administrator, and try again once there is room.",
    60,
)
_CANNOT_OPEN = (
    "The database file cannot be opened. Nothing was changed; tell the administrator.",
    60,
)
_NO_CONNECTION = (
    "The database has no connection free. Nothing was changed; try again shortly.",
    5,
)
_UNREACHABLE = (
    "The database cannot be reached; it may be restarting. Nothing was changed; try again "
    "shortly.",
    5,
)


def _database_unavailable(exc: BaseException) -> tuple[str, int] | None:
    """What to tell the caller when `exc` means the database cannot serve now, else None."""
    if isinstance(exc, sqlite3.OperationalError):
        message = str(exc).lower()
        if "locked" in message or "busy" in message:
            return _BUSY
        if "disk" in message or "full" in message:
            return _FULL
        if "unable to open" in message:
            return _CANNOT_OPEN
        return None
    if isinstance(exc, asyncpg.exceptions.DiskFullError):
        return _FULL
    if isinstance(exc, asyncpg.exceptions.TooManyConnectionsError):
        return _NO_CONNECTION
    if isinstance(
        exc,
        ConnectionError
        | OSError
        | TimeoutError
        | asyncpg.exceptions.PostgresConnectionError
        # The server shutting down or starting up (57P01, 57P03, ...).
        | asyncpg.exceptions.OperatorInterventionError
        | asyncpg.exceptions.InterfaceError
        # asyncpg's protocol left mid-operation by a connection lost under it.
        | asyncpg.exceptions.InternalClientError,
    ):
        return _UNREACHABLE
    return None


_TITLES = {
    400: "Bad request",
    401: "Unauthorised",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
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


class Problem(msgspec.Struct):
    """The body of every error response: an RFC 9457 problem document.

    Some problems carry more members: `errors` lists what was wrong with a request, and a
    conflict over a record's version carries its `current` state.
    """

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


_WHEN = {
    400: "The request is malformed: a parameter or the body does not match this endpoint.",
    401: "No valid credential was sent.",
    403: "The caller's role, caseload or programme does not allow this.",
    404: "The record does not exist, or the caller may not know that it does.",
    408: "The request's body stalled, or took longer than the configured time to arrive.",
    409: "The request clashes with the record's current state, or its version is stale.",
    413: "The request's content is over the configured size (CF_MAX_BODY_BYTES; imports "
    "CF_MAX_IMPORT_BYTES).",
    422: "The request's content breaks a rule; `errors` says where.",
    429: "Too many failed sign-ins; Retry-After says how many seconds to wait.",
    503: "The database is busy or unreachable; nothing was changed. Retry after a while.",
}


def problem_responses(statuses: Iterable[int]) -> dict[int, ResponseSpec]:
    """OpenAPI descriptions of the problem documents a route may answer with."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_WHEN[status],
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
        for status in statuses
    }


EXCEPTION_HANDLERS: dict[int | type[Exception], Callable[..., Response[Any]]] = {
    DomainError: handle_domain_error,
    ClientDisconnected: handle_client_disconnected,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "Problem", "problem", "problem_responses"]
