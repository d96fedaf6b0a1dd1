"""Plugin packages as pip would leave them (a `*.dist-info` and a module on the path), written
into a test's directory: the host finds them through `importlib.metadata`, exactly as it finds
installed ones, and nothing is installed."""

from __future__ import annotations

import itertools
import os
import shutil
import textwrap
from pathlib import Path

import pytest

_serial = itertools.count()


class FakePackages:
    """Writes fake distributions under one directory, put first on `sys.path`."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.root.mkdir(exist_ok=True)
        self.monkeypatch = monkeypatch
        monkeypatch.syspath_prepend(str(root))
        # A subprocess (`serve`) finds them too, and the code under test as before.
        inherited = os.environ.get("PYTHONPATH")
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(root), *filter(None, [inherited])]))

    def add(self, distribution: str, plugins: dict[str, str], version: str = "1.0") -> list[str]:
        """A distribution (or a new version of it) with one module per plugin (entry-point
        name -> module source); returns the modules' names, unique to this test so that none
        is imported twice."""
        modules = []
        lines = ["[connecting_families]"]
        for plugin, source in plugins.items():
            module = f"cf_fake_{plugin}_{next(_serial)}"
            (self.root / f"{module}.py").write_text(textwrap.dedent(source))
            lines.append(f"{plugin} = {module}")
            modules.append(module)
        # A new version of a package replaces the one before, as `pip install -U` does.
        for installed in self.root.glob(f"{distribution.replace('-', '_')}-*.dist-info"):
            shutil.rmtree(installed)
        info = self.root / f"{distribution.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n"
        )
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        self.monkeypatch.syspath_prepend(str(self.root))  # invalidates the import caches
        return modules
