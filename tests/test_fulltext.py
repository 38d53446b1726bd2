"""Full article text: pages fetched from a real server on 127.0.0.1, extracted, cleaned.

The pages under tests/fixtures/pages are written for this project (original text): a news
article wrapped in navigation, a cookie banner, a share bar, a donation plea, a newsletter box,
related links and a footer; a story with mid-article inserts and a trailer after its copyright
line; a windows-1252 page; a sign-in page.
"""

from __future__ import annotations

import multiprocessing
import socket
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from newsreader.feeds.fetch import Fetcher, FetchLimits
from newsreader.feeds.fulltext import (
    MIN_ARTICLE_WORDS,
    FullTextError,
    executor_extractor,
    extract_full_text,
    fetch_full_text,
)
from newsreader.models import BlockKind, FullText, TextBlock
from tests import feedserver
from tests.feedserver import RawServer

PAGES = Path(__file__).parent / "fixtures" / "pages"
HTML = "text/html; charset=utf-8"
FAST = FetchLimits(connect_timeout=2, read_timeout=2, total_timeout=5)
NOW = datetime(2024, 3, 14, 9, 0, tzinfo=UTC)
PAGE_URL = "https://courier.example.net/transport/night-ferries-return"

# The story of article.html, paragraph by paragraph (their openings), in order.
STORY = [
    "The lake's ferry operator will run late crossings again from Monday",
    "Under the new timetable, published on Thursday by Lakeline Ferries",
    '"We heard the same story at every public meeting," said Ilse Varga',
    "The night service was cut in the winter of 2022",
    "A timetable built around shift workers",
    "Planners say they drew the new times from a survey",
    "Not everyone is convinced the boats will fill.",
    "If the boats sail half empty in November",
    "The board has agreed to publish passenger counts every quarter.",
    "boardings on each late sailing, night by night;",
    "the share of riders using monthly passes;",
    "cancellations and the reason given for each.",
    "The first count is due at the end of June",
]
# Page furniture of article.html that must not reach the reader or the entity tagger.
FURNITURE = [
    "cookies",
    "Cookie policy",
    "Accept all",
    "Search the Courier",
    "Share on",
    "Share by email",
    "owned by its readers",
    "donation",
    "Follow us",
    "Mastodon",
    "Google News",
    "newsletter",
    "Sign up",
    "Related articles",
    "Harbour board approves repairs",
    "Read more",
    "The last boat home should not be a luxury",
    "©",
    "All rights reserved",
    "transport correspondent",
    "Most read",
    "Rowing club",
    "About us",
    "Privacy",
    "Terms of use",
]


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def serve(
    server: HTTPServer,
    path: str,
    body: bytes | str,
    content_type: str | None = HTML,
    status: int = 200,
) -> str:
    headers = {"Content-Type": content_type} if content_type else {}
    server.expect_request(path).respond_with_data(body, status=status, headers=headers)
    return server.url_for(path)


async def fetch(url: str, limits: FetchLimits = FAST) -> FullText:
    async with Fetcher(limits) as fetcher:
        return await fetch_full_text(fetcher, url, extract=extract_full_text, now=NOW)


async def fetch_error(url: str, limits: FetchLimits = FAST) -> str:
    with pytest.raises(FullTextError) as caught:
        await fetch(url, limits)
    assert str(caught.value) == caught.value.message
    return caught.value.message


def extract(body: bytes, content_type: str | None = HTML, url: str = PAGE_URL) -> FullText:
    return extract_full_text(body, url, content_type, now=NOW)


def extract_error(body: bytes, content_type: str | None = HTML) -> str:
    with pytest.raises(FullTextError) as caught:
        extract(body, content_type)
    return caught.value.message


def texts(full: FullText) -> list[str]:
    return [b.text for b in full.blocks if b.kind is not BlockKind.IMAGE]


def in_order(blocks: list[str], openings: list[str]) -> bool:
    """Each opening starts some block, and the blocks they start come in this order."""
    positions = []
    for opening in openings:
        hits = [i for i, text in enumerate(blocks) if text.startswith(opening)]
        if not hits:
            return False
        positions.append(hits[0])
    return positions == sorted(positions) and len(set(positions)) == len(positions)


def link_to(blocks: tuple[TextBlock, ...], words: str) -> str:
    """The href of the link whose text is ``words``."""
    for block in blocks:
        for span in block.links:
            if block.text[span.start : span.end] == words:
                return span.href
    raise AssertionError(f"no link on {words!r}")


