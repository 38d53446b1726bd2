"""The network layer, against real servers on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import asyncio
import gzip
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from email.utils import formatdate
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from newsreader.feeds.fetch import (
    Fetcher,
    FetchLimits,
    FetchRequest,
    FetchResponse,
    body_digest,
    default_user_agent,
)
from newsreader.models import FetchStatus
from tests import feedserver
from tests.feedserver import RawServer

FEED = (
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>Harbour notes</title></channel></rss>"
)
RSS = "application/rss+xml"
FAST = FetchLimits(connect_timeout=2, read_timeout=2, total_timeout=5)


async def fetch(url: str, limits: FetchLimits = FAST, **request: Any) -> FetchResponse:
    async with Fetcher(limits) as fetcher:
        return await fetcher.fetch(FetchRequest(url, **request))


def route(server: HTTPServer, path: str, handler: Callable[[Request], Response]) -> str:
    server.expect_request(path).respond_with_handler(handler)
    return server.url_for(path)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@cache
def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed to about a thousandth of that."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1_000_000)
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    parts.append(compressor.flush())
    return b"".join(parts)


# -- conditional GET -----------------------------------------------------------------------


async def test_first_response_gives_body_validators_and_hash(server: HTTPServer) -> None:
    headers = {"ETag": '"v1"', "Last-Modified": "Wed, 01 May 2024 10:00:00 GMT"}
    server.expect_request("/feed").respond_with_data(FEED, content_type=RSS, headers=headers)
    result = await fetch(server.url_for("/feed"))
    assert result.status is FetchStatus.OK
    assert result.http_status == 200
    assert result.body == FEED
    assert result.content_type == RSS
    assert result.etag == '"v1"'
    assert result.last_modified == "Wed, 01 May 2024 10:00:00 GMT"
    assert result.body_hash == body_digest(FEED)
    assert result.error is None and result.new_url is None


async def test_second_fetch_sends_validators_and_gets_304(server: HTTPServer) -> None:
    seen: list[tuple[str | None, str | None]] = []

    def handler(request: Request) -> Response:
        seen.append(
            (request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since"))
        )
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        headers = {"ETag": '"v1"', "Last-Modified": "Wed, 01 May 2024 10:00:00 GMT"}
        return Response(FEED, content_type=RSS, headers=headers)

    url = route(server, "/feed", handler)
    async with Fetcher(FAST) as fetcher:
        first = await fetcher.fetch(FetchRequest(url))
        second = await fetcher.fetch(
            FetchRequest(url, first.etag, first.last_modified, first.body_hash)
        )
    assert seen == [(None, None), ('"v1"', "Wed, 01 May 2024 10:00:00 GMT")]
    assert second.status is FetchStatus.NOT_MODIFIED
    assert second.http_status == 304
    assert second.body is None
    assert second.etag == '"v1"'
    # The 304 carried no Last-Modified: the one we had is kept, and so is the hash.
    assert second.last_modified == "Wed, 01 May 2024 10:00:00 GMT"
    assert second.body_hash == body_digest(FEED)


async def test_same_body_again_is_unchanged(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(
        FEED, content_type=RSS, headers={"ETag": '"v2"'}
    )
    result = await fetch(server.url_for("/feed"), body_hash=body_digest(FEED))
    assert result.status is FetchStatus.UNCHANGED
    assert result.body is None
    assert result.body_hash == body_digest(FEED)
    assert result.etag == '"v2"'


async def test_changed_body_is_ok(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(FEED, content_type=RSS)
    result = await fetch(server.url_for("/feed"), body_hash=body_digest(b"an older body"))
    assert result.status is FetchStatus.OK
    assert result.body == FEED


async def test_unsendable_validators_are_dropped(server: HTTPServer) -> None:
    seen: list[str | None] = []

    def handler(request: Request) -> Response:
        seen.append(request.headers.get("If-None-Match"))
        return Response(FEED, headers={"ETag": '"caf\u00e9"'})

    url = route(server, "/feed", handler)
    result = await fetch(url, etag='"x"\r\nX-Injected: 1')
    assert seen == [None]
    assert result.status is FetchStatus.OK
    assert result.etag is None  # not ASCII: we could not send it back


async def test_user_agent_and_accept_encoding_are_sent(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(FEED)
    await fetch(server.url_for("/feed"))
    request, _ = server.log[-1]
    assert request.headers["User-Agent"] == default_user_agent()
    assert request.headers["User-Agent"].startswith("newsreader/")
    assert "(+https://github.com/newsreader-app/newsreader)" in request.headers["User-Agent"]
    assert request.headers["Accept-Encoding"] == "gzip, deflate"

    async with Fetcher(FAST, user_agent="custom-agent/1.0") as fetcher:
        await fetcher.fetch(FetchRequest(server.url_for("/feed")))
    assert server.log[-1][0].headers["User-Agent"] == "custom-agent/1.0"


# -- compression ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, no zlib header
    ],
)
async def test_compressed_bodies_are_decoded(
    server: HTTPServer, coding: str, encode: Callable[[bytes], bytes]
) -> None:
    body = FEED * 200
    server.expect_request("/feed").respond_with_data(
        encode(body), headers={"Content-Encoding": coding}
    )
    result = await fetch(server.url_for("/feed"))
    assert result.status is FetchStatus.OK
    assert result.body == body
    assert result.body_hash == body_digest(body)


async def test_multi_member_gzip_is_decoded(server: HTTPServer) -> None:
    data = gzip.compress(b"<rss>") + gzip.compress(b"</rss>")
    server.expect_request("/feed").respond_with_data(data, headers={"Content-Encoding": "gzip"})
    result = await fetch(server.url_for("/feed"))
    assert result.body == b"<rss></rss>"


async def test_corrupt_gzip_fails_in_words(server: HTTPServer) -> None:
    data = b"\x1f\x8b\x08\x00garbage-that-is-not-deflate" * 10
    server.expect_request("/feed").respond_with_data(data, headers={"Content-Encoding": "gzip"})
    result = await fetch(server.url_for("/feed"))
    assert result.status is FetchStatus.FAILED
    assert result.error == "could not decode the response body: corrupt compressed data"


async def test_unknown_content_encoding_fails(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(FEED, headers={"Content-Encoding": "br"})
    result = await fetch(server.url_for("/feed"))
    assert result.status is FetchStatus.FAILED
    assert result.error == "unsupported content encoding: br"


# -- body cap ------------------------------------------------------------------------------

CAPPED = FetchLimits(connect_timeout=2, read_timeout=2, total_timeout=10, max_body_bytes=1_000_000)


async def test_body_over_cap_with_content_length(server: HTTPServer) -> None:
    server.expect_request("/big").respond_with_data(b"x" * 1_500_000)
    result = await fetch(server.url_for("/big"), CAPPED)
    assert result.status is FetchStatus.FAILED
    assert result.error == "too large: the feed is over 1 MB"
    assert result.body is None


async def test_streamed_body_over_cap_is_aborted(server: HTTPServer) -> None:
    sent = 0

    def handler(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            nonlocal sent
            for _ in range(200):  # 20 MB if nobody stops it
                sent += 100_000
                yield b"y" * 100_000

        return Response(chunks(), content_type=RSS)  # no Content-Length: chunked

    url = route(server, "/stream", handler)
    result = await fetch(url, CAPPED)
    assert result.status is FetchStatus.FAILED
    assert result.error == "too large: the feed is over 1 MB"
    assert sent < 20_000_000


async def test_default_cap_message_says_20_mb() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        # The declared length alone is enough: nothing is downloaded.
        return httpx.Response(
            200, headers={"Content-Length": "30000000"}, stream=httpx.ByteStream(b"")
        )

    async with Fetcher(transport=httpx.MockTransport(handler)) as fetcher:
        result = await fetcher.fetch(FetchRequest("http://feeds.test/big"))
    assert result.error == "too large: the feed is over 20 MB"


async def test_gzip_bomb_is_stopped_without_inflating_it(server: HTTPServer) -> None:
    bomb = gzip_bomb(64_000_000)
    assert len(bomb) < 200_000
    server.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        result = await fetch(server.url_for("/bomb"), CAPPED)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status is FetchStatus.FAILED
    assert result.error == "too large: the feed is over 1 MB"
    assert peak < 12_000_000, f"peak memory {peak} bytes: the bomb was inflated"


async def test_small_caps_are_named_in_kilobytes(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(b"z" * 5_000)
    limits = FetchLimits(total_timeout=5, max_body_bytes=2_500)
    result = await fetch(server.url_for("/feed"), limits)
    assert result.error == "too large: the feed is over 2.5 kB"


# -- redirects -----------------------------------------------------------------------------


def redirect(server: HTTPServer, path: str, status: int, target: str) -> None:
    server.expect_request(path).respond_with_data(b"", status=status, headers={"Location": target})


async def test_permanent_redirects_give_new_url(server: HTTPServer) -> None:
    redirect(server, "/old", 301, "/older")
    redirect(server, "/older", 308, server.url_for("/new"))
    server.expect_request("/new").respond_with_data(FEED, headers={"ETag": '"n"'})
    result = await fetch(server.url_for("/old"))
    assert result.status is FetchStatus.OK
    assert result.body == FEED
    assert result.new_url == server.url_for("/new")
    assert result.etag == '"n"'


@pytest.mark.parametrize("temporary", [302, 303, 307])
async def test_a_temporary_hop_gives_no_new_url(server: HTTPServer, temporary: int) -> None:
    redirect(server, "/old", 301, "/middle")
    redirect(server, "/middle", temporary, "/new")
    server.expect_request("/new").respond_with_data(FEED)
    result = await fetch(server.url_for("/old"))
    assert result.status is FetchStatus.OK
    assert result.body == FEED
    assert result.new_url is None


async def test_redirect_then_304_keeps_validators_and_new_url(server: HTTPServer) -> None:
    redirect(server, "/old", 301, "/new")

    def handler(request: Request) -> Response:
        assert request.headers.get("If-None-Match") == '"e"'
        return Response(status=304)

    route(server, "/new", handler)
    result = await fetch(server.url_for("/old"), etag='"e"')
    assert result.status is FetchStatus.NOT_MODIFIED
    assert result.etag == '"e"'
    assert result.new_url == server.url_for("/new")


async def test_redirect_loop_fails(server: HTTPServer) -> None:
    redirect(server, "/a", 301, "/b")
    redirect(server, "/b", 302, "/a")
    result = await fetch(server.url_for("/a"))
    assert result.status is FetchStatus.FAILED
    assert result.error is not None and result.error.startswith("too many redirects")
    assert len(server.log) == 2


async def test_too_many_redirects_fail(server: HTTPServer) -> None:
    for hop in range(8):
        redirect(server, f"/r{hop}", 301, f"/r{hop + 1}")
    server.expect_request("/r8").respond_with_data(FEED)
    result = await fetch(server.url_for("/r0"))
    assert result.status is FetchStatus.FAILED
    assert result.error == "too many redirects (more than 5)"
    assert len(server.log) == 6
    assert result.new_url is None

    limits = FetchLimits(total_timeout=5, max_redirects=8)
    assert (await fetch(server.url_for("/r0"), limits)).status is FetchStatus.OK


@pytest.mark.parametrize(
    ("target", "scheme"),
    [("ftp://127.0.0.1/feed.xml", "ftp"), ("file:///etc/passwd", "file")],
)
async def test_redirect_to_another_scheme_is_refused(
    server: HTTPServer, target: str, scheme: str
) -> None:
    redirect(server, "/feed", 301, target)
    result = await fetch(server.url_for("/feed"))
    assert result.status is FetchStatus.FAILED
    assert result.error == f"refused a redirect to a non-HTTP URL ({scheme}:)"
    assert result.body is None


async def test_redirect_without_location_fails(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(b"", status=302)
    result = await fetch(server.url_for("/feed"))
    assert result.error == "redirect (302) without a Location header"


# -- HTTP errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        (404, FetchStatus.FAILED, "not found (404)"),
        (410, FetchStatus.GONE, "gone (410): feed disabled"),
        (500, FetchStatus.FAILED, "server error (500): Internal Server Error"),
        (502, FetchStatus.FAILED, "server error (502): Bad Gateway"),
        (403, FetchStatus.FAILED, "access forbidden (403)"),
        (418, FetchStatus.FAILED, "request refused (418): I'm a teapot"),
        (503, FetchStatus.FAILED, "server unavailable (503)"),
        (429, FetchStatus.FAILED, "rate limited (429)"),
    ],
)
async def test_http_errors_in_words(
    server: HTTPServer, code: int, status: FetchStatus, error: str
) -> None:
    server.expect_request("/feed").respond_with_data(b"<html>nope</html>", status=code)
    result = await fetch(server.url_for("/feed"))
    assert result.status is status
    assert result.http_status == code
    assert result.error == error
    assert result.body is None and result.retry_after is None


async def test_429_with_retry_after_seconds(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(
        b"slow down", status=429, headers={"Retry-After": "120"}
    )
    result = await fetch(server.url_for("/feed"))
    assert result.status is FetchStatus.FAILED
    assert result.retry_after == 120.0
    assert result.error == "rate limited (429): retry after 120 s"


@pytest.mark.parametrize("code", [429, 503])
async def test_retry_after_as_http_date(server: HTTPServer, code: int) -> None:
    later = formatdate(time.time() + 600, usegmt=True)
    server.expect_request("/feed").respond_with_data(
        b"", status=code, headers={"Retry-After": later}
    )
    result = await fetch(server.url_for("/feed"))
    assert result.status is FetchStatus.FAILED
    assert result.retry_after is not None and 590 <= result.retry_after <= 602
    assert result.error is not None
    assert result.error.startswith(
        "rate limited (429): retry after "
        if code == 429
        else "server unavailable (503): retry after "
    )


async def test_unparseable_retry_after_is_ignored(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(
        b"", status=503, headers={"Retry-After": "soon-ish"}
    )
    result = await fetch(server.url_for("/feed"))
    assert result.retry_after is None
    assert result.error == "server unavailable (503)"


# -- caching headers -----------------------------------------------------------------------


async def test_max_age_from_cache_control(server: HTTPServer) -> None:
    server.expect_request("/feed").respond_with_data(
        FEED, headers={"Cache-Control": "public, max-age=900", "Age": "100"}
    )
    result = await fetch(server.url_for("/feed"))
    assert result.max_age == 800.0


async def test_max_age_from_expires_relative_to_now(server: HTTPServer) -> None:
    expires = formatdate(time.time() + 3600, usegmt=True)
    server.expect_request("/feed").respond_with_data(FEED, headers={"Expires": expires})
    result = await fetch(server.url_for("/feed"))
    assert result.max_age is not None and 3590 <= result.max_age <= 3602


async def test_max_age_from_expires_relative_to_date_header() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {
            "Date": "Mon, 06 May 2024 10:00:00 GMT",  # the server's clock is far behind ours
            "Expires": "Mon, 06 May 2024 10:30:00 GMT",
        }
        return httpx.Response(200, headers=headers, content=FEED)

    async with Fetcher(FAST, transport=httpx.MockTransport(handler)) as fetcher:
        result = await fetcher.fetch(FetchRequest("https://feeds.test/rss"))
    assert result.max_age == 1800.0


async def test_no_cache_and_bad_expires_mean_zero(server: HTTPServer) -> None:
    server.expect_request("/a").respond_with_data(FEED, headers={"Cache-Control": "no-cache"})
    server.expect_request("/b").respond_with_data(FEED, headers={"Expires": "0"})
    server.expect_request("/c").respond_with_data(FEED)
    assert (await fetch(server.url_for("/a"))).max_age == 0.0
    assert (await fetch(server.url_for("/b"))).max_age == 0.0
    assert (await fetch(server.url_for("/c"))).max_age is None


# -- timeouts and broken connections -------------------------------------------------------


async def test_total_timeout_on_a_slow_handler(server: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        time.sleep(1.5)
        return Response(FEED)

    url = route(server, "/slow", handler)
    limits = FetchLimits(connect_timeout=2, read_timeout=5, total_timeout=0.5)
    started = time.monotonic()
    result = await fetch(url, limits)
    assert time.monotonic() - started < 1.2
    assert result.status is FetchStatus.FAILED
    assert result.error == "timed out after 0.5 s (the time limit for the whole request)"


async def test_total_timeout_on_a_dripping_body() -> None:
    limits = FetchLimits(connect_timeout=2, read_timeout=2, total_timeout=0.5)
    with RawServer(feedserver.drip(0.05)) as raw:
        started = time.monotonic()
        result = await fetch(raw.url, limits)
        elapsed = time.monotonic() - started
    assert elapsed < 1.5
    assert result.error == "timed out after 0.5 s (the time limit for the whole request)"


async def test_read_timeout_on_a_stall_after_headers() -> None:
    limits = FetchLimits(connect_timeout=2, read_timeout=0.3, total_timeout=5)
    with RawServer(feedserver.stall_after_headers) as raw:
        result = await fetch(raw.url, limits)
    assert result.status is FetchStatus.FAILED
    assert result.error == "timed out after 0.3 s waiting for data from 127.0.0.1"


async def test_total_timeout_on_a_stall_after_headers() -> None:
    limits = FetchLimits(connect_timeout=2, read_timeout=5, total_timeout=0.4)
    with RawServer(feedserver.stall_after_headers) as raw:
        result = await fetch(raw.url, limits)
    assert result.error == "timed out after 0.4 s (the time limit for the whole request)"


async def test_connect_timeout_names_the_connect_limit() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    async with Fetcher(transport=httpx.MockTransport(handler)) as fetcher:
        result = await fetcher.fetch(FetchRequest("https://feeds.test/rss"))
    assert result.error == "timed out after 10 s while connecting to feeds.test"


async def test_connection_reset_while_downloading() -> None:
    with RawServer(feedserver.reset_mid_body) as raw:
        result = await fetch(raw.url)
    assert result.status is FetchStatus.FAILED
    assert result.error == "connection reset while downloading"


async def test_connection_closed_before_the_body_ends() -> None:
    with RawServer(feedserver.close_mid_body) as raw:
        result = await fetch(raw.url)
    assert result.error == "connection closed before the download finished"


async def test_broken_chunked_encoding() -> None:
    with RawServer(feedserver.broken_chunked) as raw:
        result = await fetch(raw.url)
    assert result.status is FetchStatus.FAILED
    assert result.error is not None
    assert result.error.startswith("invalid response from the server")


async def test_connection_refused() -> None:
    result = await fetch(f"http://127.0.0.1:{closed_port()}/feed.xml")
    assert result.status is FetchStatus.FAILED
    assert result.error == "could not connect: connection refused"


@pytest.fixture
def offline_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names under .invalid never resolve; answer for them without asking any DNS server."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if name.endswith(".unreachable-dns.test"):
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.usefixtures("offline_dns")
async def test_unknown_host() -> None:
    result = await fetch("http://feeds.example.invalid/rss")
    assert result.status is FetchStatus.FAILED
    assert result.error == "unknown host: feeds.example.invalid"


@pytest.mark.usefixtures("offline_dns")
async def test_dns_unavailable() -> None:
    result = await fetch("https://news.unreachable-dns.test/rss")
    assert result.error == "could not look up news.unreachable-dns.test (no network?)"


async def test_tls_error_in_words() -> None:
    with RawServer(feedserver.not_tls) as raw:
        result = await fetch(f"https://127.0.0.1:{raw.port}/feed.xml")
    assert result.status is FetchStatus.FAILED
    assert result.error is not None
    assert result.error.startswith("TLS error: ")
    assert "_ssl.c" not in result.error and "[SSL" not in result.error


# -- URLs and local files ------------------------------------------------------------------


async def test_file_url_and_plain_path(tmp_path: Path) -> None:
    feed = tmp_path / "demo feed.xml"
    feed.write_bytes(FEED)
    by_url = await fetch(feed.as_uri())
    by_path = await fetch(str(feed))
    for result in (by_url, by_path):
        assert result.status is FetchStatus.OK
        assert result.body == FEED
        assert result.body_hash == body_digest(FEED)
    again = await fetch(feed.as_uri(), body_hash=by_url.body_hash)
    assert again.status is FetchStatus.UNCHANGED and again.body is None


async def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.xml"
    for url in (missing.as_uri(), str(missing)):
        result = await fetch(url)
        assert result.status is FetchStatus.FAILED
        assert result.error == f"file not found: {missing}"


async def test_file_too_large_and_directory(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(b"b" * 3_000)
    limits = FetchLimits(max_body_bytes=2_000)
    assert (await fetch(str(big), limits)).error == "too large: the feed is over 2 kB"
    assert (await fetch(str(tmp_path))).error == f"not a regular file: {tmp_path}"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        (
            "gopher://example.org/feed",
            "unsupported URL scheme ('gopher'): gopher://example.org/feed",
        ),
        ("feeds/local.xml", "unsupported URL scheme (none): feeds/local.xml"),
        (
            "file://otherhost/feed.xml",
            "unsupported file URL (remote host): file://otherhost/feed.xml",
        ),
        ("http:///feed.xml", "invalid URL (no host name): http:///feed.xml"),
    ],
)
async def test_unsupported_urls(url: str, error: str) -> None:
    result = await fetch(url)
    assert result.status is FetchStatus.FAILED
    assert result.error == error


async def test_fetch_needs_an_open_fetcher() -> None:
    fetcher = Fetcher()
    with pytest.raises(RuntimeError, match="not open"):
        await fetcher.fetch(FetchRequest("http://127.0.0.1:9/feed"))


# -- concurrency ---------------------------------------------------------------------------


class InFlight:
    """Counts handler entries that overlap in time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def handler(self, request: Request) -> Response:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(0.15)
        with self.lock:
            self.now -= 1
        return Response(FEED)


