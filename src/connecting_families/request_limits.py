"""Limits on a request's body, held on the stream as it arrives: its size, how long it may take,
and how deeply a JSON body may nest.

The size limit is counted on the `http.request` messages themselves, below every reader (the
NUL check, the CSRF check's form parser, Litestar's body and the import). A Content-Length
over the limit is refused before a byte is read; a chunked body as soon as it passes the
limit, so no reader ever holds more than the limit.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import functools
import json
import re
import time

import attrs
from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)

from connecting_families.errors import ClientDisconnected, DomainError, RequestTimeout, TooLarge
from connecting_families.problems import PROBLEM_JSON, PROBLEM_TYPE_BASE

# A refused body this large was held in memory by a reader (up to an import's limit); the
# allocator keeps the freed pieces unless asked to give them back.
_TRIM_AFTER_BYTES = 16 * 1024 * 1024
# A route handler's `opt` key: its body is an import file, not a small JSON body or form.
BODY_LIMIT = "body_limit"
IMPORT_BODY = "import"
# Room for the multipart framing and the other fields of a form around a file of the
# largest accepted size.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
# JSON nested deeper than this is refused: no body of this service nests more than a few
# levels, and the decoder recurses once per level (about 1,000 overflow Python's stack).
MAX_JSON_DEPTH = 64
# A JSON string, escapes and all: brackets inside one are not nesting.
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPENERS = frozenset(b"[{")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


@attrs.frozen
class BodyLimits:
    """How large a body may be and how long it may take to arrive."""

    max_body_bytes: int
    max_import_bytes: int
    idle_seconds: float
    body_seconds: float
    import_seconds: float

    def for_route(self, scope: Scope) -> tuple[int, float]:
        """The size limit and the total time allowed for the body of a request to this route."""
        handler = scope.get("route_handler")
        if handler is not None and handler.opt.get(BODY_LIMIT) == IMPORT_BODY:
            return self.max_import_bytes + MULTIPART_OVERHEAD_BYTES, self.import_seconds
        return self.max_body_bytes, self.body_seconds


def too_large(limit: int) -> TooLarge:
    return TooLarge(
        f"The request's body is over the {limit:,} bytes this address accepts.",
        errors=[{"field": "body", "message": f"larger than {limit:,} bytes"}],
    )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


class BodyLimitMiddleware:
    """Count a request's body bytes as they arrive; refuse it once it passes its limit (413),
    or when it stalls or takes too long (408). A client that goes away mid-body is noted as
    a disconnect, not a server error."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        limit, total_seconds = self.limits.for_route(scope)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            # Answered before a byte of the body is read; the server closes the connection.
            await _send_problem(send, too_large(limit))
            return
        deadline = time.monotonic() + total_seconds
        received = 0
        complete = False
        refusal: BaseException | None = None

        async def limited_receive() -> ReceiveMessage:
            nonlocal received, complete, refusal
            if refusal is not None:
                raise refusal
            if complete:
                # The body is all here; a response may listen for the client leaving.
                return await receive()
            wait = min(self.limits.idle_seconds, deadline - time.monotonic())
            try:
                message = await asyncio.wait_for(receive(), timeout=max(wait, 0))
            except TimeoutError:
                refusal = RequestTimeout(
                    "The request's body arrived too slowly; send it again.",
                    errors=[{"field": "body", "message": "arrived too slowly"}],
                )
                raise refusal from None
            if message["type"] == "http.disconnect":
                refusal = ClientDisconnected()
                raise refusal
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refusal = too_large(limit)
                    raise refusal
                complete = not message.get("more_body", False)
            return message

        try:
            await self.app(scope, limited_receive, send)
        finally:
            if isinstance(refusal, TooLarge) and received > _TRIM_AFTER_BYTES:
                _give_back_freed_memory()


async def _send_problem(send: Send, error: DomainError) -> None:
    body = json.dumps(
        {
            "type": PROBLEM_TYPE_BASE + error.title.lower().replace(" ", "-"),
            "title": error.title,
            "status": error.status_code,
            "detail": error.detail,
            "errors": error.errors,
        }
    ).encode()
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": error.status_code,
        "headers": headers,
    }
    await send(start)
    whole: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(whole)


def json_depth_within(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the arrays and objects of the JSON text `body` nest at most `limit` deep.

    A fast scan of the raw bytes, made before the decoder sees them: brackets inside strings
    are skipped, and a body with fewer brackets than the limit is passed without a scan.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return True
    depth = 0
    for byte in _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS):
        if byte in _OPENERS:
            depth += 1
            if depth > limit:
                return False
        else:
            depth -= 1
    return True


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def _give_back_freed_memory() -> None:
    """Return the heap freed by a refused body to the system (glibc keeps it otherwise, and
    the worker stayed hundreds of MB larger after one refused upload)."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None)  # glibc's; other C libraries have none
    if trim is not None:
        trim(0)
