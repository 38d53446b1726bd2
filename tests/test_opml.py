"""OPML import/export: categories kept both ways, hostile files refused safely."""

from __future__ import annotations

import pytest

from newsreader.feeds.opml import OPMLError, parse_opml, to_opml
from newsreader.models import FeedSource

SOURCES = [
    FeedSource("https://a.example/rss", title="Alpha & Co", region="Asia", category="World"),
    FeedSource("https://b.example/atom", title="Beta [b]", category="Tech"),
    FeedSource("https://c.example/feed"),
]


def test_round_trip_keeps_titles_categories_regions() -> None:
    back = parse_opml(to_opml(SOURCES).encode())
    assert sorted(back, key=lambda s: s.url) == sorted(SOURCES, key=lambda s: s.url)


def test_nested_folders_become_categories_and_non_http_is_skipped() -> None:
    data = b"""<?xml version="1.0"?><opml version="2.0"><head/><body>
      <outline text="News"><outline text="Africa"><outline text="X" xmlUrl="https://x.example/rss"/></outline></outline>
      <outline text="Y" xmlUrl="file:///etc/passwd"/><outline text="Z" xmlUrl="javascript:alert(1)"/>
      <outline text="Dup" xmlUrl="https://x.example/rss"/></body></opml>"""
    assert parse_opml(data) == [
        FeedSource("https://x.example/rss", title="X", category="News / Africa")
    ]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"<html><body>hi</body></html>", "not <opml>"),
        (b"<opml", "XML is broken"),
        (b"", "XML is broken"),
        (b'<?xml version="1.0"?><opml><head/></opml>', "no <body>"),
    ],
)
def test_bad_files_say_why(data: bytes, message: str) -> None:
    with pytest.raises(OPMLError, match=message):
        parse_opml(data)


def test_external_entities_are_not_read() -> None:
    data = b"""<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>
      <opml version="2.0"><body><outline text="&x;" xmlUrl="https://x.example/rss"/></body></opml>"""
    try:
        sources = parse_opml(data)
    except OPMLError:
        return
    assert all("root:" not in (s.title or "") for s in sources)
