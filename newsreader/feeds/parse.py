"""Response bodies to ``ParsedFeed`` records: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed
by hand.

``parse_feed`` is a plain top-level function so it can run in a worker process; its inputs and
results are plain, picklable values. Feed text comes out as safe text (see ``content``): control
characters removed, HTML reduced to text blocks. Raw HTML is kept only in ``summary_html`` and
``content_html``.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import io
import json
import re
import time
import xml.sax
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import feedparser
from lxml import etree

from newsreader.feeds import fastparse
from newsreader.feeds.content import (
    blocks_to_text,
    clean_text,
    html_to_blocks,
    html_to_text,
    normalise_ws,
    safe_url,
    text_to_blocks,
)
from newsreader.models import ParsedArticle, ParsedFeed, TextBlock

__all__ = ["NotAFeedError", "find_feed_links", "parse_feed"]


class NotAFeedError(Exception):
    """The response is not something we can read as a feed. ``str(e)`` is a sentence for users.

    ``feed_url`` is set when the response was an HTML page that links to a feed.
    """

    def __init__(self, message: str, feed_url: str | None = None) -> None:
        super().__init__(message, feed_url)
        self.message = message
        self.feed_url = feed_url

    def __str__(self) -> str:
        return self.message


EMPTY_MESSAGE: Final = "empty response: the server sent no content"
HTML_MESSAGE: Final = "not a feed: this is an HTML page"
# How to find the feed instead: ``newsreader add`` follows a page's <link rel="alternate">.
HTML_NO_FEED_MESSAGE: Final = (
    f"{HTML_MESSAGE}, and it links to no feed"
    " (newsreader add finds the feed of a page that links to one)"
)
JUNK_MESSAGE: Final = "not a feed: could not read it as RSS, Atom or JSON Feed"

_FUTURE_SLACK: Final = timedelta(days=1)
_MAX_TTL: Final = 30 * 86400
_MAX_KEY: Final = 1000
_MAX_LINE: Final = 1000  # titles and names: one line, not a megabyte
_MAX_LINK: Final = 8192  # longer "links" are junk (or an attack on whoever opens them)
_WEB: Final = frozenset({"http", "https"})

_BLANK_RE: Final = re.compile(rb"(?:\xef\xbb\xbf|\xff\xfe|\xfe\xff)?[\s\x00]*\Z")
_LEAD_RE: Final = re.compile(rb"(?:\xef\xbb\xbf)?\s*")
# An HTML document: declarations, doctype, comments and whitespace, then <html>. (A doctype alone
# proves nothing: some feeds carry an XHTML one.)
_HTML_START_RE: Final = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:\s|<\?[^>]*>|<!--.*?-->|<!doctype[^>]*>)*<html[\s>]",
    re.IGNORECASE | re.DOTALL,
)
_HTML_HINT_RE: Final = re.compile(rb"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I)
_XML_ENCODING_RE: Final = re.compile(rb"\s*<\?xml[^>]*encoding\s*=", re.IGNORECASE)
# [^<>]: a run of "<a<a<a" must not make every "<" scan to the end of the text (quadratic).
_TAG_OR_ENTITY_RE: Final = re.compile(r"</?[A-Za-z][^<>]*>|&(?:#\d+|#[xX][0-9a-fA-F]+|\w+);")
# Byte-order marks, longest first (the UTF-32-LE mark starts like the UTF-16-LE one), and the
# look of "<" (XML) and "{" (JSON) in UTF-16/32 without a mark.
_BOMS: Final = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
_WIDE_STARTS: Final = tuple(
    (start, codec)
    for char in (b"<", b"{")
    for start, codec in (
        (b"\x00\x00\x00" + char, "utf-32-be"),
        (char + b"\x00\x00\x00", "utf-32-le"),
        (b"\x00" + char, "utf-16-be"),
        (char + b"\x00", "utf-16-le"),
    )
)
_UTF8_BOM: Final = b"\xef\xbb\xbf"
_DECLARED_ENCODING_RE: Final = re.compile(
    rb"(\s*<\?xml[^>]*?\sencoding\s*=\s*)([\"'])([^\"'>]*)\2", re.IGNORECASE
)
# A numeric character reference; an escaped ESC takes the rest of its CSI sequence with it.
_CHAR_REF_RE: Final = re.compile(
    rb"&#(?:[xX]0*1[bB]|0*27);(?:\[[0-?]*[ -/]*[@-~])?|&#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,20}));"
)

_JSON_TYPES: Final = frozenset({"application/feed+json", "application/json"})
_FEED_LINK_TYPES: Final = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"}
)
_SY_PERIODS: Final = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 30 * 86400,
    "yearly": 365 * 86400,
}


def parse_feed(
    body: bytes,
    url: str,
    *,
    content_type: str | None = None,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse a response body fetched from ``url``.

    Raises ``NotAFeedError`` when the body is empty or is not RSS, Atom or JSON Feed. Malformed
    XML whose items can still be recovered is not an error: ``bozo_message`` says what was wrong.
    """
    if now is None:
        now = datetime.now(UTC)
    if _BLANK_RE.match(body):
        raise NotAFeedError(EMPTY_MESSAGE)
    body = _as_utf8(body)
    mime, charset = _split_content_type(content_type)
    lead = _LEAD_RE.match(body)
    first = body[lead.end() : lead.end() + 1] if lead else body[:1]
    if first == b"{" or (mime in _JSON_TYPES and first != b"<"):
        data = _load_json(body)
        if isinstance(data, dict) and "jsonfeed.org" in str(data.get("version", "")):
            return _parse_json_feed(data, url, now)
        raise NotAFeedError(JUNK_MESSAGE)
    if _HTML_START_RE.match(body, 0, 4096):
        raise _html_page_error(body, url)
    if lead and lead.end() and body.startswith(b"<?xml", lead.end()):
        # Whitespace before the XML declaration is a fatal error to expat, and feedparser's
        # fallback parser is slower and sloppier; the declaration may just as well come first.
        body = body[lead.end() :]
    return _parse_xml_feed(_drop_invalid_char_refs(body), url, charset, now)


