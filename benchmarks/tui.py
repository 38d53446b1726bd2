"""TUI speed with a big cache: start-up to the first painted list, key-to-repaint latency for
j/k, opening an article, its related-stories strip, a region switch and grouping by story, and
the largest event-loop stall while refreshing N feeds.

    uv run python benchmarks/tui.py [--articles 100000] [--feeds 500] [--runs 5]

Builds a cache of synthetic articles in 200 feeds in a temp dir (realistic text in stories of
1-6 articles across feeds, from benchmarks/nlp_related.py, each analysed: entities, one or two
story regions, related-stories features; about 2-3 minutes for 100k on a loaded 2-core machine,
``build_seconds``), then measures:
- start-up: a fresh process, from spawning it to the first painted row of the article list
  (median of ``--runs``), and its peak RSS then (benchmarks/startup.py compares with Newsboat);
- j/k: pilot key presses, each waited until repainted (median and p95);
- open: enter on an article until the reader shows it (median);
- related strip: enter until the strip under the reader shows the article's story, its cards
  painted (median and p95 of 20 articles; ``related_story_query_median_ms`` is the part up to
  the worker thread's answer, ``related_strip_with_cards`` how many had related articles);
- region switch: a digit key (a story-region filter) until the list is repainted (median, p95);
- group: c (one row per story) until the first grouped rows are painted (first and median of 5);
- stall: the largest lateness of a 5 ms ticker on the app's event loop during a refresh of
  N feeds of 50 items served on loopback (benchmarks/feedserver.py, in its own process), all
  feeds new, until their analysis is done too.
Prints one JSON line. Targets of issue 9: region switch < 50 ms, largest stall < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from feedserver import DEFAULT_HOSTS, serve_in_process
from nlp_related import load as load_related_set
from nlp_related import synthetic
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

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
from newsreader.nlp.related import entity_keys, features
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

Doc = tuple[int, int, float, str, str, list[tuple[str, float]]]  # nlp_related.synthetic()

# A fresh process of the app, patched to report the moment the article list paints its first
# row with articles in it (argv: config file, data dir, result file, "paint" or "settle").
# It writes the wall-clock time of that moment and its peak RSS so far, then exits at once
# ("paint"); with "settle" it goes on until the start-up work in the background is done too
# (the related-stories index loaded, region counts, the analysis check: no worker running)
# and adds that time and the peak RSS by then. The caller times from just before it spawns
# the process, so the interpreter's own start counts.
STARTUP_PROBE = r"""
import json, os, sys, time
from pathlib import Path
from newsreader.library import Library
from newsreader.paths import Paths
from newsreader.tui.app import NewsReaderApp
from newsreader.tui.widgets.article_list import ArticleList

result, settle = Path(sys.argv[3]), sys.argv[4] == "settle"
seen = {}

def peak_mb():  # VmHWM: ru_maxrss would include the RSS of the process that spawned this one
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

def done(**figures):
    result.write_text(json.dumps(figures))
    os._exit(0)

def settled():
    busy = any(not w.is_finished for w in app.workers)
    if ("index" in seen and not busy) or time.time() - seen["painted"] > 120:
        done(**seen, settled=time.time(), settled_rss_mb=peak_mb())

original_render = ArticleList.render_line
def probe(self, y):
    strip = original_render(self, y)
    if self.ids and not seen:
        seen.update(painted=time.time(), painted_rss_mb=peak_mb())
        if not settle:
            done(**seen)
        self.app.set_interval(0.02, settled)
    return strip
ArticleList.render_line = probe

original_index = Library.related_index
def related_index(self):
    index = original_index(self)
    seen.setdefault("index", time.time())
    return index
Library.related_index = related_index

