"""The article's HTML as the feed (or the page) sent it, shown as plain text, never rendered."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from newsreader.models import Article
from newsreader.tui.text import safe_block, safe_line


def raw_html(article: Article) -> tuple[str, str]:
    """(which, html): the full text's HTML when fetched, else the feed's content or summary."""
    if article.full_text is not None and article.full_text.html:
        return "the article page (extracted)", article.full_text.html
    if article.content_html:
        return "the feed's content", article.content_html
    return "the feed's summary", article.summary_html


class RawHtmlScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    RawHtmlScreen { align: center middle; }
    RawHtmlScreen > Vertical {
        width: 95%; height: 90%; border: thick $primary; background: $surface; padding: 0 1;
    }
    RawHtmlScreen #raw-title { text-style: bold; color: $primary; }
    RawHtmlScreen VerticalScroll { height: 1fr; }
    RawHtmlScreen #raw-body { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,H", "close", "Close", id="raw_close"),
    ]

    def __init__(self, article: Article) -> None:
        super().__init__()
        self.which, self.html = raw_html(article)
        self.title_text = safe_line(article.title)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content(f"HTML of “{self.title_text}”, from {self.which}  (esc closes)"),
                id="raw-title",
            )
            with VerticalScroll():
                yield Static(Content(safe_block(self.html) or "(empty)"), id="raw-body")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
