"""Article HTML to safe, structured text blocks.

Feed HTML is hostile and often broken. It is parsed once, at ingest, with lxml's forgiving HTML
parser into ``TextBlock`` records (paragraphs, headings, list items, quotes, preformatted runs,
images) whose text has terminal control characters and bidi overrides removed. Links survive as
``LinkSpan`` offsets with absolute ``http``/``https``/``mailto`` targets only.

This runs for every item of every feed, so the common cases (plain text, short summaries) take
fast paths and the tree walk is a single iterative pass.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from collections.abc import Sequence
from typing import Final
from urllib.parse import urljoin, urlsplit

from lxml import etree

from newsreader.models import BlockKind, LinkSpan, TextBlock

__all__ = [
    "blocks_to_text",
    "clean_text",
    "html_to_blocks",
    "html_to_text",
    "normalise_ws",
    "safe_url",
    "text_to_blocks",
]

# Terminal escape sequences first (so their parameters go with them), then single characters:
# C0 controls except \t and \n, DEL, C1 controls, bidi embeddings/overrides/isolates, BOM,
# lone surrogates.
_CONTROL_RE: Final = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI, e.g. ESC [ 31 m
    r"|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC/DCS/SOS/PM/APC ... BEL or ST
    r"|\x1b[ -/]*[0-~]?"  # other escapes, or a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    # 8-bit OSC; its text stops at the next OSC, or a run of unterminated ones is quadratic
    r"|\x9d[^\x07\x1b\x9c\x9d]*(?:\x07|\x9c|\x1b\\)"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)


# One character class: a much faster scan than the alternation above, which runs only on a hit.
_CONTROL_CHAR_RE: Final = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)


def clean_text(s: str) -> str:
    """Remove terminal control characters, escape sequences and bidi overrides; NFC-normalise.

    Newlines and tabs are kept (a carriage return becomes a newline).
    """
    if _CONTROL_CHAR_RE.search(s) is not None:
        if "\r" in s:
            s = s.replace("\r\n", "\n").replace("\r", "\n")
        s = _CONTROL_RE.sub("", s)
    if s.isascii() or unicodedata.is_normalized("NFC", s):
        return s
    return unicodedata.normalize("NFC", s)


def normalise_ws(s: str) -> str:
    """Collapse every run of whitespace to one space and strip the ends."""
    return " ".join(s.split())


_SAFE_SCHEMES: Final = frozenset({"http", "https", "mailto"})
_WEB_SCHEMES: Final = frozenset({"http", "https"})
_SCHEME_RE: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_HOST_RE: Final = re.compile(r"//([^/?#]*)")
_PLAIN_HOST_RE: Final = re.compile(r"[A-Za-z0-9._~%!$&'()*+,;=-]+")
_URL_JUNK_RE: Final = re.compile(
    r"[\x00-\x20\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)


def safe_url(
    href: str | None, base_url: str | None, schemes: frozenset[str] = _SAFE_SCHEMES
) -> str | None:
    """``href`` made absolute against ``base_url`` if its scheme is in ``schemes``, else None.

    ``http``/``https`` results always have a host; relative references need a ``base_url``.
    """
    if not href:
        return None
    if _URL_JUNK_RE.search(href) is not None:
        # Browsers drop tabs and newlines inside URLs ("java\tscript:" is javascript:), and
        # control or bidi characters have no business in a link we show or open.
        href = _URL_JUNK_RE.sub("", href)
        if not href:
            return None
    m = _SCHEME_RE.match(href)
    if m is None:
        if not base_url:
            return None
        try:
            href = urljoin(base_url, href)
        except ValueError:
            return None
        m = _SCHEME_RE.match(href)
        if m is None:
            return None
    scheme = m.group(1).lower()
    if scheme not in schemes:
        return None
    if scheme in _WEB_SCHEMES:
        rest = href[m.end() :]
        host = _HOST_RE.match(rest)
        if host is None or not host.group(1):
            return None
        if _PLAIN_HOST_RE.fullmatch(host.group(1)) is None:
            # userinfo, ports, IPv6 brackets: let urlsplit judge
            try:
                if not urlsplit(href).hostname:
                    return None
            except ValueError:  # "http://[broken", a bad port ...
                return None
    return href


# --- HTML -> blocks ---------------------------------------------------------------------------

_PARSER: Final = etree.HTMLParser(
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
    no_network=True,
    recover=True,
)

_DROP: Final = frozenset(
    {
        "script",
        "style",
        "noscript",
        "iframe",
        "frame",
        "frameset",
        "form",
        "svg",
        "math",
        "button",
        "head",
        "template",
        "object",
        "embed",
        "select",
        "textarea",
        "input",
        "canvas",
        "audio",
        "video",
        "map",
        "applet",
        "dialog",
    }
)
# Dropped elements that still end the current paragraph (the others are inline, like an icon).
_DROP_BLOCK: Final = frozenset({"form", "dialog", "head", "template", "frameset", "frame"})
# Elements that end the current paragraph before and after themselves.
_BLOCK: Final = frozenset(
    {
        "html",
        "body",
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "aside",
        "nav",
        "figure",
        "figcaption",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
        "caption",
        "dl",
        "dt",
        "dd",
        "address",
        "center",
        "details",
        "summary",
        "hr",
        "fieldset",
        "legend",
        "hgroup",
        "picture",
    }
)
_HEADINGS: Final = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_LISTS: Final = frozenset({"ul", "ol", "menu", "dir"})
_PRE: Final = frozenset({"pre", "listing", "xmp", "plaintext"})

# A <br> inside the segment list; compared by identity, never a real href.
_BR: Final = "\x00br"


class _Builder:
    """Collects inline text segments and turns them into blocks at block boundaries."""

    __slots__ = ("base_url", "blocks", "depth", "hrefs", "kinds", "pre", "segs")

    def __init__(self, base_url: str | None) -> None:
        self.base_url = base_url
        self.blocks: list[TextBlock] = []
        self.segs: list[tuple[str, str | None]] = []
        self.kinds: list[tuple[BlockKind, int]] = [(BlockKind.PARAGRAPH, 0)]
        self.hrefs: list[str | None] = [None]
        self.depth = 0  # list nesting
        self.pre = 0  # inside <pre>

    def text(self, s: str) -> None:
        self.segs.append((s, self.hrefs[-1]))

    def flush(self) -> None:
        if not self.segs:
            return
        segs = self.segs
        self.segs = []
        kind, level = self.kinds[-1]
        blocks = self.blocks
        out: list[str] = []
        spans: list[tuple[int, int, str]] = []
        pos = 0
        sep = ""
        brs = 0
        for raw, href in segs:
            if href is _BR:
                brs += 1
                continue
            text = clean_text(raw)
            words = text.split()
            if not words:
                if pos and not sep:
                    sep = " "
                continue
            if brs:
                if pos:
                    if brs >= 2:
                        blocks.append(_make_block(kind, out, spans, level))
                        out = []
                        spans = []
                        pos = 0
                    else:
                        sep = "\n"
                brs = 0
            if pos:
                if sep == "\n":
                    out.append("\n")
                    pos += 1
                elif sep or text[0].isspace():
                    out.append(" ")
                    pos += 1
            start = pos
            joined = words[0] if len(words) == 1 else " ".join(words)
            out.append(joined)
            pos += len(joined)
            if href is not None:
                if spans and spans[-1][2] == href and spans[-1][1] >= start - 1:
                    spans[-1] = (spans[-1][0], pos, href)
                else:
                    spans.append((start, pos, href))
            sep = " " if text[-1].isspace() else ""
        if pos:
            blocks.append(_make_block(kind, out, spans, level))

    def flush_pre(self) -> None:
        segs = self.segs
        self.segs = []
        out: list[str] = []
        spans: list[tuple[int, int, str]] = []
        pos = 0
        for raw, href in segs:
            s = "\n" if href is _BR else clean_text(raw)
            if not s:
                continue
            out.append(s)
            if href is not None and href is not _BR:
                spans.append((pos, pos + len(s), href))
            pos += len(s)
        text = "".join(out)
        stripped = text.lstrip("\n").rstrip()
        if not stripped.strip():
            return
        shift = len(text) - len(text.lstrip("\n"))
        end = len(stripped)
        links = tuple(
            LinkSpan(max(0, s - shift), min(end, e - shift), h)
            for s, e, h in spans
            if min(end, e - shift) > max(0, s - shift)
        )
        self.blocks.append(TextBlock(BlockKind.PREFORMATTED, stripped, links))

    def image(self, el: etree._Element) -> None:
        src = safe_url(el.get("src") or el.get("data-src"), self.base_url, _WEB_SCHEMES)
        if src is None or (el.get("width") == "1" and el.get("height") == "1"):
            return  # no usable source, or a tracking pixel
        self.flush()
        alt = normalise_ws(clean_text(el.get("alt") or el.get("title") or ""))
        self.blocks.append(TextBlock(BlockKind.IMAGE, alt, (LinkSpan(0, len(alt), src),)))


def _make_block(
    kind: BlockKind, out: list[str], spans: list[tuple[int, int, str]], level: int
) -> TextBlock:
    links = tuple(LinkSpan(s, e, h) for s, e, h in spans)
    return TextBlock(kind, "".join(out), links, level)


def _walk(root: etree._Element, b: _Builder) -> None:
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):
            if event == "end" and el.tail:
                b.text(el.tail)
            continue
        if event == "start":
            if tag in _DROP:
                walker.skip_subtree()
                if tag in _DROP_BLOCK and not b.pre:
                    b.flush()
                continue
            if b.pre:
                if tag == "br":
                    b.segs.append(("\n", _BR))
                elif tag == "a":
                    b.hrefs.append(safe_url(el.get("href"), b.base_url))
                elif tag in _PRE:
                    b.pre += 1
            elif tag in _BLOCK:
                b.flush()
            elif tag == "br":
                b.segs.append(("\n", _BR))
            elif tag == "a":
                b.hrefs.append(safe_url(el.get("href"), b.base_url))
            elif tag in _HEADINGS:
                b.flush()
                b.kinds.append((BlockKind.HEADING, _HEADINGS[tag]))
            elif tag == "li":
                b.flush()
                b.kinds.append((BlockKind.LIST_ITEM, max(1, b.depth)))
            elif tag in _LISTS:
                b.flush()
                b.depth += 1
            elif tag == "blockquote":
                b.flush()
                b.kinds.append((BlockKind.QUOTE, 0))
            elif tag in _PRE:
                b.flush()
                b.pre += 1
            elif tag == "img":
                b.image(el)
            if el.text:
                b.text(el.text)
        else:
            if tag in _DROP:
                if tag in _DROP_BLOCK and not b.pre:
                    b.flush()
            elif b.pre:
                if tag == "a":
                    b.hrefs.pop()
                elif tag in _PRE:
                    b.pre -= 1
                    if not b.pre:
                        b.flush_pre()
            elif tag in _BLOCK:
                b.flush()
            elif tag == "a":
                b.hrefs.pop()
            elif tag in _HEADINGS or tag == "li" or tag == "blockquote":
                b.flush()
                if len(b.kinds) > 1:
                    b.kinds.pop()
            elif tag in _LISTS:
                b.flush()
                b.depth -= 1
            if el.tail:
                b.text(el.tail)
    if b.pre:
        b.flush_pre()
    b.flush()


_PARAGRAPH_BREAK_RE: Final = re.compile(r"\n[ \t\f\v\xa0]*\n")


def text_to_blocks(text: str) -> tuple[TextBlock, ...]:
    """Plain text (not HTML) to paragraphs: blank lines separate them, other whitespace folds."""
    text = clean_text(text)
    if "\n" not in text:
        para = normalise_ws(text)
        return (TextBlock(BlockKind.PARAGRAPH, para),) if para else ()
    blocks = []
    for chunk in _PARAGRAPH_BREAK_RE.split(text):
        para = normalise_ws(chunk)
        if para:
            blocks.append(TextBlock(BlockKind.PARAGRAPH, para))
    return tuple(blocks)


_TAG_RE: Final = re.compile(r"<[^<>]*>")  # [^<>]: linear on "<a<a<a..." too
_DOC_END_RE: Final = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
# For the tag-stripping fallback: the tags of elements whose content is never text for the
# reader, and of those that end a paragraph. ([^<>]: linear on input without a closing ">".)
_HIDDEN_TAG_RE: Final = re.compile(
    r"<(/?)(script|style|noscript|template|head|svg|math|iframe|object|textarea|select)\b"
    r"[^<>]*>",
    re.IGNORECASE,
)
_BREAK_TAG_RE: Final = re.compile(
    r"</?(?:p|div|h[1-6]|li|ul|ol|blockquote|pre|table|tr|section|article|br|hr)\b[^<>]*>",
    re.IGNORECASE,
)


def html_to_blocks(html: str, base_url: str | None = None) -> tuple[TextBlock, ...]:
    """Parse article HTML into safe text blocks. Never raises."""
    try:
        if not html:
            return ()
        if "<" not in html:
            return text_to_blocks(html_lib.unescape(html) if "&" in html else html)
        # lxml refuses NUL and most C0 controls; the cleaned text parses the same otherwise.
        html = clean_text(html)
        if _DOC_END_RE.search(html) is not None:
            # libxml2 drops everything after </html>; bodies glued together still have text there.
            html = _DOC_END_RE.sub(" ", html)
        data = html.encode("utf-8", "surrogatepass")
        root = etree.fromstring(data, _PARSER)
        if _hit_a_limit():
            # libxml2 stops at 256 levels of nesting or a 10 MB text run and silently drops
            # the rest of the document: keep the text rather than lose it.
            return _stripped_blocks(html)
        if root is None:
            return ()
        builder = _Builder(base_url)
        _walk(root, builder)
        return tuple(builder.blocks)
    except Exception:
        # Last resort for input lxml cannot take at all: drop anything tag-like, keep the text.
        try:
            return _stripped_blocks(html)
        except Exception:
            return ()


def _hit_a_limit() -> bool:
    """True when the last parse stopped at one of libxml2's resource limits."""
    error = _PARSER.error_log.last_error
    return error is not None and error.type_name == "ERR_RESOURCE_LIMIT"


