"""Response bodies to ParsedFeed: formats, identity, dates, encodings, hostile and broken input."""

from __future__ import annotations

import json
import pickle
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsreader.feeds.parse import NotAFeedError, find_feed_links, parse_feed
from newsreader.models import BlockKind, ParsedArticle, ParsedFeed

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(name: str, url: str = "https://fixtures.example/path/feed.xml") -> ParsedFeed:
    return parse_feed(load(name), url, now=NOW)


def by_key(feed: ParsedFeed) -> dict[str, ParsedArticle]:
    return {a.key: a for a in feed.articles}


def _forbidden(ch: str) -> bool:
    if ch in "\n\t":
        return False
    return unicodedata.category(ch) in ("Cc", "Cs") or ch in (
        "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
    )


def assert_safe(s: str | None) -> None:
    if s is None:
        return
    bad = [hex(ord(c)) for c in s if _forbidden(c)]
    assert not bad, f"unsafe characters {bad} in {s!r}"


def all_text_fields(feed: ParsedFeed) -> list[str | None]:
    fields: list[str | None] = [feed.title, feed.site_link, feed.language, feed.bozo_message]
    for a in feed.articles:
        fields += [a.key, a.title, a.link, a.author, a.summary_html, a.content_html, a.text]
        for block in a.blocks:
            fields.append(block.text)
            fields += [span.href for span in block.links]
    return fields


# --- formats ----------------------------------------------------------------------------------


def test_rss20() -> None:
    feed = parse("rss20.xml")
    assert feed.title == "Harbour Town Gazette"
    assert feed.site_link == "https://gazette.example.org/"
    assert feed.language == "en-GB"
    assert feed.ttl_seconds == 45 * 60
    assert feed.bozo_message is None
    assert [a.key for a in feed.articles] == [
        "g:gazette-1001",
        "g:https://gazette.example.org/news/library-hours",
        "g:gazette-1003",
    ]
    ferry, library, regatta = feed.articles

    assert ferry.title == "Ferry timetable changes for the winter season"
    assert ferry.link == "https://gazette.example.org/news/ferry-winter"
    assert ferry.author == "Mira Castellan"
    assert ferry.published == datetime(2025, 1, 6, 8, 30, tzinfo=UTC)
    assert ferry.updated is None
    # content:encoded wins over the description for the body; both are kept raw
    assert ferry.summary_html == "The morning crossing moves to a later slot."
    assert ferry.content_html.startswith("<p>The morning crossing moves to a <b>later slot</b>")
    assert [(b.kind, b.level) for b in ferry.blocks] == [
        (BlockKind.PARAGRAPH, 0),
        (BlockKind.HEADING, 2),
        (BlockKind.LIST_ITEM, 1),
        (BlockKind.LIST_ITEM, 1),
        (BlockKind.PARAGRAPH, 0),
    ]
    last = ferry.blocks[-1]
    (span,) = last.links
    assert last.text[span.start : span.end] == "timetable page"
    assert span.href == "https://gazette.example.org/timetables"  # resolved against the item link
    assert ferry.text == (
        "The morning crossing moves to a later slot from next week.\n\nWhat changes\n\n"
        "First sailing at 07:40\nLast sailing at 19:15\n\nDetails on the timetable page."
    )

    assert library.author == "Tomas Reed"
    assert library.published == datetime(2025, 1, 5, 18, 0, tzinfo=UTC)
    assert library.text == "Readers can now stay until nine on Thursdays."
    assert library.content_html == ""

    # a date far in the future is clamped to "now"
    assert regatta.published == NOW


def test_rss10_rdf() -> None:
    feed = parse("rss10.rdf")
    assert feed.title == "Valley Observer"
    assert feed.site_link == "https://valley.example.net/"
    assert feed.language == "fr"
    assert feed.ttl_seconds == 86400 // 4  # sy:updatePeriod daily, sy:updateFrequency 4
    frost, harvest = feed.articles
    assert frost.key == "g:https://valley.example.net/notes/frost"
    assert frost.title == "Early frost expected in the upper fields"
    assert frost.author == "Anouk Verlaine"
    assert frost.published == datetime(2025, 2, 3, 20, 15, tzinfo=UTC)
    assert frost.text == "Growers should cover young plants tonight."
    assert harvest.published == datetime(2025, 2, 2, 8, 0, tzinfo=UTC)
    assert harvest.author is None


