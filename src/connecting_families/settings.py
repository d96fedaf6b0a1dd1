"""Settings, read from the environment once, into one frozen value."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import attrs

DEFAULT_DATA_DIR = Path("var")
DEFAULT_SQLITE_FILE = "connecting_families.sqlite3"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_MAX_IMPORT_BYTES = 200 * 1024 * 1024
# A JSON body or a page's form: the largest the service takes is a few kilobytes.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# The data directory is the service's alone (the CLI's umask makes its files 0600 too).
PRIVATE_DIRECTORY = 0o700

DatabaseKind = Literal["sqlite", "postgresql"]


class SettingsError(ValueError):
    """A setting in the environment is not usable; the message names it."""


@attrs.frozen
class DatabaseUrl:
    """A parsed `CF_DATABASE_URL`: `sqlite:///path/file.sqlite3` or `postgresql://…`."""

    kind: DatabaseKind
    url: str
    sqlite_path: Path | None = None

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            # sqlite:///relative/file and sqlite:////absolute/file, as SQLAlchemy spells them.
            path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
            if not path or path == ":memory:":
                raise SettingsError(
                    "CF_DATABASE_URL: a SQLite database must be a file, "
                    "e.g. sqlite:///var/connecting_families.sqlite3"
                )
            return cls(kind="sqlite", url=url, sqlite_path=Path(path))
        if parts.scheme in ("postgres", "postgresql"):
            if not parts.hostname and not parts.path.strip("/"):
                raise SettingsError("CF_DATABASE_URL: a PostgreSQL URL needs a host or a database")
            return cls(kind="postgresql", url=url)
        raise SettingsError(
            "CF_DATABASE_URL: the scheme must be sqlite:// or postgresql:// "
            f"(got {parts.scheme or 'none'!r})"
        )

    @property
    def redacted(self) -> str:
        """The URL with any password hidden, safe for logs and messages."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return parts._replace(netloc=netloc).geturl()


@attrs.frozen
class Settings:
    """Everything the service is configured with. Build it with `Settings.from_env()`."""

    database: DatabaseUrl
    secret_key: str = attrs.field(repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    # Origins allowed to call the API from a browser; none (CORS off) unless configured.
    cors_origins: tuple[str, ...] = ()
    # The largest import file accepted, in bytes (a whole county's school census fits).
    max_import_bytes: int = DEFAULT_MAX_IMPORT_BYTES
    # Plugins (entry-point names) not to load.
    disabled_plugins: frozenset[str] = frozenset()
    # Reverse proxies (addresses or networks) whose X-Forwarded-For and X-Forwarded-Proto
    # `serve` believes; none by default, so a client cannot name its own address.
    trusted_proxies: tuple[str, ...] = ()
    # The largest JSON body or page form accepted, in bytes (imports have their own limit).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # Seconds a request may wait for its headers, for the next piece of its body, and for
    # the whole of its body (an import's file, or any other body).
    header_timeout_seconds: float = 10.0
    body_idle_timeout_seconds: float = 15.0
    body_timeout_seconds: float = 60.0
    import_timeout_seconds: float = 900.0
    # Milliseconds one family's judging may take before it is logged with the plugin that
    # spent them (`evaluation.judging`).
    judging_budget_ms: float = 1000.0

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, data_dir: Path = DEFAULT_DATA_DIR
    ) -> Settings:
        """Read `CF_*` variables; what is unset gets a default that works with no set-up.

        The default database is a SQLite file under `data_dir` (created when missing) and
        the default secret is generated once and kept beside it, so restarts keep sessions.
        """
        env = os.environ if environ is None else environ
        url = env.get("CF_DATABASE_URL", "").strip()
        if url:
            database = DatabaseUrl.parse(url)
        else:
            database = DatabaseUrl.parse(f"sqlite:///{data_dir / DEFAULT_SQLITE_FILE}")
        if database.sqlite_path is not None:
            database.sqlite_path.parent.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)

        secret_key = env.get("CF_SECRET_KEY", "").strip() or _kept_secret(data_dir)
        if len(secret_key) < 32:
            raise SettingsError("CF_SECRET_KEY: must be at least 32 characters long")

        port_text = env.get("CF_PORT", "8000").strip()
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise SettingsError(f"CF_PORT: must be a port number, got {port_text!r}")

        log_level = env.get("CF_LOG_LEVEL", "INFO").strip().upper()
        if log_level not in LOG_LEVELS:
            raise SettingsError(f"CF_LOG_LEVEL: must be one of {', '.join(LOG_LEVELS)}")

        cors_origins = tuple(
            origin.strip()
            for origin in env.get("CF_CORS_ORIGINS", "").split(",")
            if origin.strip()
        )
        for origin in cors_origins:
            if not origin.startswith(("https://", "http://")) or origin.count("/") != 2:
                raise SettingsError(
                    f"CF_CORS_ORIGINS: {origin!r} is not an origin like https://example.org"
                )

        max_import_text = env.get("CF_MAX_IMPORT_BYTES", str(DEFAULT_MAX_IMPORT_BYTES)).strip()
        if not max_import_text.isdigit() or int(max_import_text) < 1:
            raise SettingsError(
                f"CF_MAX_IMPORT_BYTES: must be a whole number of bytes, got {max_import_text!r}"
            )
        disabled_plugins = frozenset(
            name.strip() for name in env.get("CF_DISABLED_PLUGINS", "").split(",") if name.strip()
        )

        return cls(
            database=database,
            secret_key=secret_key,
            host=env.get("CF_HOST", "127.0.0.1").strip() or "127.0.0.1",
            port=int(port_text),
            log_level=log_level,
            cors_origins=cors_origins,
            max_import_bytes=int(max_import_text),
            disabled_plugins=disabled_plugins,
            trusted_proxies=_trusted_proxies(env.get("CF_TRUSTED_PROXIES", "")),
            **_request_limits(env),
            **_judging_budget(env),
        )


