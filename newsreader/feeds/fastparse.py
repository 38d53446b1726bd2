"""A fast path for well-formed RSS and Atom: lxml parses, feedparser's element handlers read.

feedparser parses with expat through SAX and spends most of its time in Python callbacks: one
per element and one per *piece* of text (expat splits text at every line end and entity
reference, so an escaped HTML description arrives in dozens of pieces), each going through
``FeedParserDict`` key aliasing. Here lxml parses the document in C and a small driver replays
the tree to a subclass of feedparser's own strict parser, once per element and once per text
node. Most element handlers are feedparser's, unchanged, so their quirks carry over: which
date or title wins, how ``content:encoded``, ``description`` and ``media:description`` become
``content`` and ``summary``, Atom text constructs and XHTML, ``guidislink``, author formats,
xml:base that outlives its element. What is reimplemented, following feedparser 6.0 step by
step for the settings ``parse.py`` uses (no sanitising, no relative-URI resolution inside HTML,
no base URI): the SAX front end, ``unknown_starttag``/``unknown_endtag``, ``pop``,
``push_content`` and the dozen handlers every item runs.

``fast_entries`` returns what ``feedparser.parse`` returns (the same ``feed``, ``entries``,
``version``, ``bozo``, ``encoding``), or None, and the caller then runs feedparser, whenever
the answer could differ or it cannot be sure: a DOCTYPE (or any declaration) before the root,
anything expat or lxml rejects, a root other than ``<rss>``, RSS 1.0 ``<rdf:RDF>`` or Atom 1.0
``<feed>``, an encoding feedparser cannot settle, base64 content, elements inside text that is
not XHTML, SVG or MathML, an attribute prefix it cannot tell, an error in a handler, another
feedparser version. The bytes are decoded by feedparser's own ``convert_to_utf8`` first, so
both parsers see the same characters. lxml runs with entity expansion, DTD loading and the
network off, and a document with a DTD never reaches it.

What ``parse.py`` reads of the result (checked by ``tests/test_fastparse.py``, which compares
whole ``ParsedFeed`` records): ``entries``, ``version``, ``feed``, ``bozo``,
``bozo_exception``; of the feed ``title``, ``title_detail``, ``link``, ``ttl``,
``sy_updateperiod``, ``sy_updatefrequency``, ``language``; of each entry ``link``, ``id``,
``guidislink``, ``content``, ``summary``, ``summary_detail``, ``title``, ``title_detail``,
``published``, ``published_parsed``, ``updated``, ``updated_parsed``, ``author``,
``author_detail``. The rest of the dictionaries is built by the same handlers too.
"""

from __future__ import annotations

import contextlib
import re
import xml.parsers.expat
import xml.sax
import xml.sax.saxutils
from collections.abc import Sequence
from typing import Any, Final, TypeAlias

import feedparser
import feedparser.api
from feedparser.api import StrictFeedParser
from feedparser.datetimes import _parse_date
from feedparser.encodings import convert_to_utf8
from feedparser.html import _cp1252
from feedparser.sanitizer import replace_doctype
from feedparser.urls import _urljoin, make_safe_absolute_uri
from feedparser.util import FeedParserDict
from lxml import etree

__all__ = ["FastResult", "fast_entries"]

FastResult: TypeAlias = dict[str, Any]
"""What ``feedparser.parse`` returns: a ``FeedParserDict`` with ``feed``, ``entries``,
``version``, ``bozo`` (and ``bozo_exception`` when set), ``encoding``, ``namespaces``."""


def _feedparser_as_expected() -> bool:
    """The glue below follows feedparser 6.0 reading with expat (it would take libxml2's SAX
    driver first, were that installed); otherwise the fast path stays off."""
    if not feedparser.__version__.startswith("6.0."):
        return False
    try:
        reader = xml.sax.make_parser(feedparser.api.PREFERRED_XML_PARSERS)
    except xml.sax.SAXException:
        return False
    return type(reader).__module__ == "xml.sax.expatreader"


_VERIFIED: Final = _feedparser_as_expected()

_PARSER: Final = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    recover=False,
    remove_comments=False,
    remove_pis=False,
    strip_cdata=True,
)

