"""Reading theme files: built-in ones shipped in ``themes/`` and the user's own.

A theme is a TOML file with the colours of a Textual theme and the app's own variables::

    name = "newsreader-dark"
    dark = true
    primary = "#5fafd7"
    ...
    [variables]
    unread = "#ffd75f"

This module only reads and checks the data (no Textual): the TUI turns each dict into a
``textual.theme.Theme``. A broken file is reported as an error, never raised.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsreader.paths import builtin_themes_dir

COLOUR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "background",
    "surface",
    "panel",
    "foreground",
    "warning",
    "error",
    "success",
)
REQUIRED_KEYS = ("name", "primary")
APP_VARIABLES = ("unread", "entity-person", "entity-org", "entity-place", "entity-norp", "region")
_COLOUR = re.compile(
    r"^(#[0-9a-fA-F]{3,4}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}|"
    r"(rgb|rgba|hsl|hsla)\([0-9.,%\s]+\)|[a-z_]+)$"
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(slots=True)
class ThemeLoad:
    """Themes read from one or more folders: name -> theme dict, and one error per bad file."""

    themes: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    builtin: set[str] = field(default_factory=set)


def parse_theme(data: dict[str, Any], where: str) -> dict[str, Any]:
    """Check one theme's data; returns a clean dict or raises ValueError naming the problem."""
    for key in REQUIRED_KEYS:
        if not isinstance(data.get(key), str):
            raise ValueError(f"{where}: '{key}' is missing")
    name = data["name"]
    if not _NAME.match(name):
        raise ValueError(f"{where}: name {name!r} must be letters, digits, '-', '_' or '.'")
    known = {"name", "dark", "variables", *COLOUR_KEYS}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    theme: dict[str, Any] = {"name": name, "dark": data.get("dark", True)}
    if not isinstance(theme["dark"], bool):
        raise ValueError(f"{where}: 'dark' must be true or false")
    for key in COLOUR_KEYS:
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not _COLOUR.match(value.strip()):
            raise ValueError(f"{where}: {key} = {value!r} is not a colour")
        theme[key] = value.strip()
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError(f"{where}: [variables] must be a table")
    clean: dict[str, str] = {}
    for key, value in variables.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{where}: variable {key} = {value!r} must be text")
        clean[str(key)] = value.strip()
    theme["variables"] = clean
    return theme


def read_theme_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from exc
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror})") from exc
    return parse_theme(data, str(path))


def load_themes(dirs: Iterable[Path]) -> ThemeLoad:
    """Read every ``*.toml`` theme in ``dirs``; a later folder overrides an earlier one."""
    result = ThemeLoad()
    for folder in dirs:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                theme = read_theme_file(path)
            except ValueError as exc:
                result.errors.append(str(exc))
                continue
            result.themes[theme["name"]] = theme
    return result


def load_all_themes(user_dir: Path | None = None) -> ThemeLoad:
    """The built-in themes, then the user's (``<config dir>/themes/*.toml``)."""
    builtin = load_themes([builtin_themes_dir()])
    builtin.builtin = set(builtin.themes)
    if user_dir is None:
        return builtin
    user = load_themes([user_dir])
    builtin.themes.update(user.themes)
    builtin.errors.extend(user.errors)
    return builtin
