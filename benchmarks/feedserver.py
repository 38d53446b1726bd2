"""A loopback feed server for benchmarks: N feeds, generated or cycled from a corpus folder.

    uv run python benchmarks/feedserver.py --feeds 500 [--items 50] [--corpus DIR] [--latency-ms 20]
        [--mode validators|unchanged] [--generation 0] [--port 8765]  (--port 0: any free port)

Every feed answers conditional GETs (ETag and Last-Modified) and can be switched between modes
(``validators``: 304 when asked with the right validator; ``unchanged``: the same body, no
validators) and generations (each one adds 10% new items; every other item stays byte-identical,
so a reader has only the new ones to store and analyse). It listens with a deep backlog so
concurrent clients never lose SYNs (Python's default backlog of 5 makes them wait a second to
retry), and says nothing about clients that hang up.

Benchmarks use it in a thread (``serve_in_thread``: switch modes between runs) or in a process
of its own (``serve_in_process``: no GIL shared with an app measured in the same process).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

WORDS = [
    "government",
    "minister",
    "talks",
    "border",
    "crossing",
    "election",
    "vote",
    "central",
    "bank",
    "rates",
    "inflation",
    "earthquake",
    "rescue",
    "flood",
    "drought",
    "harvest",
    "protest",
    "strike",
    "ceasefire",
    "summit",
    "trade",
    "deal",
    "port",
    "refinery",
    "pipeline",
    "parliament",
    "court",
    "ruling",
    "opposition",
    "leader",
    "coalition",
    "army",
    "rebels",
    "region",
    "province",
    "capital",
    "city",
    "officials",
    "said",
    "told",
    "reporters",
    "agency",
    "report",
    "week",
    "month",
    "year",
    "economy",
    "exports",
    "imports",
    "prices",
    "fuel",
    "gas",
    "oil",
    "grain",
    "aid",
    "refugees",
    "camp",
    "hospital",
    "school",
]
PLACES = [
    "Kabul",
    "Herat",
    "Tehran",
    "Baghdad",
    "Cairo",
    "Lagos",
    "Nairobi",
    "Accra",
    "Dakar",
    "Delhi",
    "Dhaka",
    "Jakarta",
    "Manila",
    "Hanoi",
    "Seoul",
    "Tokyo",
    "Beijing",
    "Sydney",
    "Auckland",
    "Suva",
    "Lima",
    "Bogota",
    "Quito",
    "Santiago",
    "Caracas",
    "Mexico",
    "Ottawa",
    "Washington",
    "Berlin",
    "Paris",
    "Madrid",
    "Rome",
    "Warsaw",
    "Kyiv",
    "Ankara",
    "Riyadh",
    "Doha",
    "Amman",
    "Beirut",
]


# Benchmarks spread their feeds over this many hosts (ports), 5 feeds each at 500 feeds: a
# reader caps requests in flight per host (newsreader: 2 by default), as it should with real
# sites, and 500 feeds of one host would measure that cap rather than the reader.
DEFAULT_HOSTS = 100


def generated_item(index: int, n: int, atom: bool = False) -> str:
    """Item ``n`` of feed ``index``: the same bytes in every generation of the feed (its own
    random seed), so a "changed" feed differs from the last one only by its new items."""
    rng = random.Random(index * 1_000_003 + n)
    words = [rng.choice(WORDS) for _ in range(rng.randint(60, 140))]
    place = rng.choice(PLACES)
    title = f"{place}: {' '.join(rng.choice(WORDS) for _ in range(7)).capitalize()}"
    paras = "".join(
        f'<p>{escape(" ".join(words[i : i + 30]))} in <a href="/story/{n}">{place}</a>.</p>'
        for i in range(0, len(words), 30)
    )
    link = f"http://127.0.0.1/site/{index}/story/{n}"
    when = BASE_TIME + n * 600 + index
    if atom:
        return (
            f'<entry><title>{escape(title)}</title><link href="{link}"/>'
            f"<id>urn:loopback:feed{index}-item{n}</id>"
            f"<updated>{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(when))}</updated>"
            f'<summary type="html">{escape(paras)}</summary></entry>'
        )
    return (
        f"<item><title>{escape(title)}</title><link>{link}</link>"
        f'<guid isPermaLink="false">feed{index}-item{n}</guid>'
        f"<pubDate>{formatdate(when, usegmt=True)}</pubDate>"
        f"<description>{escape(paras)}</description></item>"
    )


BASE_TIME = 1_795_000_000


def generated_feed(index: int, items: int, first: int = 0) -> bytes:
    """A realistic RSS 2.0 feed of items ``first`` .. ``first + items - 1``: titles, HTML
    descriptions, guids, dates; deterministic."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>',
        f"<title>Loopback Feed {index}</title><link>http://127.0.0.1/site/{index}</link>",
        "<description>Generated for benchmarks</description>",
    ]
    out.extend(generated_item(index, n) for n in range(first, first + items))
    out.append("</channel></rss>")
    return "\n".join(out).encode()


