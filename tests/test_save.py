"""Saving to Markdown from the keyboard (s, S with a region filter) and the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from test_tui_support import NOW, world_library

from newsreader.cli import main as cli_main
from newsreader.library import Library
from newsreader.tui.app import NewsReaderApp
from newsreader.tui.screens.main import MainScreen
from newsreader.tui.screens.saving import SavingScreen


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = world_library(tmp_path)
    lib.settings = replace(lib.settings, save=replace(lib.settings.save, dir=tmp_path / "notes"))
    yield lib
    lib.close()


def front_matter(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    data = yaml.safe_load(text.split("---\n")[1])
    assert isinstance(data, dict)
    return data


async def test_s_saves_the_open_article(library: Library, tmp_path: Path) -> None:
    app = NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter", "s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    files = list((tmp_path / "notes").glob("*.md"))
    assert len(files) == 1
    data = front_matter(files[0])
    assert data["title"] == "Taliban fighters seize Islam Qala crossing on Iran border"
    assert [r["name"] for r in data["regions"]][:2] == ["Asia", "Middle East"]  # type: ignore[index]
    assert "Zabihullah Mujahid" in data["entities"]["PERSON"]  # type: ignore[index]
    assert data["source_region"] == "Asia"
    body = files[0].read_text(encoding="utf-8")
    assert "# Taliban fighters seize Islam Qala crossing on Iran border" in body
    assert "[[Zabihullah Mujahid]]" in body  # the default entity style is wikilinks


async def test_S_saves_the_filtered_view_with_a_summary(library: Library, tmp_path: Path) -> None:
    app = NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("5")  # Middle East: two articles
        await app.workers.wait_for_complete()
        await pilot.press("S")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SavingScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.report is not None and len(screen.report.paths) == 2
        assert "Saved 2 of 2 articles" in str(screen.query_one("#saving-summary").visual)  # type: ignore[attr-defined]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
    titles = sorted(str(front_matter(p)["title"]) for p in (tmp_path / "notes").glob("*.md"))
    assert titles == [
        "Egypt and Jordan agree to expand power grid link",
        "Taliban fighters seize Islam Qala crossing on Iran border",
    ]


def test_cli_save_by_region_and_by_id_never_overwrites(
    library: Library, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--config", str(library.paths.config_file), "--data-dir", str(library.paths.data_dir)]
    out = tmp_path / "cli-notes"
    capsys.readouterr()
    assert cli_main([*base, "save", "--region", "Asia", "--dir", str(out), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert len(first["written"]) == 2 and first["failed"] == []
    article_id = library.article_ids()[0]
    assert cli_main([*base, "save", str(article_id), "--dir", str(out), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)["written"][0]
    assert again.endswith("-2.md") and again not in first["written"]
    assert len(list(out.glob("*.md"))) == 3
    assert cli_main([*base, "save", "--since", "yesterday"]) == 1
    assert cli_main([*base, "save"]) == 1
    assert cli_main([*base, "save", "999999"]) == 1
