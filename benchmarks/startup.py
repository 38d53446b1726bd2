"""Start-up benchmark: newsreader's TUI on a cache of 10k and 100k articles, from process start
to the first painted row of the article list, against `newsboat -x print-unread` on a Newsboat
cache of the same articles; with the peak RSS of both.

    uv run python benchmarks/startup.py [--sizes 10000,100000] [--feeds 500] [--runs 5] [--cache-dir DIR]

Both caches are filled the same way: the loopback feed server (benchmarks/feedserver.py) serves
``--feeds`` generated feeds of size/feeds items each, and `newsreader fetch` (which returns once
every article is analysed) and `newsboat -x reload` each fetch them once. Newsboat runs with
its own config, urls, cache and HOME in the work dir; it is stock, so it never runs ANALYZE on
its cache (the issue notes its print-unread slows as the cache grows): measured as it is.

Then, after one untimed start of each (to warm the OS file cache), ``--runs`` rounds, each
starting newsreader to its first painted row, newsboat's print-unread, and newsreader once more
until its start-up work in the background is over too ("settled": the related-stories index
loaded, the region counts, the analysis check), in an order that rotates from round to round.

Prints one JSON line per size: medians of the times, the peak RSS (largest over the runs; the
kernel's high-water mark of the process: newsreader's at its first painted row and when
settled, Newsboat's until it exits), ratios newsreader/newsboat and the targets of issue 9
(at 100k: time ratio <= 0.5 and under 1 s; peak RSS ratio <= 1.5). ``fill`` has what filling
the caches took, when this run filled them.

Filling takes a while: newsreader fetches and analyses every article (measured on a loaded
2-core machine: 25 s for 10k, 10 min for 100k; Newsboat 5 s and 39 s), so ``--cache-dir DIR``
keeps the caches there and later runs with the same DIR, sizes and feeds reuse them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from feedserver import DEFAULT_HOSTS, FeedSet, serve_in_threads
from procstat import RunStats, measure, measure_exact
from tui import Startup, startup_once

from newsreader.library import Library
from newsreader.paths import Paths

TIME_RATIO_TARGET = 0.5
SECONDS_TARGET = 1.0
RSS_RATIO_TARGET = 1.5


@dataclass(frozen=True)
class Caches:
    """One size's caches, filled once: newsreader's paths and Newsboat's files."""

    root: Path
    articles: int
    feeds: int

    @property
    def paths(self) -> Paths:
        return Paths(
            config_file=self.root / "nr-config" / "config.toml", data_dir=self.root / "nr-data"
        )

    @property
    def newsboat_dir(self) -> Path:
        return self.root / "nb"

    @property
    def marker(self) -> Path:
        return self.root / "filled.json"

    def newsboat(self, command: str) -> list[str]:
        d = self.newsboat_dir
        return [
            "newsboat", "-x", command, "-u", str(d / "urls"), "-c", str(d / "cache.db"),
            "-C", str(d / "config"),
        ]  # fmt: skip

    def newsboat_env(self) -> dict[str, str]:
        """Newsboat keeps nothing in the real home (it makes ~/.newsboat otherwise)."""
        home = str(self.newsboat_dir / "home")
        return {
            "HOME": home,
            "XDG_CONFIG_HOME": home + "/.config",
            "XDG_DATA_HOME": home + "/.local/share",
        }


def fill(caches: Caches, newsboat: bool) -> dict[str, object]:
    """Serve the articles on loopback and fetch them once into each cache."""
    items = caches.articles // caches.feeds
    feedset = FeedSet(caches.feeds, items, None)
    began = time.perf_counter()
    feedset.prepare()
    figures: dict[str, object] = {"serve_prepare_seconds": round(time.perf_counter() - began, 1)}
    hosts = serve_in_threads(feedset, DEFAULT_HOSTS)
    urls = hosts.urls(caches.feeds)
    try:
        paths = caches.paths
        paths.config_dir.mkdir(parents=True, exist_ok=True)
        paths.config_file.write_text(
            "[refresh]\non_start = false\n[retention]\nmax_age_days = 0\nmax_per_feed = 0\n"
        )
        paths.feeds_file.write_text("".join(f'[[feed]]\nurl = "{u}"\n' for u in urls))
        fetch = [
            sys.executable, "-m", "newsreader", "--config", str(paths.config_file),
            "--data-dir", str(paths.data_dir), "fetch", "--json",
        ]  # fmt: skip
        run = measure(fetch)
        if run.returncode != 0:
            raise SystemExit(f"newsreader fetch failed: {run.stderr[-2000:]}")
        out = json.loads(run.stdout)
        if out["failed"]:
            raise SystemExit(
                f"newsreader fetch: {len(out['failed'])} feeds failed: {out['failed'][:3]}"
            )
        figures.update(
            newsreader_fetch_seconds=round(run.seconds, 1),
            newsreader_fetch_stored_seconds=round(
                run.seconds - out["analysed_seconds"] + out["seconds"], 1
            ),
            newsreader_fetch_peak_rss_mb=round(run.peak_rss_mb, 1),
            newsreader_new=out["new"],
            newsreader_analysed=out["analysed"],
        )
        if newsboat:
            d = caches.newsboat_dir
            (d / "home").mkdir(parents=True, exist_ok=True)
            (d / "urls").write_text("".join(u + "\n" for u in urls))
            (d / "config").write_text(
                "reload-threads 8\nshow-read-feeds yes\nsuppress-first-reload yes\n"
            )
            run = measure(caches.newsboat("reload"), env=caches.newsboat_env())
            if run.returncode != 0:
                raise SystemExit(f"newsboat reload failed: {run.stderr[-2000:]}")
            figures.update(
                newsboat_reload_seconds=round(run.seconds, 1),
                newsboat_reload_peak_rss_mb=round(run.peak_rss_mb, 1),
            )
    finally:
        hosts.shutdown()
    return figures


