"""Parse a feed body and store its articles, in a worker process.

Both halves are CPU work in Python (feedparser, HTML to blocks, JSON and SQL for thousands of
rows); done in the UI's process they would fight its event loop for the GIL. Each worker keeps
its own connection to the cache; SQLite's write lock and busy timeout make them take turns.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsreader.feeds.parse import parse_feed
from newsreader.nlp.regions import RegionMap
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
    store = _store(job.database)
    new, updated = store.save_refresh(job.feed_id, state, parsed, now=job.now)
    return IngestResult(new, updated, parsed.title or None)


@dataclass(frozen=True, slots=True)
class EnrichJob:
    """Analyse stored articles (entities, regions, related features) and store the results.

    ``regions_only`` redoes only the story regions from the stored mentions (after the user
    changed the region map). ``regions`` is the config's ``[regions]`` table.
    """

    database: Path
    ids: tuple[int, ...]
    regions: Mapping[str, Any] | None = None
    regions_only: bool = False


def enrich(job: EnrichJob) -> int:
    """Returns how many articles were analysed."""
    from newsreader.nlp.analysis import ANALYSER_VERSION, analyse, regions_for
    from newsreader.store import StoredAnalysis, decode_mentions

    store = _store(job.database)
    region_map = _region_map(job.regions)
    inputs = store.analysis_inputs(job.ids)
    if job.regions_only:
        regions = []
        for item in inputs:
            if item.mentions is None:
                continue
            text = f"{item.title.strip()}\n\n{item.text}" if item.text else item.title.strip()
            mentions = decode_mentions(item.mentions, text)
            regions.append(
                (
                    item.id,
                    regions_for(
                        mentions, item.title_end, item.lead_end, region_map, item.source_region
                    ),
                )
            )
        store.save_regions(regions)
        return len(regions)
    from newsreader.nlp.related import entity_keys, features

    results = []
    for item in inputs:
        an = analyse(item.title, item.text, region_map=region_map, source_region=item.source_region)
        blob = features(item.title, item.text, entity_keys(an.entities))
        results.append(
            StoredAnalysis(
                article_id=item.id,
                version=ANALYSER_VERSION,
                language=an.language,
                full=an.full,
                title_end=an.title_end,
                lead_end=an.lead_end,
                mentions=an.mentions,
                entities=an.entities,
                regions=an.regions,
                features=blob,
            )
        )
    store.save_analyses(results)
    return len(results)


def _store(database: Path) -> Store:
    store = _stores.get(database)
    if store is None:
        store = _stores[database] = Store.open(database)
    return store


_region_maps: dict[str, RegionMap] = {}


def _region_map(table: Mapping[str, Any] | None) -> RegionMap:
    key = json.dumps(table, sort_keys=True, default=str)
    found = _region_maps.get(key)
    if found is None:
        found = _region_maps[key] = RegionMap.from_config(table)
    return found
