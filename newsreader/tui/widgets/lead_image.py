"""The reader's lead image: an article's first picture, drawn in terminals that can draw
images (Kitty's graphics protocol or Sixel), through the textual-image library.

Whether the terminal can is asked once, by :func:`probe_terminal`, which must run *before*
Textual starts: textual-image asks the terminal when it is imported (escape codes on
standard output, the answer read from standard input), and once Textual reads the keyboard it
would swallow the answer. Until the probe has found a protocol nothing here imports
textual-image or Pillow and :class:`LeadImage` shows nothing, so tests, the headless
sub-commands and terminals without an image protocol are never touched and look the same.

:class:`LeadImage` never delays the article: the reader hands it a URL and returns; a worker
fetches the bytes (the library's cache or the network), decodes them on a thread and then draws
the picture, aspect kept, at most :data:`MAX_ROWS` rows tall and no more than
:data:`HEIGHT_SHARE` of the reader's height, so the story's first lines stay in view. Any
failure draws nothing: the ``[image: ...]`` line in the body stays the way to the image.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from textual import work
from textual.message import Message
from textual.widget import Widget

from newsreader.feeds.images import decode_image

if TYPE_CHECKING:
    from PIL.Image import Image as Picture

__all__ = [
    "HEIGHT_SHARE",
    "MAX_ROWS",
    "MIN_ROWS",
    "ImageSupport",
    "LeadImage",
    "draws_kitty_placeholders",
    "fit_cells",
    "image_support",
    "probe_terminal",
    "set_image_support",
]

log = logging.getLogger(__name__)

MAX_ROWS: Final = 14
"""The tallest a lead image is drawn, in rows."""

HEIGHT_SHARE: Final = 0.4
"""At most this share of the reader's height goes to the picture (but see MIN_ROWS)."""

MIN_ROWS: Final = 4
"""A short reader still gets a picture this tall."""

WIDEST: Final = 240
"""Columns a picture is decoded for when the reader's width is not capped."""

ImageFetch = Callable[[str], Awaitable[bytes]]
"""Gets an image's bytes by URL (``Library.lead_image``); raises when there is none."""


@dataclass(frozen=True, slots=True)
class ImageSupport:
    """How this terminal draws pictures: the protocol, the size of one character cell in
    pixels, and the textual-image widget that draws a Pillow image with it."""

    protocol: str  # "kitty" or "sixel"
    cell_size: tuple[int, int]  # (width, height) in pixels
    widget: Callable[[Picture], Widget]


_support: ImageSupport | None = None
_probed = False


def image_support() -> ImageSupport | None:
    """What :func:`probe_terminal` found (None: no image protocol, or never asked)."""
    return _support


def set_image_support(support: ImageSupport | None) -> None:
    """Say how the terminal draws images (what :func:`probe_terminal` does when it finds a
    protocol); None draws no images."""
    global _support
    _support = support


# XTVERSION's answer: "kitty(0.35.2)", "ghostty 1.1.3", "WezTerm 20240203-110809-5046fc22" ...
_KITTY_VERSION: Final = re.compile(r"kitty\((\d+)\.(\d+)")


def draws_kitty_placeholders(version: str) -> bool:
    """Whether a terminal, by its XTVERSION answer, draws the Kitty graphics protocol's
    Unicode placeholders, which textual-image draws with: kitty since 0.28 and Ghostty. Older
    kitty (Debian 12 ships 0.26) and others say yes to the graphics query, then show the
    placeholders as boxes."""
    kitty = _KITTY_VERSION.search(version)
    if kitty is not None:
        return (int(kitty[1]), int(kitty[2])) >= (0, 28)
    return version.lower().startswith("ghostty")


def _terminal_version() -> str:
    """The terminal's XTVERSION answer, or "" (it did not answer within 0.1 s)."""
    from textual_image._terminal import TerminalError, capture_terminal_response

    stdout = sys.__stdout__
    assert stdout is not None
    start, end = "\x1bP>|", "\x1b\\"
    try:
        with capture_terminal_response(start, end, timeout=0.1) as answer:
            stdout.write("\x1b[>0q")
            stdout.flush()
    except (TerminalError, TimeoutError):
        return ""
    return str(answer.sequence)[len(start) : -len(end)]


def probe_terminal() -> ImageSupport | None:
    """Ask the terminal, once per process, whether it draws Kitty graphics or Sixel.

    Call it before the Textual app runs, and only when images are wanted: importing
    textual-image writes queries to the terminal and waits up to ~0.1 s for an answer
    (~0.2 s in all, measured in tmux, which draws neither). Does nothing (None) unless
    standard input and output are both a terminal. Never raises.
    """
    global _probed
    if _probed:
        return _support
    _probed = True
    stdin, stdout = sys.__stdin__, sys.__stdout__
    try:
        if stdin is None or stdout is None or not (stdin.isatty() and stdout.isatty()):
            return None
        # textual-image picks its renderer on import, from the terminal's answers.
        from textual_image import renderable, widget
        from textual_image._terminal import get_cell_size

        cell = get_cell_size()
        kitty = renderable.Image is renderable.TGPImage
        version = _terminal_version() if kitty else ""
    except Exception as exc:  # a terminal that answers nonsense must not stop the app
        log.warning("could not ask the terminal about images: %r", exc)
        return None
    if kitty and draws_kitty_placeholders(version):
        set_image_support(ImageSupport("kitty", (cell.width, cell.height), widget.TGPImage))
    elif renderable.Image is renderable.SixelImage:
        set_image_support(ImageSupport("sixel", (cell.width, cell.height), widget.SixelImage))
    return _support


