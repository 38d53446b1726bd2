"""Feed status: every feed's last result, its error in words, its next refresh and its size."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from newsreader.models import Feed, FetchStatus
from newsreader.tui.screens.confirm import ConfirmScreen
from newsreader.tui.text import relative_age, safe_line, until_text
from newsreader.tui.widgets.feed_list import feed_failing

STATUS_WORDS = {
    FetchStatus.OK.value: "ok",
    FetchStatus.NOT_MODIFIED.value: "not modified",
    FetchStatus.UNCHANGED.value: "unchanged",
    FetchStatus.FAILED.value: "failing",
    FetchStatus.GONE.value: "gone (410)",
}


def status_words(feed: Feed) -> str:
    if feed.last_status is None:
        return "never fetched"
    words = STATUS_WORDS.get(feed.last_status, feed.last_status)
    if feed.failures > 1 and feed.last_status == FetchStatus.FAILED.value:
        words += f" ×{feed.failures}"
    return words


class FeedStatusScreen(Screen[None]):
    DEFAULT_CSS = """
    FeedStatusScreen #feed-status-title { height: 1; background: $panel; color: $primary;
        text-style: bold; padding: 0 1; }
    FeedStatusScreen DataTable { height: 1fr; }
    FeedStatusScreen #feed-status-detail { height: auto; max-height: 4; padding: 0 1;
        background: $panel; color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,F", "close", "Back", id="feeds_close"),
        Binding("r", "refresh_feed", "Refresh feed", id="feeds_refresh"),
        Binding("d", "remove_feed", "Remove feed", id="feeds_remove"),
    ]

    def __init__(
        self,
        load_feeds: Callable[[], list[Feed]],
        now: Callable[[], datetime],
        on_refresh: Callable[[str], None],
        on_remove: Callable[[str], None],
    ) -> None:
        super().__init__()
        self._load_feeds = load_feeds
        self._now = now
        self._on_refresh = on_refresh
        self._on_remove = on_remove
        self._feeds: list[Feed] = []

    def compose(self) -> ComposeResult:
        yield Static(Content("Feed status"), id="feed-status-title")
        table: DataTable[Text] = DataTable(cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(Content(""), id="feed-status-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(
            "", "Feed", "Status", "Checked", "Next", "Unread", "Articles", "Last error"
        )
        self.reload()
        table.focus()

    def reload(self) -> None:
        table: DataTable[Text] = self.query_one(DataTable)
        row = table.cursor_row
        self._feeds = self._load_feeds()
        now = self._now()
        table.clear()
        for feed in self._feeds:
            failing = feed_failing(feed)
            checked = relative_age(feed.last_checked, now) if feed.last_checked else "never"
            table.add_row(
                Text("!" if failing else "✓" if feed.last_status else "·", style="bold"),
                Text(safe_line(feed.display_title)[:40]),
                Text(status_words(feed)),
                Text(checked if checked == "never" else f"{checked} ago"),
                Text(until_text(feed.next_due, now)),
                Text(str(feed.unread), justify="right"),
                Text(str(feed.total), justify="right"),
                Text(safe_line(feed.last_error or "")[:60]),
                key=str(feed.id),
            )  # fmt: skip
        title = self.query_one("#feed-status-title", Static)
        failing_count = sum(1 for f in self._feeds if feed_failing(f))
        title.update(
            Content(
                f"Feed status: {len(self._feeds)} feeds, {failing_count} failing"
                "   (r refresh · d remove · esc back)"
            )
        )
        if self._feeds:
            table.move_cursor(row=min(row, len(self._feeds) - 1))
        self._show_detail()

    def _selected(self) -> Feed | None:
        table = self.query_one(DataTable)
        if not self._feeds or not 0 <= table.cursor_row < len(self._feeds):
            return None
        return self._feeds[table.cursor_row]

    def _show_detail(self) -> None:
        feed = self._selected()
        detail = self.query_one("#feed-status-detail", Static)
        if feed is None:
            detail.update(Content("No feeds."))
            return
        lines = [safe_line(feed.url)]
        if feed.last_error:
            lines.append("Last error: " + safe_line(feed.last_error))
        detail.update(Content("\n".join(lines)))

    def on_data_table_row_highlighted(self) -> None:
        self._show_detail()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_refresh_feed(self) -> None:
        feed = self._selected()
        if feed is not None:
            self._on_refresh(feed.url)

    def action_remove_feed(self) -> None:
        feed = self._selected()
        if feed is None:
            return
        url = feed.url

        def answered(yes: bool | None) -> None:
            if yes:
                self._on_remove(url)
                self.reload()

        self.app.push_screen(
            ConfirmScreen(f"Remove the feed “{safe_line(feed.display_title)}” and its articles?"),
            answered,
        )