_FIRST_ITEM = re.compile(rb"<(item|entry)[\s>]")


def corpus_feed(data: bytes, index: int, generation: int) -> bytes:
    """A corpus file in generation ``generation``: 10% of its item count (at least one) of
    generated items per generation, inserted before its first item, the rest unchanged."""
    if not generation:
        return data
    found = _FIRST_ITEM.search(data)
    if found is None:
        return data
    per_generation = max(1, len(_FIRST_ITEM.findall(data)) // 10)
    atom = found.group(1) == b"entry"
    new = "".join(
        generated_item(index, 1_000_000 + n, atom)
        for n in range(generation * per_generation - 1, -1, -1)
    )
    return data[: found.start()] + new.encode() + data[found.start() :]


class FeedSet:
    """What the server serves. ``mode``: ``validators`` (ETag and Last-Modified, 304 when
    asked with them), ``unchanged`` (the same bodies, no validators); ``generation``: 0 for
    the first contents, each one more adds 10% new items (the oldest 10% leave a generated
    feed, as they would a real one)."""

    def __init__(self, feeds: int, items: int, corpus: Path | None) -> None:
        self.feeds = feeds
        self.items = items
        self.mode = "validators"
        self.generation = 0
        self.corpus = sorted(corpus.glob("*.xml")) if corpus else []
        if corpus and not self.corpus:
            raise SystemExit(f"no *.xml files in {corpus}")
        self._cache: dict[tuple[int, int], tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def body(self, index: int) -> tuple[bytes, str]:
        """The feed's body in the current generation, and its ETag."""
        generation = self.generation
        key = (index, generation)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        if self.corpus:
            raw = self.corpus[index % len(self.corpus)].read_bytes()
            data = corpus_feed(raw, index, generation)
        else:
            data = generated_feed(index, self.items, generation * max(1, self.items // 10))
        entry = data, '"' + hashlib.md5(data).hexdigest() + '"'
        with self._lock:
            self._cache[key] = entry
        return entry

    def prepare(self, generations: int = 1) -> None:
        """Build every body of the first ``generations`` generations now, so the server spends
        no CPU making them while a reader is being timed."""
        current = self.generation
        try:
            for generation in range(generations):
                self.generation = generation
                for index in range(self.feeds):
                    self.body(index)
        finally:
            self.generation = current


def _quiet(exc: BaseException | None) -> bool:
    """A client that closed or reset its connection (a reader that is done, or was killed)."""
    return isinstance(exc, ConnectionError | TimeoutError)


class FeedServer(ThreadingHTTPServer):
    # listen(2) backlog: 500 readers connecting at once must never overflow it (Python's
    # default of 5 drops their SYNs, and each client then waits a second to retry). The
    # kernel caps it at net.core.somaxconn: see listen_backlog().
    request_queue_size = 4096
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        if not _quiet(sys.exc_info()[1]):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def listen_backlog(server: ThreadingHTTPServer) -> int:
    """The backlog the kernel really gives the listening socket (``ss``'s Send-Q)."""
    try:
        cap = int(Path("/proc/sys/net/core/somaxconn").read_text())
    except (OSError, ValueError):
        return server.request_queue_size
    return min(server.request_queue_size, cap)


def tcp_drops() -> dict[str, int]:
    """The kernel's counters of dropped connection attempts (Linux; {} elsewhere): take them
    before and after a run, and any growth means a client waited for a SYN retry."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return {}
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], map(int, values.split()[1:]), strict=False))
            keys = ("ListenOverflows", "ListenDrops", "TCPSynRetrans")
            return {k: table[k] for k in keys if k in table}
    return {}


def make_server(feedset: FeedSet, latency: float = 0.0, port: int = 0) -> FeedServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def handle(self) -> None:
            try:
                super().handle()
            except (ConnectionError, TimeoutError):
                self.close_connection = True  # the client went away: nothing to report

        def do_GET(self) -> None:
            if latency:
                time.sleep(latency)
            try:
                index = int(self.path.strip("/").split("/")[-1].removesuffix(".xml"))
            except ValueError:
                index = -1
            if not 0 <= index < feedset.feeds:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, etag = feedset.body(index)
            use_validators = feedset.mode != "unchanged"
            if use_validators and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if use_validators:
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", formatdate(BASE_TIME, usegmt=True))
            self.end_headers()
            self.wfile.write(body)

    return FeedServer(("127.0.0.1", port), Handler)


@dataclass(frozen=True)
class FeedUrls:
    """Where feed ``i`` is served: on host ``i % len(bases)``."""

    bases: tuple[str, ...]

    def url(self, index: int) -> str:
        return f"{self.bases[index % len(self.bases)]}/feed/{index}.xml"

    def urls(self, feeds: int) -> list[str]:
        return [self.url(i) for i in range(feeds)]


class Hosts:
    """Servers in threads of this process, one per host."""

    def __init__(self, servers: list[FeedServer]) -> None:
        self.servers = servers
        self.feed_urls = FeedUrls(tuple(f"http://127.0.0.1:{s.server_address[1]}" for s in servers))
        for server in servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def url(self, index: int) -> str:
        return self.feed_urls.url(index)

    def urls(self, feeds: int) -> list[str]:
        return self.feed_urls.urls(feeds)

    @property
    def backlog(self) -> int:
        return min(listen_backlog(s) for s in self.servers)

    def shutdown(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def serve_in_threads(feedset: FeedSet, hosts: int = 1, latency: float = 0.0) -> Hosts:
    """Serve ``feedset`` from ``hosts`` servers (ports of 127.0.0.1, which a reader counts as
    as many hosts: its per-host cap on requests in flight applies to each, as it would to
    distinct sites) in threads of this process; switch its mode and generation between runs."""
    return Hosts([make_server(feedset, latency) for _ in range(max(1, min(hosts, feedset.feeds)))])


def serve_in_process(
    feeds: int, items: int = 50, hosts: int = 1, corpus: Path | None = None, latency: float = 0.0
) -> tuple[subprocess.Popen[str], FeedUrls]:
    """The server in a process of its own, its bodies made before it answers: a benchmark of
    an app in this process then shares no GIL with the server's threads. Stop it with
    ``terminate()``."""
    cmd = [
        sys.executable, __file__, "--feeds", str(feeds), "--items", str(items), "--port", "0",
        "--hosts", str(hosts), "--latency-ms", str(latency * 1000),
    ]  # fmt: skip
    if corpus is not None:
        cmd += ["--corpus", str(corpus)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    bases = re.findall(r"http://[\d.]+:\d+(?=[ /])", line)
    if not bases:
        proc.kill()
        raise RuntimeError(f"the feed server did not start: {line!r}")
    return proc, FeedUrls(tuple(dict.fromkeys(bases)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--hosts", type=int, default=1, help="serve from this many ports")
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=8765, help="the first host's; 0: any")
    parser.add_argument("--mode", choices=("validators", "unchanged"), default="validators")
    parser.add_argument("--generation", type=int, default=0, help="1: 10%% new items, ...")
    parser.add_argument("--seconds", type=float, default=600.0, help="stop after this long")
    args = parser.parse_args()
    feedset = FeedSet(args.feeds, args.items, args.corpus)
    feedset.mode, feedset.generation = args.mode, args.generation
    feedset.prepare(args.generation + 1)
    latency = args.latency_ms / 1000
    count = max(1, min(args.hosts, args.feeds))
    servers = [make_server(feedset, latency, args.port if i == 0 else 0) for i in range(count)]
    hosts = Hosts(servers)
    print(
        f"serving {args.feeds} feeds at {' '.join(hosts.feed_urls.bases)} /feed/N.xml (feed N on host "
        f"N % {len(servers)}; listen backlog {hosts.backlog})",
        flush=True,
    )
    time.sleep(args.seconds)
    hosts.shutdown()


if __name__ == "__main__":
    main()
