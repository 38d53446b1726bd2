"""newsreader: a terminal news reader with a local cache, entities, regions and related stories."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newsreader")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
