"""Full article text: fetch an article's web page and keep only the story.

Feeds often carry a summary only. On request, the app fetches the article page with the same
:class:`~newsreader.feeds.fetch.Fetcher` as the feeds (same politeness, time limits and size
cap), extracts the main text with trafilatura, then removes the site furniture trafilatura
keeps because it sits inside the article body: donation pleas, "Follow us on ...", share bars,
newsletter boxes, "Related articles", "Read more: ...", cookie notices, copyright lines and
whatever trails after them. The result becomes safe :class:`~newsreader.models.TextBlock`
records through :func:`~newsreader.feeds.content.html_to_blocks`, like feed HTML.

Two halves, so the CPU work can leave the event loop:

* :func:`extract_full_text` is pure and synchronous (measured here: 7 ms for a 7 kB page,
  about 22 ms for a 230 kB news page; importing trafilatura costs ~0.5 s once per process):
  bytes in, :class:`~newsreader.models.FullText` out. It is a top-level function whose
  arguments, result and :class:`FullTextError` all pickle, so the app can run it in its
  worker processes.
* :func:`fetch_full_text` fetches the page and hands the body to an *extractor*: by default
  :func:`extract_in_thread`; the app passes ``executor_extractor(pool)`` to use its process
  pool.

Every failure is a :class:`FullTextError` whose message is a sentence for the user.
The boilerplate rules know English phrasing; on other languages only trafilatura's own
cleaning (by markup and link density) applies.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import logging
import re
from collections.abc import Awaitable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Final, Protocol

import lxml.html
from lxml import etree

from newsreader.feeds.content import (
    blocks_to_text,
    clean_text,
    html_to_blocks,
    normalise_ws,
    safe_url,
)
from newsreader.feeds.fetch import Fetcher, FetchRequest, FetchResponse
from newsreader.models import BlockKind, FetchStatus, FullText

__all__ = [
    "MAX_PAGE_BYTES",
    "MIN_ARTICLE_WORDS",
    "Extractor",
    "FullTextError",
    "executor_extractor",
    "extract_full_text",
    "extract_in_thread",
    "fetch_full_text",
]

log = logging.getLogger(__name__)

MAX_PAGE_BYTES: Final = 10_000_000
"""Pages larger than this are refused before extraction (it would take seconds of CPU)."""

MIN_ARTICLE_WORDS: Final = 25
"""Fewer words of prose than this after cleaning means the page has no article."""

_WEB: Final = frozenset({"http", "https"})
_MAX_SHOWN: Final = 200  # characters of a URL or media type quoted in a message


class FullTextError(Exception):
    """Fetching or extracting an article's full text failed; ``message`` says why, in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- what kind of page is it ------------------------------------------------------------------

_HTML_TYPES: Final = frozenset(
    {"text/html", "application/xhtml+xml", "application/vnd.wap.xhtml+xml"}
)
_FEED_TYPES: Final = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
)
_MEDIA_TYPE_RE: Final = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")