FILLER = (
    "<p>The harbour authority met on Tuesday evening to discuss the spring repairs to the "
    "east pier, which were delayed by storms in February and by a shortage of timber that "
    "pushed costs up by nearly a third over the winter months.</p>"
)


MORE = (
    "<p>Engineers found that two of the oldest timber piles had rotted below the waterline, "
    "and the contractor has asked for another six weeks and a larger crane to replace them "
    "before the summer ferries begin their longer timetable in the first week of July.</p>"
)


def article_page(*parts: str, title: str = "Harbour notes", head: str = "") -> bytes:
    """A small article page: the given HTML fragments after a paragraph of plain story."""
    body = "".join(parts)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article>{FILLER}{body}</article><footer><a href='/about'>About</a></footer>"
        f"</body></html>"
    ).encode()


# -- the main text ---------------------------------------------------------------------------


async def test_article_keeps_the_story_in_order(server: HTTPServer) -> None:
    url = serve(server, "/transport/night-ferries-return", page("article.html"))
    full = await fetch(url)
    blocks = texts(full)
    assert in_order(blocks, STORY)
    assert len(blocks) == len(STORY)  # nothing else survived
    kinds = {b.text[:30]: b.kind for b in full.blocks}
    assert kinds["A timetable built around shift"] is BlockKind.HEADING
    assert kinds["If the boats sail half empty i"] is BlockKind.QUOTE
    assert kinds["boardings on each late sailing"] is BlockKind.LIST_ITEM
    assert full.fetched == NOW
    assert full.text.startswith("The lake's ferry operator will run late crossings")
    assert full.text.rstrip().endswith("in time for the council's summer budget debate.")
    assert "two boats will leave the east pier at 23:40" in full.html


async def test_article_boilerplate_is_gone(server: HTTPServer) -> None:
    url = serve(server, "/transport/night-ferries-return", page("article.html"))
    full = await fetch(url)
    for words in FURNITURE:
        assert words.lower() not in full.text.lower(), words
        assert words.lower() not in full.html.lower(), words
    # The headline repeats the article's title, which the reader already shows.
    assert "Night ferries return to the lake" not in full.text


async def test_links_and_images_are_kept_absolute(server: HTTPServer) -> None:
    url = serve(server, "/transport/night-ferries-return", page("article.html"))
    full = await fetch(url)
    origin = url.rsplit("/transport/", 1)[0]
    assert link_to(full.blocks, "Lakeline Ferries") == "https://ferries.example.org/timetable"
    assert link_to(full.blocks, "paid apprenticeship") == f"{origin}/local/skipper-apprenticeships"
    images = [b for b in full.blocks if b.kind is BlockKind.IMAGE]
    assert [(b.text, b.links[0].href) for b in images] == [
        (
            "The ferry Aurora moored at the east pier at dusk",
            f"{origin}/media/2024/03/ferry-dock.jpg",
        )
    ]
    assert f'href="{origin}/local/skipper-apprenticeships"' in full.html


async def test_relative_links_resolve_against_the_page_not_the_site(server: HTTPServer) -> None:
    url = serve(server, "/news/farming/frost-fans.html", page("inserts.html"))
    full = await fetch(url)
    expected = url.replace("frost-fans.html", "data/frost-2024.csv")
    assert link_to(full.blocks, "Ledger") == expected


def test_base_href_is_honoured() -> None:
    body = article_page(
        "<p>The full minutes of the meeting are <a href='minutes.html'>published here</a> "
        "for anyone who wants to read them.</p><img src='pier.jpg' alt='The pier'>",
        head="<base href='https://files.example.org/harbour/2024/'>",
    )
    full = extract(body, url="https://news.example.org/story")
    assert link_to(full.blocks, "published here") == (
        "https://files.example.org/harbour/2024/minutes.html"
    )
    image = next(b for b in full.blocks if b.kind is BlockKind.IMAGE)
    assert image.links[0].href == "https://files.example.org/harbour/2024/pier.jpg"


async def test_a_permanent_redirect_moves_the_base(server: HTTPServer) -> None:
    server.expect_request("/old").respond_with_data(
        "", status=301, headers={"Location": "/new/farming/story.html"}
    )
    serve(server, "/new/farming/story.html", page("inserts.html"))
    full = await fetch(server.url_for("/old"))
    assert link_to(full.blocks, "Ledger") == server.url_for("/new/farming/data/frost-2024.csv")


def test_unsafe_links_are_not_kept() -> None:
    body = article_page(
        "<p>Residents can <a href='javascript:alert(1)'>read the plan</a> or "
        "<a href='data:text/html,hi'>see the map</a> before the consultation closes.</p>"
    )
    full = extract(body)
    assert "read the plan" in full.text
    assert all(span.href.startswith("http") for b in full.blocks for span in b.links)
    assert "javascript:" not in "".join(span.href for b in full.blocks for span in b.links)


