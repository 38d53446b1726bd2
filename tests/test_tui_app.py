"""Pilot tests of the reading TUI, on a fixture cache with a frozen clock."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from test_tui_support import NOW, fixture_library, make_paths
from textual.widgets import Input, Static

from newsreader import config as cfg
from newsreader.library import Library
from newsreader.models import FeedSource
from newsreader.tui.app import NewsReaderApp
from newsreader.tui.screens.confirm import ConfirmScreen
from newsreader.tui.screens.feed_status import FeedStatusScreen
from newsreader.tui.screens.help import HelpScreen
from newsreader.tui.screens.main import MainScreen
from newsreader.tui.widgets.article_list import ArticleList
from newsreader.tui.widgets.feed_list import FeedList
from newsreader.tui.widgets.status_line import StatusLine

SIZE = (120, 40)


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = fixture_library(tmp_path)
    yield lib
    lib.close()


def make_app(library: Library, **kwargs: Any) -> NewsReaderApp:
    kwargs.setdefault("refresh_on_start", False)
    return NewsReaderApp(library, now=lambda: NOW, **kwargs)


def main(app: NewsReaderApp) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


def list_text(app: NewsReaderApp) -> list[str]:
    articles = main(app).articles
    return [articles.render_line(y).text for y in range(articles.size.height)]


def static_text(screen: Any, selector: str) -> str:
    return str(screen.query_one(selector, Static).visual)


async def test_first_paint_shows_cached_articles_newest_first(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = list_text(app)
        assert "Ferry timetable changes" in lines[0] and lines[0].rstrip().endswith("1h")
        assert "Harbour Tribune" in lines[0]
        assert "●" in lines[0]
        status = main(app).status
        assert (status.total, status.unread) == (11, 11)
        assert app.theme == "newsreader-dark"


async def test_navigate_open_marks_read_and_updates_counts(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        screen = main(app)
        await pilot.press("j", "j")
        assert screen.articles.cursor == 2
        await pilot.press("k")
        assert screen.articles.cursor == 1
        await pilot.press("G")
        assert screen.articles.cursor == 10
        await pilot.press("g")
        assert screen.articles.cursor == 0
        await pilot.press("enter")
        await pilot.pause()
        article = screen.reader.article
        assert article is not None and article.title.startswith("Ferry")
        header = static_text(screen.reader, "#reader-header")
        assert "Ferry timetable" in header and "Harbour Tribune" in header
        assert "https://news.example.com/harbour/0" in header
        body = static_text(screen.reader, "#reader-body")
        assert "What happened" in body and "• First point" in body and "▌ We are pleased" in body
        assert library.article(article.id).read  # type: ignore[union-attr]
        assert screen.status.unread == 10
        feeds = screen.query_one(FeedList)
        assert next(f for f in feeds.feeds if f.title == "Harbour Tribune").unread == 2
        assert "●" not in list_text(app)[0][:3]
        await pilot.press("m")  # toggle back to unread
        assert screen.status.unread == 11
        assert not library.article(article.id).read  # type: ignore[union-attr]


async def test_next_unread_star_and_mark_all_read(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        screen = main(app)
        ids = list(screen.articles.ids)
        library.mark_read(ids[1:3])
        screen.articles.invalidate()
        await pilot.press("n")
        assert screen.articles.cursor == 3
        await pilot.press("N")
        assert screen.articles.cursor == 0
        await pilot.press("asterisk")
        assert library.article(ids[0]).starred  # type: ignore[union-attr]
        assert "★" in list_text(app)[0]
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert library.count() == (11, 0)
        assert screen.status.unread == 0


async def test_search_as_you_type_and_escape_clears(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        screen = main(app)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"ferry")
        await pilot.pause()
        assert len(screen.articles.ids) == 1
        assert "search: ferry" in screen.status.filter_label
        await pilot.press("escape")
        await pilot.pause()
        assert len(screen.articles.ids) == 11
        assert not screen.search_input.display


async def test_sidebar_filters_by_feed(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        screen = main(app)
        screen.feed_list.focus()
        await pilot.press("j")  # onto the first feed
        await pilot.pause()
        assert screen.status.filter_label == "Harbour Tribune"
        assert len(screen.articles.ids) == 3
        await pilot.press("enter")
        assert app.focused is screen.articles


async def test_hostile_titles_render_literally_and_do_not_act(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        screen = main(app)
        screen.feed_list.focus()
        await pilot.press("j", "j", "j")  # Odd Titles Weekly
        await pilot.pause()
        text = "\n".join(list_text(app))
        assert "[b]x[/b] bold tags stay literal" in text
        assert "Markets close [/] higher" in text
        assert "[@click=app.quit]Click to quit[/]" in text
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "Escape [31mred[0m and OSC ]0;pwned title" in text
        # Open the click-markup title and click on it, in the list and in the reader.
        index = next(
            i for i, a in enumerate(screen.articles.ids)
            if library.article(a).title.startswith("[@click")  # type: ignore[union-attr]
        )  # fmt: skip
        screen.articles.focus()
        screen.articles.cursor = index
        await pilot.press("enter")
        await pilot.pause()
        header = static_text(screen.reader, "#reader-header")
        assert "[@click=app.quit]Click to quit[/]" in header
        assert "[@click=app.quit]with it[/]" in static_text(screen.reader, "#reader-body")
        await pilot.click("#reader-header", offset=(3, 1))
        await pilot.click("#reader-body", offset=(20, 8))
        await pilot.click("#articles", offset=(10, index))
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_narrow_terminal_switches_between_list_and_reader(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = main(app)
        assert screen.has_class("-narrow")
        assert not screen.reader.display
        await pilot.press("enter")
        await pilot.pause()
        assert screen.reading and screen.reader.display
        assert not screen.articles.display
        await pilot.press("escape")
        await pilot.pause()
        assert not screen.reading and screen.articles.display
        assert app.focused is screen.articles


async def test_keymap_override_from_config(tmp_path: Path) -> None:
    keymap = '"cursor_down" = "x"\n"feed_status" = "ctrl+f"\n'
    with fixture_library(tmp_path, keymap=keymap) as lib:
        app = make_app(lib)
        async with app.run_test(size=SIZE) as pilot:
            screen = main(app)
            await pilot.press("j")
            assert screen.articles.cursor == 0
            await pilot.press("x", "x")
            assert screen.articles.cursor == 2
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            assert "x             Next article" in static_text(app.screen, "#help-keys")
            await pilot.press("escape", "ctrl+f")
            await pilot.pause()
            assert isinstance(app.screen, FeedStatusScreen)


async def test_help_lists_every_key(library: Library) -> None:
    from newsreader.keys import COMMANDS

    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        text = static_text(app.screen, "#help-keys")
        for command in COMMANDS:
            assert command.description in text


async def test_palette_runs_a_command(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"feed status")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, FeedStatusScreen)


async def test_theme_switch_persists_with_comments(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await pilot.pause()
        await pilot.press(*"amber")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.theme == "newsreader-amber"
    text = library.paths.config_file.read_text()
    assert tomllib.loads(text)["ui"]["theme"] == "newsreader-amber"
    assert "# Refresh as soon as the app starts." in text


async def test_broken_user_theme_is_a_notification(tmp_path: Path) -> None:
    with fixture_library(tmp_path) as lib:
        lib.paths.themes_dir.mkdir()
        (lib.paths.themes_dir / "broken.toml").write_text("name = [")
        app = make_app(lib)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert any("broken.toml" in n.message for n in app._notifications)
            assert app.theme == "newsreader-dark"


async def test_open_in_browser_only_for_http_links(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await app.workers.wait_for_complete()
        assert opened == ["https://news.example.com/harbour/0"]


async def test_feed_status_screen_remove_with_confirmation(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("F")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FeedStatusScreen)
        assert "3 feeds, 0 failing" in static_text(screen, "#feed-status-title")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert [f.title for f in library.feeds()] == ["Upland Gazette", "Odd Titles Weekly"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(main(app).articles.ids) == 8


def rss(*items: tuple[str, str]) -> str:
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>http://127.0.0.1/{guid}</link>"
        f"<pubDate>Tue, 24 Nov 2026 10:{i:02d}:00 GMT</pubDate>"
        f"<description>Body of {title}.</description></item>"
        for i, (guid, title) in enumerate(items)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback Local</title>'
        f"<link>http://127.0.0.1/</link><description>test</description>{entries}</channel></rss>"
    )


async def test_refresh_adds_new_articles_and_keeps_selection(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    url = httpserver.url_for("/feed.xml")
    first = [(f"a{i}", f"Harbour notice number {i}") for i in range(30)]  # more than fit
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss(*first), content_type="application/rss+xml"
    )
    paths = make_paths(tmp_path, None)  # no feed list yet: add_feed_source starts one
    cfg.add_feed_source(paths.feeds_file, FeedSource(url, title="Loopback Local"))
    with Library.open(paths, write_defaults=False) as lib:
        app = make_app(lib, refresh_on_start=True)
        async with app.run_test(size=SIZE) as pilot:
            screen = main(app)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert len(screen.articles.ids) == 30
            assert any("30 new articles" in n.message for n in app._notifications)
            await pilot.press("j")
            selected = screen.articles.selected_id
            assert screen.articles.cursor == 1
            httpserver.clear()
            newer = [("b1", "Harbour crane arrives"), ("b2", "Tide gauge upgraded")]
            httpserver.expect_request("/feed.xml").respond_with_data(
                rss(*first, *newer), content_type="application/rss+xml"
            )
            await pilot.press("R")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert len(screen.articles.ids) == 32
            assert screen.articles.selected_id == selected
            assert screen.articles.cursor == 3
            assert screen.articles.scroll_y == 2  # the rows on screen did not move
            assert any("2 new articles" in n.message for n in app._notifications)
            assert screen.query_one(StatusLine).progress is None


async def test_empty_cache_and_failing_feeds_suggest_demo(tmp_path: Path) -> None:
    paths = make_paths(tmp_path, [FeedSource("http://127.0.0.1:9/nothing.xml", title="Nowhere")])
    with Library.open(paths, write_defaults=False) as lib:
        app = make_app(lib, refresh_on_start=True)
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            articles = main(app).query_one(ArticleList)
            assert "failed to load" in articles.empty_message
            assert "newsreader --demo" in articles.empty_message
            assert "newsreader --demo" in "".join(list_text(app)).replace("  ", " ") or any(
                "--demo" in line for line in list_text(app)
            )