_XHTML: Final = "application/xhtml+xml"
_XHTML_NS: Final = "http://www.w3.org/1999/xhtml"
_ATOM_NS: Final = "http://www.w3.org/2005/Atom"
_RDF_NS: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
_XLINK_NS: Final = "http://www.w3.org/1999/xlink"
_RSS_VERSIONS: Final = frozenset(
    {"rss090", "rss091u", "rss092", "rss093", "rss094", "rss20", "rss10", "rss"}
)
_RDF_VERSIONS: Final = frozenset({"rss090", "rss10"})

# Every element name feedparser has a handler for. A handler it gains in another version is
# still called (it is feedparser's own code); these sets only tell handled from unknown.
_HAS_START: Final = frozenset(n[7:] for n in dir(StrictFeedParser) if n.startswith("_start_"))
_HAS_END: Final = frozenset(n[5:] for n in dir(StrictFeedParser) if n.startswith("_end_"))
_TEXTINPUT_KEEPS: Final = frozenset({"title", "link", "description", "name"})
_IMAGE_KEEPS: Final = frozenset({"title", "link", "description", "url", "href", "width", "height"})
_FEED_TAGS: Final = frozenset({"feed", "rss", "rdf:RDF"})  # (as feedparser spells them)
_UNSUPPORTED_LOCAL: Final = frozenset({"svg", "math"})

_QUERY_ENTITY_RE: Final = re.compile("&([A-Za-z0-9_]+);")
_C1_RE: Final = re.compile("[\x80-\x9f]")
_COPY_TYPES: Final = frozenset({"text/plain", "text/html", _XHTML})
_CONTENT_TYPES: Final = {
    "text": "text/plain",
    "plain": "text/plain",
    "html": "text/html",
    "xhtml": _XHTML,
}
"""_FeedParserMixin.map_content_type's short names (after lower-casing)."""
# The prolog: an optional XML declaration, then comments, processing instructions and space.
_PROLOG_RE: Final = re.compile(rb"(?:\s|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)


class _Unsupported(Exception):
    """The document has something the fast path does not reproduce exactly."""


def fast_entries(body: bytes, content_type: str) -> FastResult | None:
    """What ``feedparser.parse`` would make of ``body``, or None when the fast path cannot be
    sure of giving exactly that (the caller then runs feedparser).

    ``content_type`` is the Content-Type header feedparser would be given (``response_headers``)
    and decides the encoding the same way: the bytes are converted with feedparser's own
    ``convert_to_utf8`` before lxml sees them.
    """
    if not _VERIFIED:
        return None
    result: FastResult = FeedParserDict(bozo=False, entries=[], feed=FeedParserDict(), headers={})
    headers = {"content-type": content_type}
    result["headers"].update(headers)
    try:
        data = convert_to_utf8(headers, body, result)
        if not result.get("encoding") or not isinstance(data, bytes):
            return None  # feedparser would use its loose parser
        version, replaced, entities = replace_doctype(data)
        if version is not None or entities or replaced != data:
            return None
        prolog = _PROLOG_RE.match(data)
        if prolog is None or data.startswith(b"<!", prolog.end()):
            return None  # a DOCTYPE or another declaration: never parsed here
        if not _expat_accepts(data):
            return None  # feedparser's strict parser would fail and recover differently
        root = etree.fromstring(data, _PARSER)
        if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]  # (not in the stubs)
            return None
        reader = _TreeFeedParser()
        reader.read(root)
    except Exception:
        # Something not reproduced here (_Unsupported), an lxml error, or an error in a
        # handler, which feedparser would meet too: either way feedparser has the last word.
        return None
    result["feed"] = reader.feeddata
    result["entries"] = reader.entries
    result["version"] = reader.version
    result["namespaces"] = reader.namespaces_in_use
    return result


def _expat_accepts(data: bytes) -> bool:
    """Whether expat, the parser feedparser uses, finds the document well-formed (namespaces
    on, as feedparser has them). lxml must never accept what expat refuses."""
    parser = xml.parsers.expat.ParserCreate(None, " ")
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError:
        return False
    return True


def _escape(text: str) -> str:
    return xml.sax.saxutils.escape(text)


# Positions in the per-tag tuple ``_TreeFeedParser._info`` builds.
_NAME, _PREFIXED, _START_FP, _START_FN, _KEEPS_TI, _KEEPS_IMG, _FEED_TAG = range(7)
_END_FP, _END_FN, _XHTML_START, _XHTML_END = range(7, 11)