def test_atom() -> None:
    feed = parse("atom.xml")
    assert feed.title == "Canal Street Notes"
    assert feed.site_link == "https://canal.example.com/"
    bridge, parade = feed.articles
    assert bridge.key == "g:urn:uuid:entry-bridge"
    assert bridge.link == "https://canal.example.com/posts/bridge"
    assert bridge.author == "Joris Delmonte"
    assert bridge.published == datetime(2025, 3, 9, 6, 0, tzinfo=UTC)
    assert bridge.updated == datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    assert [(b.kind, b.text) for b in bridge.blocks] == [
        (BlockKind.PARAGRAPH, "The bridge reopened on Sunday, two weeks ahead of plan."),
        (BlockKind.QUOTE, "We were lucky with the weather."),
    ]
    # a type="text" summary is text: its "<b>" is shown, so the raw HTML escapes it
    assert bridge.summary_html == "Short version: the &lt;b&gt; bridge is open again."
    # type="html" title: entities decoded once
    assert parade.title == "Boat parade & lantern night"
    # Atom with only <updated>: that is the published date too
    assert parade.published == datetime(2025, 3, 8, 19, 30, tzinfo=UTC)
    assert parade.text == "Lanterns on the water from dusk."


def test_json_feed() -> None:
    feed = parse_feed(
        load("jsonfeed.json"),
        "https://orchard.example.org/feed.json",
        content_type="application/feed+json",
        now=NOW,
    )
    assert feed.title == "Orchard Row Weekly"
    assert feed.site_link == "https://orchard.example.org/"
    assert feed.language == "en-NZ"
    assert [a.key for a in feed.articles] == ["g:orw-77", "g:78"]  # duplicate id dropped
    cider, bees = feed.articles
    assert cider.title == "Cider press opens to visitors"
    assert cider.link == "https://orchard.example.org/stories/cider"
    assert cider.author == "Priya Holloway"
    assert cider.published == datetime(2025, 3, 31, 21, 0, tzinfo=UTC)
    assert cider.updated == datetime(2025, 4, 2, 10, 0, tzinfo=UTC)
    (block,) = cider.blocks
    (span,) = block.links
    assert block.text[span.start : span.end] == "every Saturday"
    assert span.href == "https://orchard.example.org/visit"
    assert cider.summary_html == "The old press runs again."

    assert bees.link == "https://orchard.example.org/stories/bees"
    assert bees.author == "The Orchard Row desk"  # the feed's author
    assert [b.text for b in bees.blocks] == [
        "Hives are back on the hill.",
        "Volunteers counted twelve of them.",
    ]
    assert bees.title.startswith("Hives are back on the hill.")


def test_json_feed_detected_without_content_type_and_with_bom() -> None:
    body = b"\xef\xbb\xbf \n" + load("jsonfeed.json")
    feed = parse_feed(body, "https://orchard.example.org/feed.json", now=NOW)
    assert feed.title == "Orchard Row Weekly"
    assert len(feed.articles) == 2


def test_json_that_is_not_a_json_feed() -> None:
    with pytest.raises(NotAFeedError, match="could not read it as RSS, Atom or JSON Feed"):
        parse_feed(b'{"version": "1", "items": []}', "https://x.example/f", now=NOW)
    with pytest.raises(NotAFeedError, match="could not read it"):
        parse_feed(b"[1, 2", "https://x.example/f", content_type="application/json", now=NOW)


def test_valid_feed_with_no_items() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    feed = parse_feed(body, "https://quiet.example/rss", now=NOW)
    assert feed.title == "Quiet"
    assert feed.articles == ()
    atom = b'<feed xmlns="http://www.w3.org/2005/Atom"><title>Still</title></feed>'
    assert parse_feed(atom, "https://still.example/atom", now=NOW).articles == ()


# --- identity and missing fields ----------------------------------------------------------------


def test_relative_links() -> None:
    feed = parse("relative_links.xml")
    assert feed.site_link == "https://fixtures.example/"
    first, second = feed.articles
    assert first.link == "https://fixtures.example/posts/one.html"
    spans = [(b.text[s.start : s.end], s.href) for b in first.blocks for s in b.links]
    assert spans == [
        ("the map", "https://fixtures.example/images/map.html"),
        ("the notes", "https://fixtures.example/posts/notes.html"),
        ("A pier at dawn", "https://fixtures.example/posts/pic.png"),
    ]
    assert first.blocks[-1].kind is BlockKind.IMAGE
    # no item link: the feed URL is the base
    assert second.link is None
    (block,) = second.blocks
    assert block.links[0].href == "https://fixtures.example/about"