def _as_utf8(body: bytes) -> bytes:
    """UTF-16/32 bodies re-encoded as UTF-8 (with a UTF-8 mark, so the document still declares
    its own encoding), and a UTF-8 mark whose XML declaration names another encoding trusted
    over the declaration (the mark cannot be wrong; "utf-16" in 8-bit text can).

    Everything after this reads ASCII-compatible bytes: the JSON and HTML sniffing, and the
    clean-up of character references, which would not see them in UTF-16.
    """
    if body.startswith(_UTF8_BOM):
        m = _DECLARED_ENCODING_RE.match(body, len(_UTF8_BOM))
        if m is None or m.group(3).strip().lower().replace(b"_", b"-") in (b"utf-8", b"utf8"):
            return body
        return body[: m.start(3)] + b"utf-8" + body[m.end(3) :]
    for mark, codec in _BOMS:
        if body.startswith(mark):
            text = body[len(mark) :].decode(codec, "replace")
            break
    else:
        start = body[:4]
        for prefix, codec in _WIDE_STARTS:
            if start.startswith(prefix):
                text = body.decode(codec, "replace")
                break
        else:
            return body
    data = text.encode("utf-8", "replace")
    m = _DECLARED_ENCODING_RE.match(data)
    if m is not None:
        data = data[: m.start(3)] + b"utf-8" + data[m.end(3) :]
    return _UTF8_BOM + data


def _drop_invalid_char_refs(body: bytes) -> bytes:
    """Remove numeric character references to characters XML forbids (NUL and most C0
    controls, surrogates, U+FFFE/U+FFFF, beyond U+10FFFF).

    One ``&#0;`` would make the XML parser give up on the whole document, and feedparser's
    fallback parser crashes outright on a surrogate such as ``&#xD800;``: a single bad
    reference must not cost the feed all its items. None of these characters could be shown
    anyway (``clean_text`` removes them).
    """
    if b"&#" not in body:
        return body
    return _CHAR_REF_RE.sub(_keep_valid_char_ref, body)


def _keep_valid_char_ref(m: re.Match[bytes]) -> bytes:
    hexa, dec = m.group(1), m.group(2)
    if hexa is None and dec is None:
        return b""  # ESC, and the terminal sequence it starts
    code = int(hexa, 16) if hexa is not None else int(dec)
    if (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    ):
        return m.group(0)
    return b""


def find_feed_links(html: bytes | str, base_url: str) -> list[str]:
    """Absolute URLs of the feeds an HTML page advertises with ``<link rel="alternate">``."""
    try:
        if isinstance(html, str):
            root = etree.fromstring(clean_text(html).encode("utf-8"), _HTML_UTF8)
        else:
            root = etree.fromstring(html, _HTML_SNIFF)
        if root is None:
            return []
        base = base_url
        for el in root.iter("base"):
            href = el.get("href")
            if href:
                base = safe_url(href, base_url, _WEB) or base_url
            break
        found: list[str] = []
        for el in root.iter("link"):
            rel = (el.get("rel") or "").lower().split()
            kind = (el.get("type") or "").split(";")[0].strip().lower()
            if "alternate" not in rel or kind not in _FEED_LINK_TYPES:
                continue
            href = safe_url(el.get("href"), base, _WEB)
            if href and href not in found:
                found.append(href)
        return found
    except Exception:
        return []


