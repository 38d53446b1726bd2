"""The application service both faces use: the CLI's sub-commands and the TUI call only this.

It ties the configuration, the cache and the refresh together; neither face reaches into SQL
or the network directly.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from newsreader import config as cfg
from newsreader.feeds.events import FeedFinished, RefreshEvent
from newsreader.models import (
    ALL_ARTICLES,
    Article,
    ArticleFilter,
    ArticleRow,
    EntityType,
    Feed,
    FeedSource,
    RefreshSummary,
    RelatedItem,
    Story,
)
from newsreader.nlp.analysis import ANALYSER_VERSION
from newsreader.nlp.regions import RegionMap
from newsreader.nlp.related import STORY_SCORE, RelatedIndex
from newsreader.paths import Paths
from newsreader.store import UNPLACED, Store

if TYPE_CHECKING:
    # The Markdown export (BeautifulSoup, markdownify) and the refresh machinery (httpx,
    # feedparser, lxml, trafilatura) load when first used: the first screen never waits for them.
    from newsreader.export import EntityStyle, SaveReport
    from newsreader.feeds.fetch import Fetcher, FetchLimits
    from newsreader.feeds.ingest import WorkerPool

DEMO_DIR = Path(__file__).parent / "feeds" / "demo"


@dataclass(frozen=True, slots=True)
class ListView:
    feeds: list[Feed]
    ids: list[int]
    total: int
    unread: int


@dataclass(frozen=True, slots=True)
class AnalysisProgress:
    """Articles analysed so far (entities, regions) out of those waiting."""

    done: int
    total: int


LibraryEvent = RefreshEvent | AnalysisProgress
EventHandler = Callable[[LibraryEvent], None]

ENTITY_STYLE_NAMES: dict[str, EntityStyle] = {
    "wikilinks": "wikilink",
    "bold": "bold",
    "plain": "plain",
}
ANALYSIS_BATCH = 200
STORY_HITS = 32  # related articles looked at for a story's coverage
ANALYSE_ALONG_UP_TO = 20  # feeds: a refresh of more defers analysis until all are stored


class LibraryError(Exception):
    """A user-facing problem (bad URL, unknown feed ...); the message is shown as is."""


def parse_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _start_worker(owner: int) -> None:
    # Parsing is background work: on a small machine the UI process must win the CPU.
    with suppress(OSError):
        os.nice(10)
    # A worker must not outlive the process that started it (killed, or its terminal closed):
    # it would never notice, since it holds its own end of the job queue.
    threading.Thread(target=_exit_with, args=(owner,), daemon=True).start()


def _exit_with(owner: int) -> None:
    while True:
        time.sleep(1.0)
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os._exit(0)
        except OSError:
            pass


def make_parse_pool(workers: int | None = None) -> WorkerPool:
    from newsreader.feeds.ingest import WorkerPool

    # forkserver: workers start from a clean process, never a fork of a threaded UI.
    # A WorkerPool: a worker that dies (OOM killer, a crash, a feed stuck past its time limit)
    # costs the job that killed it, not every job in flight and every one after.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["newsreader.feeds.ingest"])
    return WorkerPool(
        max_workers=workers or parse_workers(),
        context=context,
        initializer=_start_worker,
        initargs=(os.getpid(),),
    )


def demo_sources() -> list[FeedSource]:
    manifest = json.loads((DEMO_DIR / "feeds.json").read_text(encoding="utf-8"))
    return [
        FeedSource(
            url=(DEMO_DIR / entry["file"]).resolve().as_uri(),
            title=entry.get("title"),
            region=entry.get("region"),
            category=entry.get("category"),
        )
        for entry in manifest
    ]


def demo_paths() -> Paths:
    """A throwaway config and data dir holding the bundled demo feeds."""
    root = Path(tempfile.mkdtemp(prefix="newsreader-demo-"))
    paths = Paths(config_file=root / "config" / "config.toml", data_dir=root / "data")
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text(cfg.DEFAULT_CONFIG, encoding="utf-8")
    cfg.write_feed_list(paths.feeds_file, demo_sources())
    return paths


class Library:
    def __init__(self, paths: Paths, settings: cfg.Settings, store: Store) -> None:
        self.paths = paths
        self.settings = settings
        self.store = store
        self._pool: Executor | None = None
        self._pool_lock = threading.Lock()
        self._throwaway: Path | None = None
        self._readers = threading.local()
        self._reader_stores: list[Store] = []
        self.region_map = RegionMap.from_config(settings.regions)
        self._analysing = False
        self._refreshing = 0
        self._wake: asyncio.Event | None = None
        self._unanalysable: set[int] = set()
        self._defer_analysis = False
        self._index: RelatedIndex | None = None
        self._index_lock = threading.Lock()

    @classmethod
    def open(cls, paths: Paths, *, write_defaults: bool = True) -> Library:
        if write_defaults:
            cfg.ensure_files(paths)
        settings = cfg.load_settings(paths)
        store = Store.open(paths.database)
        library = cls(paths, settings, store)
        library.sync_feeds()
        return library

    @classmethod
    def open_demo(cls) -> Library:
        paths = demo_paths()
        library = cls.open(paths, write_defaults=False)
        library._throwaway = paths.config_dir.parent
        return library

    @property
    def is_demo(self) -> bool:
        return self._throwaway is not None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        for reader in self._reader_stores:
            reader.close()
        self.store.close()
        if self._throwaway is not None:
            shutil.rmtree(self._throwaway, ignore_errors=True)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- feeds ----------------------------------------------------------------------------

    def sources(self) -> list[FeedSource]:
        return cfg.load_feed_sources(self.paths.feeds_file)

    def sync_feeds(self) -> None:
        # A feed's declared region is stored under the region's current name (aliases such as
        # "mideast" and names replaced in config resolve), so source filters are one lookup.
        sources = [
            replace(s, region=self.region_map.resolve(s.region) or s.region) if s.region else s
            for s in self.sources()
        ]
        self.store.sync_feeds(sources)

    def feeds(self) -> list[Feed]:
        return self.store.feeds()

    def add_feed(self, source: FeedSource) -> Feed:
        url = check_url(source.url)
        source = replace(source, url=url)
        if not cfg.add_feed_source(self.paths.feeds_file, source):
            raise LibraryError(f"already subscribed: {url}")
        self.sync_feeds()
        feed = self.store.feed_by_url(url)
        assert feed is not None
        return feed

    def remove_feed(self, url: str) -> None:
        removed = cfg.remove_feed_source(self.paths.feeds_file, url)
        deleted = self.store.delete_feed(url)
        if not (removed or deleted):
            raise LibraryError(f"no such feed: {url}")
        self.sync_feeds()

    def import_opml(self, data: bytes) -> list[FeedSource]:
        """Add every feed of an OPML file that is not there yet; returns those added."""
        from newsreader.feeds import opml

        try:
            sources = opml.parse_opml(data)
        except opml.OPMLError as exc:
            raise LibraryError(str(exc)) from exc
        added = [s for s in sources if cfg.add_feed_source(self.paths.feeds_file, s)]
        self.sync_feeds()
        return added

    def export_opml(self) -> str:
        from newsreader.feeds import opml

        return opml.to_opml(self.sources())

    # --- refresh --------------------------------------------------------------------------

    def _parse_pool(self) -> Executor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = make_parse_pool()
            return self._pool

    def warm_up(self) -> None:
        """Start the worker processes ahead of the first refresh (blocking: call it from a
        thread), so that refresh never waits for them on the UI's event loop. The refresh
        machinery is imported here too, for the same reason (~0.2 s of imports)."""
        import newsreader.feeds.fetch
        import newsreader.feeds.poller  # noqa: F401

        pool = self._parse_pool()
        for job in [pool.submit(int) for _ in range(parse_workers())]:
            job.result()

    def fetch_limits(self) -> FetchLimits:
        from newsreader.feeds.fetch import FetchLimits

        r = self.settings.refresh
        return FetchLimits(
            concurrency=max(1, r.concurrency),
            per_host=max(1, r.per_host),
            connect_timeout=r.connect_timeout,
            read_timeout=r.read_timeout,
            total_timeout=r.timeout,
            max_body_bytes=int(r.max_body_mb * 1_000_000),
        )

    def due_feeds(self, urls: Sequence[str] = (), *, force: bool = False) -> list[Feed]:
        feeds = self.store.feeds(with_counts=False)
        if urls:
            wanted = set(urls)
            unknown = wanted - {f.url for f in feeds}
            if unknown:
                raise LibraryError(f"no such feed: {', '.join(sorted(unknown))}")
            return [f for f in feeds if f.url in wanted]
        if force:
            return [f for f in feeds if not f.gone]
        now = time.time()
        return [
            f for f in feeds if not f.gone and (f.next_due is None or f.next_due.timestamp() <= now)
        ]

    async def refresh(
        self,
        urls: Sequence[str] = (),
        *,
        force: bool = True,
        on_event: EventHandler | None = None,
        analyse: bool = True,
    ) -> RefreshSummary:
        """Refresh the named feeds, or all feeds (``force``) or only those that are due.

        New and changed articles are analysed (entities, regions) as they arrive, one batch at
        a time so parsing keeps a worker; the call returns when both are done. Articles are
        listable as soon as their feed is stored (``FeedFinished``); ``AnalysisProgress``
        events follow the analysis.
        """
        from newsreader.feeds.fetch import Fetcher
        from newsreader.feeds.poller import Poller

        feeds = self.due_feeds(urls, force=force)

        def relay(event: LibraryEvent) -> None:
            if isinstance(event, FeedFinished) and (event.result.new or event.result.updated):
                self._wake_analysis()
            if on_event is not None:
                on_event(event)

        writer = Store.open(self.paths.database)
        self._refreshing += 1
        # A big refresh (a first run, a long time offline) stores everything first and then
        # analyses it, so the list fills as fast as it can; small ones analyse as they go.
        self._defer_analysis = len(feeds) > ANALYSE_ALONG_UP_TO
        # One analysis pass at a time: if one is running (a backlog after an upgrade, another
        # refresh) it takes this refresh's arrivals too.
        analysis = (
            asyncio.ensure_future(self._analyse_loop(relay))
            if analyse and not self._analysing
            else None
        )
        try:
            async with Fetcher(self.fetch_limits()) as fetcher:
                poller = Poller(
                    writer,
                    fetcher,
                    self._parse_pool(),
                    interval_seconds=self.settings.refresh.interval_minutes * 60,
                    parse_timeout=self.settings.refresh.parse_timeout,
                    on_event=relay,
                    on_moved=self._feed_moved,
                )
                started = time.time()
                try:
                    summary = await poller.refresh(feeds)
                    await self._auto_full_texts(fetcher, writer, started)
                finally:
                    poller.close()
                    self._refreshing -= 1
                    self._wake_analysis()
            ret = self.settings.retention
            removed = await asyncio.to_thread(writer.prune, ret.max_age_days, ret.max_per_feed)
            self._index_removed(removed)
            if analysis is not None:
                summary.analysed = await analysis
            summary.analysed_seconds = round(time.time() - started, 3)
        finally:
            if analysis is not None and not analysis.done():
                analysis.cancel()
                with suppress(asyncio.CancelledError):
                    await analysis
            writer.close()
        return summary

    # --- full text ------------------------------------------------------------------------

    async def fetch_full_text(self, article_id: int) -> Article:
        """Fetch and extract an article's page, store it and analyse it again. Raises
        LibraryError saying why when that fails (the feed's summary stays)."""
        from newsreader.feeds.fetch import Fetcher
        from newsreader.feeds.ingest import EnrichJob, enrich

        article = await asyncio.to_thread(lambda: self._thread_store().article(article_id))
        if article is None:
            raise LibraryError(f"no article with id {article_id}")
        if not article.link:
            raise LibraryError("this article has no web link to fetch")
        writer = await asyncio.to_thread(Store.open, self.paths.database)
        try:
            async with Fetcher(self.fetch_limits()) as fetcher:
                ok = await self._store_full_text(fetcher, writer, article_id, article.link)
        finally:
            writer.close()
        if isinstance(ok, str):
            raise LibraryError(f"could not fetch the full text: {ok}")
        loop = asyncio.get_running_loop()
        job = EnrichJob(self.paths.database, (article_id,), self.settings.regions or None)
        await loop.run_in_executor(self._parse_pool(), enrich, job)
        found = await asyncio.to_thread(lambda: self._thread_store().article(article_id))
        assert found is not None
        return found

    async def _store_full_text(
        self, fetcher: Fetcher, writer: Store, article_id: int, link: str
    ) -> bool | str:
        """True when stored, else the reason in words."""
        from newsreader.feeds.fulltext import FullTextError, executor_extractor, fetch_full_text

        try:
            full = await fetch_full_text(
                fetcher, link, extract=executor_extractor(self._parse_pool())
            )
        except FullTextError as exc:
            return exc.message
        await asyncio.to_thread(writer.save_full_text, article_id, full)
        return True

    async def _auto_full_texts(self, fetcher: Fetcher, writer: Store, since: float) -> None:
        """New articles of feeds marked ``full_text = true`` get their page fetched now; the
        analysis pass then reads the full text. A page that fails keeps the summary."""
        missing = await asyncio.to_thread(writer.missing_full_texts, since)
        if missing:
            await asyncio.gather(
                *(self._store_full_text(fetcher, writer, i, link) for i, link in missing)
            )

    # --- analysis -------------------------------------------------------------------------

    def _regions_signature(self) -> str:
        return json.dumps(
            {"regions": self.settings.regions, "version": ANALYSER_VERSION},
            sort_keys=True,
            default=str,
        )

    def pending_analysis(self) -> int:
        """Articles waiting for analysis (a cache from before entities, or new arrivals)."""
        return len(self._thread_store().unanalysed_ids(ANALYSER_VERSION))

    async def analyse_pending(self, on_event: EventHandler | None = None) -> int:
        """Analyse every article that has no current analysis, and redo the story regions of
        all of them if the region map changed in config. Returns how many were analysed
        (0 when a pass is already running: it will take them)."""
        if self._analysing:
            return 0
        return await self._analyse_loop(on_event)

    def analyse_now(self, ids: Sequence[int]) -> int:
        """Analyse a few articles in this process, at once (``show`` of an article that the
        background pass has not reached)."""
        from newsreader.feeds.ingest import EnrichJob, enrich

        return enrich(EnrichJob(self.paths.database, tuple(ids), self.settings.regions or None))

    def _wake_analysis(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _analyse_loop(self, on_event: EventHandler | None) -> int:
        self._analysing = True
        self._wake = wake = asyncio.Event()
        try:
            return await self._analyse(wake, on_event)
        finally:
            self._analysing = False
            self._wake = None

    async def _analyse(self, arrived: asyncio.Event, on_event: EventHandler | None) -> int:
        from newsreader.feeds.ingest import EnrichJob, enrich

        def polling() -> bool:
            return self._refreshing > 0

        loop = asyncio.get_running_loop()
        pool = self._parse_pool()
        reader = await asyncio.to_thread(self._thread_store)
        regions = self.settings.regions or None
        signature = self._regions_signature()
        if await asyncio.to_thread(reader.meta, "regions") != signature:
            ids = await asyncio.to_thread(reader.analysed_ids)
            for start in range(0, len(ids), ANALYSIS_BATCH * 5):
                job = EnrichJob(
                    self.paths.database,
                    tuple(ids[start : start + ANALYSIS_BATCH * 5]),
                    regions,
                    regions_only=True,
                )
                await loop.run_in_executor(pool, enrich, job)
            await asyncio.to_thread(reader.set_meta, "regions", signature)
        analysed = total = 0
        while True:
            arrived.clear()
            if polling() and self._defer_analysis:
                # Deferred until every feed is stored: no need to look for work (a scan of
                # every article) each time a feed arrives; the refresh's end wakes us.
                await arrived.wait()
                continue
            ids = await asyncio.to_thread(reader.unanalysed_ids, ANALYSER_VERSION)
            ids = [i for i in ids if i not in self._unanalysable]
            if not ids:
                if not polling():
                    break
                await arrived.wait()
                continue
            total = analysed + len(ids)
            if on_event is not None:
                on_event(AnalysisProgress(analysed, total))
            batches = [ids[i : i + ANALYSIS_BATCH] for i in range(0, len(ids), ANALYSIS_BATCH)]
            # While feeds are still being parsed one batch runs at a time, so a parse never
            # waits behind more than one batch; afterwards every worker takes part.
            while batches:
                width = 1 if polling() else parse_workers()
                running, batches = batches[:width], batches[width:]
                jobs = [
                    loop.run_in_executor(
                        pool, enrich, EnrichJob(self.paths.database, tuple(b), regions)
                    )
                    for b in running
                ]
                outcomes = await asyncio.gather(*jobs, return_exceptions=True)
                for batch, outcome in zip(running, outcomes, strict=True):
                    if isinstance(outcome, BaseException):
                        if isinstance(outcome, asyncio.CancelledError):
                            raise outcome
                        # A bug in the analyser must not stop refreshing or loop forever:
                        # these articles stay readable, just without entities and regions.
                        self._unanalysable.update(batch)
                    else:
                        analysed += outcome
                        await asyncio.to_thread(self._index_analysed, batch)
                if on_event is not None:
                    on_event(AnalysisProgress(analysed, total))
        if on_event is not None and total:
            on_event(AnalysisProgress(total, total))
        return analysed

    async def discover(self, url: str) -> str:
        """Check that a URL serves a feed before subscribing; a web page that links to its
        feed (``<link rel="alternate">``) gives that feed's address."""
        from newsreader.feeds.fetch import Fetcher, FetchRequest
        from newsreader.feeds.parse import NotAFeedError, find_feed_links, parse_feed

        url = check_url(url)
        if url.startswith("file:"):
            return url
        async with Fetcher(self.fetch_limits()) as fetcher:
            response = await fetcher.fetch(FetchRequest(url))
            if response.body is None:
                raise LibraryError(f"could not add {url}: {response.error or 'no content'}")
            found = response.new_url or url
            try:
                await asyncio.to_thread(
                    parse_feed, response.body, found, content_type=response.content_type
                )
            except NotAFeedError as exc:
                # relative feed links are relative to where the page really came from
                page = response.final_url or found
                links = find_feed_links(response.body, page)
                if not links:
                    raise LibraryError(f"could not add {url}: {exc}") from exc
                return links[0]
        return found

    def _feed_moved(self, old: str, new: str) -> None:
        cfg.replace_feed_url(self.paths.feeds_file, old, new)

    # --- saving ---------------------------------------------------------------------------

    def save_dir(self, override: Path | None = None) -> Path:
        return (override or self.settings.save.dir).expanduser()

    def related_index(self) -> RelatedIndex:
        """The related-stories index, built from the stored features on first use (call it
        from a thread at start-up) and kept up to date as articles are analysed."""
        with self._index_lock:
            if self._index is None:
                index = RelatedIndex(window_days=self.settings.related.window_days)
                index.extend(self._thread_store().related_rows())
                self._index = index
            return self._index

    def _index_removed(self, ids: Sequence[int]) -> None:
        """Articles removed by retention leave the related-stories index too."""
        if self._index is not None:
            for article_id in ids:
                self._index.remove(article_id)

    def _index_analysed(self, ids: Sequence[int]) -> None:
        if self._index is not None:
            for row in self._thread_store().related_rows(ids):
                self._index.add(*row)

    def related_items(self, article_id: int, k: int = 6) -> list[RelatedItem]:
        """Other articles about the same story, best first: copies of this article first
        (``duplicate``), then up to ``k`` others, each with the feeds of its own copies."""
        index = self.related_index()
        if article_id not in index:
            return []
        store = self._thread_store()
        regions = self._feed_regions(store)
        copies = [
            self._related_item(store, regions, i, 1.0, ()) for i in index.duplicates(article_id)
        ]
        hits = [
            self._related_item(store, regions, hit.id, round(hit.score, 4), hit.also)
            for hit in index.related(article_id, k)
        ]
        return [replace(c, duplicate=True) for c in copies if c is not None] + [
            h for h in hits if h is not None
        ]

    def story(self, article_id: int, k: int = 6) -> Story | None:
        """What the related-stories strip shows for an article: the ``k`` best related entries,
        the other feeds carrying this very copy, and how many sources carry the story per
        declared source region. ``None`` while the article is not indexed (not analysed yet).

        Call it off the event loop: the first call builds the index from the cache.
        """
        index = self.related_index()
        if article_id not in index:
            return None
        store = self._thread_store()
        copies = index.duplicates(article_id)
        hits = index.related(article_id, STORY_HITS)
        carrying = [article_id, *copies]
        carrying += [i for h in hits if h.score >= STORY_SCORE for i in (h.id, *h.also)]
        rows = store.article_rows(carrying)
        regions = self._feed_regions(store)
        per_region = Counter(regions.get(f) for f in {r.feed_id for r in rows.values()})
        coverage = sorted(per_region.items(), key=lambda c: (c[0] is None, -c[1], c[0] or ""))
        own = rows.get(article_id)
        copy_feeds = [
            rows[i].feed_title
            for i in copies
            if i in rows and (own is None or rows[i].feed_id != own.feed_id)
        ]
        items = [
            self._related_item(store, regions, hit.id, round(hit.score, 4), hit.also)
            for hit in hits[:k]
        ]
        return Story(
            article_id=article_id,
            related=tuple(item for item in items if item is not None),
            copies=tuple(dict.fromkeys(copy_feeds)),
            coverage=tuple(coverage),
        )

    def story_groups(
        self, ids: Sequence[int], first: int = 500
    ) -> Iterator[tuple[list[int], dict[int, tuple[int, int]]]]:
        """Group ``ids`` (newest first) by story, for the list's one-row-per-story view.

        Yields ``(rows, stories)`` for a growing prefix of ``ids`` (``first`` ids, then four
        times as many each step) so a long list can be shown as it is grouped: ``rows`` has the
        newest article of each story in the prefix, then the ids not grouped yet; ``stories``
        maps each row of a story of several articles to (articles, distinct sources). Call it
        off the event loop: an article's first grouping costs about a millisecond.
        """
        index = self.related_index()
        size = min(first, len(ids))
        while True:
            groups = index.stories(ids[:size])
            feeds = index.feeds(i for g in groups if len(g) > 1 for i in g)
            rows = [g[0] for g in groups]
            stories = {
                g[0]: (len(g), len({feeds.get(i, -i) for i in g})) for g in groups if len(g) > 1
            }
            yield [*rows, *ids[size:]], stories
            if size >= len(ids):
                return
            size = min(len(ids), size * 4)

    @staticmethod
    def _feed_regions(store: Store) -> dict[int, str | None]:
        return {f.id: f.region for f in store.feeds(with_counts=False)}

    @staticmethod
    def _related_item(
        store: Store,
        regions: dict[int, str | None],
        article_id: int,
        score: float,
        also: Sequence[int],
    ) -> RelatedItem | None:
        article = store.article(article_id)
        if article is None:  # removed by retention since the index was built
            return None
        others = store.article_rows(also)
        feeds = [
            others[i].feed_title
            for i in also
            if i in others and others[i].feed_id != article.feed_id
        ]
        return RelatedItem(
            id=article_id, title=article.title, feed_title=article.feed_title,
            link=article.link, when=article.when, score=score,
            also_in=tuple(dict.fromkeys(feeds)),
            regions=tuple(r.name for r in article.regions),
            source_region=regions.get(article.feed_id),
        )  # fmt: skip

    def save_articles(
        self,
        ids: Sequence[int],
        *,
        folder: Path | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> SaveReport:
        """Save articles as Markdown files (front matter, body, related stories). Raises
        LibraryError for a bad template or a folder that cannot be made; a single article that
        fails is in the report's failures, the others are saved."""
        from newsreader.export import SaveError, save_articles

        settings = self.settings.save
        style = ENTITY_STYLE_NAMES[settings.entities]
        store = self._thread_store()
        articles = (a for a in (store.article(i) for i in ids) if a is not None)
        try:
            return save_articles(
                articles,
                self.save_dir(folder),
                related_for=self.related_items,
                entity_style=style,
                template=settings.template,
                progress=progress,
            )
        except (ValueError, SaveError) as exc:
            raise LibraryError(str(exc)) from exc

    # --- regions and entities ---------------------------------------------------------------

    def region_tree(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every region in order, with the M49 sub-regions of its countries."""
        tree = []
        for name in self.region_map.names:
            subs = {
                sub
                for code in self.region_map.countries_in(name)
                if (sub := self.region_map.subregion_of(code))
            }
            tree.append((name, tuple(sorted(subs))))
        return tree

    def resolve_region(self, name: str) -> tuple[str | None, str | None]:
        """(region, sub-region) a typed name means: a region (any case, aliases such as
        "mideast" and "latam"), "Unplaced", or an M49 sub-region such as "southern asia".
        Raises LibraryError listing the names when unknown."""
        found = self.region_map.resolve(name)
        if found:
            return found, None
        key = " ".join(name.lower().split())
        if key == UNPLACED.lower():
            return UNPLACED, None
        for _, subs in self.region_tree():
            for sub in subs:
                if sub.lower() == key:
                    return None, sub
        raise LibraryError(
            f"no such region: {name} (regions: {', '.join(self.region_map.names)}, {UNPLACED}; "
            "or a sub-region such as Southern Asia)"
        )

    def region_counts(self, kind: str = "story") -> list[tuple[str, str, int, int]]:
        """(name, parent, unread, total): regions (parent "") and their sub-regions."""
        return self._thread_store().region_counts(kind)

    def find_entities(self, name: str) -> list[tuple[EntityType, str, int]]:
        return self._thread_store().find_entities(name)

    def entity_counts(
        self, keys: Sequence[tuple[EntityType, str]]
    ) -> dict[tuple[EntityType, str], int]:
        return self._thread_store().entity_counts(keys)

    # --- articles -------------------------------------------------------------------------

    def view(self, flt: ArticleFilter) -> ListView:
        """Everything the list needs for a filter, in one go. Safe to call from a worker
        thread: each thread reads through its own connection, so the UI thread never waits."""
        store = self._thread_store()
        feeds = store.feeds()
        ids = store.article_ids(flt)
        total, unread = store.count(flt)
        return ListView(feeds, ids, total, unread)

    def _thread_store(self) -> Store:
        if threading.current_thread() is threading.main_thread():
            return self.store
        store: Store | None = getattr(self._readers, "store", None)
        if store is None:
            store = Store.open(self.paths.database)
            self._readers.store = store
            self._reader_stores.append(store)
        return store

    def article_ids(self, flt: ArticleFilter = ALL_ARTICLES, limit: int | None = None) -> list[int]:
        return self.store.article_ids(flt, limit)

    def article_rows(self, ids: Sequence[int]) -> dict[int, ArticleRow]:
        return self.store.article_rows(ids)

    def article(self, article_id: int) -> Article | None:
        return self.store.article(article_id)

    def count(self, flt: ArticleFilter = ALL_ARTICLES) -> tuple[int, int]:
        return self.store.count(flt)

    def mark_read(self, ids: Sequence[int], read: bool = True) -> int:
        return self.store.set_read(ids, read)

    def mark_all_read(self, flt: ArticleFilter) -> int:
        return self.store.set_read_where(flt, True)

    def set_starred(self, article_id: int, starred: bool) -> None:
        self.store.set_starred(article_id, starred)

    # --- lead images ----------------------------------------------------------------------

    async def lead_image(self, url: str) -> bytes:
        """The bytes of an article's image, for the reader to draw: from the image cache in the
        data dir, else fetched (http(s) only, image types only, at most 5 MB, the refresh's time
        limits) and cached. Raises LibraryError saying why when there is none to show."""
        from newsreader.feeds.images import CACHE_DIR_NAME, ImageCache, ImageError, image_bytes

        cache = ImageCache(self.paths.data_dir / CACHE_DIR_NAME)
        try:
            return await image_bytes(url, cache=cache, limits=self.fetch_limits())
        except ImageError as exc:
            raise LibraryError(f"could not show the image: {exc.message}") from None


def check_url(url: str) -> str:
    """Accept http(s) URLs, and local files (for the demo and tests); say why otherwise."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        if not parts.netloc:
            raise LibraryError(f"not a valid address: {url}")
        return url
    if parts.scheme == "file":
        return url
    if not parts.scheme and Path(url).expanduser().is_absolute():
        return Path(url).expanduser().as_uri()
    raise LibraryError(f"only http(s) feed addresses are supported: {url}")
