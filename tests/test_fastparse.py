"""The lxml fast path for RSS and Atom (``newsreader.feeds.fastparse``) against feedparser.

Differential: every document goes through ``parse_feed`` twice, once with feedparser doing the
XML and once with the fast path, and the two ``ParsedFeed`` records (or the two errors) must be
equal. The fast path may decline a document (then feedparser runs anyway); the plain
well-formed feeds below must not be declined, so the tests fail if it silently always falls
back. All feed text here is original.
"""

from __future__ import annotations

import copy
import importlib.util
import inspect
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import feedparser
import pytest
from lxml import etree

import newsreader.feeds.parse as parse_module
from newsreader.feeds import fastparse
from newsreader.feeds.parse import parse_feed

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://reader.example/feeds/feed.xml"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CANARY = "FASTPARSE-SECRET-51c0de"

_REAL_FAST_ENTRIES = fastparse.fast_entries


def _declined(body: bytes, content_type: str) -> None:
    return None


class _Engine:
    """Stands in for the feedparser module inside ``parse.py``: ``parse`` tries the fast path
    first when ``fast`` is set; everything else is feedparser's."""

    def __init__(self, fast: bool) -> None:
        self.fast = fast
        self.took_fast_path = False

    def __getattr__(self, name: str) -> Any:
        return getattr(feedparser, name)

    def parse(self, stream: Any, **kwargs: Any) -> Any:
        if self.fast:
            content_type = kwargs["response_headers"]["content-type"]
            result = _REAL_FAST_ENTRIES(stream.getvalue(), content_type)
            if result is not None:
                self.took_fast_path = True
                return result
        return feedparser.parse(stream, **kwargs)


def run(body: bytes, *, fast: bool, content_type: str | None = None) -> tuple[object, bool]:
    """``parse_feed``'s result (or its error, as a tuple) and whether the fast path gave it.

    Any hook ``parse.py`` has into the fast path is switched off, so that ``fast`` alone
    decides which engine reads the XML."""
    engine = _Engine(fast)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parse_module, "feedparser", engine)
        patch.setattr(fastparse, "fast_entries", _declined)
        patch.setattr(parse_module, "fast_entries", _declined, raising=False)
        try:
            outcome: object = parse_feed(body, URL, content_type=content_type, now=NOW)
        except Exception as exc:
            outcome = (type(exc).__name__, str(exc))
    return outcome, engine.took_fast_path


def same_either_way(body: bytes, content_type: str | None = None) -> bool:
    """Assert both engines agree; return whether the fast path was taken."""
    reference, took_reference = run(body, fast=False, content_type=content_type)
    assert not took_reference
    fast, took = run(body, fast=True, content_type=content_type)
    assert fast == reference
    return took


# --- original documents ---------------------------------------------------------------------

RSS20 = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:atom="http://www.w3.org/2005/Atom"
     xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
     xmlns:slash="http://purl.org/rss/1.0/modules/slash/"
     xmlns:lantern="https://lantern.example/ns/1.0">