_KEYMAP: Final = {
    key: value[0] if isinstance(value, list) else value
    for key, value in FeedParserDict.keymap.items()
}
"""The key ``FeedParserDict.__setitem__`` really stores under."""

_EVENTS: Final = ("start", "end", "start-ns", "comment", "pi")
_RELATIVE: Final = frozenset(StrictFeedParser.can_be_relative_uri)


class _TreeFeedParser(StrictFeedParser):  # type: ignore[misc]
    """feedparser's strict parser, fed from an lxml tree instead of SAX events.

    Methods overridden here reproduce feedparser 6.0's ``_StrictFeedParser`` and
    ``_FeedParserMixin`` versions, step by step, for the settings ``parse.py`` uses; so do
    the few element handlers redefined at the end (the ones every item has), which only
    trade ``FeedParserDict`` operations for plain ``dict`` ones where the key is not one
    ``FeedParserDict`` aliases. Every other element handler is feedparser's own. A
    ``_start_*``/``_end_*`` method defined here must be one feedparser defines too: those
    names are the element handlers.
    """

    # Set by feedparser's constructors (typed here for mypy).
    decls: dict[str, str]
    baseuri: str
    lang: str | None

    def __init__(self) -> None:
        super().__init__("", None, "utf-8")
        self.resolve_relative_uris = False
        self.sanitize_html = False
        self.contentparams: dict[str, Any] = {}
        self._infos: dict[str, tuple[Any, ...]] = {}
        self._base_memo: dict[str, str] = {}
        self._depth_entry: Any = None
        self._depths: dict[str, int] = {}

    # --- the driver ---------------------------------------------------------------------

    def read(self, root: etree._Element) -> None:
        """Replay the tree as the SAX events expat would send, in the same order."""
        infos = self._infos
        stack = self.elementstack
        first = True
        for event, node in etree.iterwalk(root, events=_EVENTS):
            if event == "start":
                info = infos.get(node.tag)
                if info is None:
                    info = self._info(node)
                if first:
                    first = False
                    self._check_root(node, info, before=True)
                    self._start(node, info)
                    self._check_root(node, info, before=False)
                else:
                    self._start(node, info)
                text = node.text
            elif event == "end":
                self._end(infos.get(node.tag) or self._info(node))
                text = node.tail
            elif event == "start-ns":
                self._prefix_mapping(node[0], node[1])
                continue
            else:  # a comment or processing instruction: only its tail is text
                text = node.tail
            if text and stack:
                if self.contentparams.get("type") == _XHTML:
                    text = _escape(text)
                stack[-1][2].append(text)

    def _prefix_mapping(self, prefix: str | None, uri: str) -> None:
        # _StrictFeedParser.startPrefixMapping
        if not uri:
            return
        prefix = prefix or None
        self.track_namespace(prefix, uri)
        if prefix and uri == _XLINK_NS:
            self.decls["xmlns:" + prefix] = uri
        self._infos.clear()  # element names depend on the namespaces seen so far

    def _info(self, node: etree._Element) -> tuple[Any, ...]:
        """How feedparser names and dispatches an element, under the namespaces seen so far:
        _StrictFeedParser.startElementNS and endElementNS, then unknown_starttag and
        unknown_endtag up to the handler call."""
        tag = node.tag
        if not isinstance(tag, str):
            raise _Unsupported("an entity reference")
        if tag[0] == "{":
            namespace: str | None
            namespace, local = tag[1:].split("}", 1)
            namespace = namespace or None
        else:
            namespace, local = None, tag
        if local.lower() in _UNSUPPORTED_LOCAL:
            raise _Unsupported("SVG or MathML")
        in_use = self.namespaces_in_use
        match = self._matchnamespaces

        # startElementNS (expat gives no qname)
        start_ns = namespace
        lower = str(namespace or "").lower()
        if lower.find("backend.userland.com/rss") != -1:
            start_ns = "http://backend.userland.com/rss"
            lower = start_ns
        mapped = match.get(lower, None)
        name = local.lower()
        if mapped:
            name = mapped.lower() + ":" + name
        elif start_ns:
            for known, value in in_use.items():
                if known and value == start_ns:
                    name = known + ":" + name
                    break
        name = name.lower()

        # endElementNS
        mapped = match.get(str(namespace or "").lower(), "")
        end = local
        if mapped:
            end = mapped + ":" + end
        elif namespace:
            for known, value in in_use.items():
                if known and value == namespace:
                    end = known + ":" + end
                    break
        end = end.lower()

        start_fp, prefixed = self._handler_name(name)
        end_fp, _ = self._handler_name(end)
        cls = type(self)
        info = (
            name,
            prefixed,
            start_fp,
            getattr(cls, "_start_" + start_fp) if start_fp in _HAS_START else None,
            name in _TEXTINPUT_KEEPS,
            name in _IMAGE_KEEPS,
            name in _FEED_TAGS,
            end_fp,
            getattr(cls, "_end_" + end_fp) if end_fp in _HAS_END else None,
            name.split(":", 1)[1] if ":" in name else name,
            end.split(":")[-1],
        )
        self._infos[tag] = info
        return info

    def _handler_name(self, name: str) -> tuple[str, bool]:
        if ":" in name:
            prefix, suffix = name.split(":", 1)
        else:
            prefix, suffix = "", name
        prefix = self.namespacemap.get(prefix, prefix)
        if prefix:
            return prefix + "_" + suffix, True
        return suffix, False

    def _check_root(self, node: etree._Element, info: tuple[Any, ...], *, before: bool) -> None:
        name = info[_NAME]
        tag = node.tag
        if before:
            if not (
                name == "rss"
                or (name == "rdf:rdf" and tag == "{" + _RDF_NS + "}RDF")
                or (name == "feed" and tag == "{" + _ATOM_NS + "}feed")
            ):
                raise _Unsupported("not an RSS or Atom root")
            return
        version = self.version
        if name == "rss":
            ok = version in _RSS_VERSIONS
        elif name == "feed":
            ok = version == "atom10"
        else:
            ok = version in _RDF_VERSIONS
        if not ok:
            raise _Unsupported(f"feed version {version!r}")

    def _attributes(
        self, node: etree._Element, items: Sequence[tuple[Any, Any]]
    ) -> list[tuple[str, str]]:
        """startElementNS's attribute dictionary, normalised as _normalize_attributes does."""
        attrs: dict[str, str] = self.decls
        self.decls = {}
        if items:
            qnames: list[tuple[str, str]] = []
            for key, value in items:
                if key[0] == "{":
                    namespace, local = key[1:].split("}", 1)
                    prefix = self._matchnamespaces.get(namespace.lower(), "")
                    attrs[(prefix + ":" + local if prefix else local).lower()] = value
                    qnames.append((self._attribute_prefix(node, namespace) + ":" + local, value))
                else:
                    attrs[key.lower()] = value
                    qnames.append((key, value))
            for qname, value in qnames:
                attrs[qname.lower()] = value
        return [
            (k, (v.lower() or v) if k in ("rel", "type") else v)
            for k, v in ((k.lower(), v) for k, v in attrs.items())
        ]

    @staticmethod
    def _attribute_prefix(node: etree._Element, namespace: str) -> str:
        if namespace == _XML_NS:
            return "xml"
        prefixes = [p for p, uri in node.nsmap.items() if p and uri == namespace]
        if len(prefixes) != 1:
            raise _Unsupported("cannot tell which prefix an attribute was written with")
        return prefixes[0]

    # --- feedparser's glue, reproduced --------------------------------------------------

    def _start(self, node: etree._Element, info: tuple[Any, ...]) -> None:
        """_FeedParserMixin.unknown_starttag."""
        self.depth += 1
        items = node.items()
        if items or self.decls:
            attrs = self._attributes(node, items)
            attrs_d = dict(attrs)
            base = attrs_d.get("xml:base", attrs_d.get("base"))
            lang = attrs_d.get("xml:lang", attrs_d.get("lang"))
        else:
            attrs = []
            attrs_d = {}
            base = lang = None

        current = self.baseuri
        if current:
            if base:
                self.baseuri = make_safe_absolute_uri(current, base) or current
            else:
                memo = self._base_memo.get(current)
                if memo is None:
                    memo = make_safe_absolute_uri(current, current) or current
                    self._base_memo[current] = memo
                self.baseuri = memo
        elif base:
            self.baseuri = _urljoin(current, base)
        # (no base on either side: _urljoin("", "") is "")

        if lang == "":
            lang = None
        elif lang is None:
            lang = self.lang
        if lang and info[_FEED_TAG]:
            self.feeddata["language"] = lang.replace("_", "-")
        self.lang = lang
        self.basestack.append(self.baseuri)
        self.langstack.append(lang)

        for key, value in attrs:
            if key.startswith("xmlns:"):
                self.track_namespace(key[6:], value)
                self._infos.clear()
            elif key == "xmlns":
                self.track_namespace(None, value)
                self._infos.clear()

        if self.incontent:
            kind = self.contentparams.get("type", "xml")
            if kind == _XHTML:
                self.handle_data("<" + info[_XHTML_START] + self.strattrs(attrs) + ">", escape=0)
                return
            if not kind.endswith("xml"):
                raise _Unsupported("markup inside text that is not XHTML")
            raise _Unsupported("elements inside XML content")

        if not info[_PREFIXED]:
            if not info[_KEEPS_TI]:
                self.intextinput = 0
            if not info[_KEEPS_IMG]:
                self.inimage = 0

        handler = info[_START_FN]
        if handler is not None:
            try:
                handler(self, attrs_d)
                return
            except AttributeError:
                pass  # as in feedparser: then treated as an unknown element
        if attrs_d:
            self._get_context()[info[_START_FP]] = attrs_d
        else:
            self.elementstack.append([info[_START_FP], 1, []])

    def _end(self, info: tuple[Any, ...]) -> None:
        """_FeedParserMixin.unknown_endtag."""
        handler = info[_END_FN]
        if handler is None:
            self.pop(info[_END_FP])
        else:
            try:
                handler(self)
            except AttributeError:
                self.pop(info[_END_FP])

        if self.incontent:
            kind = self.contentparams.get("type", "xml")
            if kind == _XHTML:
                self.handle_data("</" + info[_XHTML_END] + ">", escape=0)
            elif not kind.endswith("xml"):
                raise _Unsupported("markup inside text that is not XHTML")

        stack = self.basestack
        if stack:
            stack.pop()
            if stack and stack[-1]:
                self.baseuri = stack[-1]
        langs = self.langstack
        if langs:
            langs.pop()
            if langs:
                self.lang = langs[-1]
        self.depth -= 1

    def handle_data(self, text: str, escape: int = 1) -> None:
        stack = self.elementstack
        if not stack:
            return
        if escape and self.contentparams.get("type") == _XHTML:
            text = _escape(text)
        stack[-1][2].append(text)

    def _get_context(self) -> Any:
        # (plain dict lookups: "image" and "textinput" are not keys FeedParserDict aliases)
        if self.insource:
            return self.sourcedata
        feed = self.feeddata
        if self.inimage and dict.__contains__(feed, "image"):
            return dict.__getitem__(feed, "image")
        if self.intextinput:
            return dict.__getitem__(feed, "textinput")
        if self.inentry:
            return self.entries[-1]
        return feed

    def push_content(
        self, tag: str, attrs_d: dict[str, str], default_content_type: str, expecting_text: int
    ) -> None:
        self.incontent += 1
        lang = self.lang
        if lang:
            self.lang = lang = lang.replace("_", "-")
        kind = attrs_d.get("type", default_content_type).lower()  # map_content_type
        kind = _CONTENT_TYPES.get(kind, kind)
        self.contentparams = {"type": kind, "language": lang, "base": self.baseuri}
        # _is_base64
        if attrs_d.get("mode", "") == "base64" or not (
            kind.startswith("text/") or kind.endswith("+xml") or kind.endswith("/xml")
        ):
            raise _Unsupported("base64 content")
        self.elementstack.append([tag, expecting_text, []])

    def resolve_uri(self, uri: str) -> str:
        base = self.baseuri
        if not base and ":///" not in uri:
            # _urljoin would change nothing: its fix-up only removes slashes after "://",
            # and urljoin with no base returns the link as it is.
            return uri
        return str(_urljoin(base or "", uri))

    def pop(self, element: str, strip_whitespace: int = 1) -> Any:
        stack = self.elementstack
        if not stack or stack[-1][0] != element:
            return None
        element, expecting_text, pieces = stack.pop()
        params = self.contentparams

        if params and self.version == "atom10" and params.get("type", "text") == _XHTML:
            pieces = _unwrap_div(list(pieces))

        output = "".join(pieces)
        if strip_whitespace:
            output = output.strip()
        if not expecting_text:
            return output

        if output and element in _RELATIVE and (element != "id" or self.guidislink):
            output = self.resolve_uri(output)

        if params:
            if (
                params.get("type") == "text/plain"
                and not self.version.startswith("atom")
                and self.looks_like_html(output)
            ):
                params["type"] = "text/html"
            params.pop("mode", None)
            params.pop("base64", None)

        if not output.isascii():
            # Text already in UTF-8 but read as ISO-8859-1, then windows-1252's extra
            # characters: both as feedparser repairs them (neither changes ASCII).
            with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
                output = output.encode("iso-8859-1").decode("utf-8")
            if _C1_RE.search(output):
                output = output.translate(_cp1252)

        if element in ("category", "tags", "itunes_keywords"):
            return output
        if element == "title" and -1 < self.title_depth <= self.depth:
            return output

        if self.inentry and not self.insource:
            entry = self.entries[-1]
            if element == "content":
                entry.setdefault(element, [])
                detail = FeedParserDict(params)
                dict.__setitem__(detail, "value", output)
                entry[element].append(detail)
            elif element == "link":
                if not self.inimage:
                    if "&" in output:
                        output = output.replace("&amp;", "&")
                        output = _QUERY_ENTITY_RE.sub(_drop_semicolon, output)
                    dict.__setitem__(entry, "link", output)
                    if output:
                        entry["links"][-1]["href"] = output
            else:
                if element == "description":
                    element = "summary"
                if entry is not self._depth_entry:
                    self._depth_entry = entry
                    self._depths = self.property_depth_map.setdefault(entry, {})
                depths = self._depths
                old_depth = depths.get(element)
                depth = self.depth
                if old_depth is None or depth <= old_depth:
                    depths[element] = depth
                    dict.__setitem__(entry, _KEYMAP.get(element, element), output)
                if self.incontent:
                    detail = FeedParserDict(params)
                    dict.__setitem__(detail, "value", output)
                    key = element + "_detail"
                    dict.__setitem__(entry, _KEYMAP.get(key, key), detail)
        elif self.infeed or self.insource:
            context = self._get_context()
            if element == "description":
                element = "subtitle"
            context[element] = output
            if element == "link":
                if "&" in output:
                    output = _QUERY_ENTITY_RE.sub(_drop_semicolon, output)
                context[element] = output
                context["links"][-1]["href"] = output
            elif self.incontent:
                detail = FeedParserDict(params)
                dict.__setitem__(detail, "value", output)
                context[element + "_detail"] = detail
        return output

    # --- the busiest element handlers, as in feedparser's namespaces/_base.py -------------
    # Same steps in the same order; plain dict operations where FeedParserDict's own would
    # only add key aliasing for keys it does not alias ("links", "summary", "tags", ...).

    def _start_item(self, attrs_d: dict[str, str]) -> None:
        self.entries.append(FeedParserDict())
        self.elementstack.append(["item", 0, []])
        self.inentry = 1
        self.guidislink = 0
        self.title_depth = -1
        about = attrs_d.get(self.namespacemap.get("rdf", "rdf") + ":about")
        if about:
            dict.__setitem__(self._get_context(), "id", about)
        if "lastmod" in attrs_d or "href" in attrs_d:
            self._cdf_common(attrs_d)

    def _start_link(self, attrs_d: dict[str, str]) -> None:
        attrs_d.setdefault("rel", "alternate")
        if attrs_d["rel"] == "self":
            attrs_d.setdefault("type", "application/atom+xml")
        else:
            attrs_d.setdefault("type", "text/html")
        context = self._get_context()
        attrs_d = self._enforce_href(attrs_d)
        if "href" in attrs_d:
            attrs_d["href"] = self.resolve_uri(attrs_d["href"])
        expecting_text = self.infeed or self.inentry or self.insource
        links = dict.setdefault(context, "links", [])
        if not (self.inentry and self.inimage):
            links.append(FeedParserDict(attrs_d))
        if "href" in attrs_d:
            if (
                attrs_d.get("rel") == "alternate"
                and self.map_content_type(attrs_d.get("type")) in self.html_types
            ):
                dict.__setitem__(context, "link", attrs_d["href"])
        else:
            self.elementstack.append(["link", expecting_text, []])

    def _start_guid(self, attrs_d: dict[str, str]) -> None:
        self.guidislink = attrs_d.get("ispermalink", "true") == "true"
        self.elementstack.append(["id", 1, []])

    def _end_guid(self) -> None:
        value = self.pop("id")
        is_link = self.guidislink and not dict.__contains__(self._get_context(), "link")
        dict.setdefault(self._get_context(), "guidislink", is_link)
        if self.guidislink:
            dict.setdefault(self._get_context(), "link", value)

    def _start_published(self, attrs_d: dict[str, str]) -> None:
        self.elementstack.append(["published", 1, []])

    def _end_published(self) -> None:
        value = self.pop("published")
        parsed = _parse_date(value)
        dict.__setitem__(self._get_context(), "published_parsed", parsed)

    def _start_updated(self, attrs_d: dict[str, str]) -> None:
        self.elementstack.append(["updated", 1, []])

    def _end_updated(self) -> None:
        value = self.pop("updated")
        parsed = _parse_date(value)
        dict.__setitem__(self._get_context(), "updated_parsed", parsed)

    def _start_description(self, attrs_d: dict[str, str]) -> None:
        context = self._get_context()
        if dict.__contains__(context, "summary") and not self.hasContent:
            self._summaryKey = "content"
            self._start_content(attrs_d)
        else:
            self.push_content(
                "description", attrs_d, "text/html", self.infeed or self.inentry or self.insource
            )

    def _start_summary(self, attrs_d: dict[str, str]) -> None:
        context = self._get_context()
        if dict.__contains__(context, "summary") and not self.hasContent:
            self._summaryKey = "content"
            self._start_content(attrs_d)
        else:
            self._summaryKey = "summary"
            self.push_content(self._summaryKey, attrs_d, "text/plain", 1)

    def _end_content(self) -> None:
        copy_to_summary = self.map_content_type(self.contentparams.get("type")) in _COPY_TYPES
        value = self.pop_content("content")
        if copy_to_summary:
            dict.setdefault(self._get_context(), "summary", value)

    def _add_tag(self, term: str | None, scheme: str | None, label: str | None) -> None:
        tags = dict.setdefault(self._get_context(), "tags", [])
        if (not term) and (not scheme) and (not label):
            return
        value = FeedParserDict(term=term, scheme=scheme, label=label)
        if value not in tags:
            tags.append(value)

    def _end_category(self) -> None:
        value = self.pop("category")
        if not value:
            return
        tags = dict.__getitem__(self._get_context(), "tags")
        if value and len(tags) and not tags[-1]["term"]:
            tags[-1]["term"] = value
        else:
            self._add_tag(value, None, None)