def test_mid_article_inserts_go_and_the_story_around_them_stays() -> None:
    full = extract(page("inserts.html"), url="https://ledger.example.com/farming/frost-fans")
    blocks = texts(full)
    assert in_order(
        blocks,
        [
            "Apple and cherry growers in the upper valley",
            "Six fans went up in March",
            '"On a clear night the air near the ground',
            "Temperature loggers placed between the rows",
            "The fans are not cheap to run",
            "Growers lower down the valley are watching closely.",
            "A decision on a second round of funding is expected in the autumn.",
        ],
    )
    assert len(blocks) == 7
    for words in [
        "Advertisement",
        "READ MORE",
        "Hail nets",
        "Evening Tide",
        "Valley Ledger 2024",
        "Nobody owns our newsroom",
        "Follow us",
        "Google News",
        "Farming Desk",
        "covers agriculture",
        "Popular",
        "Privacy",
    ]:
        assert words.lower() not in full.text.lower(), words


@pytest.mark.parametrize(
    ("fragment", "kept"),
    [
        # A story about giving is not a donation plea.
        (
            "<p>The lifeboat charity said donations rose by a third this year, and the "
            "contribution from the harbour fund paid for a new engine.</p>",
            "donations rose by a third",
        ),
        # Cookies in a recipe are not a cookie notice.
        (
            "<p>At the market stall we use brown sugar in the cookies, and they sell out "
            "before noon on most Saturdays.</p>",
            "brown sugar in the cookies",
        ),
        # A sentence that starts like a "more" label is still a sentence.
        (
            "<p>More from the council is expected next week, when officials publish the "
            "full figures for the repairs and the timber contract.</p>",
            "More from the council is expected",
        ),
        # A short closing line with no boilerplate in it.
        ("<p>The pier reopens on Friday.</p>", "The pier reopens on Friday."),
        # Social networks named in the news.
        ("<p>The mayor announced the decision on Facebook.</p>", "announced the decision"),
        # Words that open a copyright line, a newsletter box or a sign-in wall, used in a story.
        (
            "<p>Copyright lawyers say the ruling will reach far beyond the harbour.</p>",
            "Copyright lawyers say",
        ),
        (
            "<p>The council's newsletter, delivered to every home, gave the wrong date.</p>",
            "gave the wrong date",
        ),
        (
            "<p>Residents must create an account on the council website to book a slot.</p>",
            "create an account on the council website",
        ),
    ],
)
def test_story_text_that_looks_a_little_like_boilerplate_is_kept(fragment: str, kept: str) -> None:
    assert kept in extract(article_page(fragment)).text


@pytest.mark.parametrize(
    ("fragment", "gone"),
    [
        ("<p>Share this article</p>", "Share this article"),
        ("<p>Advertisement</p>", "Advertisement"),
        ("<p>Tags: harbour, pier, timber</p>", "Tags:"),
        ("<p>Download our free news app for the latest updates.</p>", "news app"),
        (
            "<p>This website uses cookies to improve your browsing. Read our cookie policy.</p>",
            "cookie",
        ),
        (
            "<p>Sign up for Harbour Notes, our free weekly newsletter.</p>",
            "Harbour Notes",
        ),
    ],
)
def test_boilerplate_lines_are_dropped(fragment: str, gone: str) -> None:
    text = extract(article_page(fragment, MORE)).text
    assert gone.lower() not in text.lower()
    assert "The harbour authority met on Tuesday" in text
    assert "Engineers found that two of the oldest timber piles" in text


def test_a_photo_credit_does_not_end_the_story() -> None:
    body = article_page(
        MORE,
        "<img src='/pier.jpg' alt='The pier'><p>© Harbour Photo Agency</p>",
        "<p>Work on the north side starts in June.</p>",
        "<p>The pier will stay open to walkers throughout.</p>",
    )
    text = extract(body).text
    assert "Work on the north side starts in June." in text
    assert text.endswith("The pier will stay open to walkers throughout.")
    assert "Photo Agency" not in text


def test_a_headline_not_matching_the_title_is_kept() -> None:
    body = article_page("<h2>What the repairs will cost</h2>" + FILLER, title="Harbour notes")
    assert "What the repairs will cost" in texts(extract(body))


# -- encodings -------------------------------------------------------------------------------