<channel xml:base="https://lighthouse.example.net/">
  <title>Lighthouse Keepers&#8217; Bulletin</title>
  <link>https://lighthouse.example.net/</link>
  <atom:link href="https://lighthouse.example.net/feed.xml" rel="self" type="application/rss+xml"/>
  <description>News from the &lt;b&gt;north&lt;/b&gt; coast &amp; its lamps</description>
  <language>en-IE</language>
  <sy:updatePeriod>hourly</sy:updatePeriod>
  <sy:updateFrequency>2</sy:updateFrequency>
  <image><url>/logo.png</url><title>Bulletin logo</title>
    <link>https://lighthouse.example.net/about</link><width>88</width></image>
  <lantern:region code="north">Northern coast</lantern:region>
  <item>
    <title>Lamp room repainted &#x2014; in &lt;em&gt;storm grey&lt;/em&gt;</title>
    <link>/news/lamp-room?part=1&amp;view=full</link>
    <guid>https://lighthouse.example.net/news/lamp-room</guid>
    <pubDate>Mon, 03 Feb 2025 09:15:00 +0100</pubDate>
    <dc:creator>Oona Farrelly</dc:creator>
    <dc:creator>Brendan Kells</dc:creator>
    <category>Maintenance</category>
    <category domain="https://lighthouse.example.net/tags">paint</category>
    <description><![CDATA[<p>The lamp room got <b>two coats</b> of paint.</p>]]></description>
    <content:encoded><![CDATA[<p>The lamp room got <b>two coats</b> of paint, and the
      brass was polished &amp; sealed.</p><p><img src="/img/lamp.jpg" alt="The lamp"> More
      <a href="/news/brass">on the brass</a>.</p>]]></content:encoded>
    <media:content url="https://lighthouse.example.net/img/lamp.jpg" medium="image" width="800">
      <media:title>Lamp room, after</media:title>
      <media:description type="plain">Fresh paint on the lamp room walls.</media:description>
      <media:credit role="photographer">Oona Farrelly</media:credit>
    </media:content>
    <media:thumbnail url="https://lighthouse.example.net/img/lamp-small.jpg"/>
    <comments>/news/lamp-room#comments</comments>
    <slash:comments>4</slash:comments>
  </item>
  <item>
    <title>Fog signal test on Saturday</title>
    <guid isPermaLink="false">bulletin-fog-0042</guid>
    <atom:link rel="alternate" href="https://lighthouse.example.net/news/fog-test"/>
    <dc:date>2025-02-01T07:00:00Z</dc:date>
    <author>harbourmaster@lighthouse.example.net (Aine Costigan)</author>
    <description>The fog signal will sound &lt;i&gt;every ten minutes&lt;/i&gt; from noon.</description>
    <media:description>Long test of the horn.</media:description>
    <enclosure url="https://lighthouse.example.net/audio/horn.mp3" length="12345" type="audio/mpeg"/>
    <source url="https://harbour.example.org/rss">Harbour Office</source>
  </item>
  <item>
    <description>Keepers' rota for March is posted in the hut. Nothing else to report.</description>
    <pubDate>Sun, 02 Feb 2025 18:00:00 GMT</pubDate>
  </item>
  <item xml:base="https://archive.example.net/2024/">
    <title>Archive: the 1924 storm</title>
    <link>storm-1924.html</link>
    <guid isPermaLink="true">storm-1924.html</guid>
    <description>First description.</description>
    <description>A second, longer description that feedparser turns into content.</description>
    <pubDate>not a date at all</pubDate>
  </item>
  <item>
    <title>Tide tables &amp; notices</title>
    <link>https://lighthouse.example.net/tides</link>
    <media:group>
      <media:content url="https://lighthouse.example.net/img/tides.png" type="image/png">
        <media:title>Tides chart</media:title>
      </media:content>
      <media:thumbnail url="https://lighthouse.example.net/img/tides-t.png"/>
    </media:group>
    <description>Spring tides this week: take care on the causeway.</description>
    <dc:date>2025-01-30</dc:date>
    <pubDate>Thu, 30 Jan 2025 06:00:00 +0000</pubDate>
  </item>