_OVERRIDDEN: Final = tuple(
    name
    for name in vars(_TreeFeedParser)
    if name.startswith(("_start_", "_end_")) and hasattr(StrictFeedParser, name)
)
# feedparser binds one handler to several names (``_start_entry = _start_item``,
# ``_end_pubdate = _end_published`` ...): those names get the override too.
for _name in dir(StrictFeedParser):
    if _name.startswith(("_start_", "_end_")) and _name not in vars(_TreeFeedParser):
        for _own in _OVERRIDDEN:
            if getattr(StrictFeedParser, _name) is getattr(StrictFeedParser, _own):
                setattr(_TreeFeedParser, _name, vars(_TreeFeedParser)[_own])


def _drop_semicolon(match: re.Match[str]) -> str:
    return "&" + match.group(1)


def _unwrap_div(pieces: list[str]) -> list[str]:
    """Atom XHTML: drop the one ``<div>`` that wraps everything (mixin.pop)."""
    while pieces and len(pieces) > 1 and not pieces[-1].strip():
        del pieces[-1]
    while pieces and len(pieces) > 1 and not pieces[0].strip():
        del pieces[0]
    if (
        pieces
        and (pieces[0] == "<div>" or pieces[0].startswith("<div "))
        and pieces[-1] == "</div>"
    ):
        depth = 0
        for piece in pieces[:-1]:
            if piece.startswith("</"):
                depth -= 1
                if depth == 0:
                    break
            elif piece.startswith("<") and not piece.endswith("/>"):
                depth += 1
        else:
            pieces = pieces[1:-1]
    return pieces
