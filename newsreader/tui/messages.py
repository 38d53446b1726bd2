"""Messages the refresh worker posts to the main screen."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from newsreader.models import RefreshSummary


@dataclass
class RefreshProgress(Message):
    """Feeds done so far, of how many, and the new articles seen so far.

    A burst of these collapses to the latest: each carries running totals, so nothing is lost.
    """

    done: int
    total: int
    new: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RefreshProgress)


@dataclass
class RefreshFinished(Message):
    summary: RefreshSummary


@dataclass
class RefreshFailed(Message):
    error: str


@dataclass
class Analysed(Message):
    """Articles analysed (entities, regions) so far, of how many waiting."""

    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Analysed)