_HTML_UTF8: Final = etree.HTMLParser(encoding="utf-8", no_network=True, recover=True)
_HTML_SNIFF: Final = etree.HTMLParser(no_network=True, recover=True)


def _html_page_error(body: bytes, url: str) -> NotAFeedError:
    links = find_feed_links(body, url)
    if links:
        return NotAFeedError(
            f"{HTML_MESSAGE} (it links to a feed at {links[0]}:"
            f" newsreader add {links[0]} subscribes to it)",
            links[0],
        )
    return NotAFeedError(HTML_NO_FEED_MESSAGE)


def _split_content_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    mime, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return mime.strip().lower(), charset


# --- RSS and Atom -----------------------------------------------------------------------------


def _parse_xml_feed(body: bytes, url: str, charset: str | None, now: datetime) -> ParsedFeed:
    # The HTTP charset wins over sniffing unless the document declares its own encoding (a BOM or
    # an XML declaration): servers' default charsets are wrong more often than documents are.
    # No content-location: with a base URI feedparser joins URLs on every element (a fifth of
    # its time); the links we keep are resolved against the feed URL here instead.
    headers = {"content-type": "application/xml"}
    has_bom = body.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))
    if charset and not has_bom and not _XML_ENCODING_RE.match(body, 0, 512):
        headers["content-type"] = f"application/xml; charset={charset}"
    # Well-formed RSS 2.0/1.0 and Atom 1.0 (most feeds) are read by lxml into the same result
    # feedparser gives, 2-3 times faster; anything else goes to feedparser itself.
    result = fastparse.fast_entries(body, headers["content-type"])
    if result is None:
        try:
            # A stream, never bytes or str: feedparser opens strings that look like URLs or paths.
            result = feedparser.parse(
                io.BytesIO(body),
                sanitize_html=False,
                resolve_relative_uris=False,
                response_headers=headers,
            )
        except Exception as exc:  # feedparser is meant not to raise; be sure of it
            raise NotAFeedError(JUNK_MESSAGE) from exc
    entries: list[Any] = result.get("entries") or []
    version = result.get("version") or ""
    if not entries and not version:
        if _HTML_HINT_RE.search(body, 0, 8192):
            raise _html_page_error(body, url)
        raise NotAFeedError(JUNK_MESSAGE)

    feed: Mapping[str, Any] = result.get("feed") or {}
    articles: list[ParsedArticle] = []
    seen: set[str] = set()
    for entry in entries:
        article = _rss_article(entry, url, now)
        if article is not None and article.key not in seen:
            seen.add(article.key)
            articles.append(article)

    return ParsedFeed(
        title=_plain(feed.get("title"), html=_is_html(feed.get("title_detail"))) or _host(url),
        site_link=_web_link(_str(feed.get("link")), url),
        articles=tuple(articles),
        ttl_seconds=_ttl(feed),
        bozo_message=_bozo_message(result),
        language=_language(feed.get("language")),
    )


def _rss_article(entry: dict[str, Any], feed_url: str, now: datetime) -> ParsedArticle | None:
    """The entry as an article; None when it has no title, no link and no text."""

    # Plain dict lookups: FeedParserDict.get goes through key aliasing, which is slower and
    # answers "updated" with the published date.
    def get(key: str) -> Any:
        return dict.get(entry, key)

    raw_link = _str(get("link")).strip()
    raw_guid = _str(get("id")).strip()
    # A permalink guid stands in for a missing <link>; "1234" is not a URL, so no base for it.
    # (feedparser sets guidislink for every guid without isPermaLink="false", even when the
    # item has a <link> of its own: that one is resolved against the feed as usual.)
    from_guid = bool(get("guidislink")) and raw_link == raw_guid
    link = _web_link(raw_link, None if from_guid else feed_url)

    content_html = ""
    content_is_html = True
    for detail in get("content") or ():
        value = _str(dict.get(detail, "value"))
        if len(value) > len(content_html):
            content_html = value
            content_is_html = _is_html(detail)
    summary_html = _str(get("summary"))
    summary_is_html = _is_html(get("summary_detail"))
    if "summary_detail" not in entry and summary_html == content_html:
        summary_html = ""  # feedparser copies content into summary when there is none

    base = link or feed_url
    if content_html:
        blocks = _body_blocks(content_html, content_is_html, base)
    else:
        blocks = _body_blocks(summary_html, summary_is_html, base)
    # The raw HTML is kept for those who ask for it, but never with terminal controls in it.
    content_html = clean_text(content_html) if content_is_html else html_lib.escape(content_html)
    summary_html = clean_text(summary_html) if summary_is_html else html_lib.escape(summary_html)
    text = blocks_to_text(blocks)

    raw_title = _str(get("title"))
    title = _plain(raw_title, html=_is_html(get("title_detail")))
    if not (title or link or text):
        return None  # nothing to show and nothing to open: not an article
    title = title or _title_from_text(text)

    published = _utc(get("published_parsed"), now) or _utc(get("updated_parsed"), now)
    updated = _utc(get("updated_parsed"), now)

    key = _identity(raw_guid, raw_link, feed_url)
    if key is None:
        date = _str(get("published")) or _str(get("updated"))
        key = _hash_key(raw_title, date, text)

    author_detail = get("author_detail")
    author = _plain(author_detail.get("name") if author_detail else None) or _plain(get("author"))
    return ParsedArticle(
        key=key,
        title=title,
        link=link,
        author=author or None,
        published=published,
        updated=updated,
        summary_html=summary_html,
        content_html=content_html,
        blocks=blocks,
        text=text,
    )


