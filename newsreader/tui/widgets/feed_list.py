"""The feed list in the sidebar: "All" and each feed, with unread counts and an error mark."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from newsreader.models import Feed, FetchStatus
from newsreader.tui.text import safe_line

ALL = "all"


def feed_failing(feed: Feed) -> bool:
    return feed.last_status in (FetchStatus.FAILED.value, FetchStatus.GONE.value)


def _prompt(title: str, unread: int, width: int, *, failing: bool = False) -> Content:
    count = str(unread) if unread else ""
    mark = Content.styled("!", "bold $error") if failing else Content(" ")
    room = max(4, width - 2 - cell_len(count) - 1)
    text = title if cell_len(title) <= room else set_cell_size(title, room - 1) + "…"
    text = set_cell_size(text, room)
    return Content.assemble(mark, " ", text, " ", (count, "bold $unread"))


class FeedList(OptionList):
    """Choosing an entry (moving onto it) filters the article list to it."""

    DEFAULT_CSS = """
    FeedList { border: none; padding: 0; background: $panel; height: auto; max-height: 1fr; }
    FeedList:focus { border: none; }
    """

    @dataclass
    class Chosen(Message):
        """The reader moved onto a feed (None: all feeds)."""

        feed_id: int | None

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._feeds: list[Feed] = []
        self._total_unread = 0
        self._painted: list[tuple[str, int, bool, int] | None] = []

    @property
    def feeds(self) -> list[Feed]:
        return self._feeds

    def _width(self) -> int:
        return max(12, (self.scrollable_content_region.width or 24) - 1)

    def _build_options(self) -> list[Option]:
        width = self._width()
        options = [Option(_prompt("All", self._total_unread, width), id=ALL)]
        for feed in self._feeds:
            title = safe_line(feed.display_title)
            options.append(
                Option(
                    _prompt(title, feed.unread, width, failing=feed_failing(feed)),
                    id=f"feed-{feed.id}",
                )
            )
        return options

    def set_feeds(self, feeds: list[Feed]) -> None:
        same = [f.id for f in feeds] == [f.id for f in self._feeds]
        self._feeds = feeds
        self._total_unread = sum(f.unread for f in feeds)
        if same and self.option_count:
            self._repaint_prompts()
            return
        highlighted = self.highlighted_option.id if self.highlighted_option else ALL
        with self.prevent(OptionList.OptionHighlighted):
            self.set_options(self._build_options())
            self._painted = list(self._keys())
            ids = [ALL, *(f"feed-{f.id}" for f in feeds)]
            self.highlighted = ids.index(highlighted) if highlighted in ids else 0

    def adjust_unread(self, feed_id: int, delta: int) -> None:
        for feed in self._feeds:
            if feed.id == feed_id:
                feed.unread = max(0, feed.unread + delta)
                self._total_unread = max(0, self._total_unread + delta)
        self._repaint_prompts()

    def _keys(self) -> list[tuple[str, int, bool, int]]:
        width = self._width()
        return [("All", self._total_unread, False, width)] + [
            (f.display_title, f.unread, feed_failing(f), width) for f in self._feeds
        ]

    def _repaint_prompts(self) -> None:
        # Only the rows whose text changed: with hundreds of feeds, rebuilding every prompt
        # on each refresh tick would stall the event loop.
        keys = self._keys()
        if len(self._painted) != len(keys):
            self._painted = [None] * len(keys)
        for index, key in enumerate(keys):
            if self._painted[index] != key:
                title, unread, failing, width = key
                prompt = _prompt(safe_line(title), unread, width, failing=failing)
                self.replace_option_prompt_at_index(index, prompt)
                self._painted[index] = key

    def on_resize(self) -> None:
        if self.option_count:
            self._repaint_prompts()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        option_id = event.option.id
        feed_id = None if option_id in (None, ALL) else int(str(option_id).removeprefix("feed-"))
        self.post_message(self.Chosen(feed_id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.screen.focus_next()

    def selected_feed(self) -> Feed | None:
        option = self.highlighted_option
        if option is None or option.id in (None, ALL):
            return None
        return next((f for f in self._feeds if f"feed-{f.id}" == option.id), None)
