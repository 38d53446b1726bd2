"""A loopback feed server for benchmarks: N feeds, generated or cycled from a corpus folder.

    uv run python benchmarks/feedserver.py --feeds 500 [--corpus DIR] [--latency-ms 20]

Every feed answers conditional GETs (ETag and Last-Modified), can be switched between modes
(``validators``: 304 when asked with the right validator; ``unchanged``: the same body, no
validators; ``changed``: 10% new items) and listens with a deep backlog so concurrent clients
never lose SYNs (Python's default backlog of 5 makes them wait a second to retry).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import threading
import time
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


def generated_feed(index: int, items: int, generation: int, rng: random.Random) -> bytes:
    """A realistic RSS 2.0 feed: titles, HTML descriptions, guids, dates; deterministic."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>',
        f"<title>Loopback Feed {index}</title><link>http://127.0.0.1/site/{index}</link>",
        "<description>Generated for benchmarks</description>",
    ]
    base = 1_795_000_000
    for n in range(generation, generation + items):
        words = [rng.choice(WORDS) for _ in range(rng.randint(60, 140))]
        place = rng.choice(PLACES)
        title = f"{place}: {' '.join(rng.choice(WORDS) for _ in range(7)).capitalize()}"
        paras = "".join(
            f'<p>{escape(" ".join(words[i : i + 30]))} in <a href="/story/{n}">{place}</a>.</p>'
            for i in range(0, len(words), 30)
        )
        out.append(
            f"<item><title>{escape(title)}</title>"
            f"<link>http://127.0.0.1/site/{index}/story/{n}</link>"
            f'<guid isPermaLink="false">feed{index}-item{n}</guid>'
            f"<pubDate>{formatdate(base + n * 600 + index, usegmt=True)}</pubDate>"
            f"<description>{escape(paras)}</description></item>"
        )
    out.append("</channel></rss>")
    return "\n".join(out).encode()


class FeedSet:
    def __init__(self, feeds: int, items: int, corpus: Path | None) -> None:
        self.feeds = feeds
        self.items = items
        self.mode = "validators"
        self.generation = 0
        self.corpus = sorted(corpus.glob("*.xml")) if corpus else []
        self._cache: dict[tuple[int, int], bytes] = {}
        self._lock = threading.Lock()

    def body(self, index: int) -> bytes:
        generation = self.generation
        key = (index, generation)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        if self.corpus:
            data = self.corpus[index % len(self.corpus)].read_bytes()
            if generation:
                marker = f"<!-- generation {generation} -->".encode()
                data = data.replace(b"<channel>", b"<channel>" + marker, 1)
        else:
            # "changed": each generation shifts the window by 10% of the items.
            shift = generation * max(1, self.items // 10)
            data = generated_feed(index, self.items, shift, random.Random(index * 7919 + shift))
        with self._lock:
            self._cache[key] = data
        return data


def make_server(feedset: FeedSet, latency: float = 0.0, port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

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
            body = feedset.body(index)
            etag = '"' + hashlib.md5(body).hexdigest() + '"'
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
                self.send_header("Last-Modified", formatdate(1_795_000_000, usegmt=True))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        request_queue_size = 1024
        daemon_threads = True

    return Server(("127.0.0.1", port), Handler)


def serve_in_thread(feedset: FeedSet, latency: float = 0.0) -> tuple[ThreadingHTTPServer, str]:
    server = make_server(feedset, latency)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seconds", type=float, default=600.0, help="stop after this long")
    args = parser.parse_args()
    feedset = FeedSet(args.feeds, args.items, args.corpus)
    server = make_server(feedset, args.latency_ms / 1000, args.port)
    print(f"serving {args.feeds} feeds at http://127.0.0.1:{args.port}/feed/N.xml", flush=True)
    threading.Timer(args.seconds, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
