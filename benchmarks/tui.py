"""TUI speed with a big cache: start-up to the first painted list, key-to-repaint latency for
j/k and for opening an article, and the largest event-loop stall while refreshing N feeds.

    uv run python benchmarks/tui.py [--articles 100000] [--feeds 500] [--runs 5]

Builds a cache of synthetic articles (200 feeds) in a temp dir, then measures:
- start-up: a fresh process, from its creation to the first painted row of the article list;
- j/k: pilot key presses, each waited until repainted (median and p95);
- open: enter on an article until the reader shows it (median);
- region switch: a digit key (a story-region filter) until the list is repainted (median, p95);
- stall: the largest lateness of a 5 ms ticker on the app's event loop during a refresh of
  N feeds served on loopback (benchmarks/feedserver.py), all feeds new.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from feedserver import FeedSet, serve_in_thread

from newsreader import config as cfg
from newsreader.library import Library
from newsreader.models import (
    BlockKind,
    EntitySummary,
    EntityType,
    FeedSource,
    ParsedArticle,
    ParsedFeed,
    RegionScore,
    TextBlock,
)
from newsreader.nlp.analysis import ANALYSER_VERSION
from newsreader.paths import Paths
from newsreader.store import FeedState, StoredAnalysis

# Synthetic analyses: every article gets one or two story regions, as a real cache would.
REGIONS = (
    ("Asia", "Southern Asia"),
    ("Europe", "Western Europe"),
    ("Africa", "Eastern Africa"),
    ("Middle East", "Western Asia"),
    ("Latin America", "South America"),
    ("North America", "Northern America"),
    ("Oceania", "Melanesia"),
)

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)

STARTUP_PROBE = r"""
import os, sys, time
from pathlib import Path
start = os.stat(f"/proc/{os.getpid()}").st_mtime  # ~ process creation
from newsreader.library import Library
from newsreader.paths import Paths
from newsreader.tui.app import NewsReaderApp
from newsreader.tui.widgets.article_list import ArticleList
original = ArticleList.render_line
def probe(self, y):
    strip = original(self, y)
    if self.ids:
        Path(sys.argv[3]).write_text(str(time.time() - start))
        os._exit(0)
    return strip
