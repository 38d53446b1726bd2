"""Data safety: a refresh killed at any moment, two refreshes at once, a cache from schema v1.

``newsreader fetch`` runs as a real subprocess against a loopback server with many feeds whose
every answer carries new articles, so each run writes for as long as it lives. It is killed
with SIGKILL at random moments; after each kill the cache must pass ``PRAGMA
integrity_check`` and still hold every article it held before the run began.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))

from procstat import alive, freeze, kill_all, running

from newsreader.cli import main
from newsreader.store import Store
from newsreader.store.schema import MIGRATIONS, SCHEMA_VERSION

FEEDS = 16
ITEMS = 10  # new articles in every answer of every feed
KILLS = 20
CONFIG = """
[refresh]
connect_timeout = 2
read_timeout = 5
timeout = 10

[retention]
max_age_days = 0
max_per_feed = 0
"""
ROOT = Path(__file__).resolve().parent.parent
needs_proc = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finds the refresh's processes in /proc"
)


class ChangingFeeds:
    """Answers every request for ``/feed/<n>`` with ``ITEMS`` articles never sent before,
    and notes when requests arrive (so a kill can be timed to land mid-refresh)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self._serial = 0

    def __call__(self, request: Request) -> Response:
        with self._lock:
            self.requests += 1
            self._serial += 1
            serial = self._serial
        name = request.path.rsplit("/", 1)[-1]
        items = "".join(
            f"<item><title>Harbour log {name}.{serial}.{i}: the tide turned at the quay"
            f"</title><guid>{name}-{serial}-{i}</guid>"
            f"<link>https://tidewater.example/log/{name}/{serial}/{i}</link>"
            f"<description>Entry {i} of round {serial}: gulls over Tidewater, ferries on "
            f"time, the lighthouse keeper reports a calm night.</description></item>"
            for i in range(ITEMS)
        )
        body = f'<rss version="2.0"><channel><title>Log {name}</title>{items}</channel></rss>'
        return Response(body, content_type="application/rss+xml")


@pytest.fixture
def feeds_server(httpserver: HTTPServer) -> Iterator[tuple[HTTPServer, ChangingFeeds]]:
    feeds = ChangingFeeds()
    for n in range(FEEDS):
        httpserver.expect_request(f"/feed/{n}").respond_with_handler(feeds)
    yield httpserver, feeds


@pytest.fixture
def home(tmp_path: Path, feeds_server: tuple[HTTPServer, ChangingFeeds]) -> Path:
    """A config dir subscribed to every feed, and an empty data dir."""
    server, _ = feeds_server
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "config.toml").write_text(CONFIG)
    (cfg / "feeds.toml").write_text(
        "".join(f'[[feed]]\nurl = "{server.url_for(f"/feed/{n}")}"\n\n' for n in range(FEEDS))
    )
    return tmp_path


class Fetch:
    """``newsreader fetch --json`` in a subprocess, its output in files (not pipes: the
    worker processes it leaves behind when killed would hold a pipe open)."""

    def __init__(self, home: Path, tag: str) -> None:
        args = ["--config", str(home / "cfg" / "config.toml"), "--data-dir", str(home / "data")]
        self.out = home / f"{tag}.out"
        self.err = home / f"{tag}.err"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "newsreader", *args, "fetch", "--json"],
                cwd=ROOT,
                stdout=out,
                stderr=err,
            )

    def result(self) -> dict[str, Any]:
        """Wait for a normal end; the JSON summary."""
        code = self.proc.wait(timeout=120)
        assert code == 0, self.err.read_text(errors="replace")
        data: dict[str, Any] = json.loads(self.out.read_text())
        return data

    def kill(self) -> None:
        """SIGKILL the refresh, then each process it started (parse workers, fork server,
        resource tracker), each by its id: everything dies at once, as in a power cut."""
        family = freeze(self.proc.pid)
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        kill_all(family)


def snapshot(database: Path) -> tuple[str, set[tuple[str, str]]]:
    """(integrity_check, {(feed url, article key)}), read with a plain SQLite connection."""
    if not database.exists():
        return "ok", set()
    conn = sqlite3.connect(database, timeout=30)
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        rows = conn.execute(
            "SELECT f.url, a.key FROM articles a JOIN feeds f ON f.id = a.feed_id"
        ).fetchall()
    finally:
        conn.close()
    return integrity, {(url, key) for url, key in rows}


def wait_for_requests(server: ChangingFeeds, seen: int, fetch: Fetch) -> None:
    """Until the refresh has sent its first request (or ended)."""
    while server.requests == seen and running(fetch.proc.pid):
        time.sleep(0.002)


