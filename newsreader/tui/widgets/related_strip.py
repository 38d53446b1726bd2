"""The related-stories strip under the reader: a coverage line, then up to six cards of other
articles about the same story (source, age, title, region badge, "also in" count).

The screen hands it a :class:`~newsreader.models.Story` (data flows down); moving along it and
opening a card are messages to the screen, which keeps the reading history.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalScroll, Vertical
from textual.content import Content
from textual.dom import DOMNode
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from newsreader.models import RelatedItem, Story
from newsreader.tui.text import relative_age, safe_line

CARD_TEXT_WIDTH = 26  # cells inside a card's border and padding
TITLE_LINES = 2
LOADING = "Finding related stories…"
NOT_ANALYSED = "Related stories appear once this article has been analysed."
NO_COVERAGE = "No other coverage of this story in your feeds yet."
NO_REGION = "region not set"


def coverage_line(story: Story) -> Content:
    """``Related · this story in 6 sources: Europe 2 · Middle East 2 · …``, plus the feeds
    carrying this very copy."""
    label = Content.styled("Related", "bold $primary")
    sources = story.sources
    if sources <= 1 and not story.copies:
        alone = NO_COVERAGE if not story.related else "no other source carries this story yet"
        return Content.assemble(label, ("  " + alone, "$text-muted"))
    regions = Content(" · ").join(
        Content.assemble((safe_line(region) if region else NO_REGION, "$accent"), f" {n}")
        for region, n in story.coverage
    )
    line = Content.assemble(label, f"  this story in {sources} sources: ", regions)
    if story.copies:
        copies = ", ".join(safe_line(c) for c in story.copies)
        line = Content.assemble(line, ("  ·  this copy also in ", "$text-muted"), copies)
    return line


def card_content(item: RelatedItem, now: datetime, width: int = CARD_TEXT_WIDTH) -> Content:
    """Four lines: source and age, the title on two, the region badge and the copies count."""
    age = relative_age(item.when, now)
    source = _crop(safe_line(item.feed_title), width - len(age) - 3)
    head = Content.assemble((source, "bold"), (" · " + age, "$text-muted"))
    wrapped = textwrap.wrap(safe_line(item.title) or "(untitled)", width) or [""]
    if len(wrapped) > TITLE_LINES:
        wrapped = [*wrapped[: TITLE_LINES - 1], _crop(" ".join(wrapped[TITLE_LINES - 1 :]), width)]
    title = "\n".join(wrapped + [""] * (TITLE_LINES - len(wrapped)))
    badge = (
        Content.styled(_crop(safe_line(item.regions[0]), width // 2), "$accent")
        if item.regions
        else Content("")
    )
    if item.also_in:
        also = f"+{len(item.also_in)} cop{'y' if len(item.also_in) == 1 else 'ies'}"
        badge = Content.assemble(badge, ("  " if item.regions else "", ""), (also, "$text-muted"))
    return Content("\n").join([head, Content(title), badge])


def _crop(text: str, width: int) -> str:
    if width <= 1:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"


class RelatedCard(Static):
    """One related article. A click opens it."""

    def __init__(self, item: RelatedItem, content: Content) -> None:
        super().__init__(content, classes="related-card", markup=False)
        self.item = item


class RelatedStrip(Vertical, can_focus=True):
    """Coverage line and cards. ``[``/``]`` (screen keys) or left/right move, enter opens."""

    DEFAULT_CSS = """
    RelatedStrip {
        height: auto;
        background: $surface;
        border-top: hkey $panel-lighten-2;
        padding: 0 1;
    }
    RelatedStrip.-hidden { display: none; }
    RelatedStrip > #related-coverage { height: 1; padding: 0 1; }
    RelatedStrip > #related-cards { height: auto; scrollbar-size-horizontal: 0; }
    RelatedStrip .related-card {
        width: 30;
        height: 6;
        padding: 0 1;
        margin-right: 1;
        border: round $panel-lighten-2;
    }
    RelatedStrip .related-card.-selected { border: round $accent; }
    RelatedStrip:focus .related-card.-selected { border: heavy $accent; background: $primary 10%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right,l", "move(1)", "Next related", show=False),
        Binding("left,h", "move(-1)", "Previous related", show=False),
        Binding("enter", "open", "Open related", show=False),
    ]

    story: reactive[Story | None] = reactive(None, always_update=True, init=False)
    selected: reactive[int] = reactive(-1, init=False)

    @dataclass
    class Opened(Message):
        """A related card was chosen."""

        article_id: int

    def __init__(self, now: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id, classes="-hidden")
        self._now = now
        self._shown_for: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content(""), id="related-coverage")
        yield HorizontalScroll(id="related-cards")

    @property
    def items(self) -> tuple[RelatedItem, ...]:
        return self.story.related if self.story else ()

    # --- data in ----------------------------------------------------------------------------

    def clear(self) -> None:
        """No article open: the strip is hidden."""
        self._shown_for = None
        self.add_class("-hidden")
        self.story = None

    def expect(self, article_id: int) -> None:
        """An article opened; its story is on the way."""
        self._shown_for = article_id
        self.remove_class("-hidden")
        self._set_message(LOADING)

    def show(self, article_id: int, story: Story | None) -> None:
        """The story of the open article (``None``: it is not analysed yet)."""
        if article_id != self._shown_for:
            return  # another article opened since this was asked for
        if story is None:
            self.story = None
            self._set_message(NOT_ANALYSED)
            return
        self.story = story

    def _set_message(self, message: str) -> None:
        self.query_one("#related-coverage", Static).update(
            Content.assemble(("Related", "bold $primary"), ("  " + message, "$text-muted"))
        )
        self.query_one("#related-cards", HorizontalScroll).remove_children()
        self.set_reactive(RelatedStrip.selected, -1)

    def watch_story(self, story: Story | None) -> None:
        if story is None:
            return
        self.query_one("#related-coverage", Static).update(coverage_line(story))
        cards = self.query_one("#related-cards", HorizontalScroll)
        cards.remove_children()
        now = self._now()
        cards.mount_all(RelatedCard(item, card_content(item, now)) for item in story.related)
        cards.display = bool(story.related)
        self.set_reactive(RelatedStrip.selected, -1)

    # --- moving and opening -------------------------------------------------------------------

    def move(self, step: int) -> bool:
        """Select the next (``step`` 1) or previous (-1) card; False when there is none."""
        if not self.items:
            return False
        if self.selected < 0:
            self.selected = 0 if step > 0 else len(self.items) - 1
        else:
            self.selected = max(0, min(len(self.items) - 1, self.selected + step))
        return True

    def watch_selected(self, selected: int) -> None:
        for index, card in enumerate(self.query(RelatedCard)):
            card.set_class(index == selected, "-selected")
            if index == selected:
                card.scroll_visible(animate=False)

    def action_move(self, step: int) -> None:
        self.move(step)

    def action_open(self) -> None:
        if 0 <= self.selected < len(self.items):
            self.post_message(self.Opened(self.items[self.selected].id))

    def on_click(self, event: events.Click) -> None:
        node: DOMNode | None = event.widget
        while node is not None and not isinstance(node, RelatedCard):
            node = node.parent
        if isinstance(node, RelatedCard):
            self.post_message(self.Opened(node.item.id))
