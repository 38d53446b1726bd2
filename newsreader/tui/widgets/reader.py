"""The reader: one article's header, its lead image and its body, rendered from our own
text blocks.

Feed text only ever enters a ``Content`` as data; styles come from theme variables. The lead
image (see :mod:`~newsreader.tui.widgets.lead_image`) is drawn only on terminals with an image
protocol, and arrives after the text: opening an article never waits for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from newsreader.feeds.images import lead_image_url
from newsreader.library import Library
from newsreader.models import Article, BlockKind, EntityType, Mention, TextBlock
from newsreader.tui.text import safe_block, safe_line, when_text
from newsreader.tui.widgets.lead_image import LeadImage

HINT = "Select an article and press enter to read it."
WORDS_PER_MINUTE = 230

ENTITY_STYLES = {
    EntityType.PERSON: "$entity-person",
    EntityType.ORG: "$entity-org",
    EntityType.PLACE: "$entity-place",
    EntityType.NORP: "$entity-norp",
}


def block_mentions(
    blocks: tuple[TextBlock, ...], mentions: tuple[Mention, ...], body_start: int
) -> dict[int, list[Mention]]:
    """Mentions per block index, with offsets made relative to the block's text.

    Mention offsets are into the analysed text (title, blank line, body); the body is the
    blocks' text joined as ``blocks_to_text`` joins them, so walking the blocks the same way
    finds where each one starts.
    """
    out: dict[int, list[Mention]] = {}
    if not mentions:
        return out
    offset = body_start
    previous: BlockKind | None = None
    first = True
    ordered = sorted(mentions, key=lambda m: m.start)
    k = 0
    for index, block in enumerate(blocks):
        if block.kind is BlockKind.IMAGE or not block.text:
            continue
        if not first:
            both_items = previous is BlockKind.LIST_ITEM and block.kind is BlockKind.LIST_ITEM
            offset += 1 if both_items else 2
        first = False
        end = offset + len(block.text)
        while k < len(ordered) and ordered[k].start < offset:
            k += 1
        j = k
        while j < len(ordered) and ordered[j].end <= end:
            m = ordered[j]
            out.setdefault(index, []).append(
                Mention(m.start - offset, m.end - offset, m.text, m.type, m.canonical, m.country)
            )
            j += 1
        k = j
        offset = end
        previous = block.kind
    return out


def highlight(content: Content, text: str, mentions: list[Mention] | None) -> Content:
    """Colour each mention by its type, where the text still is what was analysed."""
    for m in mentions or ():
        if 0 <= m.start < m.end <= len(text) and text[m.start : m.end] == m.text:
            content = content.stylize(ENTITY_STYLES[m.type], m.start, m.end)
    return content


def render_blocks(
    blocks: tuple[TextBlock, ...],
    fallback: str = "",
    mentions: dict[int, list[Mention]] | None = None,
) -> Content:
    """The body as one Content: paragraphs, headings, list items and quotes look distinct;
    ``mentions`` (per block index, see :func:`block_mentions`) are coloured by type."""
    parts: list[Content] = []
    previous: BlockKind | None = None
    for index, block in enumerate(blocks):
        text = safe_block(block.text).strip("\n")
        if not text and block.kind is not BlockKind.IMAGE:
            continue
        body = Content(text)
        if mentions and block.kind is not BlockKind.IMAGE and text == block.text:
            body = highlight(body, text, mentions.get(index))
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


def render_header(article: Article, now: datetime, *, entities: bool = False) -> Content:
    shown = safe_line(article.title)
    title = Content(shown or "(untitled)").stylize("bold $primary")
    if entities and shown == article.title.strip():
        in_title = [m for m in article.mentions if m.end <= len(shown)]
        title = highlight(title, shown, in_title)
    star = Content.styled(" ★", "$accent") if article.starred else Content("")
    meta = [Content(safe_line(article.feed_title)).stylize("bold")]
    if article.author:
        meta.append(Content("by " + safe_line(article.author)))
    meta.append(Content(when_text(article.when, now)))
    words = len(article.body_text.split())
    if words:
        meta.append(Content(f"{max(1, round(words / WORDS_PER_MINUTE))} min read"))
    if article.full_text is not None:
        meta.append(Content("full text"))
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
    entities: reactive[bool] = reactive(True)
    """Colour entity mentions (``e`` toggles)."""
    images: reactive[bool] = reactive(True)
    """Draw the lead image where the terminal can (``[ui] images``; :meth:`toggle_images`)."""

    def __init__(
        self,
        now: Callable[[], datetime],
        *,
        max_width: int = 0,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._now = now
        self._max_width = max_width

    def on_mount(self) -> None:
        if self._max_width > 0:
            for part in self.query(Static):
                part.styles.max_width = self._max_width
        # The app's library fetches and caches the images; a reader without one draws none.
        library = getattr(self.app, "library", None)
        if isinstance(library, Library):
            self.lead_image.fetch = library.lead_image
            self.images = library.settings.ui.images != "off"

    def compose(self) -> ComposeResult:
        yield Static(Content(HINT), id="reader-header")
        yield LeadImage(max_width=self._max_width, id="reader-image")
        yield Static(Content(""), id="reader-body")

    @property
    def lead_image(self) -> LeadImage:
        return self.query_one("#reader-image", LeadImage)

    def toggle_images(self) -> bool:
        """Lead images on or off for this session; returns whether they are now on."""
        self.images = not self.images
        return self.images

    def watch_article(self, article: Article | None) -> None:
        self._show(article)
        self._show_image(article)
        self.scroll_home(animate=False)

    def watch_entities(self) -> None:
        self._show(self.article)

    def watch_images(self) -> None:
        self._show_image(self.article)

    def _show_image(self, article: Article | None) -> None:
        url = lead_image_url(article.body_blocks) if article is not None else None
        self.lead_image.show(url if self.images else None)

    def on_resize(self) -> None:
        self.lead_image.refit()

    @on(LeadImage.Drawn)
    def _image_drawn(self, event: LeadImage.Drawn) -> None:
        # Already reading further down: the picture above must not move the text.
        if self.scroll_y > 0:
            rows = event.rows
            self.call_after_refresh(lambda: self.scroll_relative(y=rows, animate=False))

    def _show(self, article: Article | None) -> None:
        header = self.query_one("#reader-header", Static)
        body = self.query_one("#reader-body", Static)
        self.set_class(article is None, "-empty")
        if article is None:
            header.update(Content(HINT))
            body.update(Content(""))
            return
        header.update(render_header(article, self._now(), entities=self.entities))
        blocks = article.body_blocks
        mentions = (
            block_mentions(blocks, article.mentions, len(article.title.strip()) + 2)
            if self.entities
            else None
        )
        body.update(render_blocks(blocks, article.body_text, mentions))
