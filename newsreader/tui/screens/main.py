"""The main screen: sidebar, article list, reader, status line. It owns the reading state
(filter, selection, refresh) and passes it down to the widgets."""

from __future__ import annotations

import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Literal
from urllib.parse import urlsplit

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.command import CommandPalette
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from newsreader.feeds.events import FeedFinished, FeedStarted
from newsreader.library import AnalysisProgress, Library, LibraryError, LibraryEvent, ListView
from newsreader.models import Article, ArticleFilter, RefreshSummary
from newsreader.state import load_state, save_state
from newsreader.tui.commands import ThemeChoices, bindings
from newsreader.tui.messages import Analysed, RefreshFailed, RefreshFinished, RefreshProgress
from newsreader.tui.screens.confirm import ConfirmScreen
from newsreader.tui.screens.entities import EntitiesScreen, EntityKey
from newsreader.tui.screens.feed_status import FeedStatusScreen
from newsreader.tui.screens.help import HelpScreen
from newsreader.tui.screens.links import LinksScreen
from newsreader.tui.screens.raw_html import RawHtmlScreen
from newsreader.tui.screens.saving import SavingScreen
from newsreader.tui.text import safe_line
from newsreader.tui.widgets.article_list import ArticleList
from newsreader.tui.widgets.feed_list import FeedList, feed_failing
from newsreader.tui.widgets.reader import ArticleReader
from newsreader.tui.widgets.region_list import RegionFilter, RegionList, RegionRows
from newsreader.tui.widgets.related_strip import RelatedStrip
from newsreader.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from newsreader.export import SaveReport

