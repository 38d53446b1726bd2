"""The article list: a virtual line-API view over a list of ids.

It holds only the ids the current filter selects; the rows it paints are fetched on demand for
the visible window and kept in a small LRU cache. 100k articles cost one list of ints.
"""

from __future__ import annotations

import textwrap
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from newsreader.models import ArticleRow
from newsreader.tui.text import relative_age, safe_line

RowFetcher = Callable[[Sequence[int]], dict[int, ArticleRow]]

CACHE_SIZE = 4096
FETCH_MARGIN = 40


def _fit(text: str, width: int) -> str:
    """Exactly ``width`` cells: cropped with an ellipsis, or padded."""
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


class ArticleList(ScrollView, can_focus=True):
    """Unread mark, star, title, source and age of each article in view."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "article-list--unread",
        "article-list--star",
        "article-list--source",
        "article-list--age",
        "article-list--cursor",
        "article-list--empty",
    }

    DEFAULT_CSS = """
    ArticleList {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
    }
    ArticleList > .article-list--unread { color: $unread; text-style: bold; }
    ArticleList > .article-list--star { color: $accent; }
    ArticleList > .article-list--source { color: $text-muted; }
    ArticleList > .article-list--age { color: $text-muted; }
    ArticleList > .article-list--cursor { background: $primary 25%; }
    ArticleList:focus > .article-list--cursor { background: $primary 45%; }
    ArticleList > .article-list--empty { color: $text-muted; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)
    empty_message: reactive[str] = reactive("No articles.")

    @dataclass
    class Highlighted(Message):
        """The cursor moved to another article (None: the list is empty)."""

        article_id: int | None

    @dataclass
    class Opened(Message):
        """The reader asked to open an article (enter or a click on the selected row)."""

        article_id: int

    def __init__(
        self,
        fetch_rows: RowFetcher,
        now: Callable[[], datetime],
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._fetch_rows = fetch_rows
        self._now = now
        self._ids: list[int] = []
        self._rows: OrderedDict[int, ArticleRow] = OrderedDict()
        self._stories: dict[int, tuple[int, int]] = {}

    # --- data in --------------------------------------------------------------------------

    @property
    def ids(self) -> Sequence[int]:
        return self._ids

    @property
    def selected_id(self) -> int | None:
        if 0 <= self.cursor < len(self._ids):
            return self._ids[self.cursor]
        return None

    def set_ids(
        self,
        ids: list[int],
        *,
        keep: int | None = None,
        stories: dict[int, tuple[int, int]] | None = None,
    ) -> None:
        """Show a new list of ids. With ``keep``, that article stays selected and stays where it
        was on screen: rows arriving above it shift the scroll by as many rows.

        ``stories`` (the list grouped by story) maps a row standing for several articles to
        (articles, distinct sources), shown in place of its source.
        """
        old_index = self.cursor
        self._ids = ids
        self._stories = stories or {}
        self._rows.clear()
        self._set_length(len(ids))
        new_index = 0
        if keep is not None:
            try:
                new_index = ids.index(keep)
            except ValueError:
                new_index = min(old_index, max(0, len(ids) - 1))
            shift = new_index - old_index
            if shift:
                self.scroll_to(y=self.scroll_y + shift, animate=False, immediate=True)
        else:
            self.scroll_to(y=0, animate=False, immediate=True)
        self.set_reactive(ArticleList.cursor, new_index)
        self.refresh()
        self.post_message(self.Highlighted(self.selected_id))

    def _set_length(self, rows: int) -> None:
        """The list's virtual height. Assigning ``virtual_size`` lays out the whole screen
        (~50-130 ms with a 100k cache), so it is only assigned when the scrollbar appears or
        goes; otherwise (new rows during a refresh) the scrollbar is updated in place."""
        size = Size(0, rows)
        if size == self.virtual_size:
            return
        viewport = self.container_size.height
        scrollbar_before = self.virtual_size.height > viewport
        if self.is_mounted and viewport and (rows > viewport) == scrollbar_before:
            self.set_reactive(ArticleList.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size

    def row(self, article_id: int) -> ArticleRow | None:
        row = self._rows.get(article_id)
        if row is None:
            row = self._fetch_rows([article_id]).get(article_id)
        return row

    def rows_from(self, start: int, step: int, limit: int = 200) -> list[tuple[int, ArticleRow]]:
        """Up to ``limit`` (index, row) pairs walking from ``start`` by ``step`` (1 or -1)."""
        stop = start + step * limit
        indexes = list(range(start, max(-1, min(len(self._ids), stop)), step))
        wanted = [self._ids[i] for i in indexes]
        found = self._fetch_rows([i for i in wanted if i not in self._rows])
        out: list[tuple[int, ArticleRow]] = []
        for index, article_id in zip(indexes, wanted, strict=True):
            row = self._rows.get(article_id) or found.get(article_id)
            if row is not None:
                out.append((index, row))
        return out

    def set_read(self, article_id: int, read: bool) -> None:
        self._patch(article_id, read=read)

    def set_starred(self, article_id: int, starred: bool) -> None:
        self._patch(article_id, starred=starred)

    def invalidate(self) -> None:
        """Forget cached rows (their read state changed in bulk)."""
        self._rows.clear()
        self.refresh()

    def _patch(self, article_id: int, **changes: bool) -> None:
        row = self.row(article_id)
        if row is None:
            return
        self._remember(replace(row, **changes))  # type: ignore[arg-type]
        self.refresh()

    def _remember(self, row: ArticleRow) -> None:
        self._rows[row.id] = row
        self._rows.move_to_end(row.id)
        while len(self._rows) > CACHE_SIZE:
            self._rows.popitem(last=False)

    def _row_at(self, index: int) -> ArticleRow | None:
        article_id = self._ids[index]
        row = self._rows.get(article_id)
        if row is not None:
            self._rows.move_to_end(article_id)
            return row
        top = int(self.scroll_y)
        start = max(0, min(index, top) - FETCH_MARGIN)
        end = min(len(self._ids), max(index, top + self.size.height) + FETCH_MARGIN)
        window = [i for i in self._ids[start:end] if i not in self._rows]
        for fetched in self._fetch_rows(window).values():
            self._remember(fetched)
        return self._rows.get(article_id)

    # --- cursor ---------------------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._ids) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        if self._ids:
            self.scroll_to_region(Region(0, new, 1, 1), animate=False, immediate=True)
        self.refresh()
        self.post_message(self.Highlighted(self.selected_id))

    def move(self, delta: int) -> None:
        self.cursor = self.cursor + delta

    def page(self, direction: int) -> None:
        self.cursor = self.cursor + direction * max(1, self.size.height // 2)

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y
        if not 0 <= index < len(self._ids):
            return
        if index == self.cursor:
            self.post_message(self.Opened(self._ids[index]))
        else:
            self.cursor = index

    # --- painting -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if not self._ids:
            return self._empty_line(y, width, base)
        index = int(self.scroll_y) + y
        if index >= len(self._ids):
            return Strip.blank(width, base)
        row = self._row_at(index)
        if row is None:
            return Strip.blank(width, base)
        strip = self._row_strip(row, width, base)
        if index == self.cursor:
            strip = strip.apply_style(self.get_component_rich_style("article-list--cursor"))
        return strip

    def _row_strip(self, row: ArticleRow, width: int, base: Style) -> Strip:
        unread = base + self.get_component_rich_style("article-list--unread")
        muted = base + self.get_component_rich_style("article-list--source")
        age_style = base + self.get_component_rich_style("article-list--age")
        star = base + self.get_component_rich_style("article-list--star")
        age = relative_age(row.when, self._now()).rjust(4)
        title = safe_line(row.title) or "(untitled)"
        source_width = 0 if width < 50 else min(22, width // 4)
        title_width = max(0, width - 4 - 1 - source_width - (1 if source_width else 0) - 4 - 1)
        segments = [
            Segment(" ", base),
            Segment("●" if not row.read else " ", unread),
            Segment("★" if row.starred else " ", star),
            Segment(" ", base),
            Segment(_fit(title, title_width), unread if not row.read else base),
            Segment(" ", base),
        ]
        if source_width:
            story = self._stories.get(row.id)
            if story is None:
                source = safe_line(row.feed_title)
            else:
                source = f"{story[0]} articles · {story[1]} source{'s' if story[1] != 1 else ''}"
            segments.append(Segment(_fit(source, source_width), muted))
            segments.append(Segment(" ", base))
        segments.append(Segment(age, age_style))
        return Strip(segments).adjust_cell_length(width, base)

    def _empty_line(self, y: int, width: int, base: Style) -> Strip:
        lines = [""]
        for paragraph in self.empty_message.split("\n"):
            lines.extend(textwrap.wrap(paragraph, max(10, width - 4)) or [""])
        if y >= len(lines):
            return Strip.blank(width, base)
        style = base + self.get_component_rich_style("article-list--empty")
        return Strip([Segment("  " + lines[y], style)]).adjust_cell_length(width, base)

    def watch_empty_message(self) -> None:
        self.refresh()
