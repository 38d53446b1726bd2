"""The regions in the sidebar: numbered for the digit keys, with unread/total counts.

Pure display: the main screen owns the region filter and passes it down with the counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rich.cells import cell_len, set_cell_size
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from newsreader.store import UNPLACED

Counts = Mapping[tuple[str, str], tuple[int, int]]  # (name, parent) -> (unread, total)


@dataclass(frozen=True)
class RegionFilter:
    """Which regions the list shows. Empty ``regions``: no region filter."""

    regions: tuple[str, ...] = ()
    subregion: str | None = None
    kind: str = "story"  # "story": the regions the text is about; "source": the feeds'
    drill: str | None = None  # the region whose sub-regions the digits pick, if any

    def label(self) -> str:
        if not self.regions and not self.subregion:
            return ""
        names = " + ".join(self.regions)
        if self.subregion:
            names = f"{names} › {self.subregion}" if names else self.subregion
        return f"{'source ' if self.kind == 'source' else ''}region: {names}"


@dataclass(frozen=True)
class RegionRows:
    """What the sidebar lists: regions in order, each with its sub-regions."""

    tree: Sequence[tuple[str, tuple[str, ...]]] = ()
    counts: Counts = field(default_factory=dict)

    def names(self, flt: RegionFilter) -> list[str]:
        """The names the digits 1-9 pick, in order: regions, or the drilled region's
        sub-regions (only those with articles)."""
        if flt.drill is not None:
            subs = next((s for r, s in self.tree if r == flt.drill), ())
            return [s for s in subs if (s, flt.drill) in self.counts]
        names = [r for r, _ in self.tree]
        if flt.kind == "story":
            names.append(UNPLACED)
        return names


class RegionList(Widget):
    """Its height is its number of lines, so new rows or a new filter lay the screen out again;
    new counts (every recount during a refresh) only repaint it."""

    DEFAULT_CSS = """
    RegionList { height: auto; padding: 0 1; background: $panel; }
    """

    rows: reactive[RegionRows] = reactive(RegionRows, always_update=True)
    filter: reactive[RegionFilter] = reactive(RegionFilter, always_update=True)

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._shape: object = None

    def watch_rows(self) -> None:
        self._relayout_if_reshaped()

    def watch_filter(self) -> None:
        self._relayout_if_reshaped()

    def _relayout_if_reshaped(self) -> None:
        """A layout only when the height may change: a layout arranges the whole screen again
        (~100 ms with a 100k cache on a loaded machine), a repaint only this widget."""
        shape = self._current_shape()
        if shape != self._shape:
            self._shape = shape
            self.refresh(layout=True)

    def _current_shape(self) -> object:
        """What the height depends on: the number of lines while none is wider than the
        widget (none wraps), else the width and every line's length."""
        lines = self._lines()
        width = self.size.width
        if width and all(line.cell_length <= width for line in lines):
            return len(lines)
        return (width, tuple(line.cell_length for line in lines))

    def on_resize(self) -> None:
        # The layout that resized us measured the lines at this width.
        self._shape = self._current_shape()

    def render(self) -> Content:
        return Content("\n").join(self._lines())

    def _lines(self) -> list[Content]:
        flt = self.filter
        width = max(12, self.size.width - 2 if self.size.width else 24)
        lines: list[Content] = []
        kind = "by source" if flt.kind == "source" else "by story"  # v switches
        if flt.drill is not None:
            lines.append(
                Content.assemble(
                    (set_cell_size(flt.drill, max(4, width - 10)), "bold $region"),
                    ("  0 back", "$text-muted"),
                )
            )
        else:
            lines.append(Content.styled(f"{kind} (v)", "$text-muted"))
        for number, name in enumerate(self.rows.names(flt), start=1):
            parent = flt.drill or ""
            unread, total = self.rows.counts.get((name, parent), (0, 0))
            chosen = (name == flt.subregion) if flt.drill else (name in flt.regions)
            key = str(number) if number <= 9 else " "
            count = f"{unread}/{total}" if total else "–"
            room = max(4, width - 4 - cell_len(count))
            label = set_cell_size(name if cell_len(name) <= room else name[: room - 1] + "…", room)
            style = "bold $region" if chosen else ("" if total else "$text-muted")
            lines.append(
                Content.assemble(
                    (key, "$accent"),
                    ("●" if chosen else " ", "$region"),
                    " ",
                    (label, style),
                    " ",
                    (count, "$text-muted" if not unread else "$unread"),
                )
            )
        return lines
