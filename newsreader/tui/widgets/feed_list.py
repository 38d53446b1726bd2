"""The feed list in the sidebar: "All" and each feed, with unread counts and an error mark.

A virtual line-API view: it paints only the rows in view, each row's strip cached under what
it shows (title, count, error mark, width, style). Counts change on every merge of a refresh;
with hundreds of feeds, re-rendering every row (or re-laying out the screen) on each one would
stall the event loop, so a count change repaints the rows in view and costs one render per
changed row. Only a change in the number of feeds changes the list's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style
from textual.visual import Visual

from newsreader.models import Feed, FetchStatus
from newsreader.tui.text import safe_line

ROW_META = "feed_row"  # the row index carried by each painted cell, for clicks and hover

RowKey = tuple[str, int, bool]  # (title, unread, failing): what a row shows


def feed_failing(feed: Feed) -> bool:
    return feed.last_status in (FetchStatus.FAILED.value, FetchStatus.GONE.value)


def _prompt(title: str, unread: int, width: int, *, failing: bool = False) -> Content:
    """One row, ``width`` cells: error mark, title (cut with "…"), unread count."""
    count = str(unread) if unread else ""
    mark = Content.styled("!", "bold $error") if failing else Content(" ")
    room = max(4, width - 2 - cell_len(count) - 1)
    text = title if cell_len(title) <= room else set_cell_size(title, room - 1) + "…"
    text = set_cell_size(text, room)
    return Content.assemble(mark, " ", text, " ", (count, "bold $unread"))


class FeedList(ScrollView, can_focus=True):
    """Moving onto an entry (keys, or a click) filters the article list to it; enter (or the
    click) then moves on to the next widget."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor_down", "Down", show=False, id="feed-list.down"),
        Binding("up", "cursor_up", "Up", show=False, id="feed-list.up"),
        Binding("home", "first", "First", show=False, id="feed-list.first"),
        Binding("end", "last", "Last", show=False, id="feed-list.last"),
        Binding("pagedown", "page_down", "Page down", show=False, id="feed-list.page-down"),
        Binding("pageup", "page_up", "Page up", show=False, id="feed-list.page-up"),
        Binding("enter", "select", "Select", show=False, id="feed-list.select"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "feed-list--highlighted",
        "feed-list--hover",
    }

    DEFAULT_CSS = """
    FeedList {
        height: auto;
        max-height: 1fr;
        color: $foreground;
        background: $panel;
        overflow-x: hidden;
        overflow-y: auto;
    }
    FeedList > .feed-list--highlighted {
        color: $foreground;
        background: $block-cursor-blurred-background;
        text-style: $block-cursor-blurred-text-style;
    }
    FeedList > .feed-list--hover {
        background: $block-hover-background;
    }
    FeedList:focus {
        background-tint: $foreground 5%;
    }
    FeedList:focus > .feed-list--highlighted {
        color: $block-cursor-foreground;
        background: $block-cursor-background;
        text-style: $block-cursor-text-style;
    }
    """

    @dataclass
    class Chosen(Message):
        """The reader moved onto a feed (None: all feeds)."""

        feed_id: int | None

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._feeds: list[Feed] = []
        self._total_unread = 0
        self._loaded = False  # no rows at all until the first set_feeds
        self._highlighted = 0  # row index: 0 is "All", feed i is row i + 1
        self._hover: int | None = None
        self._strips: dict[int, tuple[tuple[RowKey, int, Style], Strip]] = {}

    # --- data in --------------------------------------------------------------------------

    @property
    def feeds(self) -> list[Feed]:
        return self._feeds

    @property
    def row_count(self) -> int:
        """Rows shown: "All" and one per feed (none before the first ``set_feeds``)."""
        return len(self._feeds) + 1 if self._loaded else 0

    @property
    def highlighted(self) -> int:
        """The highlighted row: 0 is "All", feed i (in ``feeds``) is row i + 1."""
        return self._highlighted

    def set_feeds(self, feeds: list[Feed]) -> None:
        """Show these feeds. The highlighted feed stays highlighted (or "All" when it is gone),
        without a ``Chosen``: the reader did not move."""
        same = self._loaded and [f.id for f in feeds] == [f.id for f in self._feeds]
        highlighted = self.highlighted_feed_id
        self._feeds = feeds
        self._total_unread = sum(f.unread for f in feeds)
        self._loaded = True
        if same:
            self._repaint_changed()
            return
        self._strips.clear()
        self._hover = None
        ids = [f.id for f in feeds]
        self._highlighted = ids.index(highlighted) + 1 if highlighted in ids else 0
        self.virtual_size = Size(0, self.row_count)  # lays out only when the count changed
        self.scroll_to(y=0, animate=False, immediate=True)
        self.scroll_to_highlight()
        self.refresh()

    def adjust_unread(self, feed_id: int, delta: int) -> None:
        for feed in self._feeds:
            if feed.id == feed_id:
                feed.unread = max(0, feed.unread + delta)
                self._total_unread = max(0, self._total_unread + delta)
        self._repaint_changed()

    @property
    def highlighted_feed_id(self) -> int | None:
        """The highlighted feed's id (None: "All", or nothing loaded)."""
        if self._highlighted <= 0 or self._highlighted > len(self._feeds):
            return None
        return self._feeds[self._highlighted - 1].id

    def selected_feed(self) -> Feed | None:
        if self._highlighted <= 0 or self._highlighted > len(self._feeds):
            return None
        return self._feeds[self._highlighted - 1]

    # --- the highlight --------------------------------------------------------------------

    def highlight(self, row: int) -> None:
        """Move the highlight to ``row`` (clamped); a move posts ``Chosen``."""
        if not self.row_count:
            return
        row = max(0, min(row, self.row_count - 1))
        if row == self._highlighted:
            return
        self._highlighted = row
        self.scroll_to_highlight()
        self.refresh()
        self.post_message(self.Chosen(self.highlighted_feed_id))

    def scroll_to_highlight(self) -> None:
        if not self.row_count or not self.is_mounted:
            return
        self.scroll_to_region(
            Region(0, self._highlighted, max(1, self.scrollable_content_region.width), 1),
            force=True,
            animate=False,
            immediate=True,
        )

    def action_cursor_down(self) -> None:
        if self.row_count:  # wraps round, as the option lists of the other screens do
            self.highlight((self._highlighted + 1) % self.row_count)

    def action_cursor_up(self) -> None:
        if self.row_count:
            self.highlight((self._highlighted - 1) % self.row_count)

    def action_first(self) -> None:
        self.highlight(0)

    def action_last(self) -> None:
        self.highlight(self.row_count - 1)

    def action_page_down(self) -> None:
        self.highlight(self._highlighted + self.scrollable_content_region.height)

    def action_page_up(self) -> None:
        self.highlight(self._highlighted - self.scrollable_content_region.height)

    def action_select(self) -> None:
        """Enter: the choice is made (the highlight already filtered); go on to the list."""
        if self.row_count:
            self.screen.focus_next()

    def on_show(self) -> None:
        self.scroll_to_highlight()

    # --- mouse ----------------------------------------------------------------------------

    @staticmethod
    def _row_under(event: events.MouseEvent) -> int | None:
        row = event.style.meta.get(ROW_META)
        return row if isinstance(row, int) else None

    def on_click(self, event: events.Click) -> None:
        row = self._row_under(event)
        if row is not None and row < self.row_count:
            self.highlight(row)
            self.action_select()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._row_under(event))

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def _set_hover(self, row: int | None) -> None:
        if row != self._hover:
            self._hover = row
            self.refresh()

    # --- painting -------------------------------------------------------------------------

    def _row_key(self, row: int) -> RowKey:
        if row == 0:
            return ("All", self._total_unread, False)
        feed = self._feeds[row - 1]
        return (feed.display_title, feed.unread, feed_failing(feed))

    def _repaint_changed(self) -> None:
        """Repaint if a row in view shows something new. Rows out of view are redrawn (once)
        when they scroll in: their cached strips no longer match what they show."""
        top = int(self.scroll_y)
        end = min(self.row_count, top + self.scrollable_content_region.height)
        for row in range(top, end):
            cached = self._strips.get(row)
            if cached is None or cached[0][0] != self._row_key(row):
                self.refresh()
                return

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = int(self.scroll_y) + y
        if row >= self.row_count:
            return Strip.blank(width, self.get_visual_style().rich_style)
        if row == self._highlighted:
            style = self.get_visual_style("feed-list--highlighted")
        elif row == self._hover:
            style = self.get_visual_style("feed-list--hover")
        else:
            style = self.get_visual_style()
        key = (self._row_key(row), width, style)
        cached = self._strips.get(row)
        if cached is not None and cached[0] == key:
            return cached[1]
        title, unread, failing = key[0]
        prompt = _prompt(safe_line(title), unread, max(12, (width or 24) - 1), failing=failing)
        strip = (
            Visual.to_strips(self, prompt, width, None, style)[0]
            .extend_cell_length(width, style.rich_style)
            .apply_meta({ROW_META: row})
        )
        self._strips[row] = (key, strip)
        return strip
