"""SVG snapshots of the reading TUI, from fixture data with a frozen clock and no refresh.

Regenerate with ``uv run pytest tests/test_tui_snapshots.py --snapshot-update`` and look at them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_textual_snapshot import SVGImageExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation
from test_tui_support import NOW, fixture_library, stories_library, world_library
from textual.pilot import Pilot

from newsreader.library import Library
from newsreader.tui.app import NewsReaderApp

SnapCompare = Callable[..., bool]


class TuiSnapshots(SVGImageExtension):
    """The same SVG snapshots, kept in ``tests/snapshots/`` rather than ``__snapshots__``."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        return str(Path(test_location.filepath).parent / "snapshots" / "test_tui_snapshots")


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    # snap_compare switches to its own extension; keep ours (same format, other folder).
    assertion = snapshot.use_extension(TuiSnapshots)
    assertion.use_extension = lambda *_args, **_kw: assertion  # type: ignore[method-assign]
    return assertion


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = fixture_library(tmp_path)
    yield lib
    lib.close()


def make_app(library: Library) -> NewsReaderApp:
    return NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)


async def settle(pilot: Pilot[Any]) -> None:
    """Let the workers (region counts, recounted 0.5 s after a change) finish, so every run
    paints the same."""
    await pilot.pause(0.7)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_second(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("j", "enter")
    await settle(pilot)


def test_main_screen_wide(snap_compare: SnapCompare, library: Library) -> None:
    assert snap_compare(make_app(library), terminal_size=(120, 40), run_before=open_second)


def test_main_screen_narrow_list(snap_compare: SnapCompare, library: Library) -> None:
    assert snap_compare(make_app(library), terminal_size=(80, 24), run_before=settle)


def test_main_screen_narrow_reader(snap_compare: SnapCompare, library: Library) -> None:
    assert snap_compare(make_app(library), terminal_size=(80, 24), run_before=open_second)


def test_help_screen(snap_compare: SnapCompare, library: Library) -> None:
    assert snap_compare(
        make_app(library), terminal_size=(120, 40), press=["question_mark"], run_before=settle
    )


def test_feed_status_screen(snap_compare: SnapCompare, library: Library) -> None:
    assert snap_compare(make_app(library), terminal_size=(120, 40), press=["F"], run_before=settle)


def test_light_theme(snap_compare: SnapCompare, library: Library) -> None:
    async def light(pilot: Pilot[Any]) -> None:
        pilot.app.theme = "newsreader-light"
        await open_second(pilot)

    assert snap_compare(make_app(library), terminal_size=(120, 40), run_before=light)


def test_entities_highlighted_with_region_filter(snap_compare: SnapCompare, tmp_path: Path) -> None:
    lib = world_library(tmp_path)

    async def asia_then_open(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("2")
        await pilot.app.workers.wait_for_complete()
        await pilot.press("enter")
        await settle(pilot)

    try:
        assert snap_compare(make_app(lib), terminal_size=(120, 40), run_before=asia_then_open)
    finally:
        lib.close()


def test_entity_panel(snap_compare: SnapCompare, tmp_path: Path) -> None:
    lib = world_library(tmp_path)

    async def open_panel(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("E")
        await pilot.pause()

    try:
        assert snap_compare(make_app(lib), terminal_size=(120, 40), run_before=open_panel)
    finally:
        lib.close()


def test_related_strip(snap_compare: SnapCompare, tmp_path: Path) -> None:
    """An earthquake told by four feeds: coverage by region and the cards, the second selected."""
    lib = stories_library(tmp_path)

    async def open_quake(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("j", "j", "enter")
        await settle(pilot)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await pilot.pause()

    try:
        assert snap_compare(make_app(lib), terminal_size=(120, 40), run_before=open_quake)
    finally:
        lib.close()
