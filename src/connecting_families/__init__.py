"""connecting_families: the case manager of an early help whole-family programme."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("connecting-families")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