</channel>
</rss>
"""

RDF = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/"
         xmlns:content="http://purl.org/rss/1.0/modules/content/"
         xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
  <channel rdf:about="https://orchard.example.org/">
    <title>Orchard Cooperative Notes</title>
    <link>https://orchard.example.org/</link>
    <description>What grows, what&#39;s ripe, who&#8217;s picking.</description>
    <dc:language>cy</dc:language>
    <sy:updatePeriod>daily</sy:updatePeriod>
    <image rdf:resource="https://orchard.example.org/logo.png"/>
    <items>
      <rdf:Seq>
        <rdf:li rdf:resource="https://orchard.example.org/notes/pears"/>
        <rdf:li rdf:resource="https://orchard.example.org/notes/cider"/>
      </rdf:Seq>
    </items>
    <textinput rdf:resource="https://orchard.example.org/search"/>
  </channel>
  <image rdf:about="https://orchard.example.org/logo.png">
    <title>Orchard logo</title>
    <url>https://orchard.example.org/logo.png</url>
    <link>https://orchard.example.org/</link>
  </image>
  <item rdf:about="https://orchard.example.org/notes/pears">
    <title>Pears ripe on the west row</title>
    <link>https://orchard.example.org/notes/pears</link>
    <description>Bring ladders &amp; baskets; the &lt;em&gt;Conference&lt;/em&gt; pears are
      ready.</description>
    <dc:creator>Gwen Pryderi</dc:creator>
    <dc:date>2025-09-14T08:30:00+01:00</dc:date>
    <dc:subject>harvest</dc:subject>
  </item>
  <item rdf:about="https://orchard.example.org/notes/cider">
    <title>Cider pressing &#8211; volunteers wanted</title>
    <link>https://orchard.example.org/notes/cider</link>
    <content:encoded>&lt;p&gt;The press runs &lt;strong&gt;all weekend&lt;/strong&gt;.&lt;/p&gt;</content:encoded>
    <dc:date>2025-09-12</dc:date>
  </item>
  <textinput rdf:about="https://orchard.example.org/search">
    <title>Search</title>
    <description>Search the notes</description>
    <name>q</name>
    <link>https://orchard.example.org/search</link>
  </textinput>
</rdf:RDF>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-NZ" xml:base="https://ferry.example.co.nz/"
      xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <title type="html">Ferry &amp;amp; Wharf Log</title>
  <subtitle>Sailings, delays &amp; the odd dolphin</subtitle>
  <link href="/"/>
  <link rel="self" href="/atom.xml"/>
  <id>tag:ferry.example.co.nz,2025:log</id>
  <updated>2025-04-02T09:00:00Z</updated>
  <rights type="text">© Ferry Log volunteers</rights>
  <author><name>Wharf Desk</name><email>desk@ferry.example.co.nz</email></author>
  <entry>
    <title>Morning sailing delayed</title>
    <link rel="alternate" type="text/html" href="/log/delay-0402"/>
    <link rel="enclosure" type="image/jpeg" href="/img/fog.jpg" length="2048"/>
    <id>tag:ferry.example.co.nz,2025:delay-0402</id>
    <published>2025-04-02T06:10:00+12:00</published>
    <updated>2025-04-02T07:00:00+12:00</updated>
    <author><name>Hemi Walker</name><uri>/people/hemi</uri></author>
    <contributor><name>Kiri Otene</name></contributor>
    <category term="delays" label="Delays"/>
    <summary type="html">&lt;p&gt;Fog at the heads held the &lt;b&gt;7:10&lt;/b&gt;.&lt;/p&gt;</summary>
    <content type="xhtml" xml:base="/log/">
      <div xmlns="http://www.w3.org/1999/xhtml">
        <p>Fog at the heads held the <b>7:10</b> for forty minutes &amp; more.</p>
        <p><a href="delay-0402#map" title="Map &quot;here&quot;">See the map</a><br/>Hourly.</p>
        <ul><li>First</li><li>Second &lt;ok&gt;</li></ul>
      </div>
    </content>
  </entry>
  <entry>
    <title type="text">Dolphins &lt;3 the wake</title>
    <id>https://ferry.example.co.nz/log/dolphins</id>
    <updated>2025-04-01T15:20:00Z</updated>
    <summary type="text">A pod of &lt;about twelve&gt; followed the afternoon boat.</summary>
    <source>
      <title>Marine Watch</title>
      <id>tag:marine.example,2025:watch</id>
      <updated>2025-04-01T00:00:00Z</updated>
    </source>
    <media:group><media:thumbnail url="https://ferry.example.co.nz/img/dolphin-t.jpg"/></media:group>
  </entry>
  <entry>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Wharf <em>closed</em></div></title>
    <link href="log/wharf-closed"/>
    <id>tag:ferry.example.co.nz,2025:wharf</id>
    <updated>2025-03-30T12:00:00Z</updated>
    <content type="html">&lt;p&gt;Use the &lt;a href="/map#south"&gt;south wharf&lt;/a&gt;.&lt;/p&gt;</content>
    <summary>Use the south wharf until Friday.</summary>
  </entry>
  <entry>
    <id>tag:ferry.example.co.nz,2025:notice</id>
    <updated>2025-03-29T12:00:00Z</updated>
    <content type="text">Timetable notice: Sunday sailings start at 9.
Second line of the notice.</content>
    <dc:creator>Timetable Office</dc:creator>
  </entry>
</feed>
"""