async def test_per_host_cap_limits_parallel_requests(server: HTTPServer) -> None:
    counter = InFlight()
    url = route(server, "/feed", counter.handler)
    limits = FetchLimits(concurrency=16, per_host=2, total_timeout=10)
    async with Fetcher(limits) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(FetchRequest(url)) for _ in range(6)))
    assert all(r.status is FetchStatus.OK for r in results)
    assert counter.peak == 2


async def test_global_cap_limits_parallel_requests(server: HTTPServer) -> None:
    counter = InFlight()
    url = route(server, "/feed", counter.handler)
    limits = FetchLimits(concurrency=3, per_host=10, total_timeout=10)
    async with Fetcher(limits) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(FetchRequest(url)) for _ in range(8)))
    assert all(r.status is FetchStatus.OK for r in results)
    assert counter.peak == 3


async def test_hosts_are_capped_separately() -> None:
    now: dict[str, int] = {}
    peak: dict[str, int] = {}

    async def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        now[host] = now.get(host, 0) + 1
        peak[host] = max(peak.get(host, 0), now[host])
        total_peak = max(peak.get("*", 0), sum(now.values()))
        peak["*"] = total_peak
        await asyncio.sleep(0.05)
        now[host] -= 1
        return httpx.Response(200, content=FEED)

    limits = FetchLimits(concurrency=16, per_host=1)
    urls = [f"https://{host}.test/rss" for host in ("a", "b", "c") for _ in range(3)]
    async with Fetcher(limits, transport=httpx.MockTransport(handler)) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(FetchRequest(u)) for u in urls))
    assert all(r.status is FetchStatus.OK for r in results)
    assert peak == {"a.test": 1, "b.test": 1, "c.test": 1, "*": 3}
