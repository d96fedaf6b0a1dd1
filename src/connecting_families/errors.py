"""Domain errors. Services raise these; `problems.py` turns them into RFC 9457 responses.

Messages are shown to the caller: they name what was wrong and where, and never hold
personal data (no names, dates of birth or identifiers of people).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the service understood but will not carry out, as a problem it can explain."""

    status_code = 400
    title = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        # More members for the problem document, e.g. the current state of a record.
        self.extra = extra or {}


class NotFound(DomainError):
    """The record does not exist, or the caller may not know that it does."""

    status_code = 404
    title = "Not found"


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, a closed claim, …)."""

    status_code = 409
    title = "Conflict"


class Invalid(DomainError):
    """The request's content breaks a rule; `errors` lists each problem and where it is."""

    status_code = 422
    title = "Invalid request"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    status_code = 403
    title = "Forbidden"


class Unavailable(DomainError):
    """The service cannot answer now (the database is locked, full or unreachable)."""

    status_code = 503
    title = "Service unavailable"


def field_error(field: str, message: str) -> dict[str, str]:
    """One entry of a problem's `errors` list."""
    return {"field": field, "message": message}


def refuse_if(problems: list[dict[str, str]], what: str) -> None:
    """Raise `Invalid` listing `problems`, if there are any."""
    if problems:
        raise Invalid(f"{what} was refused; see errors.", errors=problems)


def check_version(given: int, current: int, state: Any, what: str) -> None:
    """Refuse an update made against an older version of a record (no lost updates)."""
    if given != current:
        raise Conflict(
            f"{what} has changed since version {given}; it is now version {current}. "
            "Reload it and make your change again.",
            extra={"current": state},
        )


class TooLarge(DomainError):
    """The request's content is over a configured size."""

    status_code = 413
    title = "Content too large"


class RequestTimeout(DomainError):
    """The request's body did not arrive in time (it stalled, or took too long)."""

    status_code = 408
    title = "Request timeout"


class ClientDisconnected(Exception):
    """The client went away before its request's body had all arrived: not a server error."""
