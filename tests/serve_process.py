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

# How long a server may take to answer /health before a test gives up on it. Not a speed
# limit (tests that promise a quick start assert their own): with the suite's workers and
# their servers sharing two cores, importing the app alone has taken over 20 s.
READY_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A `connecting-families serve` process."""

    def __init__(
        self, database_url: str, cwd: Path, *extra: str, log_path: Path | None = None
    ) -> None:
        """`log_path`: write the server's log there rather than to a pipe, which fills up
        and then stops the server when nobody reads it (a long test under load)."""
        self.log_path = log_path
        log_file = None if log_path is None else log_path.open("w")
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
            stderr=subprocess.PIPE if log_file is None else log_file,
            text=True,
        )
        if log_file is not None:
            log_file.close()  # the server has its own copy

    def _log(self, piped: str | None) -> str:
        if self.log_path is None:
            return piped or ""
        return self.log_path.read_text()

    def wait_ready(self) -> float:
        """Seconds from process start until /health answered 200."""
        deadline = self.started + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self._log(self.process.communicate()[1])
                raise AssertionError(f"serve exited early: {log}")
            try:
                if httpx.get(f"{self.url}/health", timeout=0.5).status_code == 200:
                    return time.monotonic() - self.started
            except httpx.TransportError:
                time.sleep(0.02)
        raise AssertionError("serve did not become ready")

    def stop(self, timeout: float) -> str:
        """Send SIGTERM, wait, check the shutdown was clean; return the server's log."""
        self.process.send_signal(signal.SIGTERM)
        stderr = self._log(self.process.communicate(timeout=timeout)[1])
        # Uvicorn re-raises the signal once shut down, so the shell sees "killed by SIGTERM".
        assert self.process.returncode in (0, -signal.SIGTERM), stderr
        assert "Application shutdown complete." in stderr
        assert '"level": "ERROR"' not in stderr
        return stderr

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