RSS091_LATIN1 = """<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="0.91">
<channel>
<title>Village Pump Newsletter</title>
<link>http://pump.example.org/</link>
<description>Parish notices</description>
<language>en_gb</language>
<item>
<title>Caf\xe9 reopens on the green</title>
<link>http://pump.example.org/cafe</link>
<description>New owners, same scones. Cr\xe8me teas from Tuesday.</description>
</item>
</channel>
</rss>
"""

# Quirks feedparser has and the fast path must share: an xml:base that outlives its item (the
# parent's base is empty, so it is never restored), a permalink guid standing in for a missing
# link, the first of two titles winning, a media:title that only fills a missing title, dates
# in several elements, Atom XHTML with and without the wrapping div.
QUIRKS_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">
<channel>
<title>Quirk Gazette</title><title>Second title, ignored</title>
<item xml:base="https://quirks.example/first/">
  <title>First</title><title>Also first?</title>
  <link>one.html</link>
</item>
<item>
  <title>Inherits the base</title>
  <link>two.html</link>
  <dcterms:modified>2024-12-01T10:00:00Z</dcterms:modified>
</item>
<item>
  <guid>https://quirks.example/guid-is-the-link</guid>
  <media:content url="https://quirks.example/pic.jpg"><media:title>Caption only</media:title></media:content>
  <dc:date>2024-11-30T08:00:00-05:00</dc:date>
  <pubDate>Sat, 30 Nov 2024 12:00:00 GMT</pubDate>
</item>
<item>
  <title>Caf\u00c3\u00a9 mojibake and \u0093smart\u0094 quotes</title>
  <link>https://quirks.example/q?a=1&amp;amp;b=2</link>
  <author>Plain Name</author>
  <dc:creator>Second Name</dc:creator>
</item>
</channel>
</rss>
"""

QUIRKS_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:x="https://ext.example/ns">
<title>Quirk Atom</title>
<entry>
  <id>urn:quirk:1</id>
  <title>No div</title>
  <content type="xhtml"><p xmlns="http://www.w3.org/1999/xhtml">Bare <i>paragraph</i></p></content>
  <x:note kind="aside">Extension text</x:note>
</entry>
<entry>
  <id>urn:quirk:2</id>
  <title>Two divs</title>
  <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">One</div><div
    xmlns="http://www.w3.org/1999/xhtml">Two</div></content>
  <updated>2024-10-01T00:00:00+02:00</updated>
</entry>
<entry>
  <link href="https://quirks.example/atom/3"/>
  <id>urn:quirk:3</id>
  <summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"> <!-- note -->Text
    <?pi here?> around a comment</div></summary>
  <author><name>Ana</name><email>ana@quirks.example</email></author>
  <author><name>Ben</name></author>
</entry>
</feed>
"""

ORIGINAL_DOCUMENTS = {
    "rss20": RSS20.encode(),
    "rdf": RDF.encode(),
    "atom": ATOM.encode(),
    "rss091_latin1": RSS091_LATIN1.encode("latin-1"),
    "quirks_rss": QUIRKS_RSS.encode(),
    "quirks_atom": QUIRKS_ATOM.encode(),
}