ArticleList.render_line = probe
paths = Paths(config_file=Path(sys.argv[1]), data_dir=Path(sys.argv[2]))
app = NewsReaderApp(Library.open(paths, write_defaults=False), refresh_on_start=False)
app.run(headless=True, size=(120, 40))
"""


def build_cache(root: Path, articles: int, feeds: int = 200) -> Paths:
    paths = Paths(config_file=root / "config" / "config.toml", data_dir=root / "data")
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text(
        "[refresh]\non_start = false\n[retention]\nmax_age_days = 0\nmax_per_feed = 0\n"
    )
    sources = [
        FeedSource(f"http://127.0.0.1:9/feed/{i}.xml", title=f"Feed {i}") for i in range(feeds)
    ]
    cfg.write_feed_list(paths.feeds_file, sources)
    library = Library.open(paths, write_defaults=False)
    per_feed = articles // feeds
    body = (
        TextBlock(
            BlockKind.PARAGRAPH, "Officials in Kabul said talks would resume next week. " * 6
        ),
    )
    for f, source in enumerate(sources):
        feed = library.store.feed_by_url(source.url)
        assert feed is not None
        items = tuple(
            ParsedArticle(
                key=f"{f}-{i}",
                title=f"Story {i} from feed {f}: ministers meet over border trade",
                link=f"https://example.com/{f}/{i}",
                author=None,
                published=NOW - timedelta(minutes=i * 7 + f),
                updated=None,
                summary_html="",
                content_html="",
                blocks=body,
                text=body[0].text,
            )
            for i in range(per_feed)
        )
        state = FeedState(
            status="ok", error=None, checked=0, next_due=NOW.timestamp() + 1e6, failures=0
        )
        library.store.save_refresh(feed.id, state, ParsedFeed(f"Feed {f}", None, items))
    ids = library.store.article_ids()
    for start in range(0, len(ids), 5000):
        batch = []
        for article_id in ids[start : start + 5000]:
            first = REGIONS[article_id % len(REGIONS)]
            second = REGIONS[(article_id // 7) % len(REGIONS)]
            regions = [RegionScore(first[0], 6.0, (first[1],))]
            if second != first and article_id % 3 == 0:
                regions.append(RegionScore(second[0], 3.0, (second[1],)))
            batch.append(
                StoredAnalysis(
                    article_id, ANALYSER_VERSION, "en", True, 10, 60, (),
                    (EntitySummary(EntityType.PLACE, "Kabul", "AF", 1, 1.0),),
                    tuple(regions),
                )
            )  # fmt: skip
        library.store.save_analyses(batch)
    # as after a first analysis pass: the region map these regions were made with
    library.store.set_meta("regions", library._regions_signature())
    library.store._conn.execute("ANALYZE")
    library.close()
    return paths


def startup(paths: Paths, runs: int) -> list[float]:
    times = []
    result = paths.data_dir / "startup.txt"
    for _ in range(runs):
        # No pipes: worker processes the app starts would hold them open after it exits.
        args = [str(paths.config_file), str(paths.data_dir), str(result)]
        subprocess.run(
            [sys.executable, "-c", STARTUP_PROBE, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
            check=True,
        )
        times.append(float(result.read_text()))
    return times


async def interactive(paths: Paths, feeds: int) -> dict[str, float]:
    from newsreader.tui.app import NewsReaderApp
    from newsreader.tui.widgets.article_list import ArticleList

    library = Library.open(paths, write_defaults=False)
    app = NewsReaderApp(library, refresh_on_start=False)
    result: dict[str, float] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        lst = app.screen.query_one(ArticleList)
        lst.focus()
        per_key = []
        for key in ["j"] * 150 + ["k"] * 50:
            t = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            per_key.append(time.perf_counter() - t)
        result["jk_median_ms"] = round(statistics.median(per_key) * 1000, 2)
        result["jk_p95_ms"] = round(sorted(per_key)[int(len(per_key) * 0.95)] * 1000, 2)
        opens = []
        for _ in range(10):
            await pilot.press("j")
            await pilot.pause()
            t = time.perf_counter()
            await pilot.press("enter")
            await pilot.pause()
            opens.append(time.perf_counter() - t)
            await pilot.press("escape")
            await pilot.pause()
        result["open_median_ms"] = round(statistics.median(opens) * 1000, 2)

        # Key to the first row of the new list painted (the rest of the list and its counts
        # follow from a thread, which Pilot's idle wait would otherwise include).
        painted: dict[str, object] = {}
        original = ArticleList.render_line

        def probe(self: ArticleList, y: int) -> object:
            strip = original(self, y)
            if self.ids and "at" not in painted and painted.get("ids") is not self.ids:
                painted["at"] = time.perf_counter()
            return strip

        ArticleList.render_line = probe  # type: ignore[method-assign,assignment]
        await app.workers.wait_for_complete()
        switches = []
        for key in ["1", "2", "3", "4", "5", "6", "7", "0"] * 4:
            painted.clear()
            painted["ids"] = lst.ids
            t = time.perf_counter()
            await pilot.press(key)
            while "at" not in painted:
                await asyncio.sleep(0.001)
            switches.append(float(painted["at"]) - t)  # type: ignore[arg-type]
            await app.workers.wait_for_complete()
            await pilot.pause()
        ArticleList.render_line = original  # type: ignore[method-assign]
        result["region_switch_median_ms"] = round(statistics.median(switches) * 1000, 2)
        result["region_switch_p95_ms"] = round(
            sorted(switches)[int(len(switches) * 0.95)] * 1000, 2
        )

        # Refresh N loopback feeds, watching the event loop.
        feedset = FeedSet(feeds, 50, None)
        server, base = serve_in_thread(feedset)
        for i in range(feeds):
            cfg.add_feed_source(paths.feeds_file, FeedSource(f"{base}/feed/{i}.xml"))
        library.sync_feeds()
        worst = 0.0
        stop = False
        stalls: list[tuple[float, float]] = []
        began = time.perf_counter()

        async def ticker() -> None:
            nonlocal worst
            while not stop:
                t = time.perf_counter()
                await asyncio.sleep(0.005)
                late = time.perf_counter() - t - 0.005
                worst = max(worst, late)
                stalls.append((late, t - began))

        tick = asyncio.create_task(ticker())
        t = time.perf_counter()
        await pilot.press("R")
        await pilot.pause()
        while any(w.group == "refresh" and not w.is_finished for w in app.workers):
            await asyncio.sleep(0.05)
        result["refresh_seconds"] = round(time.perf_counter() - t, 2)
        stop = True
        await tick
        result["refresh_max_stall_ms"] = round(worst * 1000, 1)
        stalls.sort(reverse=True)
        result["refresh_p99_stall_ms"] = round(stalls[len(stalls) // 100][0] * 1000, 1)
        if os.environ.get("STALLS"):
            print([(round(a * 1000), round(b, 2)) for a, b in stalls[:8]], file=sys.stderr)
        server.shutdown()
    library.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="nr-tui-bench-"))
    t = time.perf_counter()
    paths = build_cache(root, args.articles)
    line: dict[str, object] = {
        "benchmark": "tui",
        "articles": args.articles,
        "build_seconds": round(time.perf_counter() - t, 1),
    }
    starts = startup(paths, args.runs)
    line["startup_median_s"] = round(statistics.median(starts), 3)
    line.update(asyncio.run(interactive(paths, args.feeds)))
    line["refresh_feeds"] = args.feeds
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
