"""HTML to safe text blocks: structure, links, whitespace, hostile input."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsreader.feeds.content import (
    blocks_to_text,
    clean_text,
    html_to_blocks,
    html_to_text,
    normalise_ws,
    safe_url,
    text_to_blocks,
)
from newsreader.models import BlockKind, TextBlock

BASE = "https://news.example.org/section/story.html"


def _is_forbidden(ch: str) -> bool:
    if ch in "\n\t":
        return False
    cat = unicodedata.category(ch)
    return (
        cat in ("Cc", "Cs") or ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
    )


def _assert_clean(s: str) -> None:
    bad = [hex(ord(c)) for c in s if _is_forbidden(c)]
    assert not bad, f"control characters left in {s!r}: {bad}"


def _kinds(blocks: tuple[TextBlock, ...]) -> list[tuple[BlockKind, str]]:
    return [(b.kind, b.text) for b in blocks]


# --- clean_text / normalise_ws ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[31mred\x1b[0m text", "red text"),
        ("\x1b[1;38;5;196mbold\x1b[m", "bold"),
        ("\x1b]8;;http://x\x07link\x1b]8;;\x07", "link"),
        ("\x1b]0;title\x1b\\after", "after"),
        ("a\x00b\x07c\x7fd\x85e\x9ff", "abcdef"),
        ("left\u202eright\u202c \u2066iso\u2069", "leftright iso"),
        ("\ufeffbom", "bom"),
        ("lone \ud800 surrogate", "lone  surrogate"),
        ("keep\ttabs\nand newlines", "keep\ttabs\nand newlines"),
        ("crlf\r\nline\rold mac", "crlf\nline\nold mac"),
        ("e\u0301", "\u00e9"),  # NFC
        ("[b]not markup[/] [@click=app.quit]", "[b]not markup[/] [@click=app.quit]"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_text_lone_escape_does_not_eat_text() -> None:
    assert clean_text("before\x1b") == "before"
    assert "title" in clean_text("\x1b]0;title")  # unterminated OSC: only the introducer goes


def test_normalise_ws() -> None:
    assert normalise_ws("  a \n\t b\u00a0\u00a0c  ") == "a b c"
    assert normalise_ws("   ") == ""


# --- safe_url ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/a/b", "https://news.example.org/a/b"),
        ("other.html", "https://news.example.org/section/other.html"),
        ("//cdn.example.net/x", "https://cdn.example.net/x"),
        ("http://plain.example.com/", "http://plain.example.com/"),
        ("mailto:desk@example.org", "mailto:desk@example.org"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        (" javascript:alert(1)", None),
        ("data:text/html,hi", None),
        ("file:///etc/passwd", None),
        ("vbscript:x", None),
        ("", None),
        ("http://[broken", None),
        ("https:", None),
    ],
)
def test_safe_url(href: str, expected: str | None) -> None:
    assert safe_url(href, BASE) == expected


def test_safe_url_relative_without_base_is_dropped() -> None:
    assert safe_url("/a", None) is None
    assert safe_url("https://ok.example/", None) == "https://ok.example/"


# --- structure --------------------------------------------------------------------------------


def test_paragraphs_headings_lists_quotes() -> None:
    html = (
        "<h1>Main title</h1><p>First <em>paragraph</em>.</p><h3>Sub</h3>"
        "<ul><li>one</li><li>two<ol><li>two-a</li></ol></li></ul>"
        "<blockquote><p>Quoted one.</p><p>Quoted two.</p></blockquote><p>End.</p>"
    )
    blocks = html_to_blocks(html)
    assert [(b.kind, b.text, b.level) for b in blocks] == [
        (BlockKind.HEADING, "Main title", 1),
        (BlockKind.PARAGRAPH, "First paragraph.", 0),
        (BlockKind.HEADING, "Sub", 3),
        (BlockKind.LIST_ITEM, "one", 1),
        (BlockKind.LIST_ITEM, "two", 1),
        (BlockKind.LIST_ITEM, "two-a", 2),
        (BlockKind.QUOTE, "Quoted one.", 0),
        (BlockKind.QUOTE, "Quoted two.", 0),
        (BlockKind.PARAGRAPH, "End.", 0),
    ]


def test_pre_keeps_whitespace() -> None:
    html = "<p>Code:</p><pre>\ndef f():\n    return  1\n</pre><p>after</p>"
    blocks = html_to_blocks(html)
    assert _kinds(blocks) == [
        (BlockKind.PARAGRAPH, "Code:"),
        (BlockKind.PREFORMATTED, "def f():\n    return  1"),
        (BlockKind.PARAGRAPH, "after"),
    ]


def test_pre_link_offsets() -> None:
    (block,) = html_to_blocks('<pre>\n  see <a href="/doc">the  doc</a>\n</pre>', BASE)
    (span,) = block.links
    assert block.text[span.start : span.end] == "the  doc"
    assert span.href == "https://news.example.org/doc"


def test_image_block() -> None:
    blocks = html_to_blocks(
        '<p>Before</p><img src="/img/a.jpg" alt=" A  harbour "><p>After</p>', BASE
    )
    assert blocks[1].kind is BlockKind.IMAGE
    assert blocks[1].text == "A harbour"
    assert [(s.start, s.end, s.href) for s in blocks[1].links] == [
        (0, 9, "https://news.example.org/img/a.jpg")
    ]
    # images are not prose
    assert blocks_to_text(blocks) == "Before\n\nAfter"


def test_images_without_usable_source_or_tracking_pixels_are_dropped() -> None:
    html = (
        '<img src="javascript:x" alt="bad"><img alt="no src">'
        '<img src="https://t.example/p.gif" width="1" height="1">'
        '<img src="data:image/png;base64,AAAA" alt="inline">'
    )
    assert html_to_blocks(html, BASE) == ()


def test_inline_text_in_containers_becomes_paragraphs() -> None:
    html = "<div>Loose text<p>para</p>more loose</div><table><tr><td>cell one</td><td>cell two</td></tr></table>"
    assert [b.text for b in html_to_blocks(html)] == [
        "Loose text",
        "para",
        "more loose",
        "cell one",
        "cell two",
    ]
    assert all(b.kind is BlockKind.PARAGRAPH for b in html_to_blocks(html))


def test_br_splitting() -> None:
    html = "Line one<br>line two<br><br>Second para<br />\n <br/>Third<br>"
    assert [b.text for b in html_to_blocks(html)] == [
        "Line one\nline two",
        "Second para",
        "Third",
    ]


def test_text_after_a_closed_document_is_kept() -> None:
    html = "<html><body><p>first</p></body></html>\n<p>second</p></BODY ></html>tail"
    assert [b.text for b in html_to_blocks(html)] == ["first", "second", "tail"]


def test_dropped_elements_keep_their_tails() -> None:
    html = (
        "<p>Keep<script>alert('x')</script> this<style>p{}</style> text"
        "<noscript>ns</noscript><iframe src='x'>if</iframe>"
        "<svg><text>svg</text></svg><button>btn</button>.</p>"
    )
    assert html_to_text(html) == "Keep this text."
    # a form closes an open <p> in HTML, so test it on its own
    assert html_to_text("<div>Before<form><input>inside form</form>after</div>") == (
        "Before\n\nafter"
    )


def test_empty_blocks_dropped_and_whitespace_normalised() -> None:
    html = "<p>   </p><p>\n  spaced   out\n text </p><div><span> </span></div><h2></h2>"
    assert _kinds(html_to_blocks(html)) == [(BlockKind.PARAGRAPH, "spaced out text")]


def test_whitespace_between_inline_elements() -> None:
    assert html_to_text("<p><b>bold</b> <i>italic</i></p>") == "bold italic"
    assert html_to_text("<p><b>bold</b><i>italic</i></p>") == "bolditalic"
    assert html_to_text("<p>a<span> b </span>c</p>") == "a b c"


# --- links --------------------------------------------------------------------------------------


def test_link_spans_offsets_match_anchor_text() -> None:
    html = (
        '<p>Read <a href="/one">the first</a> and <a href="https://other.example/two">'
        "the <b>second</b></a>, or write to <a href='mailto:desk@example.org'>the desk</a>.</p>"
    )
    (block,) = html_to_blocks(html, BASE)
    assert block.text == "Read the first and the second, or write to the desk."
    got = [(block.text[s.start : s.end], s.href) for s in block.links]
    assert got == [
        ("the first", "https://news.example.org/one"),
        ("the second", "https://other.example/two"),
        ("the desk", "mailto:desk@example.org"),
    ]


def test_link_offsets_survive_whitespace_collapse_and_entities() -> None:
    html = '<p>\n  A &amp;  B   <a href="/x">  link\n  text </a>  tail &lt;3</p>'
    (block,) = html_to_blocks(html, BASE)
    assert block.text == "A & B link text tail <3"
    (span,) = block.links
    assert block.text[span.start : span.end] == "link text"


def test_unsafe_links_keep_text_but_no_span() -> None:
    html = (
        '<p><a href="javascript:alert(1)">js</a> <a href="file:///etc/passwd">file</a> '
        '<a href="data:text/html,x">data</a> <a href="JAVASCRIPT:x">upper</a> '
        '<a href="java&#9;script:x">tab</a> <a>none</a></p>'
    )
    (block,) = html_to_blocks(html, BASE)
    assert block.text == "js file data upper tab none"
    assert block.links == ()


def test_relative_link_without_base_is_not_a_link() -> None:
    (block,) = html_to_blocks('<p><a href="/rel">rel</a> <a href="https://a.example/">abs</a></p>')
    assert [(block.text[s.start : s.end], s.href) for s in block.links] == [
        ("abs", "https://a.example/")
    ]


# --- entities, plain text, odd input -----------------------------------------------------------


def test_entities_decoded_once() -> None:
    assert html_to_text("<p>Fish &amp; chips &amp;amp; &lt;b&gt; &#8364;5 &eacute;</p>") == (
        "Fish & chips &amp; <b> €5 é"
    )
    # same without any tag (fast path)
    assert html_to_text("Fish &amp; chips &amp;amp; &lt;b&gt;") == "Fish & chips &amp; <b>"


def test_plain_text_without_tags() -> None:
    assert _kinds(html_to_blocks("Just  words\nwrapped\n\nSecond paragraph.")) == [
        (BlockKind.PARAGRAPH, "Just words wrapped"),
        (BlockKind.PARAGRAPH, "Second paragraph."),
    ]
    assert html_to_text("a < b and c > d") == "a < b and c > d"
    assert html_to_text("<") == "<"


def test_text_to_blocks_never_reads_markup() -> None:
    assert _kinds(text_to_blocks("x <b>y</b> &amp;\n\nz")) == [
        (BlockKind.PARAGRAPH, "x <b>y</b> &amp;"),
        (BlockKind.PARAGRAPH, "z"),
    ]


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<!-- only a comment -->",
        "<p></p>",
        "\x00\x00\x00",
        "<p>\x00</p>",
        "<<<<>>>>",
        "</p></div></html>",
        "<a href='",
        "<" * 10_000,
        "&" * 10_000,
        "<div>" * 5_000 + "deep" + "</div>" * 5_000,
        "<ul>" * 3_000 + "<li>deep item",
        "<?xml version='1.0' encoding='latin-1'?><p>decl</p>",
        "\ud800\udfff<p>surrogates</p>",
        "\ufffe\uffff<p>non-characters</p>",
    ],
)
def test_never_raises_on_odd_input(html: str) -> None:
    blocks = html_to_blocks(html, BASE)
    for block in blocks:
        assert block.text
        _assert_clean(block.text)


def test_controls_in_markup_and_entities_are_removed() -> None:
    html = "<p>\x1b[31mred\x1b[0m &#27;[2J &#x202e;rtl &#0; done\u2066</p>"
    text = html_to_text(html)
    _assert_clean(text)
    assert "red" in text and "done" in text


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_property_any_text_never_raises_and_is_clean(s: str) -> None:
    blocks = html_to_blocks(s, BASE)
    for block in blocks:
        _assert_clean(block.text)
        for span in block.links:
            assert 0 <= span.start < span.end <= len(block.text)
    _assert_clean(blocks_to_text(blocks))


_HTMLISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<a href='/x'>",
                "</a>",
                "<br>",
                "<li>",
                "<ul>",
                "</ul>",
                "<pre>",
                "</pre>",
                "<h2>",
                "</h2>",
                "<blockquote>",
                "<img src='/i.png' alt='i'>",
                "&amp;",
                "&lt;",
                "<script>",
                "</script>",
                "\x1b[31m",
                "\u202e",
                "\x00",
                " ",
                "\n",
            ]
        ),
        st.text(max_size=8),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_HTMLISH)
def test_property_html_like_input_spans_are_valid(s: str) -> None:
    for block in html_to_blocks(s, BASE):
        assert block.text
        _assert_clean(block.text)
        for span in block.links:
            assert 0 <= span.start < span.end <= len(block.text)
            assert span.href.startswith(("https://", "http://", "mailto:"))


def test_blocks_to_text_joins_list_items_with_single_newlines() -> None:
    blocks = html_to_blocks("<p>Intro</p><ul><li>a</li><li>b</li></ul><p>Outro</p>")
    assert blocks_to_text(blocks) == "Intro\n\na\nb\n\nOutro"