@pytest.mark.parametrize("name", sorted(ORIGINAL_DOCUMENTS))
def test_original_documents_take_the_fast_path_and_match(name: str) -> None:
    assert same_either_way(ORIGINAL_DOCUMENTS[name])


def test_the_documents_are_read_in_full() -> None:
    """Equal to feedparser, and not equally empty: the namespaces' content arrives."""
    feed, _ = run(ORIGINAL_DOCUMENTS["rss20"], fast=True)
    assert not isinstance(feed, tuple)
    lamp, fog, rota, storm, tides = feed.articles
    assert lamp.author == "Oona Farrelly"
    assert "brass was polished & sealed" in lamp.text  # content:encoded wins
    assert lamp.link == "https://lighthouse.example.net/news/lamp-room?part=1&view=full"
    assert fog.link == "https://lighthouse.example.net/news/fog-test"  # atom:link in RSS
    assert fog.author == "Aine Costigan"
    assert rota.title.startswith("Keepers' rota")
    assert storm.link == "https://archive.example.net/2024/storm-1924.html"
    assert tides.published == datetime(2025, 1, 30, 6, 0, tzinfo=UTC)
    assert feed.ttl_seconds == 1800 and feed.language == "en-IE"

    atom, _ = run(ORIGINAL_DOCUMENTS["atom"], fast=True)
    assert not isinstance(atom, tuple)
    assert atom.title == "Ferry & Wharf Log"
    assert "forty minutes & more" in atom.articles[0].text
    assert atom.articles[0].link == "https://ferry.example.co.nz/log/delay-0402"


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/rss+xml",
        "text/xml",
        "text/xml; charset=iso-8859-1",
        "application/xml; charset=windows-1252",
        "text/html; charset=utf-8",
        "application/atom+xml; charset=bogus",
    ],
)
def test_content_types_decide_the_encoding_as_for_feedparser(content_type: str | None) -> None:
    for body in ORIGINAL_DOCUMENTS.values():
        same_either_way(body, content_type)


# --- fixtures and generated feeds ---------------------------------------------------------


def _fixture_files() -> list[Path]:
    return sorted(
        p
        for p in FIXTURES.rglob("*")
        if p.is_file() and p.suffix in (".xml", ".rdf", ".xhtml", ".bin", ".html")
    )


def _fixture_body(path: Path, tmp_path: Path) -> bytes:
    secret = tmp_path / "secret.txt"
    secret.write_text(CANARY + "\n")
    return path.read_bytes().replace(b"@SECRET_URI@", secret.as_uri().encode())


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_feeds_match(path: Path, tmp_path: Path) -> None:
    same_either_way(_fixture_body(path, tmp_path))


# Plain well-formed feeds among the fixtures: the fast path must read these itself.
PLAIN_FIXTURES = [
    "feeds/atom.xml",
    "feeds/rss20.xml",
    "feeds/rss10.rdf",
    "feeds/relative_links.xml",
    "feeds/missing_fields.xml",
    "feeds/duplicate_guids.xml",
    "feeds/latin1_declared.xml",
    "feeds/cp1252_undeclared.xml",
    "feeds/utf8_bom.xml",
    "feeds/utf16_bom.xml",
    "hostile/atom_dates_odd.xml",
    "hostile/cdata_tricks.xml",
    "hostile/mixed_rss_atom.xml",
    "hostile/unsafe_links_atom.xml",
    "hostile/utf32le_bom.xml",
]


@pytest.mark.parametrize("name", PLAIN_FIXTURES)
def test_plain_fixtures_take_the_fast_path(name: str, tmp_path: Path) -> None:
    assert same_either_way(_fixture_body(FIXTURES / name, tmp_path))


def _benchmark_feedserver() -> ModuleType:
    name = "newsreader_bench_feedserver"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "feedserver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("index", [0, 1, 7])
