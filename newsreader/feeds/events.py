"""What a refresh reports as it goes, feed by feed (light: no network or parser imports, so the
TUI can name these types without loading the refresh machinery at start-up)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from newsreader.models import FeedResult

__all__ = ["EventHandler", "FeedFinished", "FeedStarted", "RefreshEvent"]


@dataclass(frozen=True, slots=True)
class FeedStarted:
    url: str
    total: int


@dataclass(frozen=True, slots=True)
class FeedFinished:
    result: FeedResult
    done: int
    total: int


RefreshEvent = FeedStarted | FeedFinished
EventHandler = Callable[[RefreshEvent], None]
