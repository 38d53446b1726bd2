"""The links of the open article, numbered; enter (or a link's number) opens one in the browser."""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from newsreader.models import Article, BlockKind
from newsreader.tui.text import safe_line


def article_links(article: Article) -> list[tuple[str, str]]:
    """(label, url) of every http(s) link in the article body, in reading order, each once;
    images are labelled as images."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for block in article.body_blocks:
        for span in block.links:
            if urlsplit(span.href).scheme not in ("http", "https") or span.href in seen:
                continue
            seen.add(span.href)
            if block.kind is BlockKind.IMAGE:
                label = "image: " + (safe_line(block.text) or "(no description)")
            else:
                label = safe_line(block.text[span.start : span.end]) or span.href
            out.append((label, span.href))
    return out


class LinksScreen(ModalScreen[str | None]):
    """Dismisses with the chosen URL (the caller opens it) or None."""

    DEFAULT_CSS = """
    LinksScreen { align: center middle; }
    LinksScreen > Vertical {
        width: 90; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    LinksScreen #links-title { text-style: bold; color: $primary; }
    LinksScreen #links-hint { color: $text-muted; padding: 0 0 1 0; }
    LinksScreen OptionList { height: auto; max-height: 1fr; border: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,L", "close", "Close", id="links_close"),
    ]

    def __init__(self, article: Article) -> None:
        super().__init__()
        self.links = article_links(article)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(f"Links in this article ({len(self.links)})"), id="links-title")
            yield Static(
                Content("A number or enter opens a link in the browser; esc closes."),
                id="links-hint",
            )
            if self.links:
                yield OptionList(
                    *(
                        Option(
                            Content.assemble(
                                (f"{n:>2} ", "$accent"),
                                label,
                                "\n   ",
                                (safe_line(url), "$text-muted underline"),
                            ),
                            id=str(n - 1),
                        )
                        for n, (label, url) in enumerate(self.links, start=1)
                    )
                )
            else:
                yield Static(Content("This article has no links."))

    def on_mount(self) -> None:
        for option_list in self.query(OptionList):
            option_list.focus()

    def on_key(self, event: Key) -> None:
        if event.character and event.character.isdigit() and event.character != "0":
            index = int(event.character) - 1
            if index < len(self.links):
                event.stop()
                self.dismiss(self.links[index][1])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.links[int(str(event.option.id))][1])

    def action_close(self) -> None:
        self.dismiss(None)