def _is_html(detail: dict[str, Any] | None) -> bool:
    if not detail:
        return True
    return dict.get(detail, "type") != "text/plain"


def _body_blocks(value: str, is_html: bool, base: str) -> tuple[TextBlock, ...]:
    if not value:
        return ()
    return html_to_blocks(value, base) if is_html else text_to_blocks(value)


def _bozo_message(result: Mapping[str, Any]) -> str | None:
    if not result.get("bozo"):
        return None
    exc = result.get("bozo_exception")
    if exc is None or isinstance(exc, feedparser.ThingsNobodyCaresAboutButMe):
        return None  # a content-type or encoding quibble, not malformed XML
    if isinstance(exc, xml.sax.SAXParseException):
        message = (
            f"malformed XML at line {exc.getLineNumber()}, column {exc.getColumnNumber()}: "
            f"{exc.getMessage()}"
        )
    else:
        message = f"malformed feed: {exc}"
    return normalise_ws(clean_text(message))[:500]


def _ttl(feed: Mapping[str, Any]) -> int | None:
    seconds: int | None = None
    ttl = _str(feed.get("ttl")).strip()
    if ttl.isdigit():
        seconds = int(ttl) * 60
    else:
        period = _SY_PERIODS.get(_str(feed.get("sy_updateperiod")).strip().lower())
        if period:
            frequency = _str(feed.get("sy_updatefrequency")).strip()
            per = int(frequency) if frequency.isdigit() and int(frequency) > 0 else 1
            seconds = period // per
    if not seconds or seconds <= 0:
        return None
    return min(seconds, _MAX_TTL)


# --- JSON Feed --------------------------------------------------------------------------------


def _load_json(body: bytes) -> object:
    try:
        if body.startswith(b"\xef\xbb\xbf"):
            return json.loads(body.decode("utf-8-sig"))
        return json.loads(body)  # detects UTF-8/16/32
    except (ValueError, RecursionError):
        return None


def _parse_json_feed(data: dict[str, Any], url: str, now: datetime) -> ParsedFeed:
    items = data.get("items")
    articles: list[ParsedArticle] = []
    seen: set[str] = set()
    feed_author = _json_author(data)
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict):
            continue
        article = _json_article(item, url, now, feed_author)
        if article is not None and article.key not in seen:
            seen.add(article.key)
            articles.append(article)
    return ParsedFeed(
        title=_plain(_json_str(data.get("title")), html=False) or _host(url),
        site_link=_web_link(_json_str(data.get("home_page_url")), url),
        articles=tuple(articles),
        ttl_seconds=None,
        bozo_message=None,
        language=_language(_json_str(data.get("language"))),
    )


