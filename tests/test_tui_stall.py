"""The interface keeps answering keys while a stalled server is polled.

The real app on a fixture cache whose three feeds all point at a loopback server that answers
with headers and then stalls. While the refresh waits on it, keys move the list and open
articles; when the read timeout (a short one, from config.toml) runs out, each feed's error
is shown in words.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_tui_support import FEEDS, NOW, fixture_library
from textual.widgets import DataTable, Static

from newsreader.library import Library
from newsreader.tui.app import NewsReaderApp
from newsreader.tui.screens.feed_status import FeedStatusScreen
from newsreader.tui.screens.main import MainScreen
from tests.feedserver import RawServer, head_bytes

SIZE = (120, 40)
TIMEOUT_ERROR = "timed out after 1 s waiting for data from 127.0.0.1"


class StallingServer(RawServer):
    """Every request gets headers and the start of a body, then a stall.

    Until ``release()`` the stall is kept alive by a byte every fifth of a second (the client
    never hears silence long enough to give up, however slowly the test runs); after it, the
    server says nothing more, and the client's read timeout runs out.
    """

    def __init__(self) -> None:
        super().__init__(self._stall, lifetime=120)
        self.released = threading.Event()

    def release(self) -> None:
        self.released.set()

    def _stall(self, conn: socket.socket, server: RawServer) -> None:
        self.read_head(conn)
        conn.sendall(
            head_bytes("200 OK", {"Content-Type": "application/rss+xml", "Content-Length": "9000"})
        )
        conn.sendall(b"<?xml version='1.0'?><rss version='2.0'><channel>")
        while not self.released.is_set():
            if self.wait(0.2):
                return
            conn.sendall(b" ")
        self.wait(60)


@pytest.fixture
def server() -> Iterator[StallingServer]:
    with StallingServer() as srv:
        yield srv


@pytest.fixture
def library(tmp_path: Path, server: StallingServer) -> Iterator[Library]:
    """The TUI tests' fixture cache, its feeds served by ``server``, and timeouts short
    enough for a test, set in config.toml as a user would."""
    built = fixture_library(tmp_path, base=f"http://127.0.0.1:{server.port}")
    paths = built.paths
    built.close()
    config = paths.config_file.read_text(encoding="utf-8")
    for old, new in (
        ("\nread_timeout = 20\n", "\nread_timeout = 1\n"),
        ("\ntimeout = 30\n", "\ntimeout = 120\n"),
        ("\nper_host = 2\n", "\nper_host = 4\n"),  # all three feeds stall at once
    ):
        assert old in config
        config = config.replace(old, new)
    paths.config_file.write_text(config, encoding="utf-8")
    lib = Library.open(paths, write_defaults=False)
    yield lib
    lib.close()


async def test_keys_answer_while_a_stalled_server_is_polled(
    library: Library, server: StallingServer
) -> None:
    feeds = len(FEEDS)
    app = NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen_stack[0]
        assert isinstance(screen, MainScreen)
        await pilot.pause()
        titles = [library.article(i).title for i in screen.articles.ids]  # type: ignore[union-attr]

        await pilot.press("R")
        for _ in range(600):  # until every feed's request has reached the server
            if len(server.heads) >= feeds:
                break
            await pilot.pause(0.05)
        assert len(server.heads) == feeds
        assert screen.refreshing and screen.status.progress == (0, feeds)

        # Stalled: the list and the reader answer at once.
        await pilot.press("j", "j")
        assert screen.articles.cursor == 2
        await pilot.press("k")
        assert screen.articles.cursor == 1
        await pilot.press("enter")
        await pilot.pause()
        shown = screen.reader.article
        assert shown is not None and shown.title == titles[1]
        header = str(screen.reader.query_one("#reader-header", Static).visual)
        assert titles[1] in header
        assert library.article(shown.id).read  # type: ignore[union-attr]
        assert screen.refreshing and screen.status.progress == (0, feeds)  # still waiting

        # The server falls silent: the read timeout ends each feed's request.
        server.release()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not screen.refreshing and screen.status.progress is None
        assert any(
            f"{feeds} feeds failed (F shows why)" in str(n.message) for n in app._notifications
        )
        for feed in library.feeds():
            assert feed.last_error == TIMEOUT_ERROR
            assert feed.total >= 1  # its cached articles are all still there

        await pilot.press("F")
        await pilot.pause()
        status = app.screen
        assert isinstance(status, FeedStatusScreen)
        detail = str(status.query_one("#feed-status-detail", Static).visual)
        assert f"Last error: {TIMEOUT_ERROR}" in detail
        table = status.query_one(DataTable)
        errors = [str(table.get_row_at(row)[-1]) for row in range(table.row_count)]
        assert errors == [TIMEOUT_ERROR] * feeds
