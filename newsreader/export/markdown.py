"""An article as a Markdown file: YAML front matter, heading, byline, body, related stories.

Feed text is hostile, so every piece of it is treated as data:

* The front matter is written with ``yaml.safe_dump`` from cleaned, single-line strings; any YAML
  parser reads it back, whatever quotes, colons or ``---`` a title holds.
* The body is the article's HTML converted by markdownify after a clean-up pass: scripts, styles,
  frames, forms and media are dropped with their content, unknown tags are replaced by their text,
  attributes are reduced to the few the conversion needs, and only ``http``/``https``/``mailto``
  links survive (anything else, ``javascript:`` included, becomes plain text). Images become
  ordinary links, ``[alt](src)``, so opening a note never fetches anything.
* Text is escaped for Markdown (``[``, ``*``, ``#``, backticks, ``<`` ...), so no raw HTML,
  link or emphasis can come from feed text. Code is the one unescaped text, so it is fenced with
  a fence longer than any run of backticks inside it, and only where a fence stays a fence
  (elsewhere it becomes a one-line code span); blocks inside inline elements (a list in ``<b>``)
  lose the inline element first. Terminal control characters are removed everywhere.

Entities can be marked in the body as Obsidian ``[[wikilinks]]``, ``**bold**`` or left plain.
Only the first mention of each entity is marked (the Obsidian habit: one link per note is enough
for the graph and backlinks, and a page of links is hard to read); text inside links and code is
never marked.

Files are named from a template (default ``{date}-{slug}.md``) whose result is always one safe
file name inside the chosen folder. A file is written to a temporary name in the same folder,
flushed to disk, then given its final name with ``os.link`` (atomic, and it fails if the name is
taken, so two savers never overwrite each other or a file that was already there); where hard
links are not supported the name is reserved with ``O_CREAT | O_EXCL`` and the temporary file is
moved onto the reservation with ``os.replace``.
"""

from __future__ import annotations

import errno
import functools
import html as html_lib
import os
import re
import secrets
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, get_args

import platformdirs
import yaml
from anyascii import anyascii
from bs4 import BeautifulSoup, Tag
from bs4.element import PreformattedString
from markdownify import MarkdownConverter

from newsreader.feeds.content import (
    clean_text,
    html_to_blocks,
    normalise_ws,
    safe_url,
    text_to_blocks,
)
from newsreader.models import Article, BlockKind, EntityType, RelatedItem, TextBlock

__all__ = [
    "DEFAULT_TEMPLATE",
    "ENTITY_STYLES",
    "TEMPLATE_FIELDS",
    "EntityStyle",
    "SaveError",
    "SaveFailure",
    "SaveReport",
    "default_save_dir",
    "escape_markdown",
    "file_name",
    "render_markdown",
    "save_article",
    "save_articles",
    "slugify",
]

EntityStyle = Literal["wikilink", "bold", "plain"]
ENTITY_STYLES: Final[tuple[str, ...]] = get_args(EntityStyle)

DEFAULT_TEMPLATE: Final = "{date}-{slug}.md"
TEMPLATE_FIELDS: Final = ("date", "slug", "id", "feed")
SLUG_MAX_LENGTH: Final = 80
# Most file systems allow 255 bytes per name; leave room for "-NNNN" and the extension.
_NAME_MAX_BYTES: Final = 200
_MAX_ATTEMPTS: Final = 10_000

_WEB_SCHEMES: Final = frozenset({"http", "https"})


def default_save_dir() -> Path:
    """The folder saved articles go to unless the user chose another: ``Documents/newsreader``."""
    return Path(platformdirs.user_documents_dir()) / "newsreader"


# --- escaping -----------------------------------------------------------------------------------

# Characters that start Markdown syntax anywhere in a line (CommonMark, GFM tables and
# strikethrough, Obsidian tags and maths).
_SPECIAL_RE: Final = re.compile(r"([\\`*_\[\]<|~$#])")
_ENTITY_LIKE_RE: Final = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_DOUBLED_RE: Final = re.compile(r"(?<==)=|=(?==)|(?<=%)%|%(?=%)")  # ==highlight==, %%comment%%
# At the start of a line: quote, list item, thematic break, setext underline, ordered item.
_LINE_START_RE: Final = re.compile(r"(^|\n)([ \t]*)(?:([->+=])|([0-9]{1,9})([.)])(?=\s|$))")


def _escape_line_start(m: re.Match[str]) -> str:
    if m.group(3) is not None:
        return f"{m.group(1)}{m.group(2)}\\{m.group(3)}"
    return f"{m.group(1)}{m.group(2)}{m.group(4)}\\{m.group(5)}"