def test_generated_benchmark_feeds_take_the_fast_path(index: int) -> None:
    server = _benchmark_feedserver()
    assert same_either_way(server.generated_feed(index, 50, 0))
    entries = "".join(server.generated_item(index, n, True) for n in range(20))
    atom = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Generated {index}</title>{entries}</feed>"
    )
    assert same_either_way(atom.encode())


# --- mutated documents ----------------------------------------------------------------------

_NAMESPACES = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "media": "http://search.yahoo.com/mrss/",
    "atom": "http://www.w3.org/2005/Atom",
    "x": "https://unknown.example/ns",
    "xhtml": "http://www.w3.org/1999/xhtml",
}
_NAMES = [
    "title", "link", "description", "summary", "content", "guid", "id", "pubDate", "published",
    "updated", "author", "name", "email", "uri", "url", "dc:creator", "dc:date", "dc:title",
    "content:encoded", "media:description", "media:title", "media:content", "media:thumbnail",
    "image", "textinput", "source", "category", "enclosure", "ttl", "language", "comments",
    "date", "x:thing", "atom:link", "atom:summary", "item", "entry", "width", "xhtml:div", "br",
]  # fmt: skip
_ATTRIBUTES = [
    ("{http://www.w3.org/XML/1998/namespace}base", ["https://base.example/a/", "rel/", ""]),
    ("{http://www.w3.org/XML/1998/namespace}lang", ["en", "", "pt_BR"]),
    ("type", ["html", "xhtml", "text", "TEXT", "text/plain", "application/xml"]),
    ("isPermaLink", ["true", "false", "True"]),
    ("rel", ["alternate", "self", "enclosure"]),
    ("href", ["https://h.example/x?a=1&b=2", "/rel/path", ""]),
    ("url", ["https://u.example/img.jpg"]),
    ("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about", ["https://about.example/item"]),
]
_TEXTS = [
    "Plain words", "A &amp; B", "Tom & Jerry", "<b>bold</b> text", "&lt;p&gt;escaped&lt;/p&gt;",
    "  spaced  \n ", "", "caf\u00e9", "mojibake \u00c3\u00a9", "c1 \x85 \x92", "rel/link.html",
    "Mon, 03 Feb 2025 09:15:00 +0100", "2025-02-01T07:00:00Z", "jane@example.org (Jane Roe)",
]  # fmt: skip


def _mutate(root: etree._Element, rng: random.Random) -> None:
    """One random change: duplicate, drop, move or rename an element, set an attribute or
    a text, add a comment or a child."""
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    element = rng.choice(elements)
    parent = element.getparent()
    choice = rng.randrange(8)
    if choice == 0 and parent is not None:
        element.addnext(copy.deepcopy(element))
    elif choice == 1 and parent is not None:
        parent.remove(element)
    elif choice == 2 and parent is not None:
        target = rng.choice(elements)
        if target is not element and element not in target.iterancestors():
            parent.remove(element)
            target.insert(rng.randrange(len(target) + 1), element)
    elif choice == 3 and parent is not None:
        name = rng.choice(_NAMES)
        prefix, _, local = name.rpartition(":")
        element.tag = f"{{{_NAMESPACES[prefix]}}}{local}" if prefix else local
    elif choice == 4:
        key, values = rng.choice(_ATTRIBUTES)
        element.set(key, rng.choice(values))
    elif choice == 5:
        element.text = rng.choice(_TEXTS)
    elif choice == 6:
        comment = etree.Comment(" aside ")
        comment.tail = rng.choice(["", "after"])
        element.insert(rng.randrange(len(element) + 1), comment)
    else:
        child = etree.SubElement(element, "title" if rng.random() < 0.3 else "extra")
        child.text = rng.choice(_TEXTS)


def _mutations(seed: int, count: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, strip_cdata=False)
    sources = list(ORIGINAL_DOCUMENTS.values())
    for _ in range(count):
        root = etree.fromstring(rng.choice(sources), parser)
        for _ in range(rng.randint(1, 4)):
            _mutate(root, rng)
        yield etree.tostring(root, xml_declaration=True, encoding="utf-8")


