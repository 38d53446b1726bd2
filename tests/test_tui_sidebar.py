"""The sidebar: the feed list (keys, mouse, the highlight filtering the list, counts, the error
mark, truncation, 700 feeds painted a screenful at a time) and the region list's layouts.

The real app on a real SQLite cache: the fixture cache of the other TUI tests, and one of 700
feeds; a feed's failure comes from a refresh against a loopback server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from test_tui_support import NOW, fixture_library, make_paths
from textual.message import Message
from textual.screen import Screen

from newsreader.library import Library
from newsreader.models import FeedSource, ParsedArticle, ParsedFeed
from newsreader.store import FeedState
from newsreader.tui.app import NewsReaderApp
from newsreader.tui.screens.main import MainScreen
from newsreader.tui.text import safe_line
from newsreader.tui.widgets import feed_list as feed_list_module
from newsreader.tui.widgets.feed_list import FeedList
from newsreader.tui.widgets.region_list import RegionList, RegionRows

SIZE = (120, 40)
MANY = 700
LONG_TITLE = "The Extremely Long-Winded Chronicle of Coastal and Inland Affairs"
HOSTILE_TITLE = "[b]Bo[/b] \x1b[31mRed[/]"


@pytest.fixture
def library(tmp_path: Path, server: HTTPServer) -> Iterator[Library]:
    lib = fixture_library(tmp_path, base=server.url_for("").rstrip("/"))
    yield lib
    lib.close()


@pytest.fixture
def many(tmp_path: Path) -> Iterator[Library]:
    """700 feeds; every seventh has two unread articles; one has a very long title and one
    a title full of markup and escape codes."""
    sources = [FeedSource(f"http://127.0.0.1:9/feed/{i}.xml") for i in range(MANY)]
    lib = Library.open(make_paths(tmp_path, sources), write_defaults=False)
    checked = (NOW - timedelta(minutes=10)).timestamp()
    state = FeedState("ok", None, checked, checked + 3600, 0)
    for i, source in enumerate(sources):
        feed = lib.store.feed_by_url(source.url)
        assert feed is not None
        title = {3: LONG_TITLE, 5: HOSTILE_TITLE}.get(i, f"Feed {i:03d}")
        articles = tuple(
            ParsedArticle(
                key=f"{i}-{n}",
                title=f"Story {n} from feed {i}",
                link=f"https://news.example.com/{i}/{n}",
                author=None,
                published=NOW - timedelta(hours=i + n),
                updated=None,
                summary_html="",
                content_html="",
                blocks=(),
                text="",
            )
            for n in range(2 if i % 7 == 0 else 0)
        )
        lib.store.save_refresh(feed.id, state, ParsedFeed(title, None, articles), now=checked)
    yield lib
    lib.close()


def make_app(library: Library) -> NewsReaderApp:
    return NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)


def main(app: NewsReaderApp) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


def rows(feeds: FeedList) -> list[str]:
    """The feed list as painted, one string per line in view."""
    return [feeds.render_line(y).text for y in range(feeds.size.height)]


def chosen(messages: list[Message]) -> list[int | None]:
    """The feeds chosen, in order (the hook sees a message at each node it bubbles through)."""
    unique = {id(m): m for m in messages if isinstance(m, FeedList.Chosen)}
    return [m.feed_id for m in unique.values()]


def feed_id(library: Library, title: str) -> int:
    return next(f.id for f in library.store.feeds() if f.title == title)


# --- the fixture cache: three feeds -------------------------------------------------------


async def test_rows_show_all_first_then_each_feed_with_unread_counts(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        feeds = main(app).feed_list
        painted = rows(feeds)
        assert [line.split()[0] for line in painted[:4]] == ["All", "Harbour", "Upland", "Odd"]
        assert painted[0].split()[-1] == "11"
        assert painted[1].split()[-1] == "3" and painted[3].split()[-1] == "5"
        assert all(line.strip() == "" for line in painted[4:])
        assert {len(line) for line in painted} == {feeds.scrollable_content_region.width}
        assert feeds.highlighted == 0 and feeds.selected_feed() is None


async def test_keys_move_the_highlight_and_each_move_filters_the_list(library: Library) -> None:
    messages: list[Message] = []
    app = make_app(library)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = main(app)
        await pilot.pause()
        screen.feed_list.focus()
        await pilot.pause()
        harbour, upland, odd = (
            feed_id(library, t) for t in ("Harbour Tribune", "Upland Gazette", "Odd Titles Weekly")
        )
        await pilot.press("down")
        await pilot.pause()
        assert screen.status.filter_label == "Harbour Tribune"
        assert len(screen.articles.ids) == 3
        await pilot.press("j", "j")  # the screen's keys move it too
        await pilot.pause()
        assert screen.status.filter_label == "Odd Titles Weekly"
        await pilot.press("j")  # wraps round to "All"
        await pilot.pause()
        assert screen.status.filter_label == "All" and len(screen.articles.ids) == 11
        await pilot.press("k")  # and back round to the last feed
        await pilot.press("home")
        await pilot.press("end")
        await pilot.press("up")
        await pilot.pause()
        assert chosen(messages) == [harbour, upland, odd, None, odd, None, odd, upland]
        selected = screen.feed_list.selected_feed()
        assert selected is not None and selected.id == upland
        await pilot.press("pageup")
        assert screen.feed_list.highlighted == 0
        await pilot.press("pagedown")  # a page is more than the list: the last feed
        assert screen.feed_list.highlighted == 3
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused is screen.articles
        assert screen.status.filter_label == "Odd Titles Weekly"


async def test_a_click_chooses_the_feed_and_moves_on_to_the_list(library: Library) -> None:
    messages: list[Message] = []
    app = make_app(library)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = main(app)
        await pilot.pause()
        assert await pilot.click(FeedList, offset=(3, 2))  # Upland Gazette
        await pilot.pause()
        assert chosen(messages) == [feed_id(library, "Upland Gazette")]
        assert screen.status.filter_label == "Upland Gazette"
        assert app.focused is screen.articles
        await pilot.click(FeedList, offset=(3, 8))  # below the last feed: nothing
        await pilot.pause()
        assert chosen(messages) == [feed_id(library, "Upland Gazette")]


async def test_hover_and_focus_restyle_rows_without_moving_the_highlight(
    library: Library,
) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        screen = main(app)
        await pilot.pause()
        feeds = screen.feed_list

        def background(y: int) -> Any:
            style = list(feeds.render_line(y))[1].style
            assert style is not None
            return style.bgcolor

        plain, blurred_cursor = background(2), background(0)
        assert blurred_cursor != plain
        await pilot.hover(FeedList, offset=(3, 1))
        await pilot.pause()
        assert background(1) not in (plain, blurred_cursor)
        assert feeds.highlighted == 0
        feeds.focus()
        await pilot.pause()
        assert background(0) not in (plain, blurred_cursor)  # the focused cursor stands out


async def test_reading_an_article_updates_the_feed_and_all_counts(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        screen = main(app)
        await pilot.pause()
        await pilot.press("enter")  # opens the newest article: Harbour Tribune's
        await pilot.pause()
        painted = rows(screen.feed_list)
        assert painted[0].split()[-1] == "10"
        assert painted[1].split()[-1] == "2"
        await pilot.press("m")  # unread again
        await pilot.pause()
        assert rows(screen.feed_list)[1].split()[-1] == "3"


async def test_a_failing_feed_gets_the_error_mark(library: Library, server: HTTPServer) -> None:
    server.expect_request("/harbour.xml").respond_with_data("down for maintenance", status=500)
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        screen = main(app)
        await pilot.pause()
        assert not rows(screen.feed_list)[1].startswith("!")
        screen.feed_list.focus()
        await pilot.press("j", "r")  # refresh Harbour Tribune only
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        painted = rows(screen.feed_list)
        assert painted[1].startswith("! Harbour Tribune")
        assert not painted[2].startswith("!")
        assert screen.feed_list.highlighted == 1  # the refresh kept the highlight


async def test_new_feed_lists_keep_the_highlighted_feed_without_choosing(
    library: Library,
) -> None:
    messages: list[Message] = []
    app = make_app(library)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = main(app)
        await pilot.pause()
        feeds = screen.feed_list
        feeds.focus()
        await pilot.press("j", "j")  # Upland Gazette
        await pilot.pause()
        before = len(chosen(messages))
        everything = feeds.feeds
        feeds.set_feeds(everything[1:])  # Harbour Tribune goes
        await pilot.pause()
        assert feeds.highlighted == 1
        assert rows(feeds)[1].startswith("  Upland Gazette")
        feeds.set_feeds([everything[0], everything[2]])  # so does the highlighted feed
        await pilot.pause()
        assert feeds.highlighted == 0 and feeds.selected_feed() is None
        assert len(chosen(messages)) == before  # the reader did not move


# --- 700 feeds ----------------------------------------------------------------------------


async def test_seven_hundred_feeds_scroll_and_truncate(
    many: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages: list[Message] = []
    prompts: list[str] = []
    real_prompt = feed_list_module._prompt

    def counting_prompt(title: str, *args: Any, **kwargs: Any) -> Any:
        prompts.append(title)
        return real_prompt(title, *args, **kwargs)

    monkeypatch.setattr(feed_list_module, "_prompt", counting_prompt)
    app = make_app(many)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        screen = main(app)
        await pilot.pause()
        feeds = screen.feed_list
        assert len(feeds.feeds) == MANY
        assert feeds.virtual_size.height == MANY + 1
        painted = rows(feeds)
        # Only rows that were ever in view were rendered (the list is taller before the
        # region counts arrive): at most a screenful, not 700.
        screenful = {"All", *(safe_line(f.display_title) for f in feeds.feeds[: SIZE[1]])}
        assert set(prompts) <= screenful
        width = feeds.scrollable_content_region.width
        assert painted[0].split() == ["All", str(2 * len(range(0, MANY, 7)))]
        long_row = next(line for line in painted if line.startswith("  The Extremely"))
        assert len(long_row) == width and "…" in long_row
        assert long_row.rstrip().endswith("…")  # no unread count: the title takes the room
        hostile = next(line for line in painted if "Red" in line)
        assert hostile.startswith("  [b]Bo[/b] [31mRed[/] ") and "\x1b" not in hostile
        feeds.focus()
        await pilot.press("end")
        await pilot.pause()
        assert feeds.highlighted == MANY
        assert rows(feeds)[-1].startswith("  Feed 699")  # scrolled to the end
        assert chosen(messages)[-1] == feeds.feeds[-1].id
        await pilot.press("pageup")
        await pilot.pause()
        assert feeds.highlighted == MANY - feeds.scrollable_content_region.height
        await pilot.press("home")
        await pilot.pause()
        assert rows(feeds)[0].startswith("  All") and feeds.scroll_y == 0


async def test_new_counts_repaint_only_the_rows_that_changed(
    many: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh merge hands the list the same feeds with new counts: the rows in view whose
    count changed are rendered again, and nothing is laid out."""
    app = make_app(many)
    async with app.run_test(size=SIZE) as pilot:
        screen = main(app)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        feeds = screen.feed_list
        prompts: list[str] = []
        layouts: list[bool] = []
        real_prompt = feed_list_module._prompt
        real_layout = Screen._refresh_layout

        def counting_prompt(title: str, *args: Any, **kwargs: Any) -> Any:
            prompts.append(title)
            return real_prompt(title, *args, **kwargs)

        def counting_layout(self: Screen[Any], *args: Any, **kwargs: Any) -> None:
            layouts.append(True)
            real_layout(self, *args, **kwargs)

        monkeypatch.setattr(feed_list_module, "_prompt", counting_prompt)
        monkeypatch.setattr(Screen, "_refresh_layout", counting_layout)
        merged = [
            replace(f, unread=f.unread + 1) if i in (0, 1, 650) else f
            for i, f in enumerate(feeds.feeds)
        ]
        feeds.set_feeds(merged)
        await pilot.pause()
        await pilot.pause()
        assert sorted(prompts) == ["All", "Feed 000", "Feed 001"]  # Feed 650 is out of view
        assert layouts == []
        assert rows(feeds)[0].split() == ["All", str(2 * len(range(0, MANY, 7)) + 3)]
        prompts.clear()
        feeds.set_feeds(merged)  # nothing new: nothing rendered
        await pilot.pause()
        assert prompts == []
        feeds.set_feeds(merged[:-1])  # one feed fewer: the list's size changes
        await pilot.pause()
        assert feeds.virtual_size.height == MANY
        assert layouts


async def test_region_recounts_repaint_and_new_rows_lay_out(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        regions = main(app).query_one(RegionList)
        layouts: list[bool] = []
        real_layout = Screen._refresh_layout

        def counting_layout(self: Screen[Any], *args: Any, **kwargs: Any) -> None:
            layouts.append(True)
            real_layout(self, *args, **kwargs)

        monkeypatch.setattr(Screen, "_refresh_layout", counting_layout)
        shown = regions.rows
        name, parent = next(iter(shown.counts))
        unread, total = shown.counts[(name, parent)]
        recount = {**shown.counts, (name, parent): (unread + 40, total + 40)}
        regions.rows = RegionRows(shown.tree, recount)
        await pilot.pause()
        assert layouts == []
        line = next(str(x) for x in regions.render().split() if name in str(x))
        assert f"{unread + 40}/{total + 40}" in line
        height = regions.size.height
        regions.rows = RegionRows((*shown.tree, ("Antarctica", ())), recount)
        await pilot.pause()
        assert layouts and regions.size.height == height + 1
