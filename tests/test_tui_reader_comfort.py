"""Pilot tests of the reader's comforts: numbered links, raw HTML, reading time, line width."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from test_tui_support import NOW, world_library
from textual.widgets import Static

from newsreader.library import Library
from newsreader.models import BlockKind, LinkSpan, ParsedArticle, ParsedFeed, TextBlock
from newsreader.store import FeedState
from newsreader.tui.app import NewsReaderApp
from newsreader.tui.screens.links import LinksScreen, article_links
from newsreader.tui.screens.main import MainScreen
from newsreader.tui.screens.raw_html import RawHtmlScreen

PARAGRAPH = "The budget office published its figures and the opposition replied."
HTML = '<p>The <a href="https://gov.example.org/budget">budget office</a> published</p>'


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = world_library(tmp_path)
    feed = lib.store.feeds()[0]
    blocks = (
        TextBlock(
            BlockKind.PARAGRAPH,
            PARAGRAPH,
            (
                LinkSpan(4, 17, "https://gov.example.org/budget"),
                LinkSpan(51, 60, "javascript:alert(1)"),
            ),
        ),
        TextBlock(
            BlockKind.IMAGE, "[/] a chart", (LinkSpan(0, 0, "https://img.example.org/c.png"),)
        ),
        TextBlock(BlockKind.PARAGRAPH, "word " * 700),
    )
    item = ParsedArticle(
        key="links", title="Budget figures published", link="https://world.example.com/b",
        author=None, published=NOW - timedelta(minutes=5), updated=None, summary_html="",
        content_html=HTML, blocks=blocks, text="\n\n".join(b.text for b in blocks[::2]),
    )  # fmt: skip
    state = FeedState("ok", None, NOW.timestamp(), NOW.timestamp() + 3600, 0)
    lib.store.save_refresh(feed.id, state, ParsedFeed("x", None, (item,)), now=NOW.timestamp())
    lib.analyse_now(lib.store.unanalysed_ids(1))
    yield lib
    lib.close()


def test_links_are_http_only_in_order_with_images_labelled(library: Library) -> None:
    article = library.article(library.article_ids()[0])
    assert article is not None
    assert article_links(article) == [
        ("budget office", "https://gov.example.org/budget"),
        ("image: [/] a chart", "https://img.example.org/c.png"),
    ]


async def test_links_screen_opens_by_number(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(MainScreen, "open_link", lambda self, url: opened.append(url))
    app = NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        header = str(app.screen.query_one("#reader-header", Static).visual)
        assert "3 min read" in header
        await pilot.press("L")
        await pilot.pause()
        assert isinstance(app.screen, LinksScreen)
        await pilot.press("2")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert opened == ["https://img.example.org/c.png"]
        await pilot.press("H")
        await pilot.pause()
        assert isinstance(app.screen, RawHtmlScreen)
        raw = str(app.screen.query_one("#raw-body", Static).visual)
        assert raw == HTML  # shown as text, tags and all
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        body = app.screen.query_one("#reader-body", Static)
        assert body.styles.max_width is not None and body.styles.max_width.value == 100