@pytest.mark.parametrize("seed", range(4))
def test_mutated_documents_match(seed: int) -> None:
    taken = [same_either_way(body) for body in _mutations(seed, 60)]
    assert sum(taken) > len(taken) // 2  # most mutants are still plain feeds


# --- what the fast path declines ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"<?xml version='1.0'?><urlset><url><loc>https://s.example/</loc></url></urlset>",
        b"<feed xmlns='http://purl.org/atom/ns#' version='0.3'><title>Old Atom</title></feed>",
        b"<rss version='2.0'><channel><title>Cut off</title><item><title>x</title></channel>",
        b"<rss version='2.0'><channel><title>Undefined &nbsp; entity</title></channel></rss>",
        b"<rss version='2.0'><channel><title>Raw <b>markup</b></title></channel></rss>",
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><content type='image/png'>"
        b"iVBORw0KGgo=</content></entry></feed>",
    ],
    ids=["unknown-root", "atom-0.3", "malformed", "undefined-entity", "markup-in-text", "base64"],
)
def test_declines_what_it_does_not_reproduce(body: bytes) -> None:
    assert fastparse.fast_entries(body, "application/xml") is None
    same_either_way(body)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<rss version="2.0"><channel><title>Bomb &d;</title></channel></rss>
"""


def test_documents_with_a_dtd_are_never_parsed_here(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(CANARY)
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY leak SYSTEM "{secret.as_uri()}">]>'
        "<rss version='2.0'><channel><title>&leak;</title></channel></rss>"
    ).encode()
    hidden = b"<?xml version='1.0'?><!-- a note --><?pi x?>\n<!DOCTYPE rss><rss version='2.0'/>"
    for body in (BOMB, xxe, hidden):
        assert fastparse.fast_entries(body, "application/xml") is None
    for name in (
        "feeds/billion_laughs.xml",
        "feeds/xxe.xml",
        "hostile/billion_laughs.xml",
        "hostile/billion_laughs_atom.xml",
        "hostile/quadratic_blowup.xml",
        "hostile/xxe_template.xml",
        "hostile/xxe_parameter_template.xml",
        "hostile/xxe_dtd_template.xml",
    ):
        body = _fixture_body(FIXTURES / name, tmp_path)
        assert fastparse.fast_entries(body, "application/xml") is None, name


def test_the_parser_itself_expands_no_entity_and_reads_no_file(tmp_path: Path) -> None:
    """Defence in depth: were a DTD ever to reach lxml, nothing would be expanded or read."""
    secret = tmp_path / "secret.txt"
    secret.write_text(CANARY)
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY leak SYSTEM "{secret.as_uri()}">]>'
        "<rss><title>&leak;</title></rss>"
    ).encode()
    for body in (BOMB, xxe):
        try:
            root = etree.fromstring(body, fastparse._PARSER)
        except etree.XMLSyntaxError:
            continue
        text = etree.tostring(root, encoding="unicode")
        assert CANARY not in text
        assert len(text) < 2_000  # the entity references are still references


# --- the hook in parse.py -------------------------------------------------------------------

_HOOKED = "fast_entries" in inspect.getsource(parse_module._parse_xml_feed)


@pytest.mark.skipif(not _HOOKED, reason="parse.py does not call the fast path yet")
def test_parse_feed_uses_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bool] = []

    def spy(body: bytes, content_type: str) -> fastparse.FastResult | None:
        result = _REAL_FAST_ENTRIES(body, content_type)
        calls.append(result is not None)
        return result

    monkeypatch.setattr(fastparse, "fast_entries", spy)
    monkeypatch.setattr(parse_module, "fast_entries", spy, raising=False)
    reference, _ = run(ORIGINAL_DOCUMENTS["rss20"], fast=False)
    assert parse_feed(ORIGINAL_DOCUMENTS["rss20"], URL, now=NOW) == reference
    assert calls == [True]
