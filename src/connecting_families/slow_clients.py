"""A deadline and a size limit for a request's headers, which uvicorn does not have.

Uvicorn closes a kept-alive connection that sends nothing for `timeout_keep_alive` seconds,
and limits the size of headers, but it waits for ever for headers that are trickled a byte
at a time, or for a new connection that sends nothing. These protocols are uvicorn's own,
with one more timer: from the first byte of a request (or the connection opening) to the
end of its headers. A client that misses it gets a 408 and the connection is closed. The
body has its own deadlines, in `request_limits`.

`serve` names the protocol by its import path, so every worker process imports it; each
reads the deadline from `CF_HEADER_TIMEOUT_SECONDS` (checked by the settings at start).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, cast

import attrs
import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from connecting_families.settings import Settings

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is an optional speed-up
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

# The most a request line and its headers may hold; uvicorn's h11 protocol is given the
# same limit (`h11_max_incomplete_event_size`), httptools has none of its own.
MAX_HEADER_BYTES = 64 * 1024


def _answer(status: bytes, text: bytes) -> bytes:
    return (
        b"HTTP/1.1 %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (status, len(text), text)
    )


TIMED_OUT = _answer(b"408 Request Timeout", b"The request's headers came too slowly.\n")


class HeadersTooLarge(Exception):
    """Raised in a parser callback: httptools stops and uvicorn answers 400, as h11 does."""


def header_timeout_seconds() -> float:
    text = os.environ.get("CF_HEADER_TIMEOUT_SECONDS", "").strip()
    return float(text or cast(float, attrs.fields(Settings).header_timeout_seconds.default))


class _HeaderDeadline:
    """The timer, shared by both protocols."""

    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop
    _header_timer: asyncio.TimerHandle | None = None

    def _arm_header_deadline(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(
                header_timeout_seconds(), self._headers_too_slow
            )

    def _disarm_header_deadline(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.write(TIMED_OUT)
            self.transport.close()


class HeaderDeadlineH11Protocol(_HeaderDeadline, H11Protocol):
    """Uvicorn's h11 protocol with a deadline for each request's headers."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # h11 waits in IDLE for a request line and headers, and leaves it when they are in.
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm_header_deadline()
        else:
            self._disarm_header_deadline()


if HttpToolsProtocol is not None:

    class HeaderDeadlineHttpToolsProtocol(_HeaderDeadline, HttpToolsProtocol):
        """Uvicorn's httptools protocol with a deadline for each request's headers."""

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm_header_deadline()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_deadline()
            super().connection_lost(exc)

        _header_bytes = 0

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm_header_deadline()
            self._header_bytes = 0

        def on_url(self, url: bytes) -> None:
            self._count_header_bytes(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count_header_bytes(len(name) + len(value))
            super().on_header(name, value)

        def _count_header_bytes(self, count: int) -> None:
            self._header_bytes += count
            if self._header_bytes > MAX_HEADER_BYTES:
                raise HeadersTooLarge

        def on_headers_complete(self) -> None:
            self._disarm_header_deadline()
            super().on_headers_complete()


def protocol_path() -> str:
    """The protocol `serve` gives uvicorn: httptools' when it is installed, as uvicorn would."""
    name = (
        "HeaderDeadlineH11Protocol"
        if HttpToolsProtocol is None
        else "HeaderDeadlineHttpToolsProtocol"
    )
    return f"{__name__}:{name}"
