"""The reader: one article's header and its body, rendered from our own text blocks.

Feed text only ever enters a ``Content`` as data; styles come from theme variables.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from newsreader.models import Article, BlockKind, TextBlock
from newsreader.tui.text import safe_block, safe_line, when_text

HINT = "Select an article and press enter to read it."


def render_blocks(blocks: tuple[TextBlock, ...], fallback: str = "") -> Content:
    """The body as one Content: paragraphs, headings, list items and quotes look distinct."""
    parts: list[Content] = []
    previous: BlockKind | None = None
    for block in blocks:
        text = safe_block(block.text).strip("\n")
        if not text and block.kind is not BlockKind.IMAGE:
            continue
        body = Content(text)
        for link in block.links:
            if block.kind is not BlockKind.IMAGE and 0 <= link.start < link.end <= len(text):
                body = body.stylize("underline $accent", link.start, link.end)
        if block.kind is BlockKind.HEADING:
            line = body.stylize("bold $primary")
        elif block.kind is BlockKind.LIST_ITEM:
            indent = "  " * max(0, block.level - 1)
            line = Content.assemble(indent + "  ", ("•", "$accent"), " ", body)
        elif block.kind is BlockKind.QUOTE:
            line = Content.assemble(("▌ ", "$secondary"), body.stylize("italic $text-muted"))
        elif block.kind is BlockKind.PREFORMATTED:
            line = body.stylize("$text-muted")
        else:  # PARAGRAPH, IMAGE
            if block.kind is BlockKind.IMAGE:
                alt = safe_line(block.text) or "image"
                line = Content.assemble(("[image: ", "$text-muted"), alt, ("]", "$text-muted"))
            else:
                line = body
        tight = block.kind is BlockKind.LIST_ITEM and previous is BlockKind.LIST_ITEM
        if parts:
            parts.append(Content("\n" if tight else "\n\n"))
        parts.append(line)
        previous = block.kind
    if not parts and fallback:
        return Content(safe_block(fallback))
    return Content("").join(parts) if parts else Content("(This article has no text.)")


def render_header(article: Article, now: datetime) -> Content:
    title = Content(safe_line(article.title) or "(untitled)").stylize("bold $primary")
    star = Content.styled(" ★", "$accent") if article.starred else Content("")
    meta = [Content(safe_line(article.feed_title)).stylize("bold")]
    if article.author:
        meta.append(Content("by " + safe_line(article.author)))
    meta.append(Content(when_text(article.when, now)))
    lines = [title + star, Content(" · ").join(meta).stylize("$text-muted")]
    if article.link:
        lines.append(Content(safe_line(article.link)).stylize("underline $text-muted"))
    return Content("\n").join(lines)


class ArticleReader(VerticalScroll, can_focus=True):
    """Shows the article it is given (``article`` flows down from the screen)."""

    DEFAULT_CSS = """
    ArticleReader { background: $surface; padding: 0 2; }
    ArticleReader > #reader-header {
        padding: 1 0 0 0;
        border-bottom: solid $panel-lighten-2;
        margin-bottom: 1;
    }
    ArticleReader > #reader-body { padding-bottom: 1; }
    ArticleReader.-empty > #reader-header { color: $text-muted; border-bottom: none; }
    """

    article: reactive[Article | None] = reactive(None, always_update=True)

    def __init__(
        self,
        now: Callable[[], datetime],
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._now = now

    def compose(self) -> ComposeResult:
        yield Static(Content(HINT), id="reader-header")
        yield Static(Content(""), id="reader-body")

    def watch_article(self, article: Article | None) -> None:
        header = self.query_one("#reader-header", Static)
        body = self.query_one("#reader-body", Static)
        self.set_class(article is None, "-empty")
        if article is None:
            header.update(Content(HINT))
            body.update(Content(""))
        else:
            header.update(render_header(article, self._now()))
            body.update(render_blocks(article.blocks, article.text))
        self.scroll_home(animate=False)
