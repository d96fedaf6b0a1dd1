"""A throw-away PostgreSQL cluster for the test suite, on a free loopback port.

It is made with the server binaries of the machine (`initdb`, `pg_ctl`), run as the `postgres`
system user when the tests run as root (PostgreSQL refuses to run as root), trusts loopback
connections, and is deleted when the tests end.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import attrs

SUPERUSER = "cf_test"


class PostgresUnavailable(RuntimeError):
    """The cluster could not be started; the message says why."""


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if not candidates:
        raise PostgresUnavailable(
            "no PostgreSQL server binaries (pg_ctl) on PATH or under /usr/lib/postgresql"
        )
    return Path(candidates[0]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@attrs.define
class PostgresServer:
    """A running cluster; `stop()` removes it."""

    root: Path
    port: int
    bin_dir: Path
    run_as: list[str]
    # The options the cluster was started with, to start it again the same way.
    options: str = ""

    @classmethod
    def start(cls, root: Path | None = None, *, durable: bool = False) -> PostgresServer:
        """Start a new cluster in a new temporary folder, or the one kept in `root` (made
        there the first time). A durable cluster keeps PostgreSQL's crash safety (fsync,
        synchronous commit), as production runs it: the benchmarks measure with it on."""
        bin_dir = _bin_dir()
        if root is None:
            root = Path(tempfile.mkdtemp(prefix="cf-pg-"))
        root.mkdir(parents=True, exist_ok=True)
        run_as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(root, user="postgres", group="postgres")
            run_as = ["runuser", "-u", "postgres", "--"]
        server = cls(root=root, port=_free_port(), bin_dir=bin_dir, run_as=run_as)
        if not (root / "data" / "PG_VERSION").exists():
            shutil.rmtree(root / "data", ignore_errors=True)
            server._run(
                "initdb",
                "--pgdata", str(root / "data"),
                "--username", SUPERUSER,
                "--auth", "trust",
                "--encoding", "UTF8",
                "--locale", "C",
            )  # fmt: skip
        options = f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1"
        options += " -c max_connections=200"
        if not durable:
            # A throw-away cluster needs no crash safety; this makes the suite much faster.
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        server.options = options
        server.start_again()
        return server

    def start_again(self) -> None:
        """Start the cluster (again, after `stop_fast`) on its port, with its options."""
        self._run(
            "pg_ctl", "start", "--wait", "--pgdata", str(self.root / "data"),
            "--log", str(self.root / "server.log"), "--options", self.options,
        )  # fmt: skip

    def stop_fast(self) -> None:
        """Stop the cluster as an operator restarting it does, keeping it to start again:
        a fast shutdown rolls back open transactions and disconnects every client."""
        self._run(
            "pg_ctl", "stop", "--wait", "--pgdata", str(self.root / "data"), "--mode", "fast"
        )

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(
            [*self.run_as, str(self.bin_dir / program), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"{program} failed: {result.stderr.strip()[-2000:]}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def stop(self, *, remove: bool = True) -> None:
        """Stop the cluster and, unless told to keep it, delete it."""
        mode = "immediate" if remove else "fast"
        try:
            self._run("pg_ctl", "stop", "--pgdata", str(self.root / "data"), "--mode", mode)
        finally:
            if remove:
                shutil.rmtree(self.root, ignore_errors=True)