def _stripped_blocks(html: str) -> tuple[TextBlock, ...]:
    """Paragraphs of the text of ``html`` without parsing it: hidden elements (scripts,
    styles ...) dropped, block tags made paragraph breaks, every other tag removed. No
    structure and no links, but no text lost."""
    visible: list[str] = []
    pos = 0
    hidden: str | None = None
    for m in _HIDDEN_TAG_RE.finditer(html):
        closing, name = m.group(1), m.group(2).lower()
        if hidden is None and not closing:
            visible.append(html[pos : m.start()])
            hidden = name
        elif hidden == name and closing:
            hidden = None
            pos = m.end()
    if hidden is None:
        visible.append(html[pos:])
    text = _BREAK_TAG_RE.sub("\n\n", " ".join(visible))
    return text_to_blocks(html_lib.unescape(_TAG_RE.sub(" ", text)))


def blocks_to_text(blocks: Sequence[TextBlock]) -> str:
    """Plain text of blocks: blank lines between blocks, single newlines between list items.

    Image blocks are left out: their alt text is not part of the article's prose.
    """
    parts: list[str] = []
    prev: BlockKind | None = None
    for block in blocks:
        if block.kind is BlockKind.IMAGE or not block.text:
            continue
        if parts:
            both_items = prev is BlockKind.LIST_ITEM and block.kind is BlockKind.LIST_ITEM
            parts.append("\n" if both_items else "\n\n")
        parts.append(block.text)
        prev = block.kind
    return "".join(parts)


def html_to_text(html: str, base_url: str | None = None) -> str:
    """Plain text of article HTML (``blocks_to_text(html_to_blocks(html))``). Never raises."""
    return blocks_to_text(html_to_blocks(html, base_url))