def test_missing_fields() -> None:
    feed = parse("missing_fields.xml")
    assert feed.title == "fixtures.example"  # no <title>: the host
    keys = [a.key for a in feed.articles]
    assert keys[0] == "l:https://sparse.example.com/a"
    assert keys[1].startswith("h:") and len(keys[1]) == 2 + 40
    assert keys[2] == "l:https://sparse.example.com/c"
    assert all(k.startswith("h:") for k in keys[3:])
    # the last item has no title, no link and no text: there is nothing to show, so it is
    # dropped rather than stored as "(untitled)"
    assert len(set(keys)) == len(keys) == 5

    a, b, c, d, e = feed.articles
    assert a.published == datetime(2025, 2, 4, 10, 0, tzinfo=UTC)
    assert b.title == "No link and no guid" and b.link is None
    # no title: the first words of the text, marked as cut
    assert c.title.startswith("This item has no title at all")
    assert c.title.endswith("…") and len(c.title) <= 81
    assert d.title == "Only a short body."
    assert e.title == "Another short body."
    # no date anywhere: published stays None (the store uses first-seen)
    for article in (c, d, e):
        assert article.published is None and article.updated is None


@pytest.mark.parametrize(
    ("item", "kept"),
    [
        ("<title>Only a title</title>", "Only a title"),
        ("<link>https://sparse.example.com/only-link</link>", "(untitled)"),
        ("<description>Only a body.</description>", "Only a body."),
        ('<guid isPermaLink="false">only-a-guid</guid>', None),
        ("<pubDate>Tue, 04 Feb 2025 11:00:00 GMT</pubDate><author>desk@x.example</author>", None),
        ("<title> </title><description><![CDATA[<p> </p><img src='x.png'>]]></description>", None),
        ("<link>javascript:alert(1)</link><title>\u0007</title>", None),
    ],
)
def test_items_with_nothing_to_show_are_dropped(item: str, kept: str | None) -> None:
    body = (
        '<rss version="2.0"><channel><title>T</title>'
        "<item><guid>anchor</guid><title>Anchor</title></item>"
        f"<item>{item}</item></channel></rss>"
    ).encode()
    titles = [a.title for a in parse_feed(body, "https://sparse.example.com/feed").articles]
    assert titles == ["Anchor"] + ([kept] if kept is not None else [])


def test_json_items_with_nothing_to_show_are_dropped() -> None:
    data = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [
            {"id": "1", "title": "Kept"},
            {"id": "2"},
            {"id": "3", "title": "", "content_html": "<p>  </p>", "url": "ftp://x.example/"},
            {"id": "4", "url": "https://sparse.example.com/4"},
            {"id": "5", "content_text": "Words."},
        ],
    }
    feed = parse_feed(json.dumps(data).encode(), "https://sparse.example.com/feed.json")
    assert [(a.key, a.title) for a in feed.articles] == [
        ("g:1", "Kept"),
        ("g:4", "(untitled)"),
        ("g:5", "Words."),
    ]


def test_hash_keys_are_stable() -> None:
    first = [a.key for a in parse("missing_fields.xml").articles]
    again = [a.key for a in parse("missing_fields.xml").articles]
    assert first == again


def test_duplicate_keys_keep_first() -> None:
    feed = parse("duplicate_guids.xml")
    assert [(a.key, a.title) for a in feed.articles] == [
        ("g:same-guid", "First telling"),
        ("g:other-guid", "Different story"),
        ("l:https://echo.example.com/shared", "No guid, shared link A"),
    ]


def test_permalink_guid_that_is_not_a_url_is_not_a_link() -> None:
    body = (
        b'<rss version="2.0"><channel><title>T</title>'
        b"<item><title>x</title><guid>12345</guid></item>"
        b"<item><title>y</title><guid>https://ok.example/y</guid></item></channel></rss>"
    )
    x, y = parse_feed(body, "https://feed.example/rss", now=NOW).articles
    assert x.key == "g:12345" and x.link is None
    assert y.link == "https://ok.example/y"


# --- encodings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "title", "item_title"),
    [
        ("latin1_declared.xml", "Café crème", "Naïve résumé £ 5"),
        ("cp1252_undeclared.xml", "Quote Corner", "“Smart quotes” cost €3 — today"),
        ("utf8_bom.xml", "Łódź Daily", "Żółw na plaży"),
        ("utf16_bom.xml", "日刊 テスト", "港のニュース"),
    ],
)
def test_encodings(name: str, title: str, item_title: str) -> None:
    feed = parse(name)
    assert feed.title == title
    (article,) = feed.articles
    assert article.title == item_title


def test_http_charset_used_when_document_does_not_declare_one() -> None:
    body = '<rss version="2.0"><channel><title>Señal</title></channel></rss>'.encode("iso-8859-1")
    feed = parse_feed(
        body, "https://x.example/f", content_type="text/xml; charset=ISO-8859-1", now=NOW
    )
    assert feed.title == "Señal"