@needs_proc
def test_kill_at_random_moments_loses_nothing_committed(
    home: Path, feeds_server: tuple[HTTPServer, ChangingFeeds]
) -> None:
    _, server = feeds_server
    database = home / "data" / "cache.sqlite3"

    # One whole run first: the cache exists, and we learn how long a run lives.
    started = time.monotonic()
    result = Fetch(home, "first").result()
    lifetime = time.monotonic() - started
    assert result["failed"] == [] and result["new"] == FEEDS * ITEMS

    rng = random.Random()
    mid_refresh = 0
    for attempt in range(KILLS):
        integrity, before = snapshot(database)
        assert integrity == "ok"
        seen = server.requests
        fetch = Fetch(home, f"kill{attempt}")
        # Anywhere in its life: opening the cache, fetching, parsing, storing, analysing.
        delay = rng.uniform(0, lifetime)
        time.sleep(delay)
        if running(fetch.proc.pid) and server.requests > seen:
            mid_refresh += 1
        fetch.kill()
        integrity, after = snapshot(database)
        assert integrity == "ok", f"kill {attempt} after {delay:.3f} s: {integrity}"
        lost = before - after
        assert not lost, f"kill {attempt} after {delay:.3f} s lost {len(lost)} articles"
    # About half the kills land after the first request went out and before the end.
    assert mid_refresh >= KILLS // 4, f"only {mid_refresh} of {KILLS} kills landed mid-refresh"

    # The cache still works: a full refresh after all that succeeds and adds to it.
    _, before = snapshot(database)
    result = Fetch(home, "last").result()
    assert result["failed"] == [] and result["new"] == FEEDS * ITEMS
    integrity, after = snapshot(database)
    assert integrity == "ok" and before < after


def test_two_refreshes_of_one_cache_at_once_both_succeed(home: Path) -> None:
    """Two processes start on a cache that does not exist yet (both create and migrate it)
    and refresh it at the same time."""
    database = home / "data" / "cache.sqlite3"
    first, second = Fetch(home, "one"), Fetch(home, "two")
    one, two = first.result(), second.result()
    for result in (one, two):
        assert result["feeds"] == FEEDS and result["failed"] == []
        assert result["new"] == FEEDS * ITEMS  # each run got its own new articles
    integrity, after = snapshot(database)
    assert integrity == "ok"
    assert len(after) == one["new"] + two["new"]
    store = Store.open(database)
    try:
        total, unread = store.count()
        assert total == len(after) and unread == total
    finally:
        store.close()


# -- a cache written by the first schema ------------------------------------------------------


def make_v1_cache(database: Path, feed_url: str, stories: int) -> None:
    """A cache as newsreader with schema version 1 wrote it: MIGRATIONS[0] only."""
    database.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(database, isolation_level=None)
    try:
        conn.execute("BEGIN")
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        now = time.time()
        conn.execute(
            "INSERT INTO feeds (id, url, title, added, last_status) VALUES (1, ?, ?, ?, 'ok')",
            (feed_url, "Old Harbour Wire", now - 86400),
        )
        for i in range(stories):
            conn.execute(
                """INSERT INTO articles (feed_id, key, title, link, published, sort_time,
                       first_seen, text, blocks, content_hash, read, starred)
                   VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    f"g:old-{i}",
                    f"Old story {i} from the harbour",
                    f"https://tidewater.example/old/{i}",
                    now - 3600 * (i + 1),
                    now - 3600 * (i + 1),
                    now - 3600 * (i + 1),
                    f"The ferry was late on day {i}.",
                    json.dumps([["p", f"The ferry was late on day {i}.", [], 0]]),
                    f"hash-{i}",
                    int(i == 0),
                    int(i == 1),
                ),
            )
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_a_v1_cache_migrates_on_open_and_keeps_its_articles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_url = "https://tidewater.example/old.xml"
    database = tmp_path / "data" / "cache.sqlite3"
    make_v1_cache(database, feed_url, stories=5)
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "config.toml").write_text(CONFIG)
    (cfg / "feeds.toml").write_text(f'[[feed]]\nurl = "{feed_url}"\n')
    base = ["--config", str(cfg / "config.toml"), "--data-dir", str(tmp_path / "data")]

    capsys.readouterr()
    assert main([*base, "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [a["title"] for a in listed] == [f"Old story {i} from the harbour" for i in range(5)]
    assert [a["read"] for a in listed] == [True, False, False, False, False]
    assert [a["starred"] for a in listed] == [False, True, False, False, False]
    assert all(a["feed"] == "Old Harbour Wire" for a in listed)

    assert main([*base, "show", str(listed[2]["id"]), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["text"] == "The ferry was late on day 2."

    assert main([*base, "list", "--search", "ferry", "--json"]) == 0  # FTS kept working
    assert len(json.loads(capsys.readouterr().out)) == 5

    store = Store.open(database)
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert store.integrity_check() == "ok"
    finally:
        store.close()


@needs_proc
def test_a_killed_refresh_leaves_no_process_behind(
    home: Path, feeds_server: tuple[HTTPServer, ChangingFeeds]
) -> None:
    """When the process that owns the parse pool dies without cleaning up (SIGKILL, the
    OOM killer, SIGHUP when its terminal closes), its fork server, resource tracker and
    parse workers must notice and exit (each worker blocks on a pipe whose write end it holds
    itself, so ``library.make_parse_pool`` gives it a thread that watches its owner)."""
    _, server = feeds_server
    seen = server.requests
    fetch = Fetch(home, "orphans")
    wait_for_requests(server, seen, fetch)
    time.sleep(0.3)  # the pool is up and working
    family = freeze(fetch.proc.pid)  # to know them all; then they run on, and it dies
    assert family, "the refresh started no worker processes"
    for pid in family:
        os.kill(pid, signal.SIGCONT)
    fetch.proc.send_signal(signal.SIGKILL)
    fetch.proc.wait(timeout=30)
    try:
        deadline = time.monotonic() + 5
        while any(alive(pid, started) for pid, started in family.items()):
            if time.monotonic() > deadline:
                survivors = sorted(p for p, s in family.items() if alive(p, s))
                raise AssertionError(f"still running 5 s after the kill: {survivors}")
            time.sleep(0.1)
    finally:
        kill_all(family)
