"""The refresh: fetch -> parse (worker process) -> store, one feed at a time, all feeds at once.

Every feed's outcome is written in its own transaction as soon as it arrives, and reported
through ``on_event`` so the CLI's progress bar and the TUI's status line can follow along.
A broken feed never stops the others.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from itertools import zip_longest
from urllib.parse import urlsplit

from newsreader.feeds.events import EventHandler, FeedFinished, FeedStarted, RefreshEvent
from newsreader.feeds.fetch import Fetcher, FetchRequest, FetchResponse, redirected_to
from newsreader.feeds.ingest import IngestJob, ParseTimeout, WorkerDied, ingest
from newsreader.feeds.parse import NotAFeedError
from newsreader.models import Feed, FeedResult, FetchStatus, ParsedFeed, RefreshSummary
from newsreader.store import FeedState, Store

MAX_BACKOFF = 24 * 3600.0
GONE_RECHECK = 30 * 24 * 3600.0


def next_due(
    now: float,
    interval: float,
    *,
    ttl: float | None = None,
    max_age: float | None = None,
    retry_after: float | None = None,
    failures: int = 0,
) -> float:
    """When to ask again: the interval, stretched (never shortened) by the feed's and server's
    hints, and doubled for each consecutive failure up to a day."""
    wait = max(interval, ttl or 0.0, max_age or 0.0)
    if failures:
        wait = min(MAX_BACKOFF, max(wait, interval * 2 ** (failures - 1)))
    if retry_after is not None:
        wait = max(wait, retry_after)
    return now + wait


class Poller:
    """Refreshes feeds with one Fetcher, a parse executor and a writer Store."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        parse_pool: Executor,
        *,
        interval_seconds: float,
        parse_timeout: float | None = None,
        on_event: EventHandler | None = None,
        on_moved: Callable[[str, str], None] | None = None,
    ) -> None:
        self._store = store
        self._fetcher = fetcher
        self._pool = parse_pool
        self._interval = interval_seconds
        self._parse_timeout = parse_timeout or None  # 0: no limit
        self._on_event = on_event
        self._on_moved = on_moved
        # One writer thread: transactions queue here, never on the event loop.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsreader-writer")

    def close(self) -> None:
        self._writer.shutdown(wait=True)

    async def refresh(self, feeds: Sequence[Feed]) -> RefreshSummary:
        started = time.perf_counter()
        summary = RefreshSummary(feeds=len(feeds))
        total = len(feeds)
        done = 0

        queue: asyncio.Queue[Feed] = asyncio.Queue()
        for feed in _interleave_hosts(feeds):
            queue.put_nowait(feed)

        async def worker() -> None:
            # A bounded set of workers pulls feeds from a queue: a 500-feed refresh never
            # wakes 500 coroutines at once on the event loop the UI shares.
            nonlocal done
            while not queue.empty():
                feed = queue.get_nowait()
                self._emit(FeedStarted(feed.url, total))
                try:
                    result = await self._refresh_feed(feed)
                except Exception as exc:  # a bug must not take the other feeds down with it
                    result = FeedResult(feed.url, FetchStatus.FAILED, f"internal error: {exc}")
                done += 1
                _tally(summary, result)
                self._emit(FeedFinished(result, done, total))

        workers = max(1, min(len(feeds), self._fetcher.limits.concurrency * 2))
        await asyncio.gather(*(worker() for _ in range(workers)))
        summary.seconds = round(time.perf_counter() - started, 3)
        return summary

    def _emit(self, event: RefreshEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)

    async def _write(
        self, feed_id: int, state: FeedState, parsed: ParsedFeed | None
    ) -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._writer, lambda: self._store.save_refresh(feed_id, state, parsed)
        )

    async def _refresh_feed(self, feed: Feed) -> FeedResult:
        response = await self._fetcher.fetch(
            FetchRequest(feed.url, feed.etag, feed.last_modified, feed.body_hash)
        )
        now = time.time()
        url = feed.url
        if response.new_url and response.new_url != feed.url:
            loop = asyncio.get_running_loop()
            moved = await loop.run_in_executor(
                self._writer, self._store.change_feed_url, feed.id, response.new_url
            )
            if moved:
                url = response.new_url
                if self._on_moved is not None:
                    self._on_moved(feed.url, response.new_url)

        if response.status is FetchStatus.OK:
            assert response.body is not None
            job = IngestJob(
                database=self._store.path,
                feed_id=feed.id,
                body=response.body,
                url=url,
                content_type=response.content_type,
                now=now,
                interval=self._interval,
                max_age=response.max_age,
                etag=response.etag,
                last_modified=response.last_modified,
                body_hash=response.body_hash,
                time_limit=self._parse_timeout,
            )
            loop = asyncio.get_running_loop()
            try:
                result = await loop.run_in_executor(self._pool, ingest, job)
            except NotAFeedError as exc:
                error = str(exc)
                if response.final_url is not None:  # a login or home page, most likely
                    error += f" {redirected_to(response.final_url)}"
                return await self._failed(feed, url, response, error, now)
            except ParseTimeout as exc:
                return await self._failed(feed, url, response, str(exc), now)
            except WorkerDied as exc:
                if exc.timed_out and self._parse_timeout:
                    error = str(ParseTimeout(self._parse_timeout))
                else:
                    error = f"could not read the feed: {exc}"
                return await self._failed(feed, url, response, error, now)
            except Exception as exc:
                return await self._failed(
                    feed, url, response, f"could not read the feed: {exc}", now
                )
            return FeedResult(
                url, FetchStatus.OK, None, result.new, result.updated, result.title or feed.title
            )

        if response.status in (FetchStatus.NOT_MODIFIED, FetchStatus.UNCHANGED):
            state = FeedState(
                status=response.status.value,
                error=None,
                checked=now,
                next_due=next_due(now, self._interval, max_age=response.max_age),
                failures=0,
                etag=response.etag or feed.etag,
                last_modified=response.last_modified or feed.last_modified,
                body_hash=response.body_hash or feed.body_hash,
            )
            await self._write(feed.id, state, None)
            return FeedResult(url, response.status, title=feed.title)

        return await self._failed(feed, url, response, response.error or "failed", now)

    async def _failed(
        self, feed: Feed, url: str, response: FetchResponse, error: str, now: float
    ) -> FeedResult:
        gone = response.status is FetchStatus.GONE
        failures = feed.failures + 1
        due = (
            now + GONE_RECHECK
            if gone
            else next_due(now, self._interval, retry_after=response.retry_after, failures=failures)
        )
        state = FeedState(
            status=FetchStatus.GONE.value if gone else FetchStatus.FAILED.value,
            error=error,
            checked=now,
            next_due=due,
            failures=failures,
            gone=gone,
            keep_validators=True,
        )
        await self._write(feed.id, state, None)
        return FeedResult(
            url, FetchStatus.GONE if gone else FetchStatus.FAILED, error, title=feed.title
        )


def _interleave_hosts(feeds: Sequence[Feed]) -> list[Feed]:
    """Order feeds round-robin by host, so workers waiting on one busy host's cap never hold
    up the feeds of every other host."""
    by_host: dict[str, list[Feed]] = {}
    for feed in feeds:
        by_host.setdefault(urlsplit(feed.url).netloc, []).append(feed)
    return [f for group in zip_longest(*by_host.values()) for f in group if f is not None]


def _tally(summary: RefreshSummary, result: FeedResult) -> None:
    if result.status is FetchStatus.OK:
        summary.ok += 1
    elif result.status is FetchStatus.NOT_MODIFIED:
        summary.not_modified += 1
    elif result.status is FetchStatus.UNCHANGED:
        summary.unchanged += 1
    else:
        summary.failed.append(result)
    summary.new += result.new
    summary.updated += result.updated