def _json_article(
    item: dict[str, Any], feed_url: str, now: datetime, feed_author: str | None
) -> ParsedArticle | None:
    """The item as an article; None when it has no title, no link and no text."""
    raw_link = _json_str(item.get("url")) or _json_str(item.get("external_url"))
    link = _web_link(raw_link, feed_url)
    content_html = _json_str(item.get("content_html"))
    content_text = _json_str(item.get("content_text"))
    summary = _json_str(item.get("summary"))
    base = link or feed_url
    if content_html:
        blocks = html_to_blocks(content_html, base)
    elif content_text:
        blocks = text_to_blocks(content_text)
        content_html = html_lib.escape(content_text)
    else:
        blocks = text_to_blocks(summary)
    text = blocks_to_text(blocks)
    raw_title = _json_str(item.get("title"))
    title = _plain(raw_title, html=False)
    if not (title or link or text):
        return None
    title = title or _title_from_text(text)
    published = _iso_date(item.get("date_published"), now)
    updated = _iso_date(item.get("date_modified"), now)

    raw_id = item.get("id")
    guid = str(raw_id).strip() if isinstance(raw_id, (str, int)) else ""
    key = _identity(guid, raw_link, feed_url)
    if key is None:
        date = _json_str(item.get("date_published")) or _json_str(item.get("date_modified"))
        key = _hash_key(raw_title, date, text)

    return ParsedArticle(
        key=key,
        title=title,
        link=link,
        author=_json_author(item) or feed_author,
        published=published or updated,
        updated=updated,
        summary_html=html_lib.escape(clean_text(summary)),
        content_html=clean_text(content_html),
        blocks=blocks,
        text=text,
    )


def _json_author(obj: Mapping[str, Any]) -> str | None:
    candidates: list[object] = []
    authors = obj.get("authors")
    if isinstance(authors, list):
        candidates.extend(authors)
    candidates.append(obj.get("author"))
    for author in candidates:
        if isinstance(author, dict):
            name = _plain(_json_str(author.get("name")), html=False)
            if name:
                return name
    return None


def _json_str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _iso_date(value: object, now: datetime) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        parsed = feedparser.datetimes._parse_date(value)  # RFC 822 and friends
        return _utc(parsed, now)
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return _clamp(dt, now)


# --- shared helpers ---------------------------------------------------------------------------


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _plain(value: object, *, html: bool = True) -> str:
    """A one-line safe string from a title/name that may hold escaped HTML, at most
    ``_MAX_LINE`` characters (cut at a word, marked with an ellipsis)."""
    if not isinstance(value, str) or not value:
        return ""
    if html and ("<" in value or "&" in value) and _TAG_OR_ENTITY_RE.search(value):
        line = normalise_ws(html_to_text(value))
    else:
        line = normalise_ws(clean_text(value))
    if len(line) <= _MAX_LINE:
        return line
    cut = line[: _MAX_LINE - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[-80:] else cut) + "…"


def _web_link(href: str | None, base: str | None) -> str | None:
    """An absolute http(s) link, or None (other schemes, no host, or absurdly long)."""
    if href is not None and len(href) > _MAX_LINK:
        return None
    return safe_url(href, base, _WEB)


def _title_from_text(text: str, max_words: int = 12, limit: int = 80) -> str:
    """A stand-in title for an untitled item: the first words of its text ("(untitled)"
    for an item that has only a link)."""
    words = text[: limit * 4].split()
    if not words:
        return "(untitled)"
    title = " ".join(words[:max_words])
    if len(title) > limit:
        title = title[:limit].rsplit(" ", 1)[0] or title[:limit]
    if title != normalise_ws(text):
        title += "…"
    return title


def _utc(parsed: object, now: datetime) -> datetime | None:
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        dt = datetime(*parsed[:6], tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    return _clamp(dt, now)


def _clamp(dt: datetime, now: datetime) -> datetime:
    return now if dt > now + _FUTURE_SLACK else dt


def _identity(guid: str, link: str, feed_url: str) -> str | None:
    """An item's key from its guid, else its link (None: neither). Control characters and
    escape sequences are left out: a key is stored and may be shown, and an id with a terminal
    escape in it identifies nothing better than the same id without."""
    guid = clean_text(guid).strip() if guid else ""
    if guid:
        return "g:" + _bounded(guid)
    link = clean_text(link).strip() if link else ""
    if link:
        return "l:" + _bounded(_absolute(link, feed_url))
    return None


def _hash_key(title: str, date: str, text: str) -> str:
    basis = title + "\x00" + date
    if not title and not date:
        basis += "\x00" + text  # nothing else tells such items apart
    return "h:" + hashlib.sha1(basis.encode("utf-8", "surrogatepass")).hexdigest()


def _bounded(key: str) -> str:
    if len(key) <= _MAX_KEY:
        return key
    return "sha1:" + hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()


def _absolute(link: str, base: str) -> str:
    try:
        return urljoin(base, link)
    except ValueError:
        return link


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    return normalise_ws(clean_text(host or url)) or "(untitled feed)"


def _language(value: object) -> str | None:
    lang = normalise_ws(clean_text(value))[:35] if isinstance(value, str) else ""
    return lang or None
