"""Settings: read once from the environment, with defaults that need no set-up."""

from pathlib import Path

import pytest

from connecting_families.settings import DatabaseUrl, Settings, SettingsError


def test_defaults_make_a_sqlite_file_and_a_kept_secret(tmp_path: Path) -> None:
    """With nothing set, the database is a SQLite file under var/ and the secret is kept."""
    data_dir = tmp_path / "var"
    first = Settings.from_env({}, data_dir=data_dir)
    second = Settings.from_env({}, data_dir=data_dir)

    assert first.database.kind == "sqlite"
    assert first.database.sqlite_path == data_dir / "connecting_families.sqlite3"
    assert data_dir.is_dir()
    assert len(first.secret_key) >= 32
    assert second.secret_key == first.secret_key
    assert (data_dir / "secret_key").stat().st_mode & 0o077 == 0
    assert (first.host, first.port, first.log_level) == ("127.0.0.1", 8000, "INFO")


def test_environment_overrides_every_default(tmp_path: Path) -> None:
    """Each CF_* variable sets its field."""
    settings = Settings.from_env(
        {
            "CF_DATABASE_URL": "postgresql://cf:pw@db.example:5432/cf",
            "CF_SECRET_KEY": "s" * 40,
            "CF_HOST": "0.0.0.0",
            "CF_PORT": "9000",
            "CF_LOG_LEVEL": "debug",
        },
        data_dir=tmp_path,
    )
    assert settings.database.kind == "postgresql"
    assert settings.secret_key == "s" * 40
    assert (settings.host, settings.port, settings.log_level) == ("0.0.0.0", 9000, "DEBUG")
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CF_PORT", "eighty"),
        ("CF_PORT", "70000"),
        ("CF_LOG_LEVEL", "LOUD"),
        ("CF_SECRET_KEY", "short"),
        ("CF_DATABASE_URL", "mysql://localhost/cf"),
        ("CF_DATABASE_URL", "sqlite:///:memory:"),
        ("CF_JUDGING_BUDGET_MS", "soon"),
        ("CF_JUDGING_BUDGET_MS", "0"),
        ("CF_JUDGING_BUDGET_MS", "inf"),
    ],
)
def test_a_bad_value_names_its_variable(tmp_path: Path, variable: str, value: str) -> None:
    """A setting that cannot work is refused with the variable's name in the message."""
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value}, data_dir=tmp_path)


def test_the_judging_budget_is_a_setting(tmp_path: Path) -> None:
    """A second by default; `CF_JUDGING_BUDGET_MS` sets it in milliseconds."""
    assert Settings.from_env({}, data_dir=tmp_path).judging_budget_ms == 1000
    budget = Settings.from_env({"CF_JUDGING_BUDGET_MS": "250"}, data_dir=tmp_path)
    assert budget.judging_budget_ms == 250


def test_secret_is_not_in_repr(tmp_path: Path) -> None:
    """The secret never reaches a log line through the settings' repr."""
    settings = Settings.from_env({"CF_SECRET_KEY": "k" * 40}, data_dir=tmp_path)
    assert "k" * 40 not in repr(settings)


def test_redacted_url_hides_the_password() -> None:
    """A PostgreSQL URL can be shown without its password."""
    url = DatabaseUrl.parse("postgresql://cf:hunter2@db/cf")
    assert "hunter2" not in url.redacted
    assert url.redacted == "postgresql://cf:***@db/cf"


def test_absolute_and_relative_sqlite_paths() -> None:
    """sqlite:/// takes a relative path, sqlite://// an absolute one."""
    assert DatabaseUrl.parse("sqlite:///var/a.db").sqlite_path == Path("var/a.db")
    assert DatabaseUrl.parse("sqlite:////tmp/a.db").sqlite_path == Path("/tmp/a.db")
