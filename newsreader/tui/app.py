"""The reading TUI's application: wiring only. The main screen does the work."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing import resource_tracker
from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.theme import Theme

from newsreader import config
from newsreader.keys import unknown_keymap_ids
from newsreader.library import Library
from newsreader.paths import Paths
from newsreader.themes import ThemeLoad, load_all_themes
from newsreader.tui.commands import NewsreaderCommands
from newsreader.tui.screens.main import MainScreen

DEFAULT_THEME = "newsreader-dark"

# Literal colours for the app's own variables, used by themes that do not set them
# (Textual's built-in themes). Must be literal: defaults cannot refer to theme colours.
VARIABLE_DEFAULTS = {
    "unread": "#e5c07b",
    "entity-person": "#61afef",
    "entity-org": "#c678dd",
    "entity-place": "#98c379",
    "entity-norp": "#d19a66",
    "region": "#56b6c2",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def make_theme(data: dict[str, Any]) -> Theme:
    colours = {k: v for k, v in data.items() if k not in ("name", "dark", "variables")}
    return Theme(name=data["name"], dark=data["dark"], variables=data["variables"], **colours)


class NewsReaderApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "newsreader"
    COMMANDS = App.COMMANDS | {NewsreaderCommands}

    def __init__(
        self,
        library: Library,
        *,
        now: Callable[[], datetime] = utc_now,
        refresh_on_start: bool | None = None,
        themes: ThemeLoad | None = None,
    ) -> None:
        super().__init__()
        # The parse pool's helper processes are handed our stderr's file descriptor; start
        # them now, while stderr is still the terminal's and not Textual's capture.
        resource_tracker.ensure_running()
        self.library = library
        self.now = now
        settings = library.settings
        self.refresh_on_start = (
            settings.refresh.on_start if refresh_on_start is None else refresh_on_start
        )
        self.keymap = dict(settings.keymap)
        self._themes = themes if themes is not None else load_all_themes(library.paths.themes_dir)
        self._problems: list[str] = list(self._themes.errors)
        for data in self._themes.themes.values():
            try:
                self.register_theme(make_theme(data))
            except Exception as exc:  # a colour Textual cannot parse
                self._problems.append(f"theme {data['name']}: {exc}")
        unknown = unknown_keymap_ids(self.keymap)
        if unknown:
            self._problems.append(f"[keymap] names no such command: {', '.join(unknown)}")
        self.set_keymap(self.keymap)
        wanted = settings.ui.theme
        if wanted not in self.available_themes:
            self._problems.append(f"theme {wanted!r} not found; using {DEFAULT_THEME}")
            wanted = DEFAULT_THEME
        self._saved_theme = wanted
        self.theme = wanted

    def get_default_screen(self) -> Screen[Any]:
        return MainScreen(
            self.library, self.now, refresh_on_start=self.refresh_on_start, keymap=self.keymap
        )

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    def on_mount(self) -> None:
        self.run_worker(self.library.warm_up, thread=True, group="warm-up", exit_on_error=False)
        for problem in self._problems:
            self.notify(problem, title="Configuration", severity="error", timeout=10, markup=False)

    def watch_theme(self, name: str) -> None:
        if name == self._saved_theme:
            return
        self._saved_theme = name
        try:
            config.set_setting(self.library.paths, "ui", "theme", name)
        except (OSError, config.ConfigError) as exc:
            self.notify(str(exc), title="Theme not saved", severity="error", markup=False)


def run(paths: Paths, *, demo: bool = False) -> int:
    """Start the TUI on the user's cache (or the bundled demo feeds). Returns the exit code."""
    from newsreader.store import CacheError

    try:
        library = Library.open_demo() if demo else Library.open(paths)
    except (config.ConfigError, CacheError, OSError) as exc:
        print(f"newsreader: {exc}", file=sys.stderr)
        return 1
    if library.settings.ui.images != "off":
        from newsreader.tui.widgets.lead_image import probe_terminal

        probe_terminal()  # asks the terminal about images before Textual reads the keyboard
    try:
        NewsReaderApp(library).run()
    finally:
        library.close()
    return 0