def escape_markdown(text: str) -> str:
    """``text`` escaped so that Markdown shows it literally (no links, emphasis, HTML, lists).

    Characters that matter anywhere are always escaped; those that matter only at the start
    of a line (``>``, ``-``, ``1.`` ...) are escaped there, the start of ``text`` included, and
    a final ``!`` is escaped in case a link follows.
    """
    if not text:
        return ""
    text = _SPECIAL_RE.sub(r"\\\1", text)
    text = _ENTITY_LIKE_RE.sub(r"\\&", text)
    text = _DOUBLED_RE.sub(lambda m: "\\" + m.group(0), text)
    if text.endswith("!"):
        text = text[:-1] + "\\!"  # a link may follow: "![...](...)" would be an image
    return _LINE_START_RE.sub(_escape_line_start, text)


_DEST_UNSAFE_RE: Final = re.compile(r"[()<>\\|\s]")


def _link_destination(url: str) -> str:
    """A safe URL as a Markdown link destination: characters that would end it are encoded."""
    url = _DEST_UNSAFE_RE.sub(lambda m: f"%{ord(m.group(0)):02X}", url)
    return _ENTITY_LIKE_RE.sub(r"\\&", url)


def _line(text: str | None) -> str:
    """Feed text as one clean line (control characters removed, whitespace folded)."""
    return normalise_ws(clean_text(text)) if text else ""


# --- entities -----------------------------------------------------------------------------------

_WIKILINK_UNSAFE_RE: Final = re.compile(r"[^\w\s\-'’.,()&]")


def _wikilink_safe(text: str) -> str:
    """Text usable inside ``[[...]]``: no brackets, pipes, hashes, carets, slashes or markup."""
    return normalise_ws(_WIKILINK_UNSAFE_RE.sub("", text))


class _EntityMarker:
    """Finds the article's entity names in body text and marks their first mention."""

    def __init__(self, article: Article, style: EntityStyle) -> None:
        self.style = style
        self.seen: set[tuple[EntityType, str]] = set()
        self.pattern: re.Pattern[str] | None = None
        self.surfaces: dict[str, tuple[EntityType, str]] = {}
        if style == "plain":
            return
        keys = [(e.type, e.canonical) for e in article.entities if e.canonical.strip()]
        if not keys:
            keys = [(m.type, m.canonical) for m in article.mentions if m.canonical.strip()]
        wanted = set(keys)
        surfaces = self.surfaces
        for key in keys:  # canonical names first: they win over a mention's surface text
            surfaces.setdefault(_line(key[1]), key)
        for mention in article.mentions:
            key = (mention.type, mention.canonical)
            if key in wanted:
                surfaces.setdefault(_line(mention.text), key)
        names = [s for s in surfaces if len(s) >= 2]
        if not names:
            return
        names.sort(key=len, reverse=True)
        alternatives = "|".join(r"\s+".join(map(re.escape, n.split(" "))) for n in names)
        self.pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")

    def render(self, text: str, in_table: bool) -> str:
        """``text`` escaped for Markdown, with not-yet-marked entity mentions marked."""
        if self.pattern is None:
            return escape_markdown(text)
        out: list[str] = []
        pos = 0
        for m in self.pattern.finditer(text):
            surface = m.group(0)
            key = self.surfaces.get(normalise_ws(surface))
            if key is None or key in self.seen:
                continue
            marked = self._mark(surface, key[1], in_table)
            if marked is None:
                continue
            self.seen.add(key)
            out.append(self._after_mark(escape_markdown(text[pos : m.start()]), out))
            out.append(marked)
            pos = m.end()
        if not out:
            return escape_markdown(text)
        out.append(self._after_mark(escape_markdown(text[pos:]), out))
        return "".join(out)

    @staticmethod
    def _after_mark(segment: str, out: list[str]) -> str:
        # "[[Name]](x)" would read as a link to "x": escape a parenthesis right after a mark.
        if out and segment.startswith("("):
            return "\\" + segment
        return segment

    def _mark(self, surface: str, canonical: str, in_table: bool) -> str | None:
        if self.style == "bold":
            return f"**{escape_markdown(surface)}**"
        target = _wikilink_safe(canonical)
        shown = normalise_ws(surface)
        if not target:
            return None
        if shown == target:
            return f"[[{target}]]"
        if _wikilink_safe(shown) != shown:
            return None  # the text itself holds link syntax: leave it as plain text
        pipe = "\\|" if in_table else "|"  # Obsidian's way to keep a table cell whole
        return f"[[{target}{pipe}{shown}]]"