def fit_cells(
    pixels: tuple[int, int], cell: tuple[int, int], columns: int, rows: int = MAX_ROWS
) -> tuple[int, int]:
    """The (columns, rows) a picture of ``pixels`` takes, aspect kept: as wide as
    ``columns`` allow but never taller than ``rows``, and never larger than its own pixels."""
    width, height = pixels
    cell_w, cell_h = max(1, cell[0]), max(1, cell[1])
    if width < 1 or height < 1 or columns < 1 or rows < 1:
        return 0, 0
    cols = min(columns, math.ceil(width / cell_w))
    tall = cols * cell_w * height / width / cell_h
    if tall > rows:
        cols = max(1, min(cols, round(rows * cell_h * width / height / cell_w)))
        tall = rows
    return cols, max(1, min(rows, round(tall)))


class LeadImage(Widget):
    """One article's lead image, or nothing. The reader calls :meth:`show` with a URL."""

    DEFAULT_CSS = """
    LeadImage { width: 100%; height: auto; display: none; }
    LeadImage.-shown { display: block; margin-bottom: 1; }
    """

    @dataclass
    class Drawn(Message):
        """A picture took ``rows`` rows above the body (the reader keeps its place)."""

        rows: int

    def __init__(
        self,
        fetch: ImageFetch | None = None,
        *,
        max_width: int = 0,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.fetch = fetch
        self.max_width = max_width
        self.url: str | None = None
        """The image asked for (drawn, on its way, or failed)."""
        self._picture: Picture | None = None
        self._drawn = (0, 0)  # (columns, rows) of the picture on screen
        self._failed: set[str] = set()  # not tried again this session

    @property
    def picture(self) -> Picture | None:
        """The decoded picture being drawn, if any."""
        return self._picture

    def show(self, url: str | None) -> None:
        """Draw the image at ``url`` (None: no image). Returns at once; the picture appears
        when it has arrived. Asking again for the image already shown does nothing."""
        if url == self.url:
            return
        self.url = url
        self._clear()
        support = image_support()
        if url is None or support is None or self.fetch is None or url in self._failed:
            return
        self._load(url, support, self.fetch)

    @work(exclusive=True, group="lead-image", exit_on_error=False)
    async def _load(self, url: str, support: ImageSupport, fetch: ImageFetch) -> None:
        cell_w, cell_h = support.cell_size
        box = (cell_w * (self.max_width or WIDEST), cell_h * MAX_ROWS)
        try:
            data = await fetch(url)
            picture = await asyncio.to_thread(decode_image, data, box)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # no image to draw: the [image: ...] line stays
            log.info("lead image not shown: %s", exc)
            self._failed.add(url)
            return
        if url != self.url:
            return
        self._picture = picture
        await self._draw(support, picture)

    async def _draw(self, support: ImageSupport, picture: Picture) -> None:
        columns, rows = self._cells(support, picture)
        if rows < 1:
            return
        await self.remove_children()
        drawing = support.widget(picture)
        drawing.styles.width = columns
        drawing.styles.height = rows
        self._drawn = (columns, rows)
        self.add_class("-shown")
        await self.mount(drawing)
        self.post_message(self.Drawn(rows + 1))  # and the margin under it

    def _cells(self, support: ImageSupport, picture: Picture) -> tuple[int, int]:
        # The reader's size: this widget has none while it is hidden.
        parent = self.parent
        pane = (parent if isinstance(parent, Widget) else self).scrollable_content_region
        columns = pane.width if self.max_width <= 0 else min(pane.width, self.max_width)
        rows = min(MAX_ROWS, max(MIN_ROWS, int(pane.height * HEIGHT_SHARE)))
        return fit_cells(picture.size, support.cell_size, columns, rows)

    def refit(self) -> None:
        """Fit the picture to the reader again (the reader calls this when it is resized)."""
        support, picture = image_support(), self._picture
        if support is None or picture is None or not self.children:
            return
        cells = self._cells(support, picture)
        if cells[1] >= 1 and cells != self._drawn:
            self._drawn = cells
            drawing = self.children[0]
            drawing.styles.width, drawing.styles.height = cells

    def _clear(self) -> None:
        self.workers.cancel_group(self, "lead-image")
        self._picture = None
        self.remove_class("-shown")
        for child in self.children:
            # textual-image frees the picture in the terminal when its image is unset.
            if hasattr(child, "image"):
                setattr(child, "image", None)  # noqa: B010
        self.remove_children()
