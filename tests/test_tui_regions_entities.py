"""Pilot tests of entity highlighting, the entity panel and filter, and the region keys."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_tui_support import NOW, world_library
from textual.widgets import OptionList, Static

from newsreader.library import Library
from newsreader.tui.app import NewsReaderApp
from newsreader.tui.screens.entities import EntitiesScreen
from newsreader.tui.screens.main import MainScreen

SIZE = (120, 40)


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = world_library(tmp_path)
    yield lib
    lib.close()


def make_app(library: Library) -> NewsReaderApp:
    return NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)


def main(app: NewsReaderApp) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


def titles(app: NewsReaderApp) -> list[str]:
    screen = main(app)
    rows = screen.library.article_rows(screen.articles.ids)
    return [rows[i].title for i in screen.articles.ids]


def body_spans(app: NewsReaderApp) -> dict[str, str]:
    """Highlighted text in the reader body -> its style."""
    body = main(app).reader.query_one("#reader-body", Static)
    content = body.visual
    out = {}
    for span in content.spans:  # type: ignore[union-attr]
        text = str(content)[span.start : span.end]  # type: ignore[arg-type]
        out[text] = str(span.style)
    return out


async def test_reader_highlights_entities_and_e_toggles(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert titles(app)[0].startswith("Taliban fighters")
        await pilot.press("enter")
        await pilot.pause()
        spans = body_spans(app)
        assert spans["Zabihullah Mujahid"] == "$entity-person"
        assert spans["Mujahid"] == "$entity-person"  # the later surname-only mention
        assert spans["Herat"] == "$entity-place"
        assert spans["Taliban"] == "$entity-org"
        assert spans["Afghan"] == "$entity-norp"
        await pilot.press("e")
        await pilot.pause()
        assert not any(s.startswith("$entity") for s in body_spans(app).values())
        await pilot.press("e")
        await pilot.pause()
        assert body_spans(app)["Herat"] == "$entity-place"


async def test_entity_panel_filters_the_list_and_escape_clears(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "enter")  # Egypt and Jordan
        await pilot.pause()
        await pilot.press("E")
        await pilot.pause()
        panel = app.screen
        assert isinstance(panel, EntitiesScreen)
        options = panel.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert prompts[0].startswith("Places")
        assert any("Jordan" in p for p in prompts)
        target = next(i for i, p in enumerate(prompts) if "Egypt [EG]" in p)
        options.highlighted = target
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert titles(app) == ["Egypt and Jordan agree to expand power grid link"]
        assert "mentions Egypt" in main(app).status.filter_label
        await pilot.press("escape")
        await pilot.pause()
        assert len(titles(app)) == 5
        assert "mentions" not in main(app).status.filter_label


async def test_region_digits_add_drill_source_and_persist(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        screen = main(app)
        await pilot.press("2")  # Asia
        await pilot.pause()
        assert sorted(titles(app)) == [
            "Kazakhstan opens new rail freight terminal near Almaty",
            "Taliban fighters seize Islam Qala crossing on Iran border",
        ]
        assert "region: Asia" in screen.status.filter_label
        await pilot.press("plus", "3")  # and Europe
        await pilot.pause()
        assert len(titles(app)) == 3
        assert "region: Asia + Europe" in screen.status.filter_label
        await pilot.press("2")  # Asia only again
        await pilot.press("d")  # its sub-regions: Central Asia, Southern Asia
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        assert titles(app) == ["Kazakhstan opens new rail freight terminal near Almaty"]
        assert "Asia › Central Asia" in screen.status.filter_label
        await pilot.press("0")  # leave the sub-regions, keep Asia
        await pilot.pause()
        assert len(titles(app)) == 2
        await pilot.press("8")  # Unplaced
        await pilot.pause()
        assert titles(app) == ["Quarterly review of the newsletter format"]
        await pilot.press("v")  # by source: the feeds' declared regions
        await pilot.pause()
        await pilot.press("5")  # Middle East (Cedar Courier)
        await pilot.pause()
        assert len(titles(app)) == 3
        assert "source region: Middle East" in screen.status.filter_label
    # a restart keeps the filter
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert len(titles(app)) == 3
        assert "source region: Middle East" in main(app).status.filter_label
        await pilot.press("v", "0")
        await pilot.pause()
        assert len(titles(app)) == 5


async def test_region_counts_show_in_the_sidebar(library: Library) -> None:
    app = make_app(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        region_list = main(app).region_list
        text = str(region_list.render())
        assert "1  Africa" in text and "2  Asia" in text and "8  Unplaced" in text
        line = next(ln for ln in text.splitlines() if "Asia" in ln and "2" in ln[:2])
        assert line.rstrip().endswith("2/2")
        await pilot.press("enter")  # read the Taliban story (Asia)
        await pilot.pause(0.8)
        text = str(region_list.render())
        line = next(ln for ln in text.splitlines() if ln.startswith("2"))
        assert line.rstrip().endswith("1/2")
