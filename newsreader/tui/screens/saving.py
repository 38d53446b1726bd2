"""Saving every article in view as Markdown, with a progress bar and a summary at the end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static

from newsreader.tui.text import safe_line

if TYPE_CHECKING:  # the export module loads only when something is saved
    from newsreader.export import SaveReport

Save = Callable[[Callable[[int], None]], "SaveReport"]


def summary_text(report: SaveReport, folder: Path, total: int) -> Content:
    lines = [
        Content.assemble(
            (f"Saved {len(report.paths)} of {total} articles", "bold"), " to ", str(folder)
        )
    ]
    for failure in report.failures[:5]:
        lines.append(
            Content.styled(
                f"not saved: {safe_line(failure.title)}: {safe_line(failure.message)}", "$error"
            )
        )
    if len(report.failures) > 5:
        lines.append(Content.styled(f"… and {len(report.failures) - 5} more", "$error"))
    lines.append(Content.styled("esc closes", "$text-muted"))
    return Content("\n").join(lines)


class SavingScreen(ModalScreen["SaveReport | None"]):
    DEFAULT_CSS = """
    SavingScreen { align: center middle; }
    SavingScreen > Vertical {
        width: 80; max-width: 95%; height: auto;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    SavingScreen ProgressBar { padding: 1 0; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "close", "Close", id="saving_close"),
    ]

    def __init__(self, save: Save, total: int, folder: Path) -> None:
        super().__init__()
        self._save = save
        self._total = total
        self._folder = folder
        self.report: SaveReport | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content(f"Saving {self._total} articles as Markdown to {self._folder}"),
                id="saving-title",
            )
            yield ProgressBar(total=self._total, show_eta=False, id="saving-bar")
            yield Static(Content(""), id="saving-summary")

    def on_mount(self) -> None:
        self.run_save()

    @work(thread=True, exit_on_error=False)
    def run_save(self) -> None:
        bar = self.query_one(ProgressBar)

        def progress(done: int) -> None:
            self.app.call_from_thread(bar.update, progress=done)

        try:
            report = self._save(progress)
        except Exception as exc:  # a bad template or folder: say so, keep the app
            message = Content.styled(f"Nothing saved: {safe_line(str(exc))}", "$error")
            self.app.call_from_thread(self.query_one("#saving-summary", Static).update, message)
            return
        self.app.call_from_thread(self._finished, report)

    def _finished(self, report: SaveReport) -> None:
        self.report = report
        self.query_one(ProgressBar).update(progress=self._total)
        self.query_one("#saving-summary", Static).update(
            summary_text(report, self._folder, self._total)
        )

    def action_close(self) -> None:
        self.dismiss(self.report)