Severity = Literal["information", "warning", "error"]
History = Literal["clear", "push", "keep"]
RELOAD_DELAY = 0.3  # seconds: new articles during a refresh are merged in at most this often
HEAD_ROWS = 200  # rows queried at once when the filter changes; the rest follow in a thread


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class MainScreen(Screen[None]):
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012
        (0, "-narrow"),
        (100, "-wide"),
    ]
    VERTICAL_BREAKPOINTS = [  # noqa: RUF012
        (0, "-short"),
        (30, "-tall"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [*bindings()]

    reading: reactive[bool] = reactive(False)
    """Narrow terminals only: the reader is shown full width instead of the list."""

    def __init__(
        self,
        library: Library,
        now: Callable[[], datetime],
        *,
        refresh_on_start: bool,
        keymap: dict[str, str],
    ) -> None:
        super().__init__()
        self.library = library
        self.now = now
        self.refresh_on_start = refresh_on_start
        self.keymap = keymap
        self.feed_ids: tuple[int, ...] = ()
        self.search = ""
        self.entity: EntityKey | None = None
        self.regions = self._saved_regions()
        self.region_rows = RegionRows()
        self._adding_region = False
        self._regions_timer: Timer | None = None
        self.refreshing = False
        self._reload_timer: Timer | None = None
        self._merged_new = 0
        self.history: list[int] = []
        """Articles read before the open one, walking related stories (backspace goes back)."""
        self.by_story = False
        """One row per story in the list (``c``)."""

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield Static(Content("Regions"), classes="sidebar-title")
                yield RegionList(id="regions")
                yield Static(Content("Feeds"), classes="sidebar-title")
                yield FeedList(id="feeds")
            with Vertical(id="content"):
                yield Input(placeholder="Search titles and text…", id="search")
                yield ArticleList(self.library.article_rows, self.now, id="articles")
                yield ArticleReader(
                    self.now, max_width=self.library.settings.ui.max_width, id="reader"
                )
                yield RelatedStrip(self.now, id="related")
        yield StatusLine(self.now, id="status")
        yield Footer()

    @property
    def articles(self) -> ArticleList:
        return self.query_one("#articles", ArticleList)

    @property
    def reader(self) -> ArticleReader:
        return self.query_one("#reader", ArticleReader)

    @property
    def strip(self) -> RelatedStrip:
        return self.query_one("#related", RelatedStrip)

    @property
    def feed_list(self) -> FeedList:
        return self.query_one("#feeds", FeedList)

    @property
    def region_list(self) -> RegionList:
        return self.query_one("#regions", RegionList)

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    @property
    def search_input(self) -> Input:
        return self.query_one("#search", Input)

    def on_mount(self) -> None:
        self.search_input.display = False
        self.region_list.filter = self.regions
        flt = self.filter
        self._apply_view(flt, self.library.view(flt), keep=False)
        self.reload_regions()
        self.articles.focus()
        minutes = self.library.settings.refresh.interval_minutes
        if minutes > 0:
            self.set_interval(minutes * 60, self._refresh_due)
        if self.refresh_on_start:
            self.start_refresh(force=False)
        self.set_timer(0.2, self.analyse_backlog)
        self.set_timer(0.5, self.build_related_index)

    @work(thread=True, exclusive=True, group="related-index", exit_on_error=False)
    def build_related_index(self) -> None:
        """Load the related-stories index in the background (about 1.5 s at 100k articles), so
        the first strip doesn't wait for it."""
        self.library.related_index()

    @work(exclusive=True, group="analysis", exit_on_error=False)
    async def analyse_backlog(self) -> None:
        """Articles cached before entities existed (or a changed region map) are analysed in
        the background, with progress in the status line."""

        def on_event(event: LibraryEvent) -> None:
            if isinstance(event, AnalysisProgress):
                self.post_message(Analysed(event.done, event.total))

        await self.library.analyse_pending(on_event)

    def watch_reading(self, reading: bool) -> None:
        self.set_class(reading, "-reading")

    # --- the list's data ------------------------------------------------------------------

    @property
    def filter(self) -> ArticleFilter:
        return ArticleFilter(
            feed_ids=self.feed_ids,
            search=self.search or None,
            entity=self.entity,
            regions=self.regions.regions,
            subregion=self.regions.subregion,
            region_kind=self.regions.kind,
        )

    def filter_label(self) -> str:
        label = "All"
        if self.feed_ids:
            feed = next((f for f in self.feed_list.feeds if f.id in self.feed_ids), None)
            label = feed.display_title if feed else "Feed"
        if self.regions.label():
            label += f" · {self.regions.label()}"
        if self.entity:
            label += f" · mentions {self.entity[1]}"
        if self.search:
            label += f" · search: {self.search}"
        if self.by_story:
            label += " · by story"
        return label

    # --- regions ----------------------------------------------------------------------------

    def _saved_regions(self) -> RegionFilter:
        state = load_state(self.library.paths.state_file).get("regions", {})
        if not isinstance(state, dict):
            return RegionFilter()
        known = set(self.library.region_map.names) | {"Unplaced"}
        regions = tuple(r for r in state.get("names", ()) if isinstance(r, str) and r in known)
        sub = state.get("subregion")
        kind = "source" if state.get("kind") == "source" else "story"
        return RegionFilter(regions, sub if isinstance(sub, str) and regions else None, kind)

    def set_regions(self, regions: RegionFilter) -> None:
        """Apply a region filter: re-query, repaint the sidebar, remember it for next time."""
        self.regions = regions
        self.region_list.filter = regions
        self.reload(keep=False)
        path = self.library.paths.state_file
        if not self.library.is_demo:
            state = load_state(path)
            state["regions"] = {
                "names": list(regions.regions),
                "subregion": regions.subregion,
                "kind": regions.kind,
            }
            try:
                save_state(path, state)
            except OSError as exc:
                self.notify(f"Could not remember the region filter: {exc}", severity="warning")

    @work(thread=True, exclusive=True, group="regions", exit_on_error=False)
    def reload_regions(self) -> None:
        """Region counts, queried on a worker thread (a join over every article)."""
        kind = self.regions.kind
        counts = {
            (name, parent): (unread, total)
            for name, parent, unread, total in self.library.region_counts(kind)
        }
        tree = self.library.region_tree()
        if kind == "source":
            tree = [(name, ()) for name, _ in tree]
        self.app.call_from_thread(self._apply_region_rows, RegionRows(tree, counts))

    def _apply_region_rows(self, rows: RegionRows) -> None:
        self.region_rows = rows
        self.region_list.rows = rows

    def _regions_soon(self) -> None:
        """Counts changed (articles read, arrived or analysed): recount, at most twice a second."""
        if self._regions_timer is None:

            def run() -> None:
                self._regions_timer = None
                self.reload_regions()

            self._regions_timer = self.set_timer(0.5, run)

    def reload(self, *, keep: bool = True) -> None:
        """Re-query the list. With ``keep`` the selected article stays selected and in place.

        Without it (a new filter) the first screenfuls are queried at once, read in time order
        from an index, and the whole list and its counts follow from a worker thread: with
        100k articles the new list paints in milliseconds.
        """
        flt = self.filter
        if keep:
            self._apply_view(flt, self.library.view(flt), keep=True)
            return
        articles = self.articles
        articles.empty_message = self.empty_message()
        if not self.by_story:
            articles.set_ids(self.library.article_ids(flt, limit=HEAD_ROWS))
        self.status.filter_label = self.filter_label()
        self.reload_in_background()

    @work(thread=True, exclusive=True, group="merge", exit_on_error=False)
    def reload_in_background(self) -> None:
        """The same, with the queries on a worker thread (new articles during a refresh)."""
        flt, by_story = self.filter, self.by_story
        view = self.library.view(flt)
        if not by_story:
            self.app.call_from_thread(self._apply_view, flt, view, keep=True)
            return
        worker = get_current_worker()
        for rows, stories in self.library.story_groups(view.ids):
            if worker.is_cancelled:
                return
            grouped = replace(view, ids=rows)
            self.app.call_from_thread(self._apply_view, flt, grouped, keep=True, stories=stories)

    def _apply_view(
        self,
        flt: ArticleFilter,
        view: ListView,
        *,
        keep: bool,
        stories: dict[int, tuple[int, int]] | None = None,
    ) -> None:
        if flt != self.filter or (stories is not None) != self.by_story:
            return  # the filter changed while we were querying; that change reloaded already
        if self.by_story and stories is None:
            self.reload_in_background()  # the list needs grouping first
            return
        feeds, ids, total, unread = view.feeds, view.ids, view.total, view.unread
        self.feed_list.set_feeds(feeds)
        articles = self.articles
        articles.empty_message = self.empty_message()
        articles.set_ids(ids, keep=articles.selected_id if keep else None, stories=stories)
        status = self.status
        status.total, status.unread = total, unread
        status.filter_label = self.filter_label()
        checked = [f.last_checked for f in feeds if f.last_checked is not None]
        if checked and status.last_refresh is None:
            status.last_refresh = max(checked)

    def empty_message(self) -> str:
        if self.search:
            return f"No articles match “{safe_line(self.search)}”. Press esc to clear the search."
        if self.entity:
            return "No articles mention this entity. Press esc to clear the entity filter."
        if self.regions.label():
            return "No articles in this region. Press 0 to clear the region filter."
        if self.feed_ids:
            return "No articles in this feed yet. Press r to refresh it."
        feeds = self.feed_list.feeds
        if not feeds:
            return (
                "You have no feeds yet. Add one with `newsreader add URL`, "
                "or try `newsreader --demo`."
            )
        if self.refreshing:
            return "Fetching your feeds…"
        failing = [f for f in feeds if feed_failing(f)]
        if failing and len(failing) == len(feeds):
            error = safe_line(failing[0].last_error or "no answer")
            return (
                f"No articles yet: all {plural(len(feeds), 'feed')} failed to load "
                f"(for example: {error}).\n"
                "Check your network connection, press F to see each feed's error, or try "
                "`newsreader --demo` to read the bundled demo feeds offline."
            )
        return "No articles yet. Press R to refresh all feeds."

    # --- messages from the widgets --------------------------------------------------------

    @on(FeedList.Chosen)
    def feed_chosen(self, event: FeedList.Chosen) -> None:
        feed_ids = () if event.feed_id is None else (event.feed_id,)
        if feed_ids != self.feed_ids:
            self.feed_ids = feed_ids
            self.reload(keep=False)

    @on(ArticleList.Opened)
    def article_opened(self, event: ArticleList.Opened) -> None:
        self.open_article(event.article_id)

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        if event.value.strip() != self.search:
            self.search = event.value.strip()
            self.reload(keep=False)

    @on(Input.Submitted, "#search")
    def search_submitted(self) -> None:
        self.articles.focus()

    def open_article(self, article_id: int, *, history: History = "clear") -> None:
        """Show an article in the reader and ask for its related stories (on a thread: the
        strip never delays the reader). ``history``: a fresh trail (opened from the list), one
        more step along related stories (``push``), or a step back (``keep``)."""
        article = self.library.article(article_id)
        if article is None:
            return
        shown = self.reader.article
        if history == "clear":
            self.history.clear()
        elif history == "push" and shown is not None and shown.id != article_id:
            self.history.append(shown.id)
        self.reader.article = article
        self.strip.expect(article_id)
        self.load_story(article_id)
        if not article.read:
            self.set_read(article_id, article.feed_id, True)
        if self.has_class("-narrow"):
            self.reading = True
            self.reader.focus()

    @work(thread=True, exclusive=True, group="story", exit_on_error=False)
    def load_story(self, article_id: int) -> None:
        story = self.library.story(article_id)
        self.app.call_from_thread(self.strip.show, article_id, story)

    def set_read(self, article_id: int, feed_id: int, read: bool) -> None:
        """Mark one article and update every count on screen at once (no re-query)."""
        if not self.library.mark_read([article_id], read):
            return
        delta = -1 if read else 1
        self.articles.set_read(article_id, read)
        self.feed_list.adjust_unread(feed_id, delta)
        self.status.unread = max(0, self.status.unread + delta)
        self._regions_soon()

    # --- refresh --------------------------------------------------------------------------

    def start_refresh(self, urls: Sequence[str] = (), *, force: bool = True) -> None:
        if self.refreshing:
            self.notify("A refresh is already running.", timeout=3)
            return
        self.refreshing = True
        self._merged_new = 0
        self.articles.empty_message = self.empty_message()
        self.refresh_feeds(tuple(urls), force)

    def _refresh_due(self) -> None:
        if not self.refreshing:
            self.start_refresh(force=False)

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def refresh_feeds(self, urls: tuple[str, ...], force: bool) -> None:
        new = 0

        def on_event(event: LibraryEvent) -> None:
            nonlocal new
            if isinstance(event, AnalysisProgress):
                self.post_message(Analysed(event.done, event.total))
            elif isinstance(event, FeedFinished):
                new += event.result.new
                self.post_message(RefreshProgress(event.done, event.total, new))
            elif isinstance(event, FeedStarted):
                self.post_message(RefreshProgress(0, event.total, new))

        try:
            summary = await self.library.refresh(urls, force=force, on_event=on_event)
        except LibraryError as exc:
            self.post_message(RefreshFailed(str(exc)))
            return
        self.post_message(RefreshFinished(summary))

    @on(RefreshProgress)
    def refresh_progress(self, event: RefreshProgress) -> None:
        self.status.progress = (event.done, event.total)
        if event.new > self._merged_new and self._reload_timer is None:
            self._merged_new = event.new
            self._reload_timer = self.set_timer(RELOAD_DELAY, self._merge_new)

    def _merge_new(self) -> None:
        self._reload_timer = None
        self.reload_in_background()
        self._regions_soon()

    @on(Analysed)
    def analysis_progress(self, event: Analysed) -> None:
        finished = event.done >= event.total
        self.status.analysis = None if finished else (event.done, event.total)
        self._regions_soon()
        if self.regions.label() or self.entity:
            self.reload_in_background()
        if finished:
            self.analysis_finished()

    def analysis_finished(self) -> None:
        """Entities and regions are in: refresh what shows them."""
        shown = self.reader.article
        if shown is not None and not shown.analysed:
            self.reader.article = self.library.article(shown.id)
            self.load_story(shown.id)

    @on(RefreshFinished)
    def refresh_finished(self, event: RefreshFinished) -> None:
        self._end_refresh()
        self.status.last_refresh = self.now()
        if self.reader.article is not None:
            self.load_story(self.reader.article.id)  # new articles may cover its story
        self.reload_in_background()
        self.reload_regions()
        self._reload_feed_status()
        message, severity, timeout = self.summary_toast(event.summary)
        self.notify(message, severity=severity, timeout=timeout)

    @on(RefreshFailed)
    def refresh_failed(self, event: RefreshFailed) -> None:
        self._end_refresh()
        self.notify(safe_line(event.error), title="Refresh failed", severity="error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "refresh" and event.state in (
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self._end_refresh()
            self.reload(keep=True)
            if event.state is WorkerState.ERROR:
                error = safe_line(str(event.worker.error))
                self.notify(error, title="Refresh failed", severity="error")

    def _end_refresh(self) -> None:
        self.refreshing = False
        self.status.progress = None
        if self._reload_timer is not None:
            self._reload_timer.stop()
            self._reload_timer = None

    @staticmethod
    def summary_toast(summary: RefreshSummary) -> tuple[str, Severity, float]:
        """(message, severity, timeout) for the one toast a refresh shows."""
        message = f"{plural(summary.new, 'new article')}" if summary.new else "No new articles"
        if summary.failed:
            message += f"; {plural(len(summary.failed), 'feed')} failed (F shows why)"
            return message, "warning", 6
        return message, "information", 4

    def _reload_feed_status(self) -> None:
        for screen in self.app.screen_stack:
            if isinstance(screen, FeedStatusScreen):
                screen.reload()

    # --- actions --------------------------------------------------------------------------

    def _reader_active(self) -> bool:
        return self.reading or self.focused is self.reader

    def action_cursor_down(self) -> None:
        if self.focused is self.feed_list:
            self.feed_list.action_cursor_down()
        elif self._reader_active():
            self.reader.scroll_down(animate=False)
        else:
            self.articles.move(1)

    def action_cursor_up(self) -> None:
        if self.focused is self.feed_list:
            self.feed_list.action_cursor_up()
        elif self._reader_active():
            self.reader.scroll_up(animate=False)
        else:
            self.articles.move(-1)

    def action_first(self) -> None:
        if self._reader_active():
            self.reader.scroll_home(animate=False)
        else:
            self.articles.cursor = 0

    def action_last(self) -> None:
        if self._reader_active():
            self.reader.scroll_end(animate=False)
        else:
            self.articles.cursor = len(self.articles.ids) - 1

    def action_page_down(self) -> None:
        if self._reader_active():
            self.reader.scroll_page_down(animate=False)
        else:
            self.articles.page(1)

    def action_page_up(self) -> None:
        if self._reader_active():
            self.reader.scroll_page_up(animate=False)
        else:
            self.articles.page(-1)

    def action_open(self) -> None:
        if self.focused is self.feed_list:
            self.articles.focus()
            return
        selected = self.articles.selected_id
        if selected is not None:
            self.open_article(selected)

    def action_back(self) -> None:
        if self.search_input.display and (self.focused is self.search_input or self.search):
            self.search_input.value = ""
            self.search_input.display = False
            if self.search:
                self.search = ""
                self.reload(keep=True)
            self.articles.focus()
        elif self.entity is not None and not self.reading:
            self.entity = None
            self.reload(keep=True)
        elif self.reading:
            self.reading = False
            self.articles.focus()
        elif self.focused is not self.articles:
            self.articles.focus()

    def action_reader_page(self) -> None:
        if self.reader.article is None and self.articles.selected_id is not None:
            self.open_article(self.articles.selected_id)
        else:
            self.reader.scroll_page_down(animate=False)

    def _find_unread(self, step: int) -> int | None:
        articles = self.articles
        start = articles.cursor + step
        while 0 <= start < len(articles.ids):
            chunk = articles.rows_from(start, step)
            if not chunk:
                return None
            for index, row in chunk:
                if not row.read:
                    return index
            start = chunk[-1][0] + step
        return None

    def _jump_unread(self, step: int) -> None:
        index = self._find_unread(step)
        if index is None:
            self.notify("No more unread articles this way.", timeout=2)
            return
        self.articles.cursor = index
        if self.reading or self.reader.article is not None:
            selected = self.articles.selected_id
            if selected is not None:
                self.open_article(selected)

    def action_next_unread(self) -> None:
        self._jump_unread(1)

    def action_previous_unread(self) -> None:
        self._jump_unread(-1)

    def action_toggle_read(self) -> None:
        selected = self.articles.selected_id
        row = self.articles.row(selected) if selected is not None else None
        if row is not None:
            self.set_read(row.id, row.feed_id, not row.read)

    def action_mark_all_read(self) -> None:
        unread = self.status.unread
        if not unread:
            self.notify("Nothing unread here.", timeout=2)
            return
        flt = self.filter

        def answered(yes: bool | None) -> None:
            if yes:
                changed = self.library.mark_all_read(flt)
                self.articles.invalidate()
                self.reload(keep=True)
                self.reload_regions()
                self.notify(f"Marked {plural(changed, 'article')} read.", timeout=3)

        self.app.push_screen(
            ConfirmScreen(f"Mark all {plural(unread, 'unread article')} in view read?"), answered
        )

    def action_toggle_star(self) -> None:
        selected = self.articles.selected_id
        row = self.articles.row(selected) if selected is not None else None
        if row is None:
            return
        self.library.set_starred(row.id, not row.starred)
        self.articles.set_starred(row.id, not row.starred)
        shown = self.reader.article
        if shown is not None and shown.id == row.id:
            self.reader.article = self.library.article(row.id)

    def action_open_browser(self) -> None:
        article = self.reader.article if self._reader_active() else None
        article_id = article.id if article else self.articles.selected_id
        if article_id is None:
            return
        full = article or self.library.article(article_id)
        link = full.link if full else None
        if not link or urlsplit(link).scheme not in ("http", "https"):
            self.notify("This article has no web link to open.", severity="warning", timeout=3)
            return
        self.open_link(link)

    @work(thread=True, group="browser")
    def open_link(self, link: str) -> None:
        webbrowser.open(link)

    def action_refresh_feed(self) -> None:
        feed = self.feed_list.selected_feed() if self.focused is self.feed_list else None
        if feed is None and self.feed_ids:
            feed = next((f for f in self.feed_list.feeds if f.id == self.feed_ids[0]), None)
        if feed is None and self.articles.selected_id is not None:
            row = self.articles.row(self.articles.selected_id)
            feed = next((f for f in self.feed_list.feeds if row and f.id == row.feed_id), None)
        if feed is None:
            self.start_refresh(force=True)
            return
        self.notify(f"Refreshing {safe_line(feed.display_title)}", timeout=2)
        self.start_refresh([feed.url])

    def action_refresh_all(self) -> None:
        self.start_refresh(force=True)

    def action_search(self) -> None:
        self.reading = False
        self.search_input.display = True
        self.search_input.focus()

    def action_feed_status(self) -> None:
        self.app.push_screen(
            FeedStatusScreen(self.library.feeds, self.now, self._refresh_one, self._remove_feed)
        )

    def _refresh_one(self, url: str) -> None:
        self.start_refresh([url])

    def _remove_feed(self, url: str) -> None:
        try:
            self.library.remove_feed(url)
        except LibraryError as exc:
            self.notify(safe_line(str(exc)), severity="error")
            return
        self.feed_ids = ()
        self.reload(keep=True)
        self.notify("Feed removed.", timeout=3)

    # --- links and raw HTML ----------------------------------------------------------------

    def _current_article(self) -> Article | None:
        article = self.reader.article
        if article is None and self.articles.selected_id is not None:
            self.open_article(self.articles.selected_id)
            article = self.reader.article
        return article

    def action_links(self) -> None:
        article = self._current_article()
        if article is not None:

            def chosen(url: str | None) -> None:
                if url:
                    self.open_link(url)

            self.app.push_screen(LinksScreen(article), chosen)

    def action_raw_html(self) -> None:
        article = self._current_article()
        if article is not None:
            self.app.push_screen(RawHtmlScreen(article))

    # --- saving ---------------------------------------------------------------------------

    def action_save(self) -> None:
        article = self.reader.article if self._reader_active() else None
        article_id = article.id if article else self.articles.selected_id
        if article_id is None:
            return
        self.save_one(article_id)

    @work(thread=True, group="save", exit_on_error=False)
    def save_one(self, article_id: int) -> None:
        try:
            report = self.library.save_articles([article_id])
        except LibraryError as exc:
            self.app.call_from_thread(
                self.notify, safe_line(str(exc)), title="Not saved", severity="error"
            )
            return
        if report.paths:
            self.app.call_from_thread(
                self.notify, str(report.paths[0]), title="Saved as Markdown", timeout=6
            )
        for failure in report.failures:
            self.app.call_from_thread(
                self.notify, safe_line(failure.message), title="Not saved", severity="error"
            )

    def action_save_all(self) -> None:
        ids = list(self.articles.ids)
        if not ids:
            self.notify("Nothing in view to save.", timeout=2)
            return
        library = self.library

        def save(progress: Callable[[int], None]) -> SaveReport:
            return library.save_articles(ids, progress=progress)

        self.app.push_screen(SavingScreen(save, len(ids), library.save_dir()))

    # --- full text ------------------------------------------------------------------------

    def action_full_text(self) -> None:
        article = self.reader.article
        if article is None and self.articles.selected_id is not None:
            self.open_article(self.articles.selected_id)
            article = self.reader.article
        if article is None:
            return
        if article.full_text is not None:
            self.notify("This is already the full article.", timeout=2)
            return
        if not article.link:
            self.notify("This article has no web link to fetch.", severity="warning", timeout=3)
            return
        self.notify("Fetching the full article…", timeout=2)
        self.load_full_text(article.id)

    @work(group="full-text", exit_on_error=False)
    async def load_full_text(self, article_id: int) -> None:
        try:
            article = await self.library.fetch_full_text(article_id)
        except LibraryError as exc:
            self.notify(safe_line(str(exc)), title="Full text", severity="warning", timeout=6)
            return
        shown = self.reader.article
        if shown is not None and shown.id == article_id:
            self.reader.article = article
        self._regions_soon()
        self.notify("Full article loaded.", timeout=2)

    # --- entities -------------------------------------------------------------------------

    def action_toggle_entities(self) -> None:
        self.reader.entities = not self.reader.entities
        state = "on" if self.reader.entities else "off"
        self.notify(f"Entity highlighting {state}.", timeout=2)

    def action_toggle_images(self) -> None:
        on = self.reader.toggle_images()
        self.notify(f"Lead images {'on' if on else 'off'}.", timeout=2)

    def action_entities(self) -> None:
        article = self.reader.article
        if article is None and self.articles.selected_id is not None:
            article = self.library.article(self.articles.selected_id)
        if article is None:
            self.notify("Open an article first.", timeout=2)
            return
        counts = self.library.entity_counts([(e.type, e.canonical) for e in article.entities])
        self.app.push_screen(EntitiesScreen(article, counts), self.filter_by_entity)

    def filter_by_entity(self, entity: EntityKey | None) -> None:
        if entity is None:
            return
        self.entity = entity
        self.reading = False
        self.reload(keep=True)
        self.articles.focus()

    # --- related stories ------------------------------------------------------------------

    def action_related_next(self) -> None:
        self._move_along_strip(1)

    def action_related_previous(self) -> None:
        self._move_along_strip(-1)

    def _move_along_strip(self, step: int) -> None:
        if self.reader.article is None:
            self.notify("Open an article first.", timeout=2)
        elif self.strip.move(step):
            self.strip.focus()
        else:
            self.notify("No related stories for this article.", timeout=2)

    @on(RelatedStrip.Opened)
    def related_opened(self, event: RelatedStrip.Opened) -> None:
        self.open_article(event.article_id, history="push")

    def action_history_back(self) -> None:
        if not self.history:
            self.notify("No earlier article to go back to.", timeout=2)
            return
        self.open_article(self.history.pop(), history="keep")

    def action_group_stories(self) -> None:
        self.by_story = not self.by_story
        self.reload(keep=False)
        if self.by_story:
            self.notify("One row per story (c again: one per article).", timeout=3)

    # --- region keys -----------------------------------------------------------------------

    def action_select_region(self, number: int) -> None:
        names = self.region_rows.names(self.regions)
        if not 1 <= number <= len(names):
            self._adding_region = False
            self.notify(f"There is no region {number} in the sidebar.", timeout=2)
            return
        name = names[number - 1]
        current = self.regions
        if current.drill is not None:
            sub = None if current.subregion == name else name
            self.set_regions(replace(current, regions=(current.drill,), subregion=sub))
        elif self._adding_region and current.regions:
            chosen = list(current.regions)
            if name in chosen:
                chosen.remove(name)
            else:
                chosen.append(name)
            self.set_regions(replace(current, regions=tuple(chosen), subregion=None))
        elif current.regions == (name,) and not current.subregion:
            self.set_regions(replace(current, regions=(), subregion=None))
        else:
            self.set_regions(replace(current, regions=(name,), subregion=None))
        self._adding_region = False

    def action_add_region(self) -> None:
        self._adding_region = True
        self.notify("Press a region's digit to add it to the filter.", timeout=2)

    def action_clear_regions(self) -> None:
        self._adding_region = False
        current = self.regions
        if current.drill is not None:
            self.set_regions(replace(current, drill=None, subregion=None))
        elif current.regions or current.subregion:
            self.set_regions(replace(current, regions=(), subregion=None))

    def action_drill_region(self) -> None:
        current = self.regions
        if current.kind == "source":
            self.notify("Sub-regions are for story regions (press v).", timeout=2)
            return
        if current.drill is not None:
            self.set_regions(replace(current, drill=None))
            return
        if len(current.regions) != 1 or current.regions[0] == "Unplaced":
            self.notify("Pick one region first (its digit), then d.", timeout=2)
            return
        self.set_regions(replace(current, drill=current.regions[0]))

    def action_toggle_region_kind(self) -> None:
        kind = "source" if self.regions.kind == "story" else "story"
        keep = tuple(r for r in self.regions.regions if r != "Unplaced")
        self.set_regions(RegionFilter(keep, None, kind))
        self.reload_regions()
        label = "the feeds' declared regions" if kind == "source" else "what the stories are about"
        self.notify(f"Regions now follow {label}.", timeout=3)

    def action_pick_theme(self) -> None:
        palette = CommandPalette(providers=[ThemeChoices], placeholder="Choose a theme…")
        self.app.push_screen(palette)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.keymap))
