"""Help: every key, as the keymap has it now."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.cells import set_cell_size
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from newsreader.keys import keymap_rows


def help_content(keymap: Mapping[str, str]) -> Content:
    rows = keymap_rows(keymap)
    width = max(len(keys) for _, keys, _ in rows) + 2
    lines = [
        Content.assemble((set_cell_size(keys, width), "bold $accent"), description)
        for _, keys, description in rows
    ]
    lines.append(Content(""))
    lines.append(
        Content.styled(
            "Remap any key in config.toml under [keymap] by its id (newsreader keys lists them).",
            "$text-muted",
        )
    )
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 76; max-width: 95%; height: auto; max-height: 95%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; color: $primary; padding: 0 0 1 0; }
    HelpScreen VerticalScroll { height: auto; max-height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help_close")
    ]

    def __init__(self, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self._keymap = dict(keymap)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content("newsreader keys  (esc closes)"), id="help-title")
            with VerticalScroll():
                yield Static(help_content(self._keymap), id="help-keys")

    def action_close(self) -> None:
        self.dismiss(None)