paths = Paths(config_file=Path(sys.argv[1]), data_dir=Path(sys.argv[2]))
app = NewsReaderApp(Library.open(paths, write_defaults=False), refresh_on_start=False)
app.run(headless=True, size=(120, 40))
"""


def _entities(keys: list[tuple[str, float]]) -> tuple[EntitySummary, ...]:
    """The synthetic article's entities (``("PERSON:Name", salience)``) as the app stores them."""
    return tuple(
        EntitySummary(EntityType(key.split(":", 1)[0]), key.split(":", 1)[1], None, 1, salience)
        for key, salience in keys
    )


def build_cache(root: Path, articles: int, feeds: int = 200) -> Paths:
    """A cache of ``articles`` analysed articles in ``feeds`` feeds, as after refreshing and
    analysing them: realistic text in synthetic stories of 1-6 articles across feeds (from
    benchmarks/nlp_related.py), each with entities, one or two story regions and the
    related-stories features the app computes from them. About a minute per 100k articles of
    text and features on one core, plus the writes."""
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
    docs = synthetic(load_related_set(), articles)
    per_feed: dict[int, list[Doc]] = {}
    for doc in docs:
        per_feed.setdefault(doc[1] % feeds, []).append(doc)
    entities: dict[tuple[str, str], list[tuple[str, float]]] = {}
    state = FeedState(
        status="ok", error=None, checked=0, next_due=NOW.timestamp() + 1e6, failures=0
    )
    for f, source in enumerate(sources):
        feed = library.store.feed_by_url(source.url)
        assert feed is not None
        items = []
        for doc_id, _, when, title, text, keys in per_feed.get(f, []):
            entities[title, text] = keys
            paragraphs = tuple(
                TextBlock(BlockKind.PARAGRAPH, p.strip() + ".")
                for p in text.split(". ")[::2]
                if p.strip()
            )
            items.append(
                ParsedArticle(
                    key=f"synthetic-{doc_id}", title=title,
                    link=f"https://example.com/{f}/{doc_id}", author=None,
                    published=datetime.fromtimestamp(when, UTC), updated=None,
                    summary_html="", content_html="", blocks=paragraphs, text=text,
                )
            )  # fmt: skip
        library.store.save_refresh(feed.id, state, ParsedFeed(f"Feed {f}", None, tuple(items)))
    ids = library.store.article_ids()
    for start in range(0, len(ids), 5000):
        batch = []
        for row in library.store.analysis_inputs(ids[start : start + 5000]):
            article_id = row.id
            first = REGIONS[article_id % len(REGIONS)]
            second = REGIONS[(article_id // 7) % len(REGIONS)]
            regions = [RegionScore(first[0], 6.0, (first[1],))]
            if second != first and article_id % 3 == 0:
                regions.append(RegionScore(second[0], 3.0, (second[1],)))
            found = _entities(entities.get((row.title, row.text), []))
            batch.append(
                StoredAnalysis(
                    article_id, ANALYSER_VERSION, "en", True, len(row.title), len(row.title) + 120,
                    (), found, tuple(regions),
                    features(row.title, row.text, entity_keys(found)),
                )
            )  # fmt: skip
        library.store.save_analyses(batch)
    # as after a first analysis pass: the region map these regions were made with
    library.store.set_meta("regions", library._regions_signature())
    library.store._conn.execute("ANALYZE")
    library.close()
    return paths


@dataclass(frozen=True)
class Startup:
    """One start of the app on a cache."""

    seconds: float  # spawning the process to the first painted row of articles
    rss_mb: float  # the process's peak RSS at that moment
    settled_seconds: float | None = None  # ... to the start-up work in the background done
    settled_rss_mb: float | None = None  # the peak RSS by then


def startup_once(paths: Paths, *, settle: bool = False, timeout: float = 180) -> Startup:
    """Start the app on ``paths`` in a fresh process (headless, 120x40) and time it."""
    result = paths.data_dir / "startup.json"
    result.unlink(missing_ok=True)
    args = [str(paths.config_file), str(paths.data_dir), str(result)]
    began = time.time()
    # No pipes: worker processes the app starts would hold them open after it exits.
    subprocess.run(
        [sys.executable, "-c", STARTUP_PROBE, *args, "settle" if settle else "paint"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=timeout,
        check=True,
    )
    seen = json.loads(result.read_text())
    return Startup(
        seconds=seen["painted"] - began,
        rss_mb=seen["painted_rss_mb"],
        settled_seconds=seen["settled"] - began if settle else None,
        settled_rss_mb=seen["settled_rss_mb"] if settle else None,
    )


def startup(paths: Paths, runs: int) -> list[Startup]:
    return [startup_once(paths) for _ in range(runs)]


async def until(condition: Callable[[], bool], timeout: float = 60) -> None:
    """Poll the event loop until ``condition()`` holds (the app runs meanwhile)."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not get there in time")
        await asyncio.sleep(0.001)


class PaintWatch:
    """When widgets were first repainted after a key press, as the compositor paints them
    (``Widget.render_lines``), the moment they show what the key asked for: ``start(name=
    wanted, ...)`` before pressing, where ``wanted(widget)`` says whether this repaint shows
    it; then ``await seconds(name)``.

    Pilot's own waits (``press``, ``pause``) are no timer: they wait until the process looks
    idle by its CPU time, and any busy thread (the related index loading, the OS) stretches
    them by tens of milliseconds."""

    def __init__(self) -> None:
        self.wanted: dict[str, Callable[[Widget], bool]] = {}
        self.began = 0.0
        self.at: dict[str, float] = {}
        original = Widget.render_lines
        watch = self

        def render_lines(widget: Widget, crop: Region) -> list[Strip]:
            lines = original(widget, crop)
            for name, wanted in watch.wanted.items():
                if name not in watch.at and wanted(widget):
                    watch.at[name] = time.perf_counter()
            return lines

        self._original = original
        Widget.render_lines = render_lines  # type: ignore[method-assign,assignment]

    def start(self, **wanted: Callable[[Widget], bool]) -> None:
        self.wanted, self.at = wanted, {}
        self.began = time.perf_counter()

    async def seconds(self, name: str = "it", timeout: float = 60) -> float:
        """Wait for the wanted repaint; the time from ``start`` to it."""
        await until(lambda: name in self.at, timeout)
        return self.at[name] - self.began

    def remove(self) -> None:
        self.wanted = {}
        Widget.render_lines = self._original  # type: ignore[method-assign]


def ms(values: list[float]) -> tuple[float, float]:
    """Median and p95 in milliseconds."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return round(statistics.median(ordered) * 1000, 2), round(p95 * 1000, 2)


async def interactive(paths: Paths, feeds: int) -> dict[str, float]:
    from newsreader.tui.app import NewsReaderApp
    from newsreader.tui.widgets.article_list import ArticleList
    from newsreader.tui.widgets.reader import ArticleReader
    from newsreader.tui.widgets.related_strip import RelatedCard, RelatedStrip

    library = Library.open(paths, write_defaults=False)
    app = NewsReaderApp(library, refresh_on_start=False)
    result: dict[str, float] = {}
    watch = PaintWatch()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        screen = app.screen
        lst = screen.query_one(ArticleList)
        reader = screen.query_one(ArticleReader)
        strip = screen.query_one(RelatedStrip)
        lst.focus()

        def cursor_moved(cursor: int) -> Callable[[Widget], bool]:
            return lambda w: isinstance(w, ArticleList) and w.cursor != cursor

        def new_list(ids: Sequence[int], grouped: bool = False) -> Callable[[Widget], bool]:
            def wanted(w: Widget) -> bool:
                if not isinstance(w, ArticleList) or not w.ids or w.ids is ids:
                    return False
                return bool(w._stories) or not grouped

            return wanted

        # j/k: the key until the list is repainted with the cursor moved.
        per_key = []
        for key in ["j"] * 150 + ["k"] * 50:
            watch.start(it=cursor_moved(lst.cursor))
            await pilot.press(key)
            per_key.append(await watch.seconds())
            await pilot.pause()
        result["jk_median_ms"], result["jk_p95_ms"] = ms(per_key)

        # open: enter until the reader's body is repainted with the article; then its
        # related-stories strip (the screen's `load_story` thread worker asks the library,
        # `RelatedStrip.show` fills the strip) until its cards are painted (or, for a story
        # with no other coverage, its coverage line).
        def reader_shows(article_id: int) -> Callable[[Widget], bool]:
            def wanted(w: Widget) -> bool:
                shown = reader.article
                return w.id == "reader-body" and shown is not None and shown.id == article_id

            return wanted

        def strip_shows(article_id: int) -> Callable[[Widget], bool]:
            def wanted(w: Widget) -> bool:
                story = strip.story
                if story is None or story.article_id != article_id:
                    return False
                return isinstance(w, RelatedCard) if story.related else w.id == "related-coverage"

            return wanted

        opens, strips, cards = [], [], []
        for _ in range(20):
            await pilot.press("j")
            await pilot.pause()
            article_id = lst.selected_id
            assert article_id is not None
            watch.start(reader=reader_shows(article_id), strip=strip_shows(article_id))
            await pilot.press("enter")
            opens.append(await watch.seconds("reader"))
            strips.append(await watch.seconds("strip"))
            story = strip.story
            cards.append(len(story.related) if story is not None else 0)
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
        result["open_median_ms"], result["open_p95_ms"] = ms(opens)
        result["related_strip_median_ms"], result["related_strip_p95_ms"] = ms(strips)
        result["related_strip_with_cards"] = sum(1 for c in cards if c)
        result["related_strip_opened"] = len(cards)

        # A digit key (a story-region filter) until the first rows of the new list are painted
        # (the rest of the list and its counts follow from a thread).
        await app.workers.wait_for_complete()
        switches = []
        for key in ["1", "2", "3", "4", "5", "6", "7", "0"] * 4:
            watch.start(it=new_list(lst.ids))
            await pilot.press(key)
            switches.append(await watch.seconds())
            await app.workers.wait_for_complete()
            await pilot.pause()
        result["region_switch_median_ms"], result["region_switch_p95_ms"] = ms(switches)

        # c (group the list by story) until the first rows of the grouped list are painted;
        # then c again for one row per article, and let everything settle.
        groupings = []
        for _ in range(5):
            watch.start(it=new_list(lst.ids, grouped=True))
            await pilot.press("c")
            groupings.append(await watch.seconds())
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("c")
            await app.workers.wait_for_complete()
            await pilot.pause()
        watch.remove()
        result["group_first_ms"] = round(groupings[0] * 1000, 2)
        result["group_median_ms"] = round(statistics.median(groupings) * 1000, 2)

        # Refresh N loopback feeds, watching the event loop. The server runs in a process of
        # its own: its threads in this one would take the GIL from the app's event loop.
        server, where = serve_in_process(feeds, 50, hosts=DEFAULT_HOSTS)
        for url in where.urls(feeds):
            cfg.add_feed_source(paths.feeds_file, FeedSource(url))
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
        server.terminate()
        server.wait()
    library.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="nr-tui-bench-"))
    try:
        run(root, args)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run(root: Path, args: argparse.Namespace) -> None:
    t = time.perf_counter()
    paths = build_cache(root, args.articles)
    line: dict[str, object] = {
        "benchmark": "tui",
        "articles": args.articles,
        "build_seconds": round(time.perf_counter() - t, 1),
    }
    starts = startup(paths, args.runs)
    line["startup_median_s"] = round(statistics.median(s.seconds for s in starts), 3)
    line["startup_peak_rss_mb"] = round(max(s.rss_mb for s in starts), 1)
    line.update(asyncio.run(interactive(paths, args.feeds)))
    line["refresh_feeds"] = args.feeds
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
