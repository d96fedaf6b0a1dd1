"""A `connecting-families serve` process on a free loopback port, for tests that need a real
server (signals, sockets, a browser)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from conftest import TEST_SECRET

READY_TIMEOUT_S = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A `connecting-families serve` process."""

    def __init__(self, database_url: str, cwd: Path, *extra: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.started = time.monotonic()
        env = {
            **os.environ,
            "CF_DATABASE_URL": database_url,
            "CF_SECRET_KEY": TEST_SECRET,
            "CF_PORT": str(self.port),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "connecting_families", "serve", *extra],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self) -> float:
        """Seconds from process start until /health answered 200."""
        deadline = self.started + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited early: {self.process.communicate()[1]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return time.monotonic() - self.started
            except httpx.TransportError:
                time.sleep(0.02)
        raise AssertionError("serve did not become ready")

    def stop(self, timeout: float) -> str:
        """Send SIGTERM, wait, check the shutdown was clean; return the server's log."""
        self.process.send_signal(signal.SIGTERM)
        _, stderr = self.process.communicate(timeout=timeout)
        # Uvicorn re-raises the signal once shut down, so the shell sees "killed by SIGTERM".
        assert self.process.returncode in (0, -signal.SIGTERM), stderr
        assert "Application shutdown complete." in stderr
        assert '"level": "ERROR"' not in stderr
        return stderr

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
