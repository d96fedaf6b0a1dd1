"""Structured (JSON lines) logging, and a log line per request without personal data.

A request line holds the method, the route *template* (`/api/v1/families/{family_id:int}`,
never the concrete path or query string, which can carry names and identifiers), the status
and the duration. Uvicorn's own access log is switched off for the same reason.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from connecting_families.errors import DomainError

log = logging.getLogger("connecting_families.request")

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's copy of the message with terminal colours
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _RECORD_ATTRIBUTES
        )
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    """Send every log record, ours and the server's, to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True


def _status_of(exc: Exception) -> int:
    if isinstance(exc, HTTPException | DomainError):
        return exc.status_code
    return 500


def request_log_middleware(app: ASGIApp) -> ASGIApp:
    """Log one line per HTTP request once it is answered."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_and_note_status)
        except Exception as exc:
            status = _status_of(exc)
            raise
        finally:
            log.info(
                "request",
                extra={
                    "method": scope.get("method", ""),
                    "route": scope.get("path_template", ""),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )

    return middleware
