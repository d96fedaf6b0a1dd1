"""`connecting-families plugins new NAME`: a package that passes its own test, or a clear no."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from connecting_families.cli import main

from conftest import TEST_SECRET

# The lint the suite's own code passes, as far as it applies to a package of its own.
LINT = [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "E,F,W,B,UP"]
LINT += ["--line-length", "99"]


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings that write nothing outside the test's folder."""
    monkeypatch.setenv("CF_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    monkeypatch.setenv("CF_SECRET_KEY", TEST_SECRET)


def test_the_new_package_passes_its_own_tests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Written into --dir, it is found by its entry point's name and its tests all pass,
    run as its author would run them (`pytest` in its folder)."""
    assert main(["plugins", "new", "cf_hall_lane", "--dir", str(tmp_path)]) == 0
    folder = tmp_path / "cf_hall_lane"
    assert f"wrote the plugin cf_hall_lane in {folder}" in capsys.readouterr().out
    written = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert written == [
        "README.md",
        "pyproject.toml",
        "src/cf_hall_lane/__init__.py",
        "tests/test_cf_hall_lane.py",
    ]
    project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    assert project["name"] == "cf-hall-lane"
    assert project["entry-points"]["connecting_families"] == {"cf_hall_lane": "cf_hall_lane"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-q"],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(folder / "src"), *sys.path])},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Three cases of the boundary test and four more: all ran, none skipped.
    assert re.search(r"\b7 passed\b", output), output
    assert "skipped" not in output


def test_the_new_package_is_clean(tmp_path: Path) -> None:
    """No lint in what it writes (ruff: undefined names, unused imports, long lines)."""
    assert main(["plugins", "new", "cf_hall_lane", "--dir", str(tmp_path)]) == 0
    result = subprocess.run(
        [*LINT, str(tmp_path / "cf_hall_lane")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Hall-Lane", "must be a Python package name"),
        ("1hall", "must be a Python package name"),
        ("hall lane", "must be a Python package name"),
        ("x" * 49, "at most 48 characters"),
        ("class", "is a Python keyword"),
        ("json", "a module named 'json' is already installed"),
        ("tf2015", "is the name of an installed plugin"),
    ],
)
def test_a_name_that_cannot_be_a_new_package_is_refused(
    name: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plugins", "new", name, "--dir", str(tmp_path)]) == 2
    assert reason in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_an_existing_folder_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cf_hall_lane").mkdir()
    (tmp_path / "cf_hall_lane" / "notes.txt").write_text("mine")
    assert main(["plugins", "new", "cf_hall_lane", "--dir", str(tmp_path)]) == 2
    assert "cf_hall_lane already exists" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "cf_hall_lane").iterdir()] == ["notes.txt"]


def test_a_dir_that_is_not_a_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plugins", "new", "cf_hall_lane", "--dir", str(tmp_path / "nowhere")]) == 2
    assert "nowhere is not a folder" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()
