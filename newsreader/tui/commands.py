"""Bindings and command-palette entries, both built from the one table in ``newsreader.keys``."""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from newsreader.keys import COMMANDS, Command, display_keys, effective_keys


def bindings() -> list[Binding]:
    """One Binding per command, each with its id so ``[keymap]`` can remap it."""
    return [
        Binding(
            c.keys,
            c.action,
            c.footer or c.description,
            show=bool(c.footer),
            id=c.id,
            tooltip=c.description,
        )
        for c in COMMANDS
    ]


class NewsreaderCommands(Provider):
    """Every command of the reader in the palette, with its key as help."""

    def _entries(self) -> list[tuple[Command, str]]:
        keymap = getattr(self.app, "keymap", {})
        return [
            (c, f"{display_keys(effective_keys(c, keymap))}  ·  {c.id}")
            for c in COMMANDS
            if c.palette
        ]

    def _run(self, command: Command) -> None:
        main = self.app.screen_stack[0] if self.app.screen_stack else self.screen
        self.app.call_later(self.app.run_action, command.action, main)

    async def discover(self) -> Hits:
        for command, help_text in self._entries():
            yield DiscoveryHit(command.description, partial(self._run, command), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, help_text in self._entries():
            score = matcher.match(command.description)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.description),
                    partial(self._run, command),
                    help=help_text,
                )


class ThemeChoices(Provider):
    """The theme picker: newsreader's themes first, then Textual's own."""

    def _names(self) -> list[str]:
        names = sorted(self.app.available_themes)
        return sorted(names, key=lambda n: (not n.startswith("newsreader-"), n))

    def _set(self, name: str) -> None:
        self.app.theme = name

    async def discover(self) -> Hits:
        for name in self._names():
            yield DiscoveryHit(name, partial(self._set, name))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name in self._names():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self._set, name))
