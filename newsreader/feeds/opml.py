"""OPML 2.0 import and export, for moving subscriptions between readers.

Categories travel both ways: on export each category is an outline folder; on import a feed
takes the title of its enclosing folder(s), or its own ``category`` attribute.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from itertools import groupby

from lxml import etree

from newsreader.feeds.content import clean_text, normalise_ws
from newsreader.models import FeedSource


class OPMLError(Exception):
    """The file is not usable OPML; the message says why."""


def parse_opml(data: bytes) -> list[FeedSource]:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise OPMLError(f"not an OPML file: the XML is broken ({exc})") from exc
    if root is None or root.tag != "opml":
        raise OPMLError("not an OPML file: the document is not <opml>")
    body = root.find("body")
    if body is None:
        raise OPMLError("not an OPML file: it has no <body>")
    sources: list[FeedSource] = []
    seen: set[str] = set()

    def walk(node: etree._Element, folders: list[str]) -> None:
        for child in node:
            if child.tag != "outline":
                continue
            url = (child.get("xmlUrl") or "").strip()
            label = _text(child.get("title") or child.get("text"))
            if url:
                if url.lower().startswith(("http://", "https://")) and url not in seen:
                    seen.add(url)
                    category = _text(child.get("category")) or (" / ".join(folders) or None)
                    if category and category.startswith("/"):
                        category = category.strip("/").split("/")[-1] or None
                    sources.append(
                        FeedSource(
                            url=url,
                            title=label if label != url else None,
                            region=_text(child.get("region")),
                            category=category,
                        )
                    )
            else:
                walk(child, [*folders, label] if label else folders)

    walk(body, [])
    return sources


def to_opml(sources: list[FeedSource], title: str = "newsreader subscriptions") -> str:
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "dateCreated").text = datetime.now(UTC).strftime(
        "%a, %d %b %Y %H:%M:%S GMT"
    )
    body = etree.SubElement(root, "body")

    def category(s: FeedSource) -> str:
        return s.category or ""

    for cat, group in groupby(sorted(sources, key=category), key=category):
        parent = body
        if cat:
            parent = etree.SubElement(body, "outline", text=_attr(cat), title=_attr(cat))
        for s in group:
            name = _attr(s.title or "") or _attr(s.url)
            attrs = {"type": "rss", "text": name, "title": name, "xmlUrl": _attr(s.url)}
            if s.region:
                attrs["region"] = _attr(s.region)
            if cat:
                attrs["category"] = _attr(cat)
            etree.SubElement(parent, "outline", attrs)
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode()


# Characters XML 1.0 cannot hold at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _attr(value: str) -> str:
    """Text from feeds.toml (which may hold control characters) as an attribute XML can hold."""
    return _NOT_XML.sub("", clean_text(value))


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    return normalise_ws(clean_text(value)) or None