def _trusted_proxies(text: str) -> tuple[str, ...]:
    """`CF_TRUSTED_PROXIES`: comma-separated IP addresses or networks (CIDR), each checked."""
    proxies = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            proxies.append(str(ipaddress.ip_network(item)))
        except ValueError:
            raise SettingsError(
                f"CF_TRUSTED_PROXIES: {item!r} is not an IP address, nor a network with its "
                "host bits zero (e.g. 10.0.0.5 or 10.0.0.0/24)"
            ) from None
    return tuple(proxies)


def _request_limits(env: Mapping[str, str]) -> dict[str, Any]:
    """The request limits' settings that are set in `env`, each a positive number."""
    names = {
        "CF_MAX_BODY_BYTES": "max_body_bytes",
        "CF_HEADER_TIMEOUT_SECONDS": "header_timeout_seconds",
        "CF_BODY_IDLE_TIMEOUT_SECONDS": "body_idle_timeout_seconds",
        "CF_BODY_TIMEOUT_SECONDS": "body_timeout_seconds",
        "CF_IMPORT_TIMEOUT_SECONDS": "import_timeout_seconds",
    }
    found: dict[str, Any] = {}
    for variable, field in names.items():
        text = env.get(variable, "").strip()
        if not text:
            continue
        whole = variable.endswith("_BYTES")
        try:
            value: float = int(text) if whole else float(text)
        except ValueError:
            value = 0
        if not value > 0:
            kind = "a whole number of bytes" if whole else "a number of seconds"
            raise SettingsError(f"{variable}: must be {kind} above 0, got {text!r}")
        found[field] = value
    return found


def _judging_budget(env: Mapping[str, str]) -> dict[str, Any]:
    """`CF_JUDGING_BUDGET_MS`, when set: a number of milliseconds above 0."""
    text = env.get("CF_JUDGING_BUDGET_MS", "").strip()
    if not text:
        return {}
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not 0 < value < float("inf"):
        raise SettingsError(
            f"CF_JUDGING_BUDGET_MS: must be a number of milliseconds above 0, got {text!r}"
        )
    return {"judging_budget_ms": value}


def _kept_secret(data_dir: Path) -> str:
    """The secret in `data_dir/secret_key`, generated (readable by the owner only) if missing."""
    path = data_dir / SECRET_KEY_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(mode=PRIVATE_DIRECTORY, parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not each write their own secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(secret + "\n")
    return secret
