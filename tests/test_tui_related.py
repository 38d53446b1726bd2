"""The related-stories strip, reading history and the list grouped by story, driven through the
real app with Pilot over an analysed cache (``STORIES``: an earthquake told by four feeds, two of
them with the same wire copy; a rate decision told by two; an earthquake elsewhere)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_tui_support import NOW, stories_library
from textual.pilot import Pilot
from textual.widgets import Static

from newsreader.library import Library
from newsreader.tui.app import NewsReaderApp
from newsreader.tui.screens.main import MainScreen
from newsreader.tui.widgets.related_strip import RelatedCard, RelatedStrip

HARBOUR_QUAKE = "Quake of magnitude 6.7 off Mindanao kills four in Davao Oriental"
CONTINENTAL_QUAKE = "Four dead as strong Mindanao earthquake damages bridge near Mati"
WIRE_QUAKE = "Magnitude 6.7 earthquake strikes off Mindanao, four dead"
CHILE_QUAKE = "Magnitude 6.1 earthquake shakes Antofagasta in northern Chile"


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = stories_library(tmp_path)
    yield lib
    lib.close()


def make_app(library: Library) -> NewsReaderApp:
    return NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.pause(0.1)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen_of(pilot: Pilot[Any]) -> MainScreen:
    screen = pilot.app.screen
    assert isinstance(screen, MainScreen)
    return screen


async def open_titled(pilot: Pilot[Any], title: str) -> int:
    """Walk the list with j to the article titled ``title`` and open it with enter."""
    screen = screen_of(pilot)
    await settle(pilot)
    await pilot.press("g")
    for _ in range(len(screen.articles.ids)):
        row = screen.articles.row(screen.articles.selected_id or 0)
        if row is not None and row.title == title:
            await pilot.press("enter")
            return row.id
        await pilot.press("j")
    raise AssertionError(f"{title!r} is not in the list")


def shown_title(screen: MainScreen) -> str:
    article = screen.reader.article
    assert article is not None
    return article.title


def card_titles(strip: RelatedStrip) -> list[str]:
    return [card.item.title for card in strip.query(RelatedCard)]


async def test_strip_walks_a_story_and_back(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = screen_of(pilot)
        strip = screen.query_one(RelatedStrip)
        assert not strip.display or strip.has_class("-hidden")  # nothing open yet

        harbour = await open_titled(pilot, HARBOUR_QUAKE)
        # the reader shows the article at once; the strip follows from a thread
        assert shown_title(screen) == HARBOUR_QUAKE
        await settle(pilot)
        assert not strip.has_class("-hidden")

        # the other coverage of the quake, the wire copy collapsed into one card
        titles = card_titles(strip)
        assert titles[:2] == [WIRE_QUAKE, CONTINENTAL_QUAKE]
        assert titles.count(WIRE_QUAKE) == 1
        assert CHILE_QUAKE not in titles  # the same kind of event, another story
        wire = next(card for card in strip.query(RelatedCard) if card.item.title == WIRE_QUAKE)
        assert wire.item.also_in == ("Atlantic Daily",)
        assert "+1 copy" in str(wire.render())

        # coverage: four sources, one from each declared region and one without
        coverage = str(strip.query_one("#related-coverage", Static).render())
        assert "this story in 4 sources" in coverage
        for region in ("Asia 1", "Europe 1", "North America 1", "region not set 1"):
            assert region in coverage

        # ] moves along the strip (focusing it), enter opens the card
        await pilot.press("right_square_bracket")
        assert screen.focused is strip and strip.selected == 0
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert strip.selected == 1  # the last card: stays there
        await pilot.press("left_square_bracket")
        assert strip.selected == 0
        await pilot.press("right")
        assert strip.selected == 1
        await pilot.press("enter")
        assert shown_title(screen) == CONTINENTAL_QUAKE
        assert screen.history == [harbour]
        await settle(pilot)
        assert HARBOUR_QUAKE in card_titles(strip)  # the strip follows the open article

        # a second step, then back twice along the trail
        await pilot.press("right_square_bracket", "enter")
        assert shown_title(screen) == WIRE_QUAKE
        await pilot.press("backspace")
        assert shown_title(screen) == CONTINENTAL_QUAKE
        await pilot.press("b")
        assert shown_title(screen) == HARBOUR_QUAKE
        assert screen.history == []
        await pilot.press("backspace")
        assert shown_title(screen) == HARBOUR_QUAKE  # nothing earlier: it stays, and says so
        await pilot.pause()
        assert any("No earlier article" in str(n.message) for n in app._notifications)


async def test_opening_from_the_list_starts_a_new_trail(library: Library) -> None:
    async with make_app(library).run_test(size=(120, 40)) as pilot:
        screen = screen_of(pilot)
        await open_titled(pilot, HARBOUR_QUAKE)
        await settle(pilot)
        await pilot.press("right_square_bracket", "enter")
        assert screen.history
        await pilot.press("escape")  # back to the list
        await open_titled(pilot, CHILE_QUAKE)
        assert screen.history == []
        await settle(pilot)
        strip = screen.query_one(RelatedStrip)
        coverage = str(strip.query_one("#related-coverage", Static).render())
        assert card_titles(strip) == []
        assert "No other coverage" in coverage


async def test_story_strip_waits_for_analysis(tmp_path: Path) -> None:
    """An article not analysed yet says so instead of showing an empty strip."""
    library = stories_library(tmp_path)
    try:
        article_id = library.article_ids()[0]
        strip_app = make_app(library)
        async with strip_app.run_test(size=(120, 40)) as pilot:
            screen = screen_of(pilot)
            await settle(pilot)
            strip = screen.query_one(RelatedStrip)
            strip.expect(article_id)
            strip.show(article_id, None)
            await pilot.pause()
            coverage = str(strip.query_one("#related-coverage", Static).render())
            assert "once this article has been analysed" in coverage
            strip.show(article_id + 1, library.story(article_id))  # stale: ignored
            await pilot.pause()
            coverage = str(strip.query_one("#related-coverage", Static).render())
            assert "once this article has been analysed" in coverage
    finally:
        library.close()


async def test_list_groups_by_story(library: Library) -> None:
    async with make_app(library).run_test(size=(120, 40)) as pilot:
        screen = screen_of(pilot)
        await settle(pilot)
        every = list(screen.articles.ids)
        assert len(every) == 8
        await pilot.press("c")
        await settle(pilot)
        rows = screen.articles.row
        grouped = [rows(i) for i in screen.articles.ids]
        titles = [r.title for r in grouped if r is not None]
        # one row per story: the quake (4 articles) and the rate decision (2) fold up
        assert len(titles) == 4
        assert titles[0] == WIRE_QUAKE  # the newest article stands for its story
        assert CHILE_QUAKE in titles and "Manila port" in " ".join(titles)
        assert sum("Norway" in t or "Norges" in t for t in titles) == 1
        assert "by story" in screen.status.filter_label
        line = "".join(seg.text for seg in screen.articles.render_line(0))
        assert "4 articles · 4 sources" in line
        # enter opens the story's newest article, whose strip lists the rest
        await pilot.press("enter")
        await settle(pilot)
        strip = screen.query_one(RelatedStrip)
        assert set(card_titles(strip)) >= {HARBOUR_QUAKE, CONTINENTAL_QUAKE}
        # c again: one row per article
        await pilot.press("escape", "c")
        await settle(pilot)
        assert sorted(screen.articles.ids) == sorted(every)
        assert "by story" not in screen.status.filter_label