# File signatures, checked before the Content-Type: a PDF served as text/html is still a PDF.
_MAGIC: Final = (
    (b"\x89PNG\r\n\x1a\n", "an image"),
    (b"\xff\xd8\xff", "an image"),
    (b"GIF87a", "an image"),
    (b"GIF89a", "an image"),
    (b"PK\x03\x04", "a ZIP archive or office document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an office document"),
    (b"\x1f\x8b", "a compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "a compressed file"),
    (b"ID3", "an audio file"),
    (b"fLaC", "an audio file"),
    (b"OggS", "an audio or video file"),
    (b"\x1a\x45\xdf\xa3", "a video"),
    (b"wOFF", "a font"),
    (b"wOF2", "a font"),
    (b"\x00asm", "a program"),
)
_RIFF: Final = {b"WEBP": "an image", b"WAVE": "an audio file", b"AVI ": "a video"}

# What a browser's sniffer takes for HTML at the start of a body (plus a few modern tags).
_HTML_START_RE: Final = re.compile(
    rb"(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|"
    rb"style|title|b|br|p|meta|link|main|article|section|header|nav|noscript)[\s/>]",
    re.IGNORECASE | re.DOTALL,
)
# The first element of an XML document, after the declaration, comments and a doctype.
_XML_ROOT_RE: Final = re.compile(
    rb"(?:<\?.*?\?>\s*|<!--.*?-->\s*|<!doctype[^>]*>\s*)*<([A-Za-z_][\w.:-]*)",
    re.IGNORECASE | re.DOTALL,
)


def _split_content_type(content_type: str | None) -> tuple[str, str | None]:
    """The media type (lower case, "" if none) and the charset parameter of a Content-Type."""
    if not content_type:
        return "", None
    media, *params = content_type.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'").strip() or None
    return media.strip().lower(), charset


def _shown_media(media: str) -> str:
    return media if _MEDIA_TYPE_RE.fullmatch(media) else "unknown"


def _not_html(body: bytes, media: str) -> str | None:
    """Why the body is not an HTML page (a phrase like "a PDF"), or None when it is HTML."""
    head = body[:1024]
    if b"%PDF-" in head:
        return "a PDF"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: sniff it as UTF-8
        head = head.decode("utf-16", "ignore").encode("utf-8", "ignore")
    lead = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    for magic, kind in _MAGIC:
        if lead.startswith(magic):
            return kind
    if lead.startswith(b"RIFF") and lead[8:12] in _RIFF:
        return _RIFF[lead[8:12]]
    if lead[4:8] == b"ftyp":
        return "a video or audio file"
    # Servers label API answers and feeds text/html too: look at the body first.
    if lead[:1] in (b"{", b"[") and _is_json(body):
        return "JSON data"
    root = _XML_ROOT_RE.match(lead) if lead.startswith(b"<") else None
    name = root.group(1).lower().rpartition(b":")[2] if root is not None else b""
    if name in (b"rss", b"feed", b"rdf"):
        return "a news feed"
    if media in _HTML_TYPES or name == b"html" or _HTML_START_RE.match(lead):
        return None
    # Not HTML by its type nor by its first bytes: name what it is instead.
    if media in _FEED_TYPES:
        return "a news feed"
    if root is not None:
        return "an XML document"
    if media == "application/json" or media.endswith("+json") or lead[:1] in (b"{", b"["):
        return "JSON data"
    if media == "application/pdf":
        return "a PDF"
    for prefix, kind in (
        ("image/", "an image"),
        ("audio/", "an audio file"),
        ("video/", "a video"),
        ("font/", "a font"),
    ):
        if media.startswith(prefix):
            return kind
    if media == "text/plain" or (not media and _is_text(head)):
        return "plain text"
    if media in ("text/css",):
        return "a style sheet"
    if "javascript" in media or "ecmascript" in media:
        return "a script"
    if media:
        return f"{_shown_media(media)} data"
    return "binary data"


def _is_text(head: bytes) -> bool:
    return b"\x00" not in head


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:  # includes UnicodeDecodeError
        return False
    return True


# --- charset ----------------------------------------------------------------------------------

_META_CHARSET_RE: Final = re.compile(
    rb"<meta\b[^>]{0,512}?\bcharset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE
)
# Browsers read these labels as windows-1252, a superset; pages labelled so often use it.
_AS_CP1252: Final = frozenset({"latin-1", "iso8859-1", "ascii"})


def _codec(label: str | None) -> str | None:
    """The Python codec for a charset label, or None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    return "cp1252" if name in _AS_CP1252 else name


def _decode(body: bytes, header_charset: str | None) -> str | bytes:
    """The page as text when its encoding is known (BOM, header, meta); else the bytes.

    Undeclared encodings are left to trafilatura, which tries UTF-8 and then guesses.
    """
    if body.startswith(b"\xef\xbb\xbf"):
        return body[3:].decode("utf-8", "replace")
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return body.decode("utf-16", "replace")
    codec = _codec(header_charset)
    if codec is None:
        meta = _META_CHARSET_RE.search(body, 0, 8192)
        if meta is not None:
            codec = _codec(meta.group(1).decode("ascii"))
            if codec is not None and codec.startswith(("utf-16", "utf-32")):
                codec = "utf-8"  # the meta tag itself was readable as ASCII, so it is not
    if codec is None:
        return body
    return body.decode(codec, "replace")


# --- boilerplate ------------------------------------------------------------------------------

_UNIT_WRAPPERS: Final = frozenset({"div", "section", "article", "main"})
_HEADING_TAGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_COPYRIGHT_RE: Final = _rx(r"^(?:©|\(c\)|copyright\s*(?:©|\(c\)|\d{4}))|\ball rights reserved\b")
# A site's copyright line names a year or reserves rights; "© AFP" under a photo does neither.
_SITE_COPYRIGHT_RE: Final = _rx(r"\b(?:19|20)\d\d\b|\ball rights reserved\b")
_COOKIE_RE: Final = _rx(r"\bcookies?\b")
_COOKIE_CONTEXT_RE: Final = _rx(
    r"\b(?:this|our) (?:site|website)\b|\bbrowsing\b|\bconsent\b|\bwe use cookies\b"
    r"|\bcookie (?:policy|settings|preferences|notice)\b|\baccept (?:all )?cookies\b"
    r"|\buse of cookies\b"
)
_SOCIAL: Final = (
    r"(?:google news|facebook|instagram|telegram|whatsapp|youtube|tiktok|twitter|x|linkedin|"
    r"mastodon|bluesky|threads)"
)
_FOLLOW_RE: Final = _rx(
    r"^(?:follow|like|find|join|connect with) us\b|\bfollow us\b"
    rf"|^follow\b.{{0,40}}\bon {_SOCIAL}\b"
)
# "The Courier on Google News": a bare link to the site's social account.
_SOCIAL_LINK_RE: Final = _rx(rf"\bon {_SOCIAL}\s*[.!]?$")
_NEWSLETTER_RE: Final = _rx(r"\bnewsletters?\b")
# An invitation to a newsletter, not a story that mentions one.
_NEWSLETTER_CONTEXT_RE: Final = _rx(
    r"\b(?:sign(?:ing)? up|signup|subscribe|your inbox|(?:get|receive) (?:our|the)|"
    r"enter your e-?mail|our (?:free )?(?:daily |weekly |morning |evening )?newsletter)\b"
)
_SIGN_UP_RE: Final = _rx(r"^(?:sign up|subscribe)\b(?! to (?:continue|keep) reading)")
# A donation plea speaks to the reader (an appeal) about giving; a news story about a charity
# mentions giving without the appeal.
_APPEAL_CUES: Final = tuple(
    _rx(p)
    for p in (
        r"\bsupport (?:us|our (?:work|journalism|reporting|newsroom)|independent)\b",
        r"\byour support\b",
        r"\bchip in\b",
        r"\bwhatever you can\b",
        r"\bbecome a (?:member|supporter|patron|subscriber)\b",
        r"\bwe (?:need|rely on|depend on|count on) (?:you|your|readers)\b",
        r"\bplease (?:donate|support|contribute|give|consider)\b",
        r"\b(?:make|give) a (?:\w+ )?(?:donation|contribution|gift)\b",
        r"\bdonate (?:now|today)\b",
        r"\bclick here to\b",
        r"\bno (?:oligarch|advertiser|billionaire|investor|owner|politician)s?\b",
    )
)
_GIVING_CUES: Final = tuple(
    _rx(p)
    for p in (
        r"\bdonat(?:e|es|ing|ion|ions)\b",
        r"\bcontribut(?:e|ion|ions)\b",
        r"\b(?:reader|member)[- ](?:funded|supported)\b",
        r"\bindependent journalism\b",
        r"\bowned by (?:its|our) readers\b",
    )
)
# Every word of a share bar comes from here, and at least one from the cues.
_SHARE_VOCABULARY: Final = (
    "share shares sharing this article story page post on via by to a the with friend friends "
    "email e-mail mail print copy copied link url facebook twitter x linkedin whatsapp telegram "
    "reddit pinterest messenger bluesky mastodon threads flipboard tweet send save bookmark gift "
    "comment comments"
)
_SHARE_WORDS: Final = frozenset(_SHARE_VOCABULARY.split())
_SHARE_CUES: Final = frozenset(
    {"share", "tweet", "facebook", "twitter", "linkedin", "whatsapp", "email", "print"}
)
_RELATED_RE: Final = _rx(
    r"^(?:related(?: (?:articles?|stories|posts|content|coverage|reading|news|topics|links))?"
    r"|more (?:on this(?: story| topic)?|from [\w' -]{1,40}|stories|news|like this|to read)"
    r"|you (?:may|might) also (?:like|be interested in|enjoy)"
    r"|recommended(?: for you| reading| stories)?"
    r"|most (?:read|popular|viewed|shared|commented)"
    r"|trending(?: now)?|see also|also read|also on [\w' -]{1,40}|read (?:more|next|also)"
    r"|further reading|editor'?s picks|top stories|latest (?:news|stories)|what to read next)"
    r"(?=$|\s*[:\-–—»›>|]|\s+\S)"
)
_LABEL_RE: Final = re.compile(r"^[^:\-–—»›>|]{1,40}[:\-–—»›>|]")
_ADVERT_RE: Final = _rx(
    r"^(?:advertisement|advertising|sponsored(?: content)?|ad|"
    r"(?:story|article) continues (?:below|after)(?: (?:this|the) (?:ad|advertisement))?)$"
)
_TAGS_RE: Final = _rx(r"^(?:tags|topics|filed under|categories|keywords)\s*:")
_COMMENTS_RE: Final = _rx(
    r"^(?:\d+\s+)?comments?$|^(?:leave|post|add|write) a (?:comment|reply)\b"
    r"|^comments are (?:closed|open)\b|^(?:show|view|load) (?:all )?comments\b"
)
_APP_RE: Final = _rx(r"\bdownload (?:our|the) (?:free )?(?:\w+ )?app\b")
_PAYWALL_RE: Final = _rx(
    r"\b(?:(?:sign|log) in|subscribe) to (?:continue|keep) reading\b"
    r"|\b(?:this (?:story|article|content) is (?:for|only for|available to|reserved for) "
    r"(?:subscribers|members))\b"
    r"|\balready a (?:subscriber|member)\b|\bforgot (?:your )?password\b"
    r"|\bsubscription offers?\b|\bsign in with your (?:\w+ )?account\b"
)

# Boilerplate that means the story is over: whatever comes after it is page furniture too.
_END_MARKERS: Final = frozenset(
    {"copyright", "credit", "donation", "follow", "newsletter", "related"}
)


@dataclass(slots=True)
class _Unit:
    """One top-level block of the extracted HTML, with what the cleaning rules look at."""

    el: lxml.html.HtmlElement
    tag: str
    text: str
    words: int
    link_share: float  # share of the text's characters inside links
    kind: str | None = None  # the boilerplate rule that matched, if any


# Chinese and Japanese put no spaces between words (Korean does): count two such characters
# as a word, near the average length of a Chinese word.
_UNSPACED_RE: Final = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _word_count(text: str) -> int:
    words = len(text.split())
    unspaced = len(_UNSPACED_RE.findall(text))
    return words + unspaced // 2 if unspaced else words


def _make_unit(el: lxml.html.HtmlElement) -> _Unit:
    text = normalise_ws(clean_text(el.text_content()))
    linked = sum(len(normalise_ws(a.text_content())) for a in el.iter("a"))
    share = min(1.0, linked / len(text)) if text else 0.0
    return _Unit(el, str(el.tag), text, _word_count(text), share)


def _units(parent: lxml.html.HtmlElement) -> list[_Unit]:
    """The block-level pieces of the extracted body, in order, looking inside wrappers."""
    units: list[_Unit] = []
    for child in parent:
        if not isinstance(child.tag, str):
            continue
        if child.tag in _UNIT_WRAPPERS and len(child) and not (child.text or "").strip():
            units.extend(_units(child))
        else:
            units.append(_make_unit(child))
    return units


def _boilerplate_kind(unit: _Unit) -> str | None:
    """Which kind of site boilerplate a block is, or None for (probably) article text."""
    text, words = unit.text, unit.words
    if not text:
        return None
    if words <= 40 and _COPYRIGHT_RE.search(text):
        return "copyright" if _SITE_COPYRIGHT_RE.search(text) else "credit"
    if words <= 6 and _ADVERT_RE.match(text.rstrip(".:")):
        return "advert"
    if words <= 80 and _COOKIE_RE.search(text) and _COOKIE_CONTEXT_RE.search(text):
        return "cookie"
    if words <= 30 and _FOLLOW_RE.search(text):
        return "follow"
    if words <= 8 and _SOCIAL_LINK_RE.search(text) and (words <= 5 or unit.link_share >= 0.5):
        return "follow"
    if words <= 60 and (
        (_NEWSLETTER_RE.search(text) and _NEWSLETTER_CONTEXT_RE.search(text))
        or (words <= 30 and _SIGN_UP_RE.match(text))
    ):
        return "newsletter"
    if words <= 40 and _PAYWALL_RE.search(text):
        return "paywall"
    if words <= 120:
        appeals = sum(1 for cue in _APPEAL_CUES if cue.search(text))
        if appeals and appeals + sum(1 for cue in _GIVING_CUES if cue.search(text)) >= 2:
            return "donation"
    if words <= 25 and _RELATED_RE.match(text):
        # A heading or a bare label opens a section of links; "Read more: <a story>" is one
        # link, often between paragraphs. A sentence that merely starts so is neither.
        if unit.tag in _HEADING_TAGS or words <= 4:
            return "related"
        if _LABEL_RE.match(text) or unit.link_share >= 0.5:
            return "read-more"
    if words <= 15:
        tokens = [t.strip(".,:;!?()[]|•·/-–—") for t in text.lower().split()]
        tokens = [t for t in tokens if t]
        if (
            tokens
            and all(t in _SHARE_WORDS for t in tokens)
            and any(t in _SHARE_CUES for t in tokens)
        ):
            return "share"
    if words <= 30 and _TAGS_RE.match(text):
        return "tags"
    if words <= 12 and _COMMENTS_RE.search(text):
        return "comments"
    if words <= 30 and _APP_RE.search(text):
        return "app"
    return None


def _classify(units: list[_Unit]) -> None:
    """Mark boilerplate blocks, the sections they head, and the page furniture at the end."""
    for unit in units:
        unit.kind = _boilerplate_kind(unit)

    # A boilerplate heading ("Related articles") takes its section with it when that section
    # is links or short lines, up to the next heading.
    for i, unit in enumerate(units):
        if unit.kind is None or unit.tag not in _HEADING_TAGS:
            continue
        for follower in units[i + 1 :]:
            if follower.tag in _HEADING_TAGS:
                break
            if follower.kind is None:
                if follower.link_share < 0.5 and follower.words > 30:
                    break
                follower.kind = unit.kind

    # The end of the story: the first end marker after which only furniture follows (short
    # blocks, outnumbered by the boilerplate blocks, far fewer words than the story before
    # it). After a site's copyright line, short blocks are enough.
    prose = [u.words if u.kind is None else 0 for u in units]
    total = sum(prose)
    before = 0
    for i, unit in enumerate(units):
        if unit.kind in _END_MARKERS:
            rest = units[i + 1 :]
            plain = [u for u in rest if u.kind is None]
            after = total - before
            if (
                before >= 2 * after
                and all(u.words <= 60 for u in plain)
                and (unit.kind == "copyright" or len(rest) - len(plain) + 1 > len(plain))
            ):
                for u in rest:
                    u.kind = u.kind or "trailer"
                break
        before += prose[i]


def _normalised_title(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def _page_titles(tree: lxml.html.HtmlElement) -> list[str]:
    titles = tree.xpath(
        "//title/text() | //meta[@property='og:title']/@content"
        " | //meta[@name='twitter:title']/@content"
    )
    return [t for t in (_normalised_title(str(x)) for x in titles) if t]


def _drop(el: lxml.html.HtmlElement) -> None:
    """Remove an element, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _clean_extracted(html: str, titles: list[str], base: str | None) -> tuple[str, bool]:
    """The extracted HTML without boilerplate, links made absolute against ``base``; and
    whether a sign-in or subscribe wall was seen."""
    root = lxml.html.document_fromstring(html)
    body = root.find("body")
    if body is None:
        body = root
    if base is not None and isinstance(root, lxml.html.HtmlElement):
        root.make_links_absolute(base, resolve_base_href=False, handle_failures="discard")
    units = _units(body)
    _classify(units)
    # The page's own headline repeats the article title the reader already shows.
    first = next((u for u in units if u.text and u.tag != "img"), None)
    if first is not None and first.kind is None and first.tag in ("h1", "h2"):
        headline = _normalised_title(first.text)
        if headline and any(headline in title for title in titles):
            first.kind = "headline"
    walled = False
    for unit in units:
        if unit.kind is not None:
            walled = walled or unit.kind == "paywall"
            _drop(unit.el)
    parts = [body.text or ""]
    parts.extend(etree.tostring(child, method="html", encoding="unicode") for child in body)
    return "".join(parts).strip(), walled


def _prose_words(full: FullText) -> int:
    return sum(
        _word_count(b.text)
        for b in full.blocks
        if b.kind not in (BlockKind.HEADING, BlockKind.IMAGE)
    )


# --- extraction -------------------------------------------------------------------------------


def _size(limit: int) -> str:
    if limit >= 1_000_000:
        return f"{limit / 1_000_000:.3g} MB"
    if limit >= 1_000:
        return f"{limit / 1_000:.3g} kB"
    return f"{limit} bytes"


def _base_url(tree: lxml.html.HtmlElement, url: str) -> str | None:
    """The URL relative links resolve against: the page's ``<base href>``, else its URL."""
    page = safe_url(url, None, _WEB)
    bases = tree.xpath("//base[@href]/@href")
    if bases:
        base = safe_url(str(bases[0]).strip(), page, _WEB)
        if base is not None:
            return base
    return page


def extract_full_text(
    body: bytes,
    url: str,
    content_type: str | None,
    *,
    now: datetime,
    max_bytes: int = MAX_PAGE_BYTES,
) -> FullText:
    """Extract the main text of an article page. Pure and CPU-bound; raises FullTextError.

    ``url`` is the page's address (relative links resolve against it, or against the page's
    ``<base href>``); ``content_type`` is the response's Content-Type header, if any;
    ``now`` becomes ``FullText.fetched``. The body is decoded with the charset of the header,
    else of the page's ``<meta>``, else trafilatura's guess. Safe to run in a worker process.
    """
    if len(body) > max_bytes:
        raise FullTextError(f"the page is too large (over {_size(max_bytes)})")
    if not body.strip():
        raise FullTextError("the page is empty")
    media, charset = _split_content_type(content_type)
    kind = _not_html(body, media)
    if kind is not None:
        raise FullTextError(f"the page is {kind}, not an article")

    # Imported here: trafilatura takes about half a second to import, and the process that
    # only fetches (the app's, when a worker pool extracts) never needs it.
    import trafilatura
    from trafilatura.utils import load_html

    try:
        tree = load_html(_decode(body, charset))
    except Exception as exc:  # lxml refusing input it cannot take at all
        log.debug("could not parse %s: %r", url, exc)
        tree = None
    if tree is None:
        raise FullTextError("no article text found on the page (it is not readable HTML)")

    base = _base_url(tree, url)
    if base is not None:
        # Links are resolved after extraction, on far fewer of them; trafilatura resolves
        # images itself, but against the site root rather than the page, so do them first.
        for img in tree.iter("img"):
            for attr in ("src", "data-src"):
                value = img.get(attr)
                if value and not value.startswith(("http:", "https:", "data:")):
                    img.set(attr, safe_url(value.strip(), base, _WEB) or "")
    login_form = bool(tree.xpath("//input[translate(@type, 'PASSWORD', 'password') = 'password']"))
    titles = _page_titles(tree)

    try:
        extracted = trafilatura.extract(
            tree,
            url=None,  # else trafilatura resolves links against the site root, not the page
            output_format="html",
            include_links=True,
            include_images=True,
            include_tables=True,
            include_comments=False,
            favor_precision=True,
            deduplicate=False,
        )
    except Exception as exc:  # trafilatura catches its own errors; this is a last resort
        log.warning("full-text extraction failed for %s: %r", url, exc)
        raise FullTextError("could not extract the article from the page") from None

    walled = login_form
    full = FullText(html="", blocks=(), text="", fetched=now)
    if extracted:
        html, wall = _clean_extracted(extracted, titles, base)
        walled = walled or wall
        blocks = html_to_blocks(html, base)
        full = FullText(html=html, blocks=blocks, text=blocks_to_text(blocks), fetched=now)
    if _prose_words(full) < MIN_ARTICLE_WORDS:
        if walled:
            raise FullTextError(
                "no article text found on the page (it asks you to sign in or subscribe)"
            )
        raise FullTextError("no article text found on the page")
    return full


# --- fetching ---------------------------------------------------------------------------------


class Extractor(Protocol):
    """Turns a fetched page into a FullText: :func:`extract_full_text` or an async wrapper."""

    def __call__(
        self, body: bytes, url: str, content_type: str | None, *, now: datetime
    ) -> FullText | Awaitable[FullText]: ...


async def extract_in_thread(
    body: bytes, url: str, content_type: str | None, *, now: datetime
) -> FullText:
    """The default extractor: :func:`extract_full_text` on a thread, off the event loop."""
    return await asyncio.to_thread(extract_full_text, body, url, content_type, now=now)


def executor_extractor(executor: Executor) -> Extractor:
    """An extractor running :func:`extract_full_text` in ``executor`` (e.g. a process pool).

    ``fetch_full_text(fetcher, url, extract=executor_extractor(pool))``.
    """

    async def extract(
        body: bytes, url: str, content_type: str | None, *, now: datetime
    ) -> FullText:
        loop = asyncio.get_running_loop()
        job = partial(extract_full_text, body, url, content_type, now=now)
        return await loop.run_in_executor(executor, job)

    return extract


def _shown(text: str) -> str:
    text = normalise_ws(clean_text(text))
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _fetch_problem(response: FetchResponse) -> str:
    """A failed fetch in words about a page (the Fetcher's words are about feeds)."""
    code = response.http_status
    if code == 404:
        return "the page was not found (404)"
    if code == 410:
        return "the page is gone (410)"
    error = response.error or "the server sent no page"
    too_large = "too large: the feed is over "
    if error.startswith(too_large):
        return f"the page is too large (over {error.removeprefix(too_large)})"
    return error


async def fetch_full_text(
    fetcher: Fetcher,
    url: str,
    *,
    extract: Extractor = extract_in_thread,
    now: datetime | None = None,
) -> FullText:
    """Fetch an article page with ``fetcher`` and extract its main text.

    Only ``http``/``https`` URLs are fetched. ``extract`` is called as
    ``extract(body, url, content_type, now=now)`` and may return the FullText or an awaitable
    of it: the default runs :func:`extract_full_text` on a thread; the app passes
    ``executor_extractor(its_process_pool)``; tests may pass :func:`extract_full_text` itself.
    ``now`` (default: when the page arrived) becomes ``FullText.fetched``.
    Raises FullTextError with a message in words for every failure of the page or the
    network; a failure of the extractor itself (say, a broken process pool) propagates.
    """
    target = safe_url(url.strip(), None, _WEB)
    if target is None:
        raise FullTextError(f"only web pages (http or https) can be fetched: {_shown(url)}")
    response = await fetcher.fetch(FetchRequest(target))
    if response.status is not FetchStatus.OK or response.body is None:
        raise FullTextError(_fetch_problem(response))
    when = now if now is not None else datetime.now(UTC)
    result = extract(response.body, response.new_url or target, response.content_type, now=when)
    if isinstance(result, FullText):
        return result
    return await result