def test_document_declaration_beats_a_wrong_http_charset() -> None:
    body = load("utf8_bom.xml")
    feed = parse_feed(body, "https://x.example/f", content_type="text/xml; charset=iso-8859-1")
    assert feed.title == "Łódź Daily"


def test_whitespace_before_xml_declaration_is_not_malformed() -> None:
    feed = parse_feed(b"\n\n  " + load("rss20.xml"), "https://x.example/f", now=NOW)
    assert feed.bozo_message is None
    assert len(feed.articles) == 3


# --- broken, hostile, not a feed --------------------------------------------------------------


def test_bozo_feed_keeps_items() -> None:
    feed = parse("bozo.xml")
    assert feed.bozo_message is not None
    assert "malformed XML" in feed.bozo_message
    assert [a.title for a in feed.articles] == [
        "Fish & chips shop reopens",
        "Lighthouse gets a new lamp",
    ]
    assert feed.articles[0].link == "https://broken.example.com/fish"


def test_hostile_text_comes_out_clean() -> None:
    feed = parse("hostile.xml")
    for field in all_text_fields(feed):
        assert_safe(field)
    assert feed.title == "[b]Bold[/b] Red Feed"
    h1, h2, h3 = feed.articles
    # markup-like brackets are text, kept literally
    assert h1.title == "[b]Breaking[/] news [@click=app.quit]now[/]"
    # javascript: item link and javascript:/data:/file: anchors: text kept, no link
    assert h1.link is None
    assert h1.text == "Click here or there or file."
    assert all(block.links == () for block in h1.blocks)
    assert h2.title.startswith("Escapes link and title")
    assert "evil.example" not in h2.title and "pwned" not in h2.title
    assert h2.text == "Bidi evil isolate x nul bel del done"
    assert h3.title == "[link=https://evil.example]spoof[/link] gnp.exe"
    assert h3.author == "[red]Mallory[/red]"


def test_external_entities_are_never_read() -> None:
    passwd = Path("/etc/passwd")
    secret = passwd.read_text().splitlines()[0] if passwd.exists() else "root:x:0:0"
    feed = parse("xxe.xml")
    dumped = repr(feed)
    assert secret not in dumped
    assert "root:" not in dumped
    assert feed.articles[0].key == "g:xxe-1"


def test_billion_laughs_does_not_expand() -> None:
    feed = parse("billion_laughs.xml")
    assert len(repr(feed)) < 10_000
    assert [a.key for a in feed.articles] == ["g:lol-1"]


@pytest.mark.parametrize("body", [b"", b"   \n\t", b"\xef\xbb\xbf", b"\xef\xbb\xbf  \r\n"])
def test_empty_body(body: bytes) -> None:
    with pytest.raises(NotAFeedError) as info:
        parse_feed(body, "https://x.example/f")
    assert str(info.value) == "empty response: the server sent no content"


def test_html_page_that_links_to_a_feed() -> None:
    with pytest.raises(NotAFeedError) as info:
        parse_feed(load("page_with_feed.html"), "https://lakeside.example.com/", now=NOW)
    # The error says where the feed is, and how to subscribe to it.
    assert str(info.value) == (
        "not a feed: this is an HTML page "
        "(it links to a feed at https://lakeside.example.com/feeds/all.rss: "
        "newsreader add https://lakeside.example.com/feeds/all.rss subscribes to it)"
    )
    assert info.value.feed_url == "https://lakeside.example.com/feeds/all.rss"


def test_html_page_without_feed_link() -> None:
    with pytest.raises(NotAFeedError) as info:
        parse_feed(load("page_without_feed.html"), "https://plain.example/", now=NOW)
    # No feed to point at: the error says how one is found from a page that has one.
    assert str(info.value) == (
        "not a feed: this is an HTML page, and it links to no feed "
        "(newsreader add finds the feed of a page that links to one)"
    )
    assert info.value.feed_url is None


def test_html_fragment_without_html_tag() -> None:
    body = b"<head><title>Moved</title></head><body>It moved <a href='/new'>here</a></body>"
    with pytest.raises(NotAFeedError, match="this is an HTML page"):
        parse_feed(body, "https://moved.example/", now=NOW)


def test_feed_with_xhtml_doctype_is_still_a_feed() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        b'<rss version="2.0"><channel><title>Odd</title><item><title>i</title>'
        b"<guid>1</guid></item></channel></rss>"
    )
    feed = parse_feed(body, "https://odd.example/", now=NOW)
    assert feed.title == "Odd" and len(feed.articles) == 1


