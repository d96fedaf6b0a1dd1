"""What the benchmark (`national.py`) and the soak (`soak.py`) share: a `connecting-families
serve` process on loopback, and a plain JSON request to it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

SERVER_KEY = "bench-secret-key-" + "x" * 32
# The command of the virtual environment running this script.
COMMAND = str(Path(sys.executable).parent / "connecting-families")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_json(port: int, path: str, token: str = "", body: dict[str, str] | None = None) -> Any:
    """GET (or POST `body` to) `path` on the loopback server; the JSON answer."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",  # loopback only
        data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json"}
        | ({"authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
        return json.loads(answer.read())


def server_environment(url: str, port: int | None = None) -> dict[str, str]:
    """The environment `connecting-families` runs with on the database at `url`."""
    environment = os.environ | {"CF_DATABASE_URL": url, "CF_SECRET_KEY": SERVER_KEY}
    if port is not None:
        environment |= {"CF_HOST": "127.0.0.1", "CF_PORT": str(port)}
    return environment


@attrs.frozen
class RunningServer:
    port: int
    process: subprocess.Popen[bytes]


@contextmanager
def serve(url: str, log: Path, workers: int = 1) -> Iterator[RunningServer]:
    """`connecting-families serve --workers N` on `url`, its output in `log`, until the block
    ends; waits until it answers `/health/live`."""
    port = free_port()
    with log.open("w") as output:
        process = subprocess.Popen(
            [COMMAND, "serve", "--workers", str(workers)],
            env=server_environment(url, port),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    http_json(port, "/health/live")
                    break
                except OSError as error:
                    if process.poll() is not None or time.monotonic() > deadline:
                        message = f"the server did not start; see {log}"
                        raise SystemExit(message) from error
                    time.sleep(0.2)
            yield RunningServer(port, process)
        finally:
            process.terminate()
            process.wait(timeout=30)
