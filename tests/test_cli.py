"""The `connecting-families` command's database and version commands."""

from pathlib import Path

import pytest

from connecting_families import __version__
from connecting_families.cli import main


@pytest.fixture
def cli_env(empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CF_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("CF_SECRET_KEY", "cli-test-secret-" + "x" * 32)
    return empty_database_url


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`version` prints the installed version."""
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == __version__


def test_status_then_migrate_then_status(
    cli_env: str, capsys: pytest.CaptureFixture[str], database_kind: str
) -> None:
    """`db status` shows pending migrations (exit 1); `db migrate` applies them; then 0."""
    assert main(["db", "status"]) == 1
    before = capsys.readouterr().out
    assert "pending" in before
    assert f"{database_kind}: 0 applied" in before

    assert main(["db", "migrate"]) == 0
    assert "applied" in capsys.readouterr().out

    assert main(["db", "status"]) == 0
    assert ", 0 pending" in capsys.readouterr().out

    assert main(["db", "migrate"]) == 0
    assert "0 migration(s) applied" in capsys.readouterr().out


def test_rollback_reverses_one_step(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`db rollback` reverses the latest migration only."""
    main(["db", "migrate"])
    capsys.readouterr()
    assert main(["db", "rollback"]) == 0
    assert capsys.readouterr().out.count("reversed") == 1
    assert main(["db", "status"]) == 1
    assert "1 pending" in capsys.readouterr().out


def test_bad_setting_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad environment variable is an error message naming it, with exit code 2."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CF_PORT", "not-a-port")
    assert main(["version"]) == 2
    assert "CF_PORT" in capsys.readouterr().err
