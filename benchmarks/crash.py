"""Crash benchmark: `newsreader fetch` killed with SIGKILL at random moments, over and over.

A loopback server answers every request for each of N feeds with new articles, so each run
writes for as long as it lives. Each run is killed at a random moment between its start and
the end of a typical refresh; then the cache is checked (PRAGMA integrity_check, and every
article that was there before the run must still be there) and the processes the run left
behind are counted (parse workers, fork server, resource tracker: they should exit on their
own; the benchmark then kills them by id).

    uv run python benchmarks/crash.py [--kills 50] [--feeds 16] [--items 10] [--seed N]

Linux only (reads /proc). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from procstat import alive, descendants, freeze, running

ROOT = Path(__file__).resolve().parent.parent


class Feeds(BaseHTTPRequestHandler):
    """Every answer carries ``items`` articles never sent before."""

    items = 10
    requests = 0
    lock = threading.Lock()

    def do_GET(self) -> None:
        with Feeds.lock:
            Feeds.requests += 1
            serial = Feeds.requests
        name = self.path.rsplit("/", 1)[-1]
        entries = "".join(
            f"<item><title>Harbour log {name}.{serial}.{i}</title><guid>{name}-{serial}-{i}</guid>"
            f"<description>Entry {i} of round {serial}: ferries on time at Tidewater quay."
            f"</description></item>"
            for i in range(Feeds.items)
        )
        body = f'<rss version="2.0"><channel><title>Log {name}</title>{entries}</channel></rss>'
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


def snapshot(database: Path) -> tuple[str, set[tuple[int, str]], float]:
    """(integrity_check, {(feed id, key)}, seconds the check took)."""
    if not database.exists():
        return "ok", set(), 0.0
    started = time.perf_counter()
    conn = sqlite3.connect(database, timeout=30)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        keys = set(conn.execute("SELECT feed_id, key FROM articles").fetchall())
    finally:
        conn.close()
    return integrity, keys, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--feeds", type=int, default=16)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    Feeds.items = args.items
    rng = random.Random(args.seed)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Feeds)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    work = Path(tempfile.mkdtemp(prefix="nr-crash-"))
    cfg = work / "cfg"
    cfg.mkdir()
    (cfg / "config.toml").write_text("[retention]\nmax_age_days = 0\nmax_per_feed = 0\n")
    port = server.server_address[1]
    (cfg / "feeds.toml").write_text(
        "".join(f'[[feed]]\nurl = "http://127.0.0.1:{port}/f{n}"\n' for n in range(args.feeds))
    )
    command = [
        sys.executable, "-m", "newsreader", "--config", str(cfg / "config.toml"),
        "--data-dir", str(work / "data"), "fetch", "--json",
    ]  # fmt: skip
    database = work / "data" / "cache.sqlite3"

    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
    lifetime = time.perf_counter() - started  # a whole run, start to exit

    mid_refresh = lost = integrity_failures = orphan_runs = orphans = 0
    checks: list[float] = []
    log = work / "run.log"
    for _ in range(args.kills):
        _, before, _ = snapshot(database)
        seen = Feeds.requests
        with log.open("wb") as out:
            proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=out)
        time.sleep(rng.uniform(0, lifetime))
        if running(proc.pid) and Feeds.requests > seen:
            mid_refresh += 1
        family = freeze(proc.pid)  # to know them all; then they run on, and it dies
        for pid in family:
            os.kill(pid, signal.SIGCONT)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        time.sleep(2)  # time for left-behind processes to notice and exit
        for pid in list(family):
            family.update(descendants(pid))
        survivors = {p: s for p, s in family.items() if alive(p, s)}
        if survivors:
            orphan_runs += 1
            orphans += len(survivors)
        for pid in survivors:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        while any(alive(p, s) for p, s in survivors.items()):
            time.sleep(0.01)
        integrity, after, seconds = snapshot(database)
        checks.append(seconds)
        integrity_failures += integrity != "ok"
        lost += len(before - after)

    final = subprocess.run(command, cwd=ROOT, capture_output=True)
    _, articles, _ = snapshot(database)
    server.shutdown()
    shutil.rmtree(work, ignore_errors=True)
    print(
        json.dumps(
            {
                "kills": args.kills,
                "killed_mid_refresh": mid_refresh,
                "lost_articles": lost,
                "integrity_failures": integrity_failures,
                "runs_leaving_processes": orphan_runs,
                "processes_left": orphans,
                "articles": len(articles),
                "whole_run_s": round(lifetime, 3),
                "integrity_check_ms_median": round(statistics.median(checks) * 1000, 2),
                "refresh_after_kills_ok": final.returncode == 0,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
