"""Refresh benchmark: `newsreader fetch` (and `newsboat -x reload` when installed) against a
loopback server of N feeds, in four cases: cold (empty cache), warm (all 304), unchanged (all
200 with identical bodies, no validators) and changed (10% new items).

    uv run python benchmarks/refresh.py [--feeds 500] [--corpus ../shared/feeds-corpus/news] [--runs 5]

Prints one JSON line per case with medians over the runs (interleaved between the readers).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from feedserver import FeedSet, serve_in_thread
from procstat import RunStats, measure

ROOT = Path(__file__).parent.parent


def newsreader_env(work: Path, urls: list[str]) -> list[str]:
    cfg = work / "nr-config"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "config.toml").write_text("[retention]\nmax_age_days = 0\nmax_per_feed = 0\n")
    (cfg / "feeds.toml").write_text("".join(f'[[feed]]\nurl = "{u}"\n' for u in urls))
    return [
        sys.executable, "-m", "newsreader", "--config", str(cfg / "config.toml"),
        "--data-dir", str(work / "nr-data"), "fetch", "--json",
    ]  # fmt: skip


def newsboat_cmd(work: Path, urls: list[str], threads: int) -> list[str]:
    d = work / f"nb-{threads}"
    d.mkdir(parents=True, exist_ok=True)
    (d / "urls").write_text("".join(u + "\n" for u in urls))
    (d / "config").write_text(
        f"reload-threads {threads}\nshow-read-feeds yes\nsuppress-first-reload yes\n"
    )
    return [
        "newsboat",
        "-x",
        "reload",
        "-u",
        str(d / "urls"),
        "-c",
        str(d / "cache.db"),
        "-C",
        str(d / "config"),
    ]


def reset(work: Path) -> None:
    for p in work.iterdir():
        if p.name.startswith("nr-data"):
            shutil.rmtree(p)
        if p.name.startswith("nb-"):
            (p / "cache.db").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", default="cold,warm,unchanged,changed")
    parser.add_argument("--no-newsboat", action="store_true")
    args = parser.parse_args()

    feedset = FeedSet(args.feeds, args.items, args.corpus)
    server, base = serve_in_thread(feedset)
    urls = [f"{base}/feed/{i}.xml" for i in range(args.feeds)]
    newsboat = shutil.which("newsboat") if not args.no_newsboat else None
    if newsboat is None and not args.no_newsboat:
        print(
            "newsboat not found (apt-get install newsboat): measuring newsreader only",
            file=sys.stderr,
        )

    work = Path(tempfile.mkdtemp(prefix="nr-bench-"))
    readers: dict[str, Callable[[], list[str]]] = {"newsreader": lambda: newsreader_env(work, urls)}
    if newsboat:
        for threads in (8, 32):
            readers[f"newsboat-{threads}"] = lambda t=threads: newsboat_cmd(work, urls, t)

    cases = args.cases.split(",")
    results: dict[str, dict[str, list[RunStats]]] = {c: {r: [] for r in readers} for c in cases}
    for _ in range(args.runs):
        for name, cmd in readers.items():
            reset(work)
            feedset.mode, feedset.generation = "validators", 0
            first = measure(cmd())
            if first.returncode != 0:
                print(f"{name} failed: {first.stderr[-2000:]}", file=sys.stderr)
                sys.exit(1)
            if "cold" in results:
                results["cold"][name].append(first)
            if "warm" in results:
                results["warm"][name].append(measure(cmd()))
            if "unchanged" in results:
                feedset.mode = "unchanged"
                measure(cmd())  # the first plain 200 after 304s is new to the reader's hash
                results["unchanged"][name].append(measure(cmd()))
            if "changed" in results:
                feedset.mode, feedset.generation = "validators", 1
                results["changed"][name].append(measure(cmd()))
    server.shutdown()
    shutil.rmtree(work, ignore_errors=True)

    for case in cases:
        line: dict[str, object] = {"benchmark": f"refresh-{case}", "feeds": args.feeds,
                                   "corpus": str(args.corpus) if args.corpus else "generated"}  # fmt: skip
        for name, runs in results[case].items():
            line[f"{name}_seconds"] = round(statistics.median(r.seconds for r in runs), 3)
            line[f"{name}_peak_rss_mb"] = round(max(r.peak_rss_mb for r in runs), 1)
        if newsboat:
            best = min(line[f"newsboat-{t}_seconds"] for t in (8, 32))  # type: ignore[type-var]
            line["ratio_to_newsboat_best"] = round(line["newsreader_seconds"] / best, 3)  # type: ignore[operator]
        if case in ("cold", "changed"):
            # "stored and listed": the whole run minus the analysis still running after the
            # last article was stored (entities, regions; the TUI does that in the background)
            tails = []
            for r in results[case]["newsreader"]:
                out = json.loads(r.stdout)
                tails.append(r.seconds - (out["analysed_seconds"] - out["seconds"]))
            line["newsreader_stored_seconds"] = round(statistics.median(tails), 3)
            line["articles"] = out["new"]
            line["analysed"] = out["analysed"]
            if newsboat:
                line["stored_ratio_to_newsboat_best"] = round(
                    line["newsreader_stored_seconds"] / best,  # type: ignore[operator]
                    3,
                )
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
