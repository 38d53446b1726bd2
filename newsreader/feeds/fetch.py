"""The network layer of a refresh: conditional GETs over one shared ``httpx.AsyncClient``.

A :class:`Fetcher` asks for many feeds at once, politely: a global cap on requests in flight,
a per-host cap, a time limit on each whole request (body included), a cap on the
*decompressed* body, and redirects followed by hand so a permanent move can be reported. It
never raises for network or HTTP trouble: every problem comes back as a
:class:`FetchResponse` whose ``error`` is a sentence a user understands.

Local files (``file:///abs/path`` or a plain absolute path) are read too, for the demo and
for tests; they never touch the network.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import logging
import math
import os
import re
import socket
import ssl
import stat
import time
import zlib
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import Final
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx

from newsreader.models import FetchStatus

__all__ = [
    "FetchLimits",
    "FetchRequest",
    "FetchResponse",
    "Fetcher",
    "body_digest",
    "default_user_agent",
    "redirected_to",
]

log = logging.getLogger(__name__)

PROJECT_URL = "https://github.com/newsreader-app/newsreader"

# What feed servers may send us; */* last so odd servers still answer.
_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
# Only the codings we decode ourselves, with a bound on the output (see _Inflater).
_ACCEPT_ENCODING = "gzip, deflate"

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_MAX_ERROR_CHARS = 300
# Where _set_location_aside puts a redirect's Location (in Response.extensions).
_LOCATION: Final = "newsreader.location"
# A byte string as h11 quotes it after a colon: "illegal status line: bytearray(b'...')".
_BYTES_REPR = re.compile(r""":\s*(?:bytearray\(b(['"]).*?(?<!\\)\1\)|b(['"]).*?(?<!\\)\2)""")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SSL_NOISE = re.compile(r"^\[[A-Z0-9_ :]+\]\s*|\s*\(_ssl\.c:\d+\)$")


@dataclass(frozen=True, slots=True)
class FetchLimits:
    concurrency: int = 16  # global cap on requests in flight
    per_host: int = 2  # cap on requests in flight to one host
    connect_timeout: float = 10.0
    read_timeout: float = 20.0  # longest silence while waiting for bytes
    total_timeout: float = 30.0  # one whole request, body included
    max_body_bytes: int = 20_000_000  # cap on the decompressed body
    max_redirects: int = 5


@dataclass(frozen=True, slots=True)
class FetchRequest:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None  # body_digest() of the last body stored


@dataclass(frozen=True, slots=True)
class FetchResponse:
    request: FetchRequest
    status: FetchStatus
    http_status: int | None = None
    body: bytes | None = None  # only for FetchStatus.OK
    content_type: str | None = None
    etag: str | None = None  # validators from this response (or kept from the request on 304)
    last_modified: str | None = None
    body_hash: str | None = None
    new_url: str | None = None  # the feed moved: every redirect hop was permanent (301/308)
    final_url: str | None = None  # where the answer came from, when redirects led elsewhere
    error: str | None = None  # FAILED/GONE: a sentence for the user
    retry_after: float | None = None  # seconds, from Retry-After
    max_age: float | None = None  # seconds, from Cache-Control max-age or Expires

    @property
    def ok(self) -> bool:
        """True when the feed answered (new body, not modified, or unchanged)."""
        return self.status in (FetchStatus.OK, FetchStatus.NOT_MODIFIED, FetchStatus.UNCHANGED)


def body_digest(body: bytes) -> str:
    """A short stable hash of a body, to notice a 200 that repeats the last body."""
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def default_user_agent() -> str:
    try:
        ver = version("newsreader")
    except PackageNotFoundError:  # a source tree that was never installed
        ver = "0.0.0"
    return f"newsreader/{ver} (+{PROJECT_URL})"


class _FetchError(Exception):
    """A problem already put in words; turned into a FAILED response."""

    def __init__(self, message: str, status: FetchStatus = FetchStatus.FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(slots=True)
class _Hop:
    """One HTTP exchange: its status and headers, and the body for a 2xx."""

    url: httpx.URL
    status: int
    headers: httpx.Headers
    body: bytes | None
    location: str | None = None  # a redirect's Location header


class _Progress:
    """How far one exchange got, so an error can say where it happened."""

    __slots__ = ("in_body",)

    def __init__(self) -> None:
        self.in_body = False


class Fetcher:
    """Fetches feeds with one shared HTTP client; use as ``async with Fetcher() as f``."""

    def __init__(
        self,
        limits: FetchLimits = FetchLimits(),
        user_agent: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if limits.concurrency < 1 or limits.per_host < 1:
            raise ValueError("concurrency and per_host must be at least 1")
        if limits.max_body_bytes < 1 or limits.max_redirects < 0:
            raise ValueError("max_body_bytes must be positive and max_redirects not negative")
        self.limits = limits
        self.user_agent = user_agent or default_user_agent()
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None
        self._host_slots: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        # Building the client loads the CA bundle and the HTTP/2 stack (~150 ms): do it on a
        # thread, so a refresh starting in the TUI never freezes it.
        self._client = await asyncio.to_thread(self._make_client)
        self._slots = asyncio.Semaphore(self.limits.concurrency)
        self._host_slots = {}
        return self

    def _make_client(self) -> httpx.AsyncClient:
        lim = self.limits
        return httpx.AsyncClient(
            http2=True,
            follow_redirects=False,
            transport=self._transport,
            timeout=httpx.Timeout(
                connect=lim.connect_timeout,
                read=lim.read_timeout,
                write=lim.read_timeout,
                pool=lim.total_timeout,
            ),
            limits=httpx.Limits(
                max_connections=lim.concurrency,
                max_keepalive_connections=lim.concurrency,
            ),
            headers={
                "User-Agent": self.user_agent,
                "Accept": _ACCEPT,
                "Accept-Encoding": _ACCEPT_ENCODING,
            },
            event_hooks={"response": [_set_location_aside]},
        )

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        self._slots = None
        self._host_slots = {}
        if client is not None:
            await client.aclose()

    async def fetch(self, request: FetchRequest) -> FetchResponse:
        """Fetch one feed. Network and HTTP problems come back as FAILED/GONE, never raised."""
        url = request.url.strip()
        try:
            if os.path.isabs(url):
                return await self._fetch_file(request, url)
            try:
                scheme = urlsplit(url).scheme.lower()
            except ValueError as exc:  # e.g. a malformed IPv6 literal
                raise _FetchError(f"invalid URL: {_clean(exc)}") from None
            if scheme in ("http", "https"):
                return await self._fetch_http(request, url)
            if scheme == "file":
                return await self._fetch_file(request, _file_url_path(url))
            shown = f"'{_clean(scheme)}'" if scheme else "none"
            raise _FetchError(f"unsupported URL scheme ({shown}): {_clean(url)}")
        except _FetchError as exc:
            return FetchResponse(request, exc.status, error=exc.message)

    # -- HTTP ------------------------------------------------------------------------------

    async def _fetch_http(self, request: FetchRequest, url: str) -> FetchResponse:
        try:
            current = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise _FetchError(f"invalid URL: {_clean(exc)}") from None
        if not current.host:
            raise _FetchError(f"invalid URL (no host name): {_clean(url)}")
        headers: dict[str, str] = {}
        if etag := _clean_validator(request.etag):
            headers["If-None-Match"] = etag
        if last_modified := _clean_validator(request.last_modified):
            headers["If-Modified-Since"] = last_modified

        seen = {str(current)}
        permanent, redirected = True, False
        for _ in range(self.limits.max_redirects + 1):
            hop = await self._exchange(current, headers)
            if hop.status not in _REDIRECTS:
                return self._finish(
                    request, hop, moved=permanent and redirected, redirected=redirected
                )
            location = hop.location
            if not location:
                raise _FetchError(f"redirect ({hop.status}) without a Location header")
            try:
                target = current.join(location.strip())
            except httpx.InvalidURL:
                raise _FetchError(f"redirect ({hop.status}) to an invalid URL") from None
            if target.scheme not in ("http", "https"):
                raise _FetchError(
                    f"refused a redirect to a non-HTTP URL ({_clean(target.scheme)}:)"
                )
            if str(target) in seen:
                raise _FetchError("too many redirects: the redirects go round in a loop")
            seen.add(str(target))
            permanent = permanent and hop.status in _PERMANENT
            redirected = True
            current = target
        raise _FetchError(f"too many redirects (more than {self.limits.max_redirects})")

    def _host_slot(self, host: str) -> asyncio.Semaphore:
        slot = self._host_slots.get(host)
        if slot is None:
            slot = self._host_slots[host] = asyncio.Semaphore(self.limits.per_host)
        return slot

    async def _exchange(self, url: httpx.URL, headers: dict[str, str]) -> _Hop:
        client, slots = self._client, self._slots
        if client is None or slots is None:
            raise RuntimeError("the Fetcher is not open: use 'async with Fetcher() as fetcher'")
        progress = _Progress()
        # Host first, then the global slot: a queue for a busy host must not hold global slots.
        async with self._host_slot(url.host), slots:
            deadline = asyncio.timeout(self.limits.total_timeout)
            try:
                async with deadline:
                    return await self._send(client, url, headers, progress)
            except TimeoutError:
                if deadline.expired():
                    raise _FetchError(
                        f"timed out after {_seconds(self.limits.total_timeout)} s"
                        " (the time limit for the whole request)"
                    ) from None
                raise _FetchError(_describe(TimeoutError(), url, progress, self.limits)) from None
            except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
                raise _FetchError(_describe(exc, url, progress, self.limits)) from None
            except zlib.error:
                raise _FetchError(
                    "could not decode the response body: corrupt compressed data"
                ) from None

    async def _send(
        self,
        client: httpx.AsyncClient,
        url: httpx.URL,
        headers: dict[str, str],
        progress: _Progress,
    ) -> _Hop:
        async with client.stream("GET", url, headers=headers) as response:
            body = None
            if 200 <= response.status_code < 300:
                progress.in_body = True
                body = await self._read_body(response)
            location = response.extensions.get(_LOCATION)
            return _Hop(url, response.status_code, response.headers, body, location)

    async def _read_body(self, response: httpx.Response) -> bytes:
        """The decompressed body, aborted as soon as it passes the cap.

        We decode gzip/deflate ourselves from the raw stream with a bound on each
        decompression step, so a small compressed "bomb" never inflates past the cap (httpx
        would inflate a whole network chunk, up to ~1000 times its size, in one go).
        """
        limit = self.limits.max_body_bytes
        if response.is_stream_consumed:  # a test transport that built the body in memory
            if len(response.content) > limit:
                raise _FetchError(_too_large(limit))
            return response.content
        codings = [
            c.strip()
            for c in response.headers.get("content-encoding", "").lower().split(",")
            if c.strip() and c.strip() != "identity"
        ]
        if len(codings) > 1 or (codings and codings[0] not in _Inflater.CODINGS):
            raise _FetchError(f"unsupported content encoding: {_clean(', '.join(codings))}")
        inflater = _Inflater(codings[0]) if codings else None
        if inflater is None and (length := response.headers.get("content-length")):
            with suppress(ValueError):
                if int(length) > limit:
                    raise _FetchError(_too_large(limit))

        parts: list[bytes] = []
        total = 0
        async for raw in response.aiter_raw():
            data = inflater.feed(raw, limit - total) if inflater is not None else raw
            total += len(data)
            if total > limit:
                raise _FetchError(_too_large(limit))
            parts.append(data)
        if inflater is not None:
            tail = inflater.flush()
            total += len(tail)
            if total > limit:
                raise _FetchError(_too_large(limit))
            parts.append(tail)
        return b"".join(parts)

    def _finish(
        self, request: FetchRequest, hop: _Hop, *, moved: bool, redirected: bool = False
    ) -> FetchResponse:
        headers, code = hop.headers, hop.status
        max_age = _max_age(headers)
        retry_after = _retry_after(headers)
        etag = _clean_validator(headers.get("etag"))
        last_modified = _clean_validator(headers.get("last-modified"))
        new_url = str(hop.url) if moved else None
        final_url = str(hop.url) if redirected else None

        if code == 304:
            return FetchResponse(
                request,
                FetchStatus.NOT_MODIFIED,
                http_status=code,
                etag=etag or request.etag,
                last_modified=last_modified or request.last_modified,
                body_hash=request.body_hash,
                new_url=new_url,
                final_url=final_url,
                max_age=max_age,
                retry_after=retry_after,
            )
        if hop.body is not None:
            digest = body_digest(hop.body)
            unchanged = digest == request.body_hash
            return FetchResponse(
                request,
                FetchStatus.UNCHANGED if unchanged else FetchStatus.OK,
                http_status=code,
                body=None if unchanged else hop.body,
                content_type=headers.get("content-type"),
                etag=etag,
                last_modified=last_modified,
                body_hash=digest,
                new_url=new_url,
                final_url=final_url,
                max_age=max_age,
                retry_after=retry_after,
            )
        status = FetchStatus.GONE if code == 410 else FetchStatus.FAILED
        error = _status_message(code, retry_after)
        if final_url is not None:  # the feed's own address may well be fine
            error += f" {redirected_to(final_url)}"
        return FetchResponse(
            request,
            status,
            http_status=code,
            error=error,
            final_url=final_url,
            retry_after=retry_after,
            max_age=max_age,
        )

    # -- local files -----------------------------------------------------------------------

    async def _fetch_file(self, request: FetchRequest, path: str) -> FetchResponse:
        body = await asyncio.to_thread(_read_file, path, self.limits.max_body_bytes)
        digest = body_digest(body)
        if digest == request.body_hash:
            return FetchResponse(request, FetchStatus.UNCHANGED, body_hash=digest)
        return FetchResponse(request, FetchStatus.OK, body=body, body_hash=digest)


async def _set_location_aside(response: httpx.Response) -> None:
    """Take a redirect's Location header away from httpx, which otherwise works out the
    next request itself (even with follow_redirects off) and raises on a Location it cannot
    follow ("javascript:...", "http://[::1") before we can say what was refused and why.
    Redirects are followed by hand in ``_fetch_http``."""
    if response.status_code in _REDIRECTS and "location" in response.headers:
        response.extensions[_LOCATION] = response.headers["location"]
        del response.headers["location"]


class _Inflater:
    """gzip/deflate decoding whose output per step is bounded by the caller's budget."""

    CODINGS = frozenset({"gzip", "x-gzip", "deflate"})

    __slots__ = ("_decoder", "_gzip", "_started")

    def __init__(self, coding: str) -> None:
        self._gzip = coding in ("gzip", "x-gzip")
        self._decoder = self._new()
        self._started = False

    def _new(self, *, raw: bool = False) -> zlib._Decompress:
        if raw:
            return zlib.decompressobj(-zlib.MAX_WBITS)
        return zlib.decompressobj(16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes, budget: int) -> bytes:
        """Decode ``data``; returns at most ``budget + 1`` bytes (more than budget: too big)."""
        out = bytearray()
        while data:
            if self._decoder.eof:
                # Another gzip member follows; anything else after the end is padding.
                if not (self._gzip and data[:2] == b"\x1f\x8b"):
                    break
                self._decoder = self._new()
            try:
                out += self._decoder.decompress(data, budget + 1 - len(out))
            except zlib.error:
                if self._gzip or self._started:
                    raise
                # "deflate" is often sent raw, without the zlib header.
                self._decoder = self._new(raw=True)
                self._started = True
                continue
            self._started = True
            if len(out) > budget:
                break
            # Output stayed under the bound, so all input was consumed up to the stream end.
            data = self._decoder.unused_data if self._decoder.eof else b""
        return bytes(out)

    def flush(self) -> bytes:
        return self._decoder.flush()


# -- files ---------------------------------------------------------------------------------


def _file_url_path(url: str) -> str:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise _FetchError(f"unsupported file URL (remote host): {_clean(url)}")
    path = url2pathname(parts.path)
    if not os.path.isabs(path):
        raise _FetchError(f"file URL without an absolute path: {_clean(url)}")
    return path


def _read_file(path: str, limit: int) -> bytes:
    shown = _clean(path)
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise _FetchError(f"not a regular file: {shown}")
        if info.st_size > limit:
            raise _FetchError(_too_large(limit))
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise _FetchError(f"file not found: {shown}") from None
    except PermissionError:
        raise _FetchError(f"permission denied: {shown}") from None
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise _FetchError(f"could not read file {shown}: {reason}") from None
    if len(data) > limit:
        raise _FetchError(_too_large(limit))
    return data


# -- words for problems --------------------------------------------------------------------


def _status_message(code: int, retry_after: float | None) -> str:
    phrase = httpx.codes.get_reason_phrase(code)
    later = f": retry after {_seconds(retry_after)} s" if retry_after is not None else ""
    if code == 410:
        return "gone (410): feed disabled"
    if code == 404:
        return "not found (404)"
    if code == 429:
        return f"rate limited (429){later}"
    if code == 503:
        return f"server unavailable (503){later}"
    if code == 401:
        return "authentication required (401)"
    if code == 403:
        return "access forbidden (403)"
    if 500 <= code < 600:
        kind = "server error"
    elif 400 <= code < 500:
        kind = "request refused"
    else:
        kind = "unexpected response"
    return f"{kind} ({code}): {phrase}" if phrase else f"{kind} ({code})"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what caused it, and so on, looking inside exception groups."""
    todo, seen = [exc], set()
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        for nxt in (current.__cause__, current.__context__):
            if nxt is not None:
                todo.append(nxt)


def _describe(exc: BaseException, url: httpx.URL, progress: _Progress, lim: FetchLimits) -> str:
    """A network exception in words, for someone who is not reading a traceback."""
    host = _clean(url.host) or "(none)"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out after {_seconds(lim.connect_timeout)} s while connecting to {host}"
    if isinstance(exc, httpx.ReadTimeout):
        return f"timed out after {_seconds(lim.read_timeout)} s waiting for data from {host}"
    if isinstance(exc, httpx.WriteTimeout):
        return f"timed out after {_seconds(lim.read_timeout)} s sending the request"
    if isinstance(exc, httpx.PoolTimeout):
        return "timed out waiting for a free connection"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "unsupported URL scheme"
    if isinstance(exc, httpx.InvalidURL):
        return f"invalid URL: {_clean(exc)}"
    if isinstance(exc, httpx.ProxyError):
        return f"proxy error: {_clean(exc)}"

    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = cause.verify_message or _ssl_reason(cause)
            return f"TLS error: certificate verification failed: {_clean(detail)}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {_ssl_reason(cause)}"
        if isinstance(cause, socket.gaierror):
            if cause.errno == socket.EAI_AGAIN:
                return f"could not look up {host} (no network?)"
            return f"unknown host: {host}"
        if isinstance(cause, ConnectionRefusedError):
            return "could not connect: connection refused"
        if isinstance(cause, ConnectionResetError):
            if progress.in_body:
                return "connection reset while downloading"
            return "connection reset by the server"

    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, httpx.ConnectError):
        if "name or service not known" in lowered or "nodename nor servname" in lowered:
            return f"unknown host: {host}"
        if "temporary failure in name resolution" in lowered:
            return f"could not look up {host} (no network?)"
        if "refused" in lowered:
            return "could not connect: connection refused"
        for cause in _causes(exc):
            if isinstance(cause, OSError) and cause.errno is not None:
                if cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
                    return f"could not connect: {host} is unreachable"
                if cause.strerror:
                    return f"could not connect: {_clean(cause.strerror).lower()}"
        return f"could not connect to {host}: {_clean(text) or 'connection failed'}"
    if isinstance(exc, httpx.RemoteProtocolError):
        if "without sending" in lowered or "incomplete" in lowered or "disconnected" in lowered:
            if progress.in_body:
                return "connection closed before the download finished"
            return "the server closed the connection without answering"
        detail = _clean(_BYTES_REPR.sub("", text))
        return f"invalid response from the server: {detail or 'protocol error'}"
    if isinstance(exc, httpx.ReadError):
        where = "while downloading" if progress.in_body else "waiting for the server"
        return f"network error {where}: {_clean(text) or 'read failed'}"
    if isinstance(exc, httpx.WriteError | httpx.LocalProtocolError):
        return f"could not send the request: {_clean(text) or type(exc).__name__}"
    if isinstance(exc, TimeoutError):
        return f"timed out talking to {host}"
    return f"network error: {_clean(text) or type(exc).__name__}"


def redirected_to(url: str) -> str:
    """Words for an error that happened where redirects led: "(redirected to URL)"."""
    return f"(redirected to {_clean(url)})"


def _ssl_reason(exc: ssl.SSLError) -> str:
    text = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], str) else str(exc)
    text = _SSL_NOISE.sub("", text).strip()
    return _clean(text or exc.reason or "handshake failed")


def _too_large(limit: int) -> str:
    if limit >= 1_000_000:
        size = f"{_number(limit / 1_000_000)} MB"
    elif limit >= 1_000:
        size = f"{_number(limit / 1_000)} kB"
    else:
        size = f"{limit} bytes"
    return f"too large: the feed is over {size}"


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _seconds(value: float) -> str:
    if value >= 10 or value == int(value):
        return str(round(value))
    return f"{value:.3g}"


def _clean(value: object) -> str:
    """Text from outside (URLs, exception text) made safe and short for a message."""
    text = _CONTROL.sub("", str(value)).strip()
    if len(text) > _MAX_ERROR_CHARS:
        text = text[: _MAX_ERROR_CHARS - 1] + "…"
    return text


def _clean_validator(value: str | None) -> str | None:
    """An ETag / Last-Modified we can store and send back as-is, or None."""
    if not value:
        return None
    value = value.strip()
    if not value or len(value) > 1024 or not value.isascii() or not value.isprintable():
        return None
    return value


# -- caching headers -----------------------------------------------------------------------


def _http_date(value: str | None) -> float | None:
    """POSIX seconds of an HTTP-date, or None."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" and friends: HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    try:
        return when.timestamp()
    except (OverflowError, OSError, ValueError):
        return None


def _server_now(headers: httpx.Headers) -> float:
    """The server's idea of now (its Date header), so clock skew does not matter."""
    date = _http_date(headers.get("date"))
    return date if date is not None else time.time()


def _retry_after(headers: httpx.Headers) -> float | None:
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(int(value))
    try:
        seconds = float(value)
    except ValueError:
        when = _http_date(value)
        if when is None:
            return None
        return max(0.0, when - _server_now(headers))
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _max_age(headers: httpx.Headers) -> float | None:
    cache_control = headers.get("cache-control")
    if cache_control:
        directives: dict[str, str] = {}
        for item in cache_control.split(","):
            name, _, arg = item.partition("=")
            directives[name.strip().lower()] = arg.strip().strip('"')
        if "no-store" in directives or "no-cache" in directives:
            return 0.0
        if "max-age" in directives:
            try:
                seconds = int(directives["max-age"])
            except ValueError:
                seconds = None
            if seconds is not None:
                age = 0
                with suppress(ValueError):
                    age = int((headers.get("age") or "0").strip())
                return float(max(0, seconds - max(0, age)))
    expires = headers.get("expires")
    if expires is None:
        return None
    when = _http_date(expires)
    if when is None:  # "0", "-1" and other invalid dates mean "already expired"
        return 0.0
    return max(0.0, when - _server_now(headers))
