"""Servers that misbehave, end to end: ``newsreader fetch --json`` against loopback servers.

Every feed is first fetched while its server behaves (so its articles are in the cache), then
again while it misbehaves. The second refresh must finish within the configured limits, say
what went wrong for each feed in words, keep every cached article, and keep working feeds
working. The limits are small (``LIMITS``) so the whole refresh takes a few seconds.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from newsreader.cli import main
from newsreader.feeds.fetch import Fetcher, FetchLimits, FetchRequest
from newsreader.models import FetchStatus
from tests.feedserver import RawServer, head_bytes, reset

CAP_MB = 1
LIMITS = f"""
[refresh]
connect_timeout = 1
read_timeout = 2
timeout = 3
max_body_mb = {CAP_MB}
concurrency = 32
per_host = 32

[retention]
max_age_days = 0
max_per_feed = 0
"""

# A host name under .invalid never resolves for real; the test's resolver decides (below).
INVALID_HOST = "news.tidewater.invalid"


# -- the CLI, isolated in tmp_path -------------------------------------------------------------


class Cli:
    """Runs ``newsreader`` in this process with its own config and data dir."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.config = root / "cfg" / "config.toml"
        self.data = root / "data"
        self.config.parent.mkdir(parents=True)
        self.config.write_text(LIMITS)
        self.feeds_file = self.config.parent / "feeds.toml"
        self.feeds_file.write_text("")
        self.capsys = capsys
        self.err = ""  # what the last command wrote to stderr

    def subscribe(self, urls: list[str]) -> None:
        """Write the feed list by hand, as a user may (no fetch to check them first)."""
        self.feeds_file.write_text("".join(f'[[feed]]\nurl = "{u}"\n\n' for u in urls))

    def __call__(self, *args: str) -> tuple[int, Any]:
        self.capsys.readouterr()
        code = main(["--config", str(self.config), "--data-dir", str(self.data), *args])
        captured = self.capsys.readouterr()
        out, self.err = captured.out, captured.err
        try:
            return code, json.loads(out)
        except json.JSONDecodeError:
            return code, out

    def article_links(self) -> set[str]:
        code, listed = self("list", "--limit", "100000", "--json")
        assert code == 0
        return {a["link"] for a in listed}


# -- feeds ---------------------------------------------------------------------------------


def rss(name: str, stories: range) -> bytes:
    items = "".join(
        f"<item><title>{name} story {i}</title><guid>{name}-{i}</guid>"
        f"<link>https://tidewater.example/{name}/{i}</link>"
        f"<description>Story {i} of the {name} desk: the harbour is calm.</description></item>"
        for i in stories
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{name} desk</title><link>https://tidewater.example/</link>{items}"
        f"</channel></rss>"
    ).encode()


def links(name: str, stories: range) -> set[str]:
    return {f"https://tidewater.example/{name}/{i}" for i in stories}


@cache
def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes gzip-compressed to about a thousandth of that."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1_000_000)
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    return b"".join([*parts, compressor.flush()])


# -- a loopback server that behaves, then misbehaves --------------------------------------------

Fault = Callable[[socket.socket, "FaultServer", bytes], None]