def test_charset_from_the_meta_tag() -> None:
    full = extract(page("legacy-cp1252.html"), content_type="text/html")
    assert "The cafés along the quay in Saint-Rémy opened late this year." in full.text
    assert "“We waited for the sun until the end of April,”" in full.text
    assert "Jean-Noël Bertin" in full.text
    assert "about €400 for a small café" in full.text


def test_charset_from_the_header_wins_over_a_missing_meta() -> None:
    body = page("legacy-cp1252.html").replace(
        b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">', b""
    )
    full = extract(body, content_type="text/html; charset=windows-1252")
    assert "Saint-Rémy" in full.text
    assert "the town’s tourism office" in full.text.lower()


def test_latin1_label_is_read_as_windows_1252() -> None:
    body = page("legacy-cp1252.html").replace(b"windows-1252", b"iso-8859-1")
    full = extract(body, content_type="text/html")
    assert "“We waited for the sun" in full.text  # 0x93/0x94 are curly quotes in 1252


def test_utf16_with_a_byte_order_mark() -> None:
    body = article_page("<p>Caf\u00e9s on the quay reopen on Friday.</p>").decode()
    full = extract(body.encode("utf-16"), content_type=None)
    assert "Cafés on the quay reopen on Friday." in full.text


def test_xhtml_with_an_xml_declaration() -> None:
    body = (
        "<?xml version='1.0' encoding='utf-8'?>"
        + article_page("<p>The ferry’s new timetable starts on Monday.</p>").decode()
    ).encode()
    assert "new timetable starts" in extract(body, "application/xhtml+xml").text


# -- failures, in words ----------------------------------------------------------------------

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (PDF, "application/pdf", "the page is a PDF, not an article"),
        (PDF, "text/html", "the page is a PDF, not an article"),  # mislabelled
        (PDF, None, "the page is a PDF, not an article"),
        (
            b'{"id": 7, "title": "Ferries"}',
            "application/json",
            "the page is JSON data, not an article",
        ),
        (b'[{"id": 7}]', None, "the page is JSON data, not an article"),
        (b'{"id": 7}', "text/html", "the page is JSON data, not an article"),  # mislabelled
        (PNG, "image/png", "the page is an image, not an article"),
        (
            b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title></channel></rss>",
            "application/xml",
            "the page is a news feed, not an article",
        ),
        (
            b"<?xml version='1.0'?>\n<!-- generated --><rss version='2.0'><channel/></rss>",
            "text/html; charset=utf-8",
            "the page is a news feed, not an article",
        ),
        (
            b"<feed xmlns='http://www.w3.org/2005/Atom'></feed>",
            "application/atom+xml",
            "the page is a news feed, not an article",
        ),
        (
            b"<?xml version='1.0'?><catalogue><item/></catalogue>",
            "text/xml",
            "the page is an XML document, not an article",
        ),
        (
            b"Minutes of the harbour meeting, 14 March.",
            "text/plain",
            "the page is plain text, not an article",
        ),
        (
            b"PK\x03\x04" + b"\x00" * 50,
            "application/octet-stream",
            "the page is a ZIP archive or office document, not an article",
        ),
        (
            b"\x01\x02\x03binary",
            "application/octet-stream",
            "the page is application/octet-stream data, not an article",
        ),
    ],
)
def test_pages_that_are_not_html(body: bytes, content_type: str | None, message: str) -> None:
    assert extract_error(body, content_type) == message


def test_html_labelled_as_plain_text_is_still_read() -> None:
    assert (
        "The pier reopens"
        in extract(article_page("<p>The pier reopens on Friday.</p>"), "text/plain").text
    )


async def test_a_pdf_from_the_server(server: HTTPServer) -> None:
    url = serve(server, "/report.pdf", PDF, "application/pdf")
    assert await fetch_error(url) == "the page is a PDF, not an article"


async def test_json_from_the_server(server: HTTPServer) -> None:
    url = serve(server, "/api/story/7", b'{"id": 7}', "application/json")
    assert await fetch_error(url) == "the page is JSON data, not an article"


@pytest.mark.parametrize("body", [b"", b"   \r\n\t  "])
async def test_an_empty_page(server: HTTPServer, body: bytes) -> None:
    url = serve(server, "/empty", body)
    assert await fetch_error(url) == "the page is empty"


async def test_a_page_over_the_fetch_cap(server: HTTPServer) -> None:
    big = article_page("<p>" + "The pier reopens on Friday. " * 20_000 + "</p>")
    url = serve(server, "/huge", big)
    limits = FetchLimits(connect_timeout=2, read_timeout=2, total_timeout=5, max_body_bytes=100_000)
    assert await fetch_error(url, limits) == "the page is too large (over 100 kB)"