# --- HTML -> Markdown ---------------------------------------------------------------------------


def _tag_set(names: str) -> frozenset[str]:
    return frozenset(names.split())


# Dropped with everything inside them.
_DROP_TAGS: Final = _tag_set(
    "script style noscript iframe frame frameset form svg math button head title meta "
    "link base template object embed param select textarea input canvas audio video "
    "source track map applet dialog"
)
# Converted by markdownify (each has a convert_<tag> method there or here).
_CONVERTED_TAGS: Final = _tag_set(
    "a b strong i em s del code kbd samp pre p br blockquote div article section h1 h2 h3 "
    "h4 h5 h6 hr img ul ol li dl dt dd q table caption figcaption tr td th"
)
# Unknown tags are replaced by their content; these ones also end a paragraph, so they become div.
_BLOCK_TAGS: Final = _tag_set(
    "html body header footer main aside nav figure address center details summary "
    "fieldset legend hgroup picture menu dir listing xmp plaintext thead tbody tfoot"
)
# Inline formatting (markdownify wraps its text in markers on the same line).
_INLINE_TAGS: Final = _tag_set("b strong i em s del q code kbd samp")
_STRUCTURE_TAGS: Final = _CONVERTED_TAGS - _INLINE_TAGS - {"a", "br", "img"}
# A fenced code block stays one only directly inside these (not in emphasis, headings, cells,
# definition lists ...); elsewhere its unescaped text would leak out as Markdown or HTML.
_FENCE_PARENTS: Final = _tag_set("[document] div article section blockquote li ul ol")
_RENAMED_TAGS: Final = {"strike": "s", "menu": "ul", "dir": "ul", "listing": "pre", "xmp": "pre"}
_KEPT_ATTRS: Final = {
    "a": ("href",),
    "img": ("src", "data-src", "alt", "title", "width", "height"),
    "ol": ("start",),
    "td": ("colspan",),
    "th": ("colspan",),
}
_MAX_DEPTH: Final = 60
_SMALL_INT_RE: Final = re.compile(r"[0-9]{1,6}", re.ASCII)
_DOC_END_RE: Final = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
_BACKTICKS_RE: Final = re.compile(r"`+")
_LINK_TEXT_WS_RE: Final = re.compile(r"\\\n|\s+")
_BLANK_LINES_RE: Final = re.compile(r"\n{3,}")
_TRAILING_WS_RE: Final = re.compile(r"[ \t]+$", re.MULTILINE)