def send(
    conn: socket.socket, status: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> None:
    head = {"Content-Length": str(len(body)), "Connection": "close", **(headers or {})}
    conn.sendall(head_bytes(status, head) + body)


class FaultServer(RawServer):
    """One raw server for many feeds: ``/<name>`` serves a good feed until ``misbehave()``,
    then runs the fault registered for ``name``. Counts the body bytes it manages to send."""

    def __init__(self, faults: dict[str, Fault]) -> None:
        super().__init__(self._dispatch, lifetime=120, max_connections=1000)
        self._listener.listen(256)  # every feed connects at once: no SYN may be dropped
        self.faults = faults
        self.broken = threading.Event()
        self.sent: dict[str, int] = {}

    def url_for(self, name: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/{name}"

    def misbehave(self) -> None:
        self.broken.set()

    def _dispatch(self, conn: socket.socket, server: RawServer) -> None:
        head = self.read_head(conn)
        parts = head.split(b" ", 2)
        name = parts[1].decode("latin-1").lstrip("/") if len(parts) > 1 else ""
        if not self.broken.is_set():
            send(conn, "200 OK", rss(name, range(2)), {"Content-Type": "application/rss+xml"})
        else:
            self.faults[name](conn, self, head)


def stall_after_headers(conn: socket.socket, server: FaultServer, head: bytes) -> None:
    conn.sendall(
        head_bytes("200 OK", {"Content-Type": "application/rss+xml", "Content-Length": "900"})
    )
    conn.sendall(b"<?xml version='1.0'?><rss")
    server.wait(30)


def drip(conn: socket.socket, server: FaultServer, head: bytes) -> None:
    """One byte a second: never silent for long, never finished."""
    conn.sendall(
        head_bytes("200 OK", {"Content-Type": "application/rss+xml", "Content-Length": "5000"})
    )
    while not server.wait(1.0):
        conn.sendall(b" ")


def reset_mid_body(conn: socket.socket, server: FaultServer, head: bytes) -> None:
    conn.sendall(head_bytes("200 OK", {"Content-Length": "100000"}))
    conn.sendall(rss("reset", range(50))[:3000])
    server.wait(1.0)  # the client is reading the body by now, even on a busy machine
    reset(conn)


def close_mid_body(conn: socket.socket, server: FaultServer, head: bytes) -> None:
    conn.sendall(head_bytes("200 OK", {"Content-Length": "100000"}))
    conn.sendall(rss("closed", range(50))[:3000])
    server.wait(0.2)
    conn.shutdown(socket.SHUT_WR)


def close_without_answer(conn: socket.socket, server: FaultServer, head: bytes) -> None:
    conn.shutdown(socket.SHUT_RDWR)


def broken_chunked(conn: socket.socket, server: FaultServer, head: bytes) -> None:
    conn.sendall(head_bytes("200 OK", {"Transfer-Encoding": "chunked"}))
    conn.sendall(b"10\r\n<?xml version='1\r\nnot-a-size\r\nmore\r\n")
    server.wait(1)


def garbage_status_line(conn: socket.socket, server: FaultServer, head: bytes) -> None:
    conn.sendall(b"HTTP/1.1 two-hundred OK\r\nContent-Length: 0\r\n\r\n")
    server.wait(1)


def status(code: str, **headers: str) -> Fault:
    def fault(conn: socket.socket, server: FaultServer, head: bytes) -> None:
        body = b"<html><body><h1>" + code.encode() + b"</h1></body></html>"
        send(conn, code, body, {"Content-Type": "text/html", **headers})

    return fault


def redirect(location: str, code: str = "302 Found") -> Fault:
    return status(code, Location=location)


def body(data: bytes, content_type: str, **headers: str) -> Fault:
    def fault(conn: socket.socket, server: FaultServer, head: bytes) -> None:
        send(conn, "200 OK", data, {"Content-Type": content_type, **headers})

    return fault


def bomb(conn: socket.socket, server: FaultServer, head: bytes) -> None:
    """100 MB of zeros in 100 kB of gzip."""
    headers = {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
    send(conn, "200 OK", gzip_bomb(100_000_000), headers)


def endless(declare_length: bool) -> Fault:
    """A 200 MB body, made as it is sent (never held in memory), with or without saying so."""
    total = 200_000_000

    def fault(conn: socket.socket, server: FaultServer, head: bytes) -> None:
        headers = {"Content-Type": "application/rss+xml", "Connection": "close"}
        if declare_length:
            headers["Content-Length"] = str(total)
        conn.sendall(head_bytes("200 OK", headers))
        chunk = b"<item><title>more</title></item>" * 2048
        name = "huge-declared" if declare_length else "huge-streamed"
        sent = 0
        try:
            while sent < total and not server.stopping.is_set():
                conn.sendall(chunk)
                sent += len(chunk)
        finally:
            server.sent[name] = sent

    return fault


class FreezingListener:
    """A port that accepts and serves a feed until ``freeze()``; then it accepts nothing and
    its backlog is full, so new connections hang in the handshake (a connect timeout)."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(0)
        self._sock.settimeout(0.05)
        self.port: int = self._sock.getsockname()[1]
        self._serving = threading.Event()
        self._serving.set()
        self._fillers: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/frozen"

    def _accept(self) -> None:
        while self._serving.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                conn.recv(65536)
                send(conn, "200 OK", rss("frozen", range(2)), {"Content-Type": "text/xml"})

    def freeze(self) -> None:
        self._serving.clear()
        self._thread.join(5)
        for _ in range(8):  # fill the accept queue until a connection can no longer get in
            filler = socket.socket()
            filler.settimeout(0.3)
            self._fillers.append(filler)
            try:
                filler.connect(("127.0.0.1", self.port))
            except OSError:
                return
        raise AssertionError("could not fill the listen backlog")

    def close(self) -> None:
        self._serving.clear()
        for filler in self._fillers:
            filler.close()
        self._sock.close()


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """``INVALID_HOST`` resolves to 127.0.0.1 while ``state["resolves"]``, then not at all;
    other names under .invalid never resolve. No DNS server is ever asked about them."""
    state = {"resolves": True}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name == INVALID_HOST and state["resolves"]:
            return real("127.0.0.1", *args, **kwargs)
        if name.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return state


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(tmp_path, capsys)


FAULTS: dict[str, tuple[Fault, str]] = {
    # name: (what the server does the second time, the error the user reads)
    "stall": (stall_after_headers, "timed out after 2 s waiting for data from 127.0.0.1"),
    "drip": (drip, "timed out after 3 s (the time limit for the whole request)"),
    "reset": (reset_mid_body, "connection reset while downloading"),
    "closed": (close_mid_body, "connection closed before the download finished"),
    "silent": (close_without_answer, "the server closed the connection without answering"),
    "chunked": (broken_chunked, "invalid response from the server: "),
    "garbage-status": (garbage_status_line, "invalid response from the server: "),
    "e500": (status("500 Internal Server Error"), "server error (500): Internal Server Error"),
    "e502": (status("502 Bad Gateway"), "server error (502): Bad Gateway"),
    "e503": (
        status("503 Service Unavailable", **{"Retry-After": "120"}),
        "server unavailable (503): retry after 120 s",
    ),
    "e404": (status("404 Not Found"), "not found (404)"),
    "e410": (status("410 Gone"), "gone (410): feed disabled"),
    "e429": (
        status("429 Too Many Requests", **{"Retry-After": "7200"}),
        "rate limited (429): retry after 7200 s",
    ),
    "loop-a": (redirect("/loop-b"), "too many redirects: the redirects go round in a loop"),
    "loop-b": (
        redirect("/loop-a", "301 Moved Permanently"),
        "too many redirects: the redirects go round in a loop",
    ),
    "to-file": (redirect("file:///etc/passwd"), "refused a redirect to a non-HTTP URL (file:)"),
    "to-javascript": (
        redirect("javascript:alert(1)", "301 Moved Permanently"),
        "refused a redirect to a non-HTTP URL (javascript:)",
    ),
    "no-location": (status("302 Found"), "redirect (302) without a Location header"),
    "bad-location": (redirect("http://[::1"), "redirect (302) to an invalid URL"),
    "gzip-bomb": (bomb, f"too large: the feed is over {CAP_MB} MB"),
    "bad-gzip": (
        body(
            b"\x1f\x8b\x08\x00 this is not gzip at all",
            "application/rss+xml",
            **{"Content-Encoding": "gzip"},
        ),
        "could not decode the response body: corrupt compressed data",
    ),
    "brotli": (
        body(b"\x0b\x02\x80hello\x03", "application/rss+xml", **{"Content-Encoding": "br"}),
        "unsupported content encoding: br",
    ),
    "huge-streamed": (endless(declare_length=False), f"too large: the feed is over {CAP_MB} MB"),
    "huge-declared": (endless(declare_length=True), f"too large: the feed is over {CAP_MB} MB"),
    "html-page": (
        body(
            b"<!DOCTYPE html><html><head><title>Shop</title></head><body>Buy a boat.</body></html>",
            "text/html",
        ),
        "not a feed: this is an HTML page, and it links to no feed"
        " (newsreader add finds the feed of a page that links to one)",
    ),
    "empty": (body(b"", "application/rss+xml"), "empty response: the server sent no content"),
}

# Feeds served with a wrong Content-Type still work: the body says what it is.
WRONG_TYPES: dict[str, Fault] = {
    "as-html": body(rss("as-html", range(2, 4)), "text/html; charset=utf-8"),
    "as-png": body(rss("as-png", range(2, 4)), "image/png"),
    "as-octets": body(rss("as-octets", range(2, 4)), "application/octet-stream"),
    "json-as-text": body(
        json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "JSON desk",
                "items": [
                    {
                        "id": f"json-{i}",
                        "url": f"https://tidewater.example/json-as-text/{i}",
                        "content_text": f"Story {i}.",
                    }
                    for i in range(2, 4)
                ],
            }
        ).encode(),
        "text/plain",
    ),
    "wrong-charset": body(rss("wrong-charset", range(2, 4)), "text/xml; charset=utf-16"),
}


@pytest.fixture
def servers() -> Iterator[tuple[FaultServer, RawServer, FreezingListener]]:
    gzip_bomb(100_000_000)  # made now, not while a client waits for it
    faults = {name: fault for name, (fault, _) in FAULTS.items()} | WRONG_TYPES
    faults["unknown-host"] = body(rss("unknown-host", range(2)), "text/xml")  # never reached
    server = FaultServer(faults)
    with server, RawServer(serve_good("refused")) as refusing:
        frozen = FreezingListener()
        try:
            yield server, refusing, frozen
        finally:
            frozen.close()


def serve_good(name: str) -> Callable[[socket.socket, RawServer], None]:
    def behaviour(conn: socket.socket, server: RawServer) -> None:
        server.read_head(conn)
        send(conn, "200 OK", rss(name, range(2)), {"Content-Type": "application/rss+xml"})

    return behaviour


# -- the refresh, end to end ---------------------------------------------------------------------


def test_every_fault_is_reported_in_words_and_loses_nothing(
    cli: Cli,
    servers: tuple[FaultServer, RawServer, FreezingListener],
    resolver: dict[str, bool],
) -> None:
    server, refusing, frozen = servers
    urls = {name: server.url_for(name) for name in [*FAULTS, *WRONG_TYPES]}
    urls["unknown-host"] = server.url_for("unknown-host", host=INVALID_HOST)
    urls["refused"] = f"http://127.0.0.1:{refusing.port}/refused"
    urls["frozen"] = frozen.url
    cli.subscribe(list(urls.values()))

    # 1. Every server behaves: two stories from each feed.
    code, good = cli("fetch", "--json")
    assert code == 0
    assert good["failed"] == []
    assert good["ok"] == good["feeds"] == len(urls)
    assert good["new"] == 2 * len(urls)
    before = cli.article_links()
    assert before == {link for name in urls for link in links(name, range(2))}

    # 2. Now they misbehave.
    server.misbehave()
    refusing.stop()
    frozen.freeze()
    resolver["resolves"] = False
    code, bad = cli("fetch", "--json")
    assert code == 0  # a refresh where feeds failed still succeeds, and says which

    errors = {entry["url"]: entry["error"] for entry in bad["failed"]}
    wanted = {urls[name]: message for name, (_, message) in FAULTS.items()}
    wanted[urls["unknown-host"]] = f"unknown host: {INVALID_HOST}"
    wanted[urls["refused"]] = "could not connect: connection refused"
    wanted[urls["frozen"]] = "timed out after 1 s while connecting to 127.0.0.1"
    assert set(errors) == set(wanted)
    for url, message in wanted.items():
        if message.endswith(": "):
            assert errors[url].startswith(message), (url, errors[url])
        else:
            assert errors[url] == message, (url, errors[url])
    for error in errors.values():  # one line of words, not a traceback or a repr
        assert "\n" not in error and "Traceback" not in error
        assert "Error(" not in error and "bytearray" not in error and "b'" not in error

    # Feeds with a wrong Content-Type were read for what they are.
    assert bad["ok"] == len(WRONG_TYPES)
    assert bad["new"] == 2 * len(WRONG_TYPES)

    # 3. Nothing that was cached is lost; the wrong-type feeds added their new stories.
    after = cli.article_links()
    assert before <= after
    assert after - before == {link for name in WRONG_TYPES for link in links(name, range(2, 4))}

    # The 200 MB body was abandoned at the cap, not downloaded.
    assert server.sent["huge-streamed"] < 50_000_000
    assert server.sent.get("huge-declared", 0) < 50_000_000

    # 4. The feed list tells the same story, and schedules politely.
    code, feeds = cli("feeds", "--json")
    by_url = {f["url"]: f for f in feeds}
    for url in wanted:
        feed = by_url[url]
        assert feed["error"] == errors[url]
        assert feed["total"] == 2  # its cached articles are still counted
        assert feed["failures"] == 1
        assert feed["status"] == ("gone" if url == urls["e410"] else "failed")
        assert feed["gone"] is (url == urls["e410"])
    for name in WRONG_TYPES:
        assert by_url[urls[name]]["status"] == "ok" and by_url[urls[name]]["error"] is None
    now = time.time()
    assert _due(by_url[urls["e429"]]) >= now + 7200 - 120
    assert _due(by_url[urls["e503"]]) >= now + 120 - 60

    # 5. Failing feeds back off and a gone one is never due: a refresh of the feeds that
    # are due asks nobody now (the working ones are not due again for half an hour).
    code, again = cli("fetch", "--due", "--json")
    assert code == 0 and again["feeds"] == 0


def _due(feed: dict[str, Any]) -> float:
    from datetime import datetime

    return datetime.fromisoformat(feed["next_due"].replace("Z", "+00:00")).timestamp()


def test_add_refuses_a_broken_address_with_the_reason(
    cli: Cli, servers: tuple[FaultServer, RawServer, FreezingListener]
) -> None:
    server, _, _ = servers
    server.misbehave()
    for name, message in (
        ("e404", "not found (404)"),
        ("to-file", "refused a redirect to a non-HTTP URL (file:)"),
        ("html-page", "not a feed: this is an HTML page"),
    ):
        code, _ = cli("add", server.url_for(name))
        assert code == 1, name
        assert cli.err.startswith("newsreader: could not add ") and message in cli.err, cli.err
    _, feeds = cli("feeds", "--json")
    assert feeds == []


# -- memory --------------------------------------------------------------------------------------


async def test_a_200_mb_body_is_streamed_and_dropped_within_the_cap() -> None:
    cap = 2_000_000
    limits = FetchLimits(connect_timeout=2, read_timeout=5, total_timeout=20, max_body_bytes=cap)
    server = FaultServer({"huge-streamed": endless(declare_length=False)})
    with server:
        server.misbehave()
        tracemalloc.start()
        try:
            async with Fetcher(limits) as fetcher:
                result = await fetcher.fetch(FetchRequest(server.url_for("huge-streamed")))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        server.stop()  # its sender sees the closed connection and stops counting
    assert result.status is FetchStatus.FAILED
    assert result.error == "too large: the feed is over 2 MB"
    assert peak < 4 * cap, f"peak {peak} bytes for a {cap}-byte cap"
    assert server.sent["huge-streamed"] < 50_000_000


# -- where redirects led ---------------------------------------------------------------------------


def test_an_error_after_redirects_says_where_they_led(cli: Cli) -> None:
    """A feed that now redirects to a login page or to a page that is gone: the feed's own
    address may be fine, so the error names the address the answer came from."""
    login_page = (
        b"<!DOCTYPE html><html><head><title>Sign in</title></head>"
        b"<body><form>Password</form></body></html>"
    )
    server = FaultServer(
        {
            "to-login": redirect("/login"),
            "login": body(login_page, "text/html"),
            "to-missing": redirect("/missing", "307 Temporary Redirect"),
            "missing": status("404 Not Found"),
        }
    )
    with server:
        server.misbehave()
        urls = [server.url_for("to-login"), server.url_for("to-missing")]
        cli.subscribe(urls)
        code, summary = cli("fetch", "--json")
    assert code == 0
    errors = {entry["url"]: entry["error"] for entry in summary["failed"]}
    assert errors == {
        urls[0]: "not a feed: this is an HTML page, and it links to no feed (newsreader add"
        f" finds the feed of a page that links to one) (redirected to {server.url_for('login')})",
        urls[1]: f"not found (404) (redirected to {server.url_for('missing')})",
    }


async def test_the_final_address_is_recorded_after_redirects() -> None:
    server = FaultServer(
        {
            "old": redirect("/middle", "301 Moved Permanently"),
            "middle": redirect("/new"),
            "new": body(rss("new", range(1)), "application/rss+xml"),
        }
    )
    with server:
        server.misbehave()
        async with Fetcher(FetchLimits(total_timeout=10)) as fetcher:
            moved = await fetcher.fetch(FetchRequest(server.url_for("old")))
            direct = await fetcher.fetch(FetchRequest(server.url_for("new")))
    assert moved.status is FetchStatus.OK
    assert moved.final_url == server.url_for("new")
    assert moved.new_url is None  # one hop was temporary: the feed did not move
    assert direct.final_url is None and direct.new_url is None
