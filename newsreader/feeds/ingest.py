"""Parse a feed body and store its articles, in a worker process.

Both halves are CPU work in Python (feedparser, HTML to blocks, JSON and SQL for thousands of
rows); done in the UI's process they would fight its event loop for the GIL. Each worker keeps
its own connection to the cache; SQLite's write lock and busy timeout make them take turns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsreader.feeds.parse import parse_feed
from newsreader.store import FeedState, Store

_stores: dict[Path, Store] = {}


@dataclass(frozen=True, slots=True)
class IngestJob:
    database: Path
    feed_id: int
    body: bytes
    url: str
    content_type: str | None
    now: float
    interval: float
    max_age: float | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None


@dataclass(frozen=True, slots=True)
class IngestResult:
    new: int
    updated: int
    title: str | None


def ingest(job: IngestJob) -> IngestResult:
    """Raises ``NotAFeedError`` (picklable) when the body is not a feed; nothing is written."""
    from newsreader.feeds.poller import next_due

    parsed = parse_feed(job.body, job.url, content_type=job.content_type)
    state = FeedState(
        status="ok",
        error=None,
        checked=job.now,
        next_due=next_due(job.now, job.interval, ttl=parsed.ttl_seconds, max_age=job.max_age),
        failures=0,
        etag=job.etag,
        last_modified=job.last_modified,
        body_hash=job.body_hash,
    )
    store = _stores.get(job.database)
    if store is None:
        store = _stores[job.database] = Store.open(job.database)
    new, updated = store.save_refresh(job.feed_id, state, parsed, now=job.now)
    return IngestResult(new, updated, parsed.title or None)