def test_a_page_over_the_extraction_cap() -> None:
    body = article_page("<p>" + "The pier reopens on Friday. " * 1_000 + "</p>")
    with pytest.raises(FullTextError, match=r"^the page is too large \(over 10 kB\)$"):
        extract_full_text(body, PAGE_URL, HTML, now=NOW, max_bytes=10_000)


async def test_a_server_that_stalls_times_out() -> None:
    limits = FetchLimits(connect_timeout=2, read_timeout=5, total_timeout=0.4)
    with RawServer(feedserver.stall_after_headers) as raw:
        message = await fetch_error(raw.url, limits)
    assert message == "timed out after 0.4 s (the time limit for the whole request)"


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (404, "the page was not found (404)"),
        (410, "the page is gone (410)"),
        (403, "access forbidden (403)"),
        (500, "server error (500): Internal Server Error"),
    ],
)
async def test_http_errors(server: HTTPServer, status: int, message: str) -> None:
    url = serve(server, "/story", b"<html><body>Oops</body></html>", status=status)
    assert await fetch_error(url) == message


async def test_a_sign_in_page_has_no_article(server: HTTPServer) -> None:
    url = serve(server, "/account/login", page("login.html"))
    assert await fetch_error(url) == (
        "no article text found on the page (it asks you to sign in or subscribe)"
    )


def test_a_page_of_links_has_no_article() -> None:
    links = "".join(f"<li><a href='/s/{i}'>Story number {i}</a></li>" for i in range(30))
    body = f"<html><head><title>Index</title></head><body><ul>{links}</ul></body></html>"
    assert extract_error(body.encode()) == "no article text found on the page"


def short_page(words: int) -> bytes:
    text = " ".join(["pier"] * words)
    return (
        f"<html><head><title>T</title></head><body><article><p>{text}.</p></article></body></html>"
    ).encode()


def test_too_little_text_is_no_article() -> None:
    assert extract_error(short_page(MIN_ARTICLE_WORDS - 1)) == "no article text found on the page"
    assert len(extract(short_page(MIN_ARTICLE_WORDS)).text.split()) == MIN_ARTICLE_WORDS


def test_html_that_is_not_a_page_has_no_article() -> None:
    assert extract_error(b"just words, no markup at all", "text/html") == (
        "no article text found on the page (it is not readable HTML)"
    )


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "/etc/passwd",
        "ftp://files.example.org/story.html",
        "javascript:alert(1)",
        "mailto:desk@example.org",
        "",
        "http://",
        "news.example.org/story",
    ],
)
async def test_only_web_urls_are_fetched(server: HTTPServer, url: str) -> None:
    message = await fetch_error(url)
    assert message.startswith("only web pages (http or https) can be fetched")
    assert server.log == []


async def test_a_refused_connection_is_in_words() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        async with Fetcher(FAST) as fetcher:
            with pytest.raises(FullTextError, match=r"^could not connect: connection refused$"):
                await fetch_full_text(fetcher, f"http://127.0.0.1:{port}/story", now=NOW)


# -- running the extraction elsewhere --------------------------------------------------------


async def test_the_default_extractor_runs_off_the_event_loop(server: HTTPServer) -> None:
    url = serve(server, "/transport/night-ferries-return", page("article.html"))
    async with Fetcher(FAST) as fetcher:
        full = await fetch_full_text(fetcher, url)
    assert in_order(texts(full), STORY)
    assert full.fetched.tzinfo is UTC


async def test_extraction_in_a_worker_process(server: HTTPServer) -> None:
    """The app's pool: arguments, FullText and FullTextError all cross the process boundary."""
    good = serve(server, "/transport/night-ferries-return", page("article.html"))
    pdf = serve(server, "/report.pdf", PDF, "application/pdf")
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        extractor = executor_extractor(pool)
        async with Fetcher(FAST) as fetcher:
            full = await fetch_full_text(fetcher, good, extract=extractor, now=NOW)
            with pytest.raises(FullTextError, match=r"^the page is a PDF, not an article$"):
                await fetch_full_text(fetcher, pdf, extract=extractor, now=NOW)
    assert in_order(texts(full), STORY)
    assert full.fetched == NOW


async def test_executor_extractor_with_threads(server: HTTPServer) -> None:
    url = serve(server, "/transport/night-ferries-return", page("article.html"))
    with ThreadPoolExecutor(max_workers=1) as pool:
        async with Fetcher(FAST) as fetcher:
            full = await fetch_full_text(fetcher, url, extract=executor_extractor(pool), now=NOW)
    assert full == extract(page("article.html"), url=url)
