"""The status line: the active filter, refresh progress, last refresh time and counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from newsreader.tui.text import relative_age, safe_line


class StatusLine(Widget):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    filter_label: reactive[str] = reactive("All")
    total: reactive[int] = reactive(0)
    unread: reactive[int] = reactive(0)
    progress: reactive[tuple[int, int] | None] = reactive(None)
    last_refresh: reactive[datetime | None] = reactive(None)
    analysis: reactive[tuple[int, int] | None] = reactive(None)

    def __init__(self, now: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._now = now

    def render(self) -> Content:
        parts = [
            Content(safe_line(self.filter_label)).stylize("bold $primary"),
            Content.assemble((f"{self.unread} unread", "$unread"), f" / {self.total}"),
        ]
        if self.progress is not None:
            done, total = self.progress
            parts.append(Content.styled(f"Refreshing {done}/{total} feeds", "$accent"))
        elif self.last_refresh is not None:
            age = relative_age(self.last_refresh, self._now())
            parts.append(Content("updated " + ("just now" if age == "now" else f"{age} ago")))
        else:
            parts.append(Content.styled("not refreshed yet", "$text-muted"))
        if self.analysis is not None:
            done, total = self.analysis
            parts.append(Content.styled(f"Analysing {done:,}/{total:,} articles", "$text-muted"))
        return Content(" │ ").join(parts)