def _kept_attrs(name: str, attrs: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key in _KEPT_ATTRS.get(name, ()):
        value = attrs.get(key)
        if isinstance(value, str):
            kept[key] = value
    for key in ("start", "colspan"):
        if key in kept and _SMALL_INT_RE.fullmatch(kept[key]) is None:
            del kept[key]
    return kept


def _tidy_soup(soup: BeautifulSoup) -> None:
    """Reduce parsed HTML to the tags and attributes the conversion understands.

    Dropped elements go with their content; unknown ones are replaced by their content (block
    ones become ``div``); anything nested deeper than ``_MAX_DEPTH`` becomes its plain text,
    because markdownify converts recursively and absurd nesting would exhaust the stack.
    """
    unwrap: list[Tag] = []
    blocks: list[Tag] = []
    pres: list[Tag] = []
    stack: list[tuple[Tag, int]] = [(soup, 0)]
    while stack:
        node, depth = stack.pop()
        for child in list(node.children):
            if isinstance(child, PreformattedString):
                child.extract()  # comments, CDATA, processing instructions, doctypes
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name.lower()
            if name in _DROP_TAGS:
                child.extract()
                continue
            name = _RENAMED_TAGS.get(name, name)
            if name not in _CONVERTED_TAGS:
                if name in _BLOCK_TAGS:
                    name = "div"
                else:
                    unwrap.append(child)
            child.name = name
            child.attrs = _kept_attrs(name, child.attrs)
            if name == "li" and node.name not in ("ul", "ol"):
                child.wrap(soup.new_tag("ul"))  # a stray item still starts a list of its own
            if name in _STRUCTURE_TAGS:
                blocks.append(child)
                if name == "pre":
                    pres.append(child)
            if depth + 1 < _MAX_DEPTH:
                stack.append((child, depth + 1))
            elif child.find(True) is not None:
                for inner in child.find_all(list(_DROP_TAGS)):
                    inner.extract()
                text = child.get_text(" ")
                child.clear()
                child.append(text)
    for tag in unwrap:
        tag.unwrap()
    # Blocks inside inline elements cannot be written as Markdown: keep the blocks and drop
    # the emphasis, or keep the link and drop the blocks.
    holders: dict[int, Tag] = {}  # inline elements with a block inside (any order will do)
    for block in blocks:
        for parent in block.parents:
            if parent.name in _INLINE_TAGS or parent.name == "a":
                holders.setdefault(id(parent), parent)
    structure = list(_STRUCTURE_TAGS)
    for tag in holders.values():
        if tag.name == "a":
            for inner in tag.find_all(structure):
                inner.insert_before(" ")
                inner.insert_after(" ")
                inner.unwrap()
        else:
            tag.unwrap()
    for pre in pres:
        if any(parent.name not in _FENCE_PARENTS for parent in pre.parents):
            pre.name = "code"  # an inline code span on one line: literal wherever it is


class _Converter(MarkdownConverter):
    """markdownify with safe links and images, escaped text, fenced code and entity marks."""

    def __init__(self, base_url: str | None, marker: _EntityMarker) -> None:
        super().__init__(
            autolinks=False,
            bullets="-",
            escape_asterisks=False,
            escape_underscores=False,
            escape_misc=False,
            heading_style="atx",
            newline_style="backslash",
            strip_document="strip",
        )
        self.base_url = base_url
        self.marker = marker

    def escape(self, text: str, parent_tags: set[str]) -> str:
        """Escape a text node (called for every text outside code), marking entity mentions."""
        if not text:
            return ""
        if "a" in parent_tags:
            return escape_markdown(text)
        return self.marker.render(text, in_table="td" in parent_tags or "th" in parent_tags)

    def convert_a(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "_noformat" in parent_tags or "a" in parent_tags:
            return text  # inside code, or a link nested in a link (not valid Markdown)
        prefix = " " if text[:1].isspace() else ""
        suffix = " " if text[-1:].isspace() else ""
        text = _LINK_TEXT_WS_RE.sub(" ", text).strip()
        if not text:
            return ""
        href = el.get("href")
        url = safe_url(href, self.base_url) if isinstance(href, str) else None
        if url is None:
            return f"{prefix}{text}{suffix}"  # javascript:, data:, file: ... become plain text
        return f"{prefix}[{text}]({_link_destination(url)}){suffix}"

    def convert_img(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        alt_attr = el.get("alt") or el.get("title") or ""
        alt = escape_markdown(_line(alt_attr if isinstance(alt_attr, str) else ""))
        if el.get("width") == "1" and el.get("height") == "1":
            return ""  # a tracking pixel
        src_attr = el.get("src") or el.get("data-src")
        src = safe_url(src_attr, self.base_url, _WEB_SCHEMES) if isinstance(src_attr, str) else None
        if "a" in parent_tags or "_inline" in parent_tags:
            return alt  # the alt text as part of a link's text or a heading
        if src is None:
            return ""  # no web address to point at (data:, javascript: ...)
        return f"[{alt or 'Image'}]({_link_destination(src)})"

    def convert_code(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "_noformat" in parent_tags:
            return text  # inside <pre>: the fence already makes it literal
        # A code span ends at a blank line, which would turn its unescaped rest into Markdown
        # (or raw HTML): keep it on one line, as CommonMark would show it anyway.
        prefix = " " if text[:1].isspace() else ""
        suffix = " " if text[-1:].isspace() else ""
        text = normalise_ws(text)
        if not text:
            return ""
        longest = max((len(run) for run in _BACKTICKS_RE.findall(text)), default=0)
        ticks = "`" * (longest + 1)
        if longest or text.startswith("`") or text.endswith("`"):
            text = f" {text} "
        return f"{prefix}{ticks}{text}{ticks}{suffix}"

    convert_kbd = convert_code
    convert_samp = convert_code

    def convert_pre(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        text = text.strip("\n")
        if not text.strip():
            return ""
        longest = max((len(run) for run in _BACKTICKS_RE.findall(text)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"\n\n{fence}\n{text}\n{fence}\n\n"

    def convert_hN(self, n: int, el: Tag, text: str, parent_tags: set[str]) -> str:
        # The article title is the only level-1 heading: the body's headings move down one.
        if "_inline" in parent_tags:
            return text
        text = normalise_ws(text)
        if not text:
            return ""
        return "\n\n{} {}\n\n".format("#" * min(6, max(1, n) + 1), text)


def _html_to_markdown(html: str, base_url: str | None, marker: _EntityMarker) -> str:
    html = clean_text(html)
    if _DOC_END_RE.search(html) is not None:
        html = _DOC_END_RE.sub(" ", html)  # libxml2 drops whatever follows </html>
    soup = BeautifulSoup(html, "lxml")
    _tidy_soup(soup)
    return _Converter(base_url, marker).convert_soup(soup)


def _inline_html(block: TextBlock) -> str:
    """A block's text as HTML, with its link spans as anchors."""
    text = block.text
    parts: list[str] = []
    pos = 0
    for span in sorted(block.links, key=lambda s: s.start):
        start, end = max(span.start, pos), min(span.end, len(text))
        if end <= start:
            continue
        parts.append(html_lib.escape(text[pos:start]))
        href = html_lib.escape(span.href, quote=True)
        parts.append(f'<a href="{href}">{html_lib.escape(text[start:end])}</a>')
        pos = end
    parts.append(html_lib.escape(text[pos:]))
    return "".join(parts)


def _blocks_to_html(blocks: Sequence[TextBlock]) -> str:
    """Text blocks back to simple HTML, so they go through the same conversion as feed HTML."""
    parts: list[str] = []
    depth = 0  # open lists; the innermost has an open <li>
    for block in blocks:
        if block.kind is BlockKind.LIST_ITEM:
            level = max(1, block.level)
            if level > depth:
                parts.append("<ul>" * (level - depth))
            else:
                parts.append("</li></ul>" * (depth - level) + "</li>")
            depth = level
            parts.append(f"<li>{_inline_html(block)}")
            continue
        if depth:
            parts.append("</li></ul>" * depth)
            depth = 0
        if block.kind is BlockKind.HEADING:
            level = min(6, max(1, block.level))
            parts.append(f"<h{level}>{_inline_html(block)}</h{level}>")
        elif block.kind is BlockKind.QUOTE:
            parts.append(f"<blockquote><p>{_inline_html(block)}</p></blockquote>")
        elif block.kind is BlockKind.PREFORMATTED:
            parts.append(f"<pre>{html_lib.escape(block.text)}</pre>")
        elif block.kind is BlockKind.IMAGE:
            if block.links:
                src = html_lib.escape(block.links[0].href, quote=True)
                parts.append(f'<p><img src="{src}" alt="{html_lib.escape(block.text)}"></p>')
        else:
            parts.append(f"<p>{_inline_html(block)}</p>")
    if depth:
        parts.append("</li></ul>" * depth)
    return "".join(parts)


def _body_markdown(article: Article, marker: _EntityMarker) -> str:
    """The body: the first source with any text, full text first, then content, summary, blocks."""
    sources: list[str | tuple[TextBlock, ...]] = []
    if article.full_text is not None:
        sources += [article.full_text.html, article.full_text.blocks]
        sources.append(text_to_blocks(article.full_text.text))
    sources += [article.content_html, article.summary_html, article.blocks]
    sources.append(text_to_blocks(article.text))
    for source in sources:
        if not source:
            continue
        if isinstance(source, str):
            if not source.strip():
                continue
            if "<" not in source:  # plain text: keep its paragraphs
                html = _blocks_to_html(text_to_blocks(html_lib.unescape(source)))
            else:
                html = source
        else:
            html = _blocks_to_html(source)
        marker.seen.clear()  # an attempt that failed or came out empty marked nothing for good
        try:
            markdown = _html_to_markdown(html, article.link, marker)
        except Exception:
            # markdownify gave up on pathological HTML (absurd nesting ...): our own parse of the
            # same source never fails, and its blocks convert without surprises.
            if not isinstance(source, str):
                continue
            marker.seen.clear()
            markdown = _html_to_markdown(
                _blocks_to_html(html_to_blocks(source, article.link)), article.link, marker
            )
        markdown = _TRAILING_WS_RE.sub("", clean_text(markdown))
        markdown = _BLANK_LINES_RE.sub("\n\n", markdown).strip("\n")
        if markdown.strip():
            return markdown
    return ""


# --- the document -------------------------------------------------------------------------------


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _iso(when: datetime | None) -> str | None:
    return _utc(when).isoformat(timespec="seconds") if when is not None else None


def _front_matter(article: Article, saved: datetime) -> str:
    entities: dict[str, list[str]] = {t.value: [] for t in EntityType}
    for entity in article.entities:
        names = entities.setdefault(str(entity.type), [])  # StrEnum: str() is the value
        name = _line(entity.canonical)
        if name and name not in names:
            names.append(name)
    data: dict[str, object] = {
        "title": _line(article.title),
        "feed": _line(article.feed_title),
        "url": safe_url(_line(article.link), None, _WEB_SCHEMES),
        "author": _line(article.author) or None,
        "published": _iso(article.published),
        "saved": _iso(saved),
        "regions": [
            {"name": _line(region.name), "score": round(float(region.score), 3)}
            for region in article.regions
        ],
        "source_region": _line(article.source_region) or None,
        "entities": entities,
        "category": _line(article.category) or None,
        "newsreader_id": article.id,
        "language": _line(article.language) or None,
    }
    dumped = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1_000_000
    )
    return f"---\n{dumped}---\n"


def _byline(article: Article) -> str:
    parts: list[str] = []
    author = _line(article.author)
    if author:
        parts.append("By " + escape_markdown(author))
    feed = _line(article.feed_title)
    if feed:
        parts.append(escape_markdown(feed))
    parts.append(_utc(article.when).strftime("%Y-%m-%d %H:%M UTC"))
    url = safe_url(_line(article.link), None, _WEB_SCHEMES)
    if url is not None:
        parts.append(f"[Original article]({_link_destination(url)})")
    return " · ".join(parts)


def _related_section(related: Sequence[RelatedItem]) -> str:
    lines = ["## Related", ""]
    for item in related:
        title = escape_markdown(_line(item.title)) or "Untitled"
        url = safe_url(_line(item.link), None, _WEB_SCHEMES)
        entry = f"[{title}]({_link_destination(url)})" if url is not None else title
        details = [escape_markdown(_line(item.feed_title)), _utc(item.when).strftime("%Y-%m-%d")]
        lines.append(f"- {entry} — " + ", ".join(d for d in details if d))
    return "\n".join(lines)


def _check_style(entity_style: str) -> None:
    if entity_style not in ENTITY_STYLES:
        choices = ", ".join(ENTITY_STYLES)
        raise ValueError(f"unknown entity style {entity_style!r}; use one of {choices}")


def render_markdown(
    article: Article,
    *,
    related: Sequence[RelatedItem] = (),
    entity_style: EntityStyle = "plain",
    saved: datetime,
) -> str:
    """The whole Markdown file for ``article``: front matter, title, byline, body, related.

    ``entity_style`` marks the first body mention of each of the article's entities as a
    ``[[wikilink]]``, ``**bold**``, or not at all (``"plain"``). ``saved`` goes in the front
    matter. Raises ValueError for an unknown style; never for hostile article content.
    """
    _check_style(entity_style)
    marker = _EntityMarker(article, entity_style)
    parts = [
        _front_matter(article, saved),
        "# " + (escape_markdown(_line(article.title)) or "Untitled"),
        _byline(article),
    ]
    body = _body_markdown(article, marker)
    if body:
        parts.append(body)
    if related:
        parts.append(_related_section(related))
    return "\n\n".join(p.strip("\n") for p in parts) + "\n"


# --- file names ---------------------------------------------------------------------------------

_SLUG_JUNK_RE: Final = re.compile(r"[^a-z0-9]+")
_NAME_UNSAFE_RE: Final = re.compile(r'[\x00-\x1f\x7f-\x9f<>:"/\\|?*]')
_RESERVED_NAMES: Final = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"0123456789", "¹", "²", "³")}
)


def slugify(text: str, max_length: int = SLUG_MAX_LENGTH) -> str:
    """``text`` transliterated to ASCII, lower-case, words joined by ``-``; may be empty."""
    ascii_text = anyascii(clean_text(text)).lower().replace("'", "")
    slug = _SLUG_JUNK_RE.sub("-", ascii_text).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        if slug[max_length] != "-" and "-" in cut[max_length // 2 :]:
            cut = cut.rsplit("-", 1)[0]  # end on a whole word when one is near
        slug = cut.strip("-")
    return slug


@functools.lru_cache(maxsize=32)
def _parse_template(template: str) -> tuple[tuple[str, str | None], ...]:
    """``template`` as (literal text, field name or None) pairs; ValueError when it is bad."""
    known = ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS)
    if not isinstance(template, str) or not template.strip():
        raise ValueError(f"the file name template is empty; use fields such as {known}")
    if re.search(r"[/\\\x00-\x1f\x7f]", template):
        raise ValueError(
            f"the file name template {template!r} must be a file name: "
            "no folders, slashes or control characters"
        )
    try:
        pieces = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"the file name template {template!r} is malformed: {exc}") from None
    parsed: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in pieces:
        if name is None:
            parsed.append((literal, None))
            continue
        if name not in TEMPLATE_FIELDS:
            shown = "{" + name + "}" if name else "{}"
            raise ValueError(
                f"the file name template {template!r} uses {shown}; the fields are {known}"
            )
        if spec or conversion:
            raise ValueError(
                f"the file name template {template!r} formats {{{name}}}; "
                "only plain fields such as {date} are allowed"
            )
        parsed.append((literal, name))
    return tuple(parsed)


def _truncate_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", "ignore")


def _name_parts(article: Article, template: str) -> tuple[str, str]:
    """The file name for ``article`` as (stem, ".md"): one safe name, never a path."""
    values = {
        "date": _utc(article.when).strftime("%Y-%m-%d"),
        "slug": slugify(article.title) or f"article-{article.id}",
        "id": str(article.id),
        "feed": slugify(article.feed_title) or f"feed-{article.feed_id}",
    }
    name = "".join(
        lit + (values[f] if f is not None else "") for lit, f in _parse_template(template)
    )
    name = normalise_ws(_NAME_UNSAFE_RE.sub("-", clean_text(name)))
    stem = name[:-3] if name.lower().endswith(".md") else name
    stem = stem.lstrip(" .-").rstrip(" .")  # no hidden files, no "..", no trailing dots
    stem = _truncate_utf8(stem, _NAME_MAX_BYTES).rstrip(" .")
    if not stem:
        stem = f"article-{article.id}"
    if stem.split(".")[0].rstrip(" ").upper() in _RESERVED_NAMES:
        stem = "_" + stem  # CON, NUL, COM1 ... are devices on Windows, whatever the extension
    return stem, ".md"


def file_name(article: Article, template: str = DEFAULT_TEMPLATE) -> str:
    """The file name ``article`` is saved under (before ``-2``, ``-3`` ... for taken names).

    Template fields: ``{date}`` (YYYY-MM-DD, UTC, of the published or first-seen time),
    ``{slug}`` (the title transliterated, lower-case, ``[a-z0-9-]``, at most 80 characters,
    ``article-<id>`` when nothing is left), ``{id}`` and ``{feed}`` (the feed title as a slug).
    The result is a single file name ending in ``.md``: characters that are unsafe in names are
    replaced, leading dots are removed and Windows device names get a ``_`` prefix. A template
    with other fields, format options or slashes raises ValueError.
    """
    stem, ext = _name_parts(article, template)
    return stem + ext


# --- writing ------------------------------------------------------------------------------------


class SaveError(Exception):
    """An article could not be saved; the message is meant for the user.

    ``path`` is the folder or file concerned, when known.
    """

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


def _reason(exc: OSError) -> str:
    """An OSError in a user's words: "permission denied", "no space left on device"."""
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


def _ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise SaveError(f"cannot save into {folder}: it is not a folder", folder) from None
    except OSError as exc:
        raise SaveError(f"cannot create folder {folder}: {_reason(exc)}", folder) from exc
    if not folder.is_dir():
        raise SaveError(f"cannot save into {folder}: it is not a folder", folder)


_O_BINARY: Final = getattr(os, "O_BINARY", 0)
_O_NOFOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)


def _fsync_folder(folder: Path) -> None:
    """Make a new directory entry durable; not possible (nor needed) everywhere."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_temp(folder: Path, data: bytes) -> Path:
    """``data`` in a new hidden file of ``folder``, flushed to disk; removed again on error."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY | _O_NOFOLLOW
    while True:
        temp = folder / f".newsreader-{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(temp, flags, 0o666)  # the umask applies, as for any new file
        except FileExistsError:
            continue
        break
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _claim(temp: Path, candidate: Path, use_link: bool) -> bool:
    """Give ``temp``'s content the name ``candidate`` if it is free; False if it is taken."""
    if use_link:
        try:
            os.link(temp, candidate)  # atomic, and fails if the name exists
        except FileExistsError:
            return False
        return True
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY | _O_NOFOLLOW
    try:
        fd = os.open(candidate, flags, 0o666)  # reserve the name ...
    except FileExistsError:
        return False
    os.close(fd)
    try:
        os.replace(temp, candidate)  # ... and put the finished file there in one step
    except BaseException:
        candidate.unlink(missing_ok=True)
        raise
    return True


def _write_new_file(folder: Path, stem: str, ext: str, data: bytes, *, sync_folder: bool) -> Path:
    """Write ``data`` to ``folder/stem.ext``, or ``stem-2.ext`` ... if taken; never overwrite.

    ``sync_folder=False`` leaves making the new name durable to the caller (a bulk save syncs
    the folder once at the end rather than after every file).
    """
    temp = _write_temp(folder, data)
    try:
        use_link = hasattr(os, "link")
        for n in range(1, _MAX_ATTEMPTS + 1):
            candidate = folder / (f"{stem}{ext}" if n == 1 else f"{stem}-{n}{ext}")
            try:
                claimed = _claim(temp, candidate, use_link)
            except OSError as exc:
                if not use_link or exc.errno in (errno.ENAMETOOLONG, errno.EROFS, errno.ENOSPC):
                    raise
                # No hard links here (FAT, some network shares): reserve names instead.
                use_link = False
                claimed = _claim(temp, candidate, use_link)
            if claimed:
                if sync_folder:
                    _fsync_folder(folder)
                return candidate
    finally:
        temp.unlink(missing_ok=True)  # after a link, or after an error; gone after a replace
    raise SaveError(f"cannot save {stem}{ext} in {folder}: too many files with that name", folder)


def save_article(
    article: Article,
    folder: Path,
    *,
    related: Sequence[RelatedItem] = (),
    entity_style: EntityStyle = "plain",
    template: str = DEFAULT_TEMPLATE,
    now: datetime | None = None,
) -> Path:
    """Save ``article`` as a new Markdown file in ``folder`` (created if missing); its path.

    Never overwrites: a taken name gets ``-2``, ``-3`` ... The file appears complete or not at
    all. Raises ValueError for a bad template or style, SaveError when the file cannot be
    written (the message says where and why).
    """
    _check_style(entity_style)
    folder = Path(folder).expanduser()
    saved = now or datetime.now(UTC)
    return _save(article, folder, related, entity_style, template, saved, sync_folder=True)


def _save(
    article: Article,
    folder: Path,
    related: Sequence[RelatedItem],
    entity_style: EntityStyle,
    template: str,
    saved: datetime,
    *,
    sync_folder: bool,
) -> Path:
    stem, ext = _name_parts(article, template)
    text = render_markdown(article, related=related, entity_style=entity_style, saved=saved)
    _ensure_folder(folder)
    try:
        return _write_new_file(folder, stem, ext, text.encode("utf-8"), sync_folder=sync_folder)
    except OSError as exc:
        raise SaveError(f"cannot write to {folder}: {_reason(exc)}", folder) from exc


@dataclass(frozen=True, slots=True)
class SaveFailure:
    """One article a bulk save could not write, and why (in a user's words)."""

    article_id: int
    title: str
    message: str


@dataclass(slots=True)
class SaveReport:
    """What a bulk save did: the files written, in order, and the articles that failed."""

    paths: list[Path] = field(default_factory=list)
    failures: list[SaveFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def save_articles(
    articles: Iterable[Article],
    folder: Path,
    *,
    related_for: Callable[[int], Sequence[RelatedItem]] | None = None,
    entity_style: EntityStyle = "plain",
    template: str = DEFAULT_TEMPLATE,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> SaveReport:
    """Save each article as with ``save_article``; one failure does not stop the others.

    ``related_for(article_id)`` supplies each article's related stories; ``progress(done)`` is
    called after each article with the number handled so far. The template and style are
    checked first (ValueError), and the folder is created first (SaveError if it cannot be:
    nothing could be saved); after that, failures are collected in the report.
    """
    _check_style(entity_style)
    _parse_template(template)
    folder = Path(folder).expanduser()
    _ensure_folder(folder)
    saved = now or datetime.now(UTC)
    report = SaveReport()
    for done, article in enumerate(articles, start=1):
        try:
            related = related_for(article.id) if related_for is not None else ()
            path = _save(article, folder, related, entity_style, template, saved, sync_folder=False)
        except SaveError as exc:
            report.failures.append(SaveFailure(article.id, _line(article.title), str(exc)))
        except OSError as exc:
            message = f"cannot save article {article.id}: {_reason(exc)}"
            report.failures.append(SaveFailure(article.id, _line(article.title), message))
        except Exception as exc:
            message = f"cannot save article {article.id}: {str(exc) or type(exc).__name__}"
            report.failures.append(SaveFailure(article.id, _line(article.title), message))
        else:
            report.paths.append(path)
        if progress is not None:
            progress(done)
    if report.paths:
        _fsync_folder(folder)
    return report
