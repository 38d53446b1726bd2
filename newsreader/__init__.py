"""newsreader: a terminal news reader with a local cache, entities, regions and related stories."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # The version is read from the installed metadata on first use: importlib.metadata costs
    # more to import than the app's first screen should wait for.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("newsreader")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