@pytest.mark.parametrize(
    "body",
    [b"hello, world", b"<foo><bar/></foo>", b"\x89PNG\r\n\x1a\n\x00\x00\x00", b"\x00" * 5 + b"x"],
)
def test_junk_is_not_a_feed(body: bytes) -> None:
    with pytest.raises(NotAFeedError) as info:
        parse_feed(body, "https://junk.example/", now=NOW)
    assert str(info.value) == "not a feed: could not read it as RSS, Atom or JSON Feed"


def test_find_feed_links() -> None:
    links = find_feed_links(load("page_with_feed.html"), "https://lakeside.example.com/news/")
    assert links == [
        "https://lakeside.example.com/feeds/all.rss",
        "https://lakeside.example.com/feeds/all.atom",
        "https://lakeside.example.com/news/feeds/all.json",
    ]
    assert find_feed_links(load("page_without_feed.html"), "https://x.example/") == []
    as_text = load("page_with_feed.html").decode("utf-8")
    assert find_feed_links(as_text, "https://lakeside.example.com/")[0] == (
        "https://lakeside.example.com/feeds/all.rss"
    )
    assert find_feed_links("", "https://x.example/") == []
    assert find_feed_links(b"\x00\xff garbage <link", "https://x.example/") == []


# --- process boundary and speed ---------------------------------------------------------------


def test_results_and_errors_pickle() -> None:
    feed = parse("rss20.xml")
    assert pickle.loads(pickle.dumps(feed)) == feed
    error = NotAFeedError("not a feed: this is an HTML page", "https://x.example/rss")
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.feed_url == "https://x.example/rss"


def test_parse_in_a_worker_process() -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        feed = pool.submit(
            parse_feed, load("atom.xml"), "https://canal.example.com/atom.xml"
        ).result()
        assert feed.title == "Canal Street Notes"
        with pytest.raises(NotAFeedError, match="empty response"):
            pool.submit(parse_feed, b"", "https://x.example/").result()


def test_default_now_is_aware_utc() -> None:
    feed = parse_feed(load("rss20.xml"), "https://gazette.example.org/rss")
    regatta = feed.articles[2]
    assert regatta.published is not None and regatta.published.tzinfo is not None
    assert regatta.published.year < 2100


def test_many_items_all_parse() -> None:
    items = "".join(
        f"<item><title>Story number {i} about the harbour</title>"
        f"<link>https://speed.example/s/{i}</link><guid>s-{i}</guid>"
        f"<pubDate>Mon, 06 Jan 2025 09:{i % 60:02d}:00 GMT</pubDate>"
        f"<description>&lt;p&gt;Paragraph {i} with a &lt;a href='/x/{i}'&gt;link&lt;/a&gt; "
        f"and some words to read.&lt;/p&gt;</description></item>"
        for i in range(500)
    )
    body = f'<rss version="2.0"><channel><title>Speed</title>{items}</channel></rss>'.encode()
    feed = parse_feed(body, "https://speed.example/rss", now=NOW)
    assert len(feed.articles) == 500
    assert feed.articles[499].blocks[0].links[0].href == "https://speed.example/x/499"


_FEEDISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                '<?xml version="1.0"?>',
                '<rss version="2.0">',
                "<channel>",
                "<item>",
                "</item>",
                "<title>",
                "</title>",
                "<guid>",
                "</guid>",
                "<link>",
                "</link>",
                "<description>",
                "</description>",
                "<pubDate>",
                "Mon, 06 Jan 2025 09:00:00 GMT",
                "&lt;p&gt;",
                "&amp;",
                "<![CDATA[<a href='javascript:x'>",
                "]]>",
                '<feed xmlns="http://www.w3.org/2005/Atom">',
                "<entry>",
                "</entry>",
                "\x1b[31m",
                "\x00",
                "\u202e",
            ]
        ),
        st.text(max_size=10),
    ),
    max_size=30,
).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass"))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=300), _FEEDISH))
def test_property_any_body_parses_or_is_not_a_feed(body: bytes) -> None:
    try:
        feed = parse_feed(body, "https://fuzz.example/feed", now=NOW)
    except NotAFeedError as exc:
        assert str(exc).startswith(("empty response", "not a feed"))
        return
    for field in all_text_fields(feed):
        assert_safe(field)
    for article in feed.articles:
        assert article.title
        assert article.key[:2] in ("g:", "l:", "h:")
        assert article.link is None or article.link.startswith(("http://", "https://"))
        for when in (article.published, article.updated):
            assert when is None or (when.tzinfo is not None and when <= NOW + timedelta(days=1))
