"""Every command of the reading TUI, declared once.

Each command has an id (what ``[keymap]`` in config.toml remaps), its default keys, a
description and the action it runs. The TUI builds its key bindings, footer, command palette
and help screen from this table; ``newsreader keys`` prints it without loading Textual.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Command:
    id: str
    keys: str  # comma-separated Textual key names
    description: str
    action: str  # an action of the main screen ("app." for the application's own)
    footer: str = ""  # short footer label; empty keeps the command out of the footer
    palette: bool = True


COMMANDS: tuple[Command, ...] = (
    Command("cursor_down", "j,down", "Next article", "cursor_down"),
    Command("cursor_up", "k,up", "Previous article", "cursor_up"),
    Command("first", "g,home", "First article", "first"),
    Command("last", "G,end", "Last article", "last"),
    Command("page_down", "ctrl+d,pagedown", "Half a page down", "page_down"),
    Command("page_up", "ctrl+u,pageup", "Half a page up", "page_up"),
    Command("open", "enter,l", "Open the article", "open", "Open", palette=False),
    Command("back", "escape,h", "Back to the list / clear search", "back", palette=False),
    Command("reader_page", "space", "Page down the reader", "reader_page"),
    Command("next_unread", "n", "Next unread article", "next_unread"),
    Command("previous_unread", "N", "Previous unread article", "previous_unread"),
    Command("toggle_read", "m", "Toggle read / unread", "toggle_read"),
    Command("mark_all_read", "A", "Mark everything in view read", "mark_all_read"),
    Command("toggle_star", "asterisk", "Star / unstar", "toggle_star"),
    Command("open_browser", "o", "Open the link in the browser", "open_browser"),
    Command("refresh_feed", "r", "Refresh this feed", "refresh_feed"),
    Command("refresh_all", "R", "Refresh all feeds", "refresh_all", "Refresh"),
    Command("search", "slash", "Search articles as you type", "search", "Search"),
    Command("full_text", "f", "Fetch the full article from its web page", "full_text"),
    Command("save", "s", "Save the article as Markdown", "save", "Save"),
    Command("save_all", "S", "Save every article in view as Markdown", "save_all"),
    Command("links", "L", "Links of the article, numbered (open one)", "links"),
    Command("raw_html", "H", "The article's raw HTML", "raw_html"),
    Command("toggle_entities", "e", "Highlight entities on / off", "toggle_entities"),
    Command("toggle_images", "i", "Lead images on / off", "toggle_images"),
    Command(
        "entities", "E", "Entities of the article (enter filters by one)", "entities", "Entities"
    ),
    Command(
        "related_next",
        "right_square_bracket",
        "Next related story in the strip under the reader (enter opens it)",
        "related_next",
    ),
    Command(
        "related_previous",
        "left_square_bracket",
        "Previous related story in the strip",
        "related_previous",
    ),
    Command("history_back", "backspace,b", "Back to the article read before", "history_back"),
    Command("group_stories", "c", "Group the list by story (one row per story)", "group_stories"),
    *(
        Command(
            f"region_{n}",
            str(n),
            f"Show region {n} of the sidebar (a sub-region when drilled in)",
            f"select_region({n})",
            palette=False,
        )
        for n in range(1, 10)
    ),
    Command("region_add", "plus", "Add a region: + then its digit", "add_region"),
    Command("region_clear", "0", "Clear the region filter (leave sub-regions)", "clear_regions"),
    Command("region_drill", "d", "Sub-regions of the selected region", "drill_region"),
    Command("region_kind", "v", "Regions by story / by source", "toggle_region_kind"),
    Command("feed_status", "F", "Feed status", "feed_status", "Feeds"),
    Command("pick_theme", "t", "Choose a theme", "pick_theme", "Theme"),
    Command("help", "question_mark", "Help: every key", "help", "Help"),
    Command("quit", "q", "Quit", "app.quit", "Quit"),
)

_KEY_NAMES = {
    "asterisk": "*",
    "slash": "/",
    "plus": "+",
    "question_mark": "?",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "escape": "esc",
    "pagedown": "pgdn",
    "pageup": "pgup",
}


def display_keys(keys: str) -> str:
    """Keys as a person types them: ``"slash,ctrl+d"`` -> ``"/, ctrl+d"``."""
    names = [k.strip() for k in keys.split(",") if k.strip()]
    return ", ".join(_KEY_NAMES.get(name, name) for name in names)


def effective_keys(command: Command, keymap: Mapping[str, str] | None = None) -> str:
    """The keys a command answers to once the user's ``[keymap]`` is applied."""
    if keymap and command.id in keymap:
        return keymap[command.id]
    return command.keys


def keymap_rows(keymap: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(id, keys, description) for every command, keys as a person types them."""
    return [(c.id, display_keys(effective_keys(c, keymap)), c.description) for c in COMMANDS]


def unknown_keymap_ids(keymap: Mapping[str, str]) -> list[str]:
    """Ids in a user's keymap that name no command (a typo, most likely)."""
    known = {c.id for c in COMMANDS}
    return sorted(k for k in keymap if k not in known)