def newsreader_count(paths: Paths) -> int:
    with Library.open(paths, write_defaults=False) as library:
        return library.count()[0]


def unread(run: RunStats) -> int:
    """The count `newsboat -x print-unread` prints ("100000 unread articles")."""
    return int(run.stdout.split()[0])


def prepare(
    root: Path, articles: int, feeds: int, newsboat: bool
) -> tuple[Caches, dict[str, object]]:
    caches = Caches(root / f"{articles}-articles-{feeds}-feeds", articles, feeds)
    want = {"articles": articles, "feeds": feeds, "newsboat": newsboat}
    if caches.marker.exists():
        done = json.loads(caches.marker.read_text())
        if {k: done.get(k) for k in want} == want:
            return caches, {"reused": str(caches.root)}
    shutil.rmtree(caches.root, ignore_errors=True)
    caches.root.mkdir(parents=True)
    print(f"filling the caches with {articles} articles from {feeds} feeds…", file=sys.stderr)
    figures = fill(caches, newsboat)
    caches.marker.write_text(json.dumps({**want, "fill": figures}))
    return caches, figures


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def bench(caches: Caches, runs: int, newsboat: bool) -> dict[str, object]:
    paths = caches.paths
    starts: list[Startup] = []
    settled: list[Startup] = []
    boats: list[RunStats] = []

    def newsboat_once() -> RunStats:
        run = measure_exact(caches.newsboat("print-unread"), env=caches.newsboat_env())
        if run.returncode != 0:
            raise SystemExit(f"newsboat print-unread failed: {run.stderr[-2000:]}")
        return run

    steps = {
        "paint": lambda: starts.append(startup_once(paths)),
        "settle": lambda: settled.append(startup_once(paths, settle=True)),
    }
    if newsboat:
        steps["newsboat"] = lambda: boats.append(newsboat_once())
    # warm-up: one untimed start of each
    startup_once(paths)
    if newsboat:
        newsboat_once()
    names = list(steps)
    for run in range(runs):
        for name in names[run % len(names) :] + names[: run % len(names)]:
            steps[name]()

    line: dict[str, object] = {
        "benchmark": "startup",
        "articles": caches.articles,
        "feeds": caches.feeds,
        "runs": runs,
        "newsreader_articles": newsreader_count(paths),
        "newsreader_seconds": median([s.seconds for s in starts]),
        "newsreader_peak_rss_mb": round(max(s.rss_mb for s in starts), 1),
        "newsreader_settled_seconds": median([s.settled_seconds or 0.0 for s in settled]),
        "newsreader_settled_peak_rss_mb": round(max(s.settled_rss_mb or 0.0 for s in settled), 1),
    }
    seconds = float(line["newsreader_seconds"])  # type: ignore[arg-type]
    rss = float(line["newsreader_peak_rss_mb"])  # type: ignore[arg-type]
    if newsboat:
        nb_seconds = median([r.seconds for r in boats])
        nb_rss = round(max(r.peak_rss_mb for r in boats), 1)
        line.update(
            newsboat_articles=unread(boats[-1]),
            newsboat_seconds=nb_seconds,
            newsboat_peak_rss_mb=nb_rss,
            time_ratio=round(seconds / nb_seconds, 3),
            rss_ratio=round(rss / nb_rss, 2),
            settled_rss_ratio=round(float(line["newsreader_settled_peak_rss_mb"]) / nb_rss, 2),  # type: ignore[arg-type]
            target=(
                f"time_ratio <= {TIME_RATIO_TARGET}, newsreader_seconds < {SECONDS_TARGET}, "
                f"rss_ratio <= {RSS_RATIO_TARGET} (issue 9: at 100k)"
            ),
            target_met=(
                seconds / nb_seconds <= TIME_RATIO_TARGET
                and seconds < SECONDS_TARGET
                and rss / nb_rss <= RSS_RATIO_TARGET
            ),
        )
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="cached articles, comma-separated")
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cache-dir", type=Path, help="keep the filled caches here and reuse them")
    parser.add_argument("--no-newsboat", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if any(size < args.feeds for size in sizes):
        parser.error("every size needs at least one article per feed")
    newsboat = not args.no_newsboat and shutil.which("newsboat") is not None
    if not newsboat and not args.no_newsboat:
        print(
            "newsboat not found (apt-get install newsboat): measuring newsreader only",
            file=sys.stderr,
        )
    root = args.cache_dir or Path(tempfile.mkdtemp(prefix="nr-startup-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        for size in sizes:
            caches, figures = prepare(root, size, args.feeds, newsboat)
            line = bench(caches, args.runs, newsboat)
            line["fill"] = figures
            print(json.dumps(line), flush=True)
    finally:
        if args.cache_dir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
