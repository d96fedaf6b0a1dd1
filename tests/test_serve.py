"""`serve` as an operator runs it: a real process, real signals, real sockets on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import TEST_SECRET
from serve_process import READY_TIMEOUT_S, Server


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


@pytest.mark.alone
def test_fresh_database_is_migrated_and_restart_is_quick(
    servers: list[Server], tmp_path: Path
) -> None:
    """The embedded database is migrated on first start; a restart applies nothing, < 2 s."""
    url = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    first = Server(url, tmp_path)
    servers.append(first)
    first.wait_ready()
    assert "migration applied" in first.stop(timeout=10)

    # The machine is shared: another process can take the core for a moment. The best of
    # three restarts measures what a restart costs; each one must apply nothing.
    ready_after: list[float] = []
    while len(ready_after) < 3 and min(ready_after, default=2.0) >= 2.0:
        again = Server(url, tmp_path)
        servers.append(again)
        ready_after.append(again.wait_ready())
        assert "migration applied" not in again.stop(timeout=10)
    assert min(ready_after) < 2.0, f"ready after {', '.join(f'{s:.2f}' for s in ready_after)} s"


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_server_database_with_pending_migrations_is_refused(
    servers: list[Server], tmp_path: Path, empty_database_url: str
) -> None:
    """On PostgreSQL, serve never migrates by itself: it says what to run, and exits 1."""
    server = Server(empty_database_url, tmp_path)
    servers.append(server)
    _, stderr = server.process.communicate(timeout=30)
    assert server.process.returncode == 1
    assert "connecting-families db migrate" in stderr


@pytest.mark.alone
@pytest.mark.parametrize("database_kind", ["sqlite", "postgresql"])
def test_sigterm_stops_within_5_seconds_under_load(
    servers: list[Server], tmp_path: Path, database_url: str
) -> None:
    """SIGTERM while requests are in flight stops the server cleanly within 5 seconds."""
    server = Server(database_url, tmp_path)
    servers.append(server)
    server.wait_ready()

    stop_load = threading.Event()
    answered: list[int] = []

    def load() -> None:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            while not stop_load.is_set():
                try:
                    answered.append(client.get("/health").status_code)
                except httpx.TransportError:
                    return  # the server has gone away, as it should

    workers = [threading.Thread(target=load) for _ in range(16)]
    for worker in workers:
        worker.start()
    try:
        # Under load, on a busy 2-core machine, the first answer can take more than a moment.
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not answered and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # and then requests are in flight
        assert answered, "no request was answered before SIGTERM"
        signalled = time.monotonic()
        server.stop(timeout=10)
        took = time.monotonic() - signalled
    finally:
        stop_load.set()
        for worker in workers:
            worker.join()
    assert took < 5.0, f"stopped after {took:.2f} s"
    assert set(answered) == {200}


@pytest.mark.parametrize("database_kind", ["sqlite", "postgresql"])
def test_login_throttle_holds_across_two_workers(
    servers: list[Server], tmp_path: Path, database_url: str
) -> None:
    """With 2 workers, the 6th attempt after 5 failures is refused, right password or not."""
    env = {**os.environ, "CF_DATABASE_URL": database_url, "CF_SECRET_KEY": TEST_SECRET}
    subprocess.run(
        [sys.executable, "-m", "connecting_families", "users", "create", "kw.lee",
         "--display-name", "Lee", "--role", "key_worker", "--password-stdin"],
        input="the right passphrase\n", text=True, env=env, cwd=tmp_path, check=True,
        capture_output=True,
    )  # fmt: skip
    server = Server(database_url, tmp_path, "--workers", "2")
    servers.append(server)
    server.wait_ready()
    statuses = []
    for password in ["wrong passphrase!"] * 5 + ["the right passphrase"]:
        # A new connection each time, so the workers take turns accepting them.
        response = httpx.post(
            f"{server.url}/api/v1/auth/token",
            json={"username": "kw.lee", "password": password},
            headers={"Connection": "close"},
        )
        statuses.append(response.status_code)
    server.stop(timeout=10)
    assert statuses == [401] * 5 + [429]
