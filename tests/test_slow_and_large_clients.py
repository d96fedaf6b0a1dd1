"""A real `serve` process against clients that send too much, or too slowly: the limits hold
on the socket, and a refused body does not grow the worker."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import TEST_SECRET
from serve_process import Server

MIB = 1024 * 1024
SENT_MIB = 50
# What a worker may grow by while refusing a 50 MiB body against a 1 MiB limit.
MAX_GROWTH_KIB = 8 * 1024
PIECE = b"x" * 65536


PASSWORD = "a long enough password for tests"
# Deadlines of a second or so and a worker's memory: measured by themselves (`make test`).
pytestmark = pytest.mark.alone


def _cli(url: str, cwd: Path, *argv: str, stdin: str = "") -> None:
    env = {**os.environ, "CF_DATABASE_URL": url, "CF_SECRET_KEY": TEST_SECRET}
    subprocess.run(
        [sys.executable, "-m", "connecting_families", *argv],
        cwd=cwd,
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database with programme P1 and its manager `pm`, made once for the module
    through the CLI (each command a process start) and copied for each test."""
    folder = tmp_path_factory.mktemp("prepared")
    url = f"sqlite:///{folder / 'serve.sqlite3'}"
    _cli(url, folder, "db", "migrate")
    _cli(url, folder, "programme", "create", "P1", "--name", "P1", "--ruleset", "tf2012")
    _cli(
        url,
        folder,
        *("users", "create", "pm", "--display-name", "PM", "--role", "programme_manager"),
        *("--programme", "P1", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    # Every command has closed the database, so its write-ahead log is in the file.
    return folder / "serve.sqlite3"


@pytest.fixture
def server(prepared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """One fresh worker on a copy of `prepared`; 1 MiB limits on bodies and imports, and a
    1 second header deadline."""
    shutil.copyfile(prepared, tmp_path / "serve.sqlite3")
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    monkeypatch.setenv("CF_MAX_BODY_BYTES", str(MIB))
    monkeypatch.setenv("CF_MAX_IMPORT_BYTES", str(MIB))
    monkeypatch.setenv("CF_HEADER_TIMEOUT_SECONDS", "1")
    started = Server(url, tmp_path)
    try:
        started.wait_ready()
        yield started
    finally:
        started.kill()


def _token(server: Server) -> str:
    response = httpx.post(
        f"{server.url}/api/v1/auth/token", json={"username": "pm", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _answered(answer: bytes) -> bool:
    """Whether `answer` holds a whole response: its head and the body its Content-Length
    gives. A refusal that leaves the connection open is then over; waiting for the server to
    close a kept-alive connection took the socket's whole 30 s timeout."""
    head, found, body = answer.partition(b"\r\n\r\n")
    if not found:
        return False
    length = re.search(rb"^content-length:\s*(\d+)\s*$", head, re.IGNORECASE | re.MULTILINE)
    return length is not None and len(body) >= int(length.group(1))


def _post(server: Server, head: bytes, pieces: Iterator[bytes]) -> bytes:
    """Send a request and its body, reading the answer meanwhile (the server may answer
    and close before the body is all sent); the bytes answered, once the answer is whole or
    the connection closed."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        answer = bytearray()

        def read() -> None:
            try:
                while data := sock.recv(65536):
                    answer.extend(data)
                    if _answered(bytes(answer)):
                        return
            except OSError:
                pass

        reader = threading.Thread(target=read)
        reader.start()
        try:
            sock.sendall(head)
            for piece in pieces:
                sock.sendall(piece)
        except OSError:
            pass  # the server stopped reading: what it answered is in `answer`
        reader.join(timeout=30)
        return bytes(answer)


def _chunked(total: int) -> Iterator[bytes]:
    for _ in range(total // len(PIECE)):
        yield b"%x\r\n%s\r\n" % (len(PIECE), PIECE)
    yield b"0\r\n\r\n"


def _head(*headers: str, path: str = "/api/v1/auth/token") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/auth/token", "application/json"),
        ("/api/v1/programmes/P1/imports/people", "text/csv"),
    ],
    ids=["json", "import"],
)
def test_a_large_body_is_refused_without_growing_the_worker(
    server: Server, path: str, content_type: str
) -> None:
    """50 MiB, chunked or with a Content-Length, against a 1 MiB limit: 413, and the
    worker's memory grows by no more than a few MiB."""
    token = f"Authorization: Bearer {_token(server)}"
    pid = server.process.pid
    before = _rss_kib(pid)
    chunked = _post(
        server,
        _head(token, f"Content-Type: {content_type}", "Transfer-Encoding: chunked", path=path),
        _chunked(SENT_MIB * MIB),
    )
    declared = _post(
        server,
        _head(
            token, f"Content-Type: {content_type}", f"Content-Length: {SENT_MIB * MIB}", path=path
        ),
        iter([PIECE] * (SENT_MIB * MIB // len(PIECE))),
    )
    after = _rss_kib(pid)
    assert chunked.startswith(b"HTTP/1.1 413 "), chunked[:200]
    assert declared.startswith(b"HTTP/1.1 413 "), declared[:200]
    assert b"application/problem+json" in chunked
    assert b"application/problem+json" in declared
    assert after - before < MAX_GROWTH_KIB, f"grew from {before} to {after} KiB"


def test_headers_trickled_past_the_deadline_are_cut_off(server: Server) -> None:
    """Headers sent a byte at a time are answered 408 and closed at the header deadline."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        answer = b""
        try:
            for byte in b"X-Slow: " + b"a" * 40:
                sock.sendall(bytes([byte]))
                time.sleep(0.1)
                sock.setblocking(False)
                try:
                    answer += sock.recv(4096)
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
                if answer:
                    break
        except OSError:
            pass
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert time.monotonic() - started < 3


def test_a_connection_that_sends_nothing_is_closed(server: Server) -> None:
    """A connection opened and left silent is answered 408 and closed at the deadline."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        answer = sock.recv(4096)
        assert sock.recv(4096) == b""  # closed
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert time.monotonic() - started < 3


def test_headers_over_their_size_limit_are_refused(server: Server) -> None:
    """A request whose headers pass 64 KiB is answered 400 and closed, however fast."""
    big = b"".join(b"X-Big-%d: %s\r\n" % (n, b"a" * 1000) for n in range(200))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + big + b"\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400 "), answer
