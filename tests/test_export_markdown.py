"""Markdown export: the file's content, its name, and how it is written.

Article text here is original, written for these tests.
"""

from __future__ import annotations

import dataclasses
import errno
import html as html_lib
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from newsreader.export import (
    DEFAULT_TEMPLATE,
    SaveError,
    default_save_dir,
    escape_markdown,
    file_name,
    render_markdown,
    save_article,
    save_articles,
    slugify,
)
from newsreader.feeds.content import clean_text, normalise_ws
from newsreader.models import (
    Article,
    BlockKind,
    EntitySummary,
    EntityType,
    FullText,
    LinkSpan,
    Mention,
    RegionScore,
    RelatedItem,
    TextBlock,
)

SAVED = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
PUBLISHED = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)

BODY_HTML = """
<p>The ferry council of <b>Port Aldwin</b> voted on Monday to keep the night crossing,
after <a href="https://harbour.example/reports/42">a report</a> by Mira Castellanos showed
that <em>late</em> passengers were mostly nurses.</p>
<h2>What changes</h2>
<ul>
  <li>Boats leave every forty minutes after ten.</li>
  <li>Tickets bought on board cost the same as online.</li>
</ul>
<blockquote><p>Nobody should sleep at the terminal because the last boat left early.</p></blockquote>
<p>Mira Castellanos said the Harbour Workers Union would check the timetable in May.</p>
<p><img src="https://cdn.harbour.example/ferry.jpg" alt="The night ferry at the quay"></p>
"""


def make_article(**changes: object) -> Article:
    article = Article(
        id=42,
        feed_id=3,
        feed_title="Harbour Tribune",
        key="harbour-42",
        title="Night ferry stays after council vote",
        link="https://harbour.example/news/night-ferry",
        author="Ines Varga",
        published=PUBLISHED,
        updated=None,
        first_seen=datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
        read=False,
        starred=False,
        content_html=BODY_HTML,
        summary_html="<p>A short summary of the ferry vote.</p>",
        category="Local",
        source_region="Europe",
        language="en",
        analysed=True,
        mentions=(
            Mention(0, 16, "Mira Castellanos", EntityType.PERSON, "Mira Castellanos"),
            Mention(0, 3, "HWU", EntityType.ORG, "Harbour Workers Union"),
        ),
        entities=(
            EntitySummary(EntityType.PERSON, "Mira Castellanos", None, 2, 0.9),
            EntitySummary(EntityType.PLACE, "Port Aldwin", "IE", 1, 0.8),
            EntitySummary(EntityType.ORG, "Harbour Workers Union", None, 1, 0.4),
            EntitySummary(EntityType.NORP, "Irish", "IE", 1, 0.2),
        ),
        regions=(RegionScore("Europe", 0.87654), RegionScore("North America", 0.2)),
    )
    return dataclasses.replace(article, **changes)  # type: ignore[arg-type]


def split(markdown: str) -> tuple[dict[str, object], str]:
    """The front matter (parsed) and the rest of a saved file."""
    assert markdown.startswith("---\n")
    end = markdown.index("\n---\n", 4)
    meta = yaml.safe_load(markdown[4:end])
    assert isinstance(meta, dict)
    return meta, markdown[end + 5 :]


def to_html(markdown: str) -> str:
    return MarkdownIt("commonmark").render(markdown)


def heading_text(markdown: str) -> str:
    """The text a CommonMark renderer shows for the document's level-1 heading."""
    html = to_html(split(markdown)[1])
    match = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert match is not None
    assert "<" not in match.group(1)  # text only: no tags, no code spans, no links
    return unescape_html(match.group(1))


def unescape_html(text: str) -> str:
    return html_lib.unescape(text)


# --- content ------------------------------------------------------------------------------------


def test_front_matter_round_trips_with_every_field() -> None:
    meta, _ = split(render_markdown(make_article(), saved=SAVED))
    assert meta == {
        "title": "Night ferry stays after council vote",
        "feed": "Harbour Tribune",
        "url": "https://harbour.example/news/night-ferry",
        "author": "Ines Varga",
        "published": "2025-03-01T08:30:00+00:00",
        "saved": "2025-03-04T05:06:07+00:00",
        "regions": [{"name": "Europe", "score": 0.877}, {"name": "North America", "score": 0.2}],
        "source_region": "Europe",
        "entities": {
            "PERSON": ["Mira Castellanos"],
            "ORG": ["Harbour Workers Union"],
            "PLACE": ["Port Aldwin"],
            "NORP": ["Irish"],
        },
        "category": "Local",
        "newsreader_id": 42,
        "language": "en",
    }


def test_front_matter_unknown_fields_are_null() -> None:
    article = make_article(author=None, published=None, category=None, language=None, link=None)
    meta, _ = split(render_markdown(article, saved=SAVED))
    assert meta["author"] is None and meta["published"] is None and meta["url"] is None
    assert meta["category"] is None and meta["language"] is None


def test_body_has_title_byline_paragraphs_lists_quotes_links() -> None:
    markdown = render_markdown(make_article(), saved=SAVED)
    _, rest = split(markdown)
    lines = rest.splitlines()
    assert "# Night ferry stays after council vote" in lines
    byline = next(line for line in lines if line.startswith("By "))
    assert "Ines Varga" in byline and "Harbour Tribune" in byline and "2025-03-01" in byline
    assert "(https://harbour.example/news/night-ferry)" in byline
    assert "- Boats leave every forty minutes after ten." in lines
    assert "- Tickets bought on board cost the same as online." in lines
    assert "> Nobody should sleep at the terminal because the last boat left early." in lines
    assert "[a report](https://harbour.example/reports/42)" in rest
    assert "**Port Aldwin**" in rest and "*late*" in rest
    assert "### What changes" in lines  # body headings move one level below the title
    html = to_html(rest)
    assert "<li>Boats leave every forty minutes after ten.</li>" in html
    assert "<blockquote>" in html
    assert '<a href="https://harbour.example/reports/42">a report</a>' in html
    assert html.count("<h1>") == 1


def test_images_become_plain_links() -> None:
    markdown = render_markdown(make_article(), saved=SAVED)
    assert "[The night ferry at the quay](https://cdn.harbour.example/ferry.jpg)" in markdown
    assert "![" not in markdown
    assert "<img" not in to_html(markdown)


def test_relative_links_resolve_against_the_article_link() -> None:
    article = make_article(content_html='<p>See <a href="/maps/ferry">the map</a>.</p>')
    markdown = render_markdown(article, saved=SAVED)
    assert "[the map](https://harbour.example/maps/ferry)" in markdown


HOSTILE_HTML = """
<p onclick="steal()">Before <script>document.write('pwned-script')</script> after.</p>
<style>body { display: none } /* pwned-style */</style>
<iframe src="https://evil.example/frame">pwned-frame</iframe>
<svg><text>pwned-svg</text></svg>
<form action="https://evil.example"><input value="pwned-input"><button>pwned-button</button></form>
<p>Click <a href="javascript:alert('pwned-js')">this js link</a>,
<a href="data:text/html;base64,PHNjcmlwdD4=">this data link</a>,
<a href="file:///etc/passwd">this file link</a> or
<a href="mailto:desk@harbour.example">write to the desk</a>.</p>
<p><img src="javascript:alert(1)" alt="bad source"><img src="https://t.example/p.gif" width="1" height="1" alt="pixel"></p>
<blink>Blinking words</blink> <marquee>moving words</marquee> <soup>soup words</soup>
<fn_cache>cache words</fn_cache> <custom-tag data-x="1">custom words</custom-tag>
<p>Literal &lt;script&gt;alert(2)&lt;/script&gt; and &lt;b&gt;not bold&lt;/b&gt; in text.</p>
<!-- a comment with <script> inside --><?php echo 1; ?>
<ol start="²"><li>numbered</li></ol><table><tr><td colspan="³">cell</td></tr></table>
"""


def test_no_raw_html_or_unsafe_links_survive() -> None:
    markdown = render_markdown(make_article(content_html=HOSTILE_HTML), saved=SAVED)
    assert "pwned" not in markdown
    assert "javascript:" not in markdown and "data:" not in markdown and "file:" not in markdown
    for words in (
        "this js link",
        "this data link",
        "this file link",
        "Blinking words",
        "moving words",
        "soup words",
        "cache words",
        "custom words",
        "numbered",
        "cell",
    ):
        assert words in markdown
    assert "[write to the desk](mailto:desk@harbour.example)" in markdown
    assert "bad source" not in markdown and "pixel" not in markdown
    assert "comment" not in markdown and "php" not in markdown
    # No unescaped "<" anywhere: CommonMark sees no HTML at all.
    assert re.search(r"(?<!\\)<", markdown) is None
    html = to_html(split(markdown)[1])
    tags = set(re.findall(r"</?([a-z0-9]+)", html))
    assert tags <= {"h1", "p", "a", "ol", "ul", "li", "table", "blockquote", "code", "pre"}
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html  # shown as text


def test_code_blocks_cannot_be_broken_out_of() -> None:
    html = "<pre>before\n```\n&lt;b&gt;still code&lt;/b&gt;\n````</pre><p>after</p>"
    markdown = render_markdown(make_article(content_html=html), saved=SAVED)
    rendered = to_html(split(markdown)[1])
    code = re.search(r"<pre><code>(.*?)</code></pre>", rendered, re.S)
    assert code is not None
    assert unescape_html(code.group(1)) == "before\n```\n<b>still code</b>\n````\n"
    assert "<p>after</p>" in rendered


@pytest.mark.parametrize(
    "title",
    [
        "[PATCH] fix *all* the `things` # now",
        "<script>alert('t')</script> in a title",
        "Brackets [/] and [[wiki]] and ![img](x) and <https://a.example>",
        "Pipes | tildes ~~struck~~ dollars $5 and ==marks== 100% %%",
        "1. Looks like a list",
        "- also a list",
        "# Hash at start",
        "Back\\slash and &amp; entity &copy;",
        "---",
        "key: value: other",
    ],
)
def test_hostile_titles_come_out_literally(title: str) -> None:
    markdown = render_markdown(make_article(title=title), saved=SAVED)
    meta, _ = split(markdown)
    assert meta["title"] == title
    assert heading_text(markdown) == title


def test_newlines_in_titles_fold_to_one_line() -> None:
    article = make_article(title="First line\n# Second line\n\n---\nthird", author="A\nB")
    markdown = render_markdown(article, saved=SAVED)
    meta, rest = split(markdown)
    assert meta["title"] == "First line # Second line --- third"
    assert heading_text(markdown) == "First line # Second line --- third"
    assert "By A B" in rest


def test_terminal_control_characters_never_appear() -> None:
    nasty = "Red\x1b[31m alert\x07 bell \x9b1m csi \x1b]0;title\x07 osc \u202eevil\x00nul"
    article = make_article(
        title=nasty,
        author=nasty,
        feed_title=nasty,
        content_html=f"<p>{nasty}</p><pre>{nasty}</pre>",
    )
    related = [RelatedItem(9, nasty, nasty, "https://a.example/x", PUBLISHED, 0.5)]
    markdown = render_markdown(article, related=related, saved=SAVED)
    assert re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", markdown) is None
    assert "alert" in markdown and "bell" in markdown
    assert split(markdown)[0]["title"] == "Red alert bell csi osc evilnul"


def test_related_section_links_the_stories() -> None:
    related = [
        RelatedItem(
            7, "Ferry unions [update]", "Coast Wire", "https://coast.example/7", PUBLISHED, 0.8
        ),
        RelatedItem(8, "Unlinked story", "Bay Post", None, PUBLISHED, 0.5),
        RelatedItem(9, "Tricky link", "Bay Post", "javascript:alert(1)", PUBLISHED, 0.4),
    ]
    markdown = render_markdown(make_article(), related=related, saved=SAVED)
    section = markdown[markdown.index("## Related") :]
    assert (
        "- [Ferry unions \\[update\\]](https://coast.example/7) — Coast Wire, 2025-03-01" in section
    )
    assert "- Unlinked story — Bay Post, 2025-03-01" in section
    assert "javascript" not in section and "- Tricky link — Bay Post" in section
    html = to_html(section)
    assert '<a href="https://coast.example/7">Ferry unions [update]</a>' in html


def test_no_related_section_without_related_stories() -> None:
    assert "## Related" not in render_markdown(make_article(), saved=SAVED)


# --- which body ---------------------------------------------------------------------------------


def test_full_text_is_preferred() -> None:
    full = FullText(
        html="<p>The full page explains the timetable crossing by crossing.</p>",
        blocks=(TextBlock(BlockKind.PARAGRAPH, "Blocks of the full page."),),
        text="Blocks of the full page.",
        fetched=SAVED,
    )
    markdown = render_markdown(make_article(full_text=full), saved=SAVED)
    assert "The full page explains the timetable crossing by crossing." in markdown
    assert "Boats leave every forty minutes" not in markdown


def test_summary_then_blocks_then_text_when_there_is_no_content() -> None:
    markdown = render_markdown(make_article(content_html=""), saved=SAVED)
    assert "A short summary of the ferry vote." in markdown

    blocks = (
        TextBlock(BlockKind.HEADING, "Stored heading", level=2),
        TextBlock(
            BlockKind.PARAGRAPH,
            "A stored paragraph with a link.",
            (LinkSpan(26, 30, "https://harbour.example/l"),),
        ),
        TextBlock(BlockKind.LIST_ITEM, "outer item", level=1),
        TextBlock(BlockKind.LIST_ITEM, "inner item", level=2),
        TextBlock(BlockKind.QUOTE, "A stored quote."),
        TextBlock(BlockKind.PREFORMATTED, "x = [1, 2]"),
        TextBlock(BlockKind.IMAGE, "stored picture", (LinkSpan(0, 14, "https://i.example/p.png"),)),
    )
    article = make_article(content_html="", summary_html="  ", blocks=blocks)
    _, rest = split(render_markdown(article, saved=SAVED))
    assert "### Stored heading" in rest
    assert "A stored paragraph with a [link](https://harbour.example/l)." in rest
    assert "- outer item\n  - inner item" in rest
    assert "> A stored quote." in rest
    assert "```\nx = [1, 2]\n```" in rest
    assert "[stored picture](https://i.example/p.png)" in rest

    article = make_article(content_html="", summary_html="", text="First para.\n\nSecond [para].")
    _, rest = split(render_markdown(article, saved=SAVED))
    assert "First para.\n\nSecond \\[para\\]." in rest


def test_plain_text_content_keeps_its_paragraphs() -> None:
    article = make_article(content_html="One paragraph &amp; more.\n\nAnother *one*.")
    _, rest = split(render_markdown(article, saved=SAVED))
    assert "One paragraph & more.\n\nAnother \\*one\\*." in rest


def test_absurdly_nested_html_still_renders() -> None:
    html = "<div>" * 3000 + "<p>deep words</p>" + "</div>" * 3000
    markdown = render_markdown(make_article(content_html=html), saved=SAVED)
    assert "deep words" in markdown


# --- entities -----------------------------------------------------------------------------------


def test_wikilinks_mark_the_first_mention_of_each_entity() -> None:
    markdown = render_markdown(make_article(), entity_style="wikilink", saved=SAVED)
    _, rest = split(markdown)
    body = rest[rest.index("The ferry council") :]
    assert body.count("[[Mira Castellanos]]") == 1
    assert body.count("Mira Castellanos") == 2  # the second mention stays plain
    assert body.index("[[Mira Castellanos]]") < body.rindex("Mira Castellanos")
    assert "[[Harbour Workers Union]]" in body
    # Port Aldwin is inside <b>: the mark goes inside the emphasis
    assert "**[[Port Aldwin]]**" in body
    # titles and the byline are never marked
    assert "[[" not in rest[: rest.index("The ferry council")]


def test_wikilinks_use_an_alias_for_other_surface_forms() -> None:
    html = "<p>The HWU said yes. The Harbour Workers Union said it again.</p>"
    _, rest = split(
        render_markdown(make_article(content_html=html), entity_style="wikilink", saved=SAVED)
    )
    assert "The [[Harbour Workers Union|HWU]] said yes." in rest
    assert rest.count("[[") == 1


def test_entities_inside_links_and_code_are_not_marked() -> None:
    html = (
        '<p><a href="https://harbour.example/mc">Mira Castellanos profile</a> and '
        "<code>Port Aldwin</code>, then Mira Castellanos and Port Aldwin.</p>"
    )
    article = make_article(content_html=html)
    _, rest = split(render_markdown(article, entity_style="wikilink", saved=SAVED))
    assert "[Mira Castellanos profile](https://harbour.example/mc)" in rest
    assert "`Port Aldwin`" in rest
    assert "then [[Mira Castellanos]] and [[Port Aldwin]]." in rest


def test_bold_and_plain_styles() -> None:
    _, bold = split(render_markdown(make_article(), entity_style="bold", saved=SAVED))
    assert bold.count("**Mira Castellanos**") == 1
    assert "[[" not in bold
    _, plain = split(render_markdown(make_article(), entity_style="plain", saved=SAVED))
    assert "**Mira Castellanos**" not in plain and "[[" not in plain
    assert "Mira Castellanos showed" in plain.replace("\n", " ")


def test_hostile_entity_names_cannot_inject_markup() -> None:
    entities = (EntitySummary(EntityType.PERSON, "Eve]] <b>|#x", None, 1, 0.5),)
    mentions = (Mention(0, 3, "Eve]] <b>|#x", EntityType.PERSON, "Eve]] <b>|#x"),)
    article = make_article(
        entities=entities, mentions=mentions, content_html="<p>Eve]] &lt;b&gt;|#x arrived.</p>"
    )
    _, body = split(render_markdown(article, entity_style="wikilink", saved=SAVED))
    assert re.search(r"(?<!\\)<", body) is None and "[[" not in body
    assert "Eve\\]\\] \\<b>\\|\\#x arrived." in body


def test_unknown_entity_style_is_refused() -> None:
    with pytest.raises(ValueError, match="wikilink"):
        render_markdown(make_article(), entity_style="italic", saved=SAVED)  # type: ignore[arg-type]


# --- file names ---------------------------------------------------------------------------------


def test_default_file_name() -> None:
    assert DEFAULT_TEMPLATE == "{date}-{slug}.md"
    assert file_name(make_article()) == "2025-03-01-night-ferry-stays-after-council-vote.md"
    # no publication date: the day it was first seen
    assert file_name(make_article(published=None)).startswith("2025-03-01-")


def test_template_fields() -> None:
    article = make_article(feed_title="Le Monde Diplomatique!")
    assert file_name(article, "{feed}-{id}.md") == "le-monde-diplomatique-42.md"
    assert file_name(article, "{id}") == "42.md"  # the extension is added when missing
    assert file_name(article, "{id}.MD") == "42.md"


@pytest.mark.parametrize(
    "template",
    [
        "{title}.md",
        "{date:%Y}.md",
        "{id!r}.md",
        "{}.md",
        "{0}.md",
        "{slug.upper}.md",
        "{slug",
        "",
        "  ",
        "../{slug}.md",
        "/tmp/{slug}.md",
        "a\\{slug}.md",
        "a\x00{slug}.md",
    ],
)
def test_bad_templates_are_refused_with_a_clear_message(template: str) -> None:
    with pytest.raises(ValueError, match=r"template") as info:
        file_name(make_article(), template)
    message = str(info.value)
    assert "{date}" in message or "file name" in message


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("../../etc/passwd", "etc-passwd"),
        ("/etc/passwd", "etc-passwd"),
        ("C:\\Windows\\system32", "c-windows-system32"),
        ("nul\x00byte", "nulbyte"),
        ("...hidden", "hidden"),
        ("?!*** ...", "article-42"),
        ("", "article-42"),
        ("Привет, мир", "privet-mir"),
        ("東京の夜", "dongjingnoye"),
        ("Ελλάδα σήμερα", "ellada-simera"),
        ("Don't panic: Ça va", "dont-panic-ca-va"),
    ],
)
def test_slugs_from_hostile_titles(title: str, expected: str) -> None:
    assert file_name(make_article(title=title)) == f"2025-03-01-{expected}.md"


def test_long_titles_are_capped_at_a_word() -> None:
    title = " ".join(["harbour"] * 40)
    slug = slugify(title)
    assert len(slug) <= 80 and slug.endswith("harbour") and not slug.endswith("-")
    assert slugify("x" * 500) == "x" * 80


@pytest.mark.parametrize("title", ["CON", "nul", "Com1", "LPT9", "aux", "COM¹"])
def test_windows_device_names_are_avoided(title: str) -> None:
    name = file_name(make_article(title=title), "{slug}.md")
    assert name.split(".")[0].upper() not in {"CON", "NUL", "COM1", "LPT9", "AUX"}
    assert name.endswith(".md")


def test_template_literal_text_is_made_safe() -> None:
    assert file_name(make_article(), "..{id}.md") == "42.md"
    assert file_name(make_article(), 'a<b>:c"?*{id}') == "a-b--c---42.md"
    assert file_name(make_article(), "CON.{id}") == "_CON.42.md"
    assert file_name(make_article(), "conin$.{id}") == "_conin$.42.md"
    assert file_name(make_article(), "...") == "article-42.md"


@settings(max_examples=200, deadline=None)
@given(
    title=st.text(max_size=300), template_literal=st.text(alphabet=" .-_abcCON:*?<>", max_size=8)
)
def test_file_names_are_always_one_safe_component(title: str, template_literal: str) -> None:
    name = file_name(
        make_article(title=title), template_literal + "{date}{slug}" + template_literal
    )
    assert name.endswith(".md") and len(name.encode()) <= 210
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert not name.startswith((".", "-", " "))
    assert Path(name).name == name and name not in {".", ".."}


@settings(max_examples=150, deadline=None)
@given(title=st.text(max_size=120))
def test_any_title_round_trips_through_front_matter(title: str) -> None:
    markdown = render_markdown(make_article(title=title), saved=SAVED)
    meta, _ = split(markdown)
    assert meta["title"] == normalise_ws(clean_text(title))
    shown = heading_text(markdown)
    assert shown == (normalise_ws(clean_text(title)) or "Untitled")


def test_escape_markdown_is_literal_in_commonmark() -> None:
    text = "a *b* _c_ `d` [e](f) <g> # h | i ~j~ \\k &amp; 1. l"
    html = to_html(escape_markdown(text))
    assert unescape_html(html) == f"<p>{text}</p>\n"


# --- writing ------------------------------------------------------------------------------------


def test_save_writes_the_rendered_file(tmp_path: Path) -> None:
    folder = tmp_path / "notes" / "news"  # created on demand
    path = save_article(make_article(), folder, entity_style="wikilink", now=SAVED)
    assert path == folder / "2025-03-01-night-ferry-stays-after-council-vote.md"
    text = path.read_text(encoding="utf-8")
    assert text == render_markdown(make_article(), entity_style="wikilink", saved=SAVED)
    assert [p.name for p in folder.iterdir()] == [path.name]  # no temporary file left


def test_never_overwrites(tmp_path: Path) -> None:
    taken = tmp_path / "2025-03-01-night-ferry-stays-after-council-vote.md"
    taken.write_text("my own notes", encoding="utf-8")
    first = save_article(make_article(), tmp_path, now=SAVED)
    second = save_article(make_article(), tmp_path, now=SAVED)
    assert first.name == "2025-03-01-night-ferry-stays-after-council-vote-2.md"
    assert second.name == "2025-03-01-night-ferry-stays-after-council-vote-3.md"
    assert taken.read_text(encoding="utf-8") == "my own notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [taken.name, first.name, second.name]
    )


def test_a_symlink_in_the_way_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me", encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "2025-03-01-night-ferry-stays-after-council-vote.md").symlink_to(outside)
    path = save_article(make_article(), folder, now=SAVED)
    assert path.name.endswith("-2.md")
    assert outside.read_text(encoding="utf-8") == "keep me"


def test_hostile_titles_stay_inside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "inside"
    for title in ["../../escape", "/abs/olute", "..", ".", "NUL", "a/../../b", "\x00"]:
        path = save_article(make_article(title=title), folder, template="{slug}", now=SAVED)
        assert path.parent == folder
        assert path.resolve().parent == folder.resolve()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inside"]


def test_concurrent_savers_never_share_a_name(tmp_path: Path) -> None:
    article = make_article()
    paths: list[Path] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def saver() -> None:
        start.wait()
        try:
            for _ in range(5):
                paths.append(save_article(article, tmp_path, now=SAVED))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=saver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(paths) == 40 and len(set(paths)) == 40
    expected = render_markdown(article, saved=SAVED)
    assert all(p.read_text(encoding="utf-8") == expected for p in paths)
    assert len(list(tmp_path.iterdir())) == 40


def test_without_hard_links_names_are_reserved_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Some file systems (FAT, some network shares) refuse hard links.
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    first = save_article(make_article(), tmp_path, now=SAVED)
    second = save_article(make_article(), tmp_path, now=SAVED)
    assert first.name.endswith("vote.md") and second.name.endswith("vote-2.md")
    assert first.read_text(encoding="utf-8") == second.read_text(encoding="utf-8")
    assert first.read_text(encoding="utf-8").startswith("---\n")
    assert len(list(tmp_path.iterdir())) == 2


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_disk(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_disk)
    with pytest.raises(SaveError, match=r"cannot write to .*: input/output error") as info:
        save_article(make_article(), tmp_path, now=SAVED)
    assert info.value.path == tmp_path
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        try:
            (folder / "probe").touch()
        except PermissionError:
            yield folder
        else:
            pytest.skip("this user can write into read-only folders (root)")
    finally:
        folder.chmod(0o700)


def test_read_only_folder_gives_a_readable_error(read_only_folder: Path) -> None:
    with pytest.raises(SaveError, match=r"cannot write to .*: permission denied"):
        save_article(make_article(), read_only_folder, now=SAVED)
    with pytest.raises(SaveError, match=r"cannot create folder .*sub: permission denied"):
        save_article(make_article(), read_only_folder / "sub", now=SAVED)
    assert list(read_only_folder.iterdir()) == []


def test_a_file_where_the_folder_should_be(tmp_path: Path) -> None:
    blocker = tmp_path / "notes"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(SaveError, match="not a folder"):
        save_article(make_article(), blocker, now=SAVED)
    with pytest.raises(SaveError, match="not a folder"):
        save_article(make_article(), blocker / "sub", now=SAVED)


def test_bad_template_fails_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="template"):
        save_article(make_article(), tmp_path / "new", template="{title}.md")
    assert not (tmp_path / "new").exists()


def test_default_save_dir() -> None:
    folder = default_save_dir()
    assert folder.name == "newsreader" and folder.is_absolute()


# --- bulk ---------------------------------------------------------------------------------------


def test_bulk_save_carries_on_after_a_failure(tmp_path: Path) -> None:
    articles = [make_article(id=i, title=f"Ferry note number {i}") for i in range(1, 6)]
    related = {
        i: [RelatedItem(i + 100, f"Related to {i}", "Bay Post", None, PUBLISHED, 0.5)]
        for i in range(1, 6)
    }

    def related_for(article_id: int) -> list[RelatedItem]:
        if article_id == 3:
            raise RuntimeError("the related index is being rebuilt")
        return related[article_id]

    done: list[int] = []
    report = save_articles(
        iter(articles), tmp_path, related_for=related_for, progress=done.append, now=SAVED
    )
    assert done == [1, 2, 3, 4, 5]
    assert not report.ok
    assert [p.name for p in report.paths] == [
        f"2025-03-01-ferry-note-number-{i}.md" for i in (1, 2, 4, 5)
    ]
    assert [(f.article_id, f.title) for f in report.failures] == [(3, "Ferry note number 3")]
    assert "the related index is being rebuilt" in report.failures[0].message
    assert "Related to 4" in (tmp_path / "2025-03-01-ferry-note-number-4.md").read_text("utf-8")
    assert len(list(tmp_path.iterdir())) == 4


def test_bulk_save_into_a_read_only_folder_reports_each_article(read_only_folder: Path) -> None:
    articles = [make_article(id=1), make_article(id=2)]
    report = save_articles(articles, read_only_folder, now=SAVED)
    assert report.paths == []
    assert [f.article_id for f in report.failures] == [1, 2]
    assert all("permission denied" in f.message for f in report.failures)


def test_bulk_save_checks_its_settings_first(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="template"):
        save_articles([make_article()], tmp_path, template="{nope}")
    with pytest.raises(ValueError, match="entity style"):
        save_articles([make_article()], tmp_path, entity_style="loud")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


HTML_PIECES = [
    "<p>",
    "</p>",
    "<b>",
    "</b>",
    "<i>",
    "</i>",
    "<code>",
    "</code>",
    "<pre>",
    "</pre>",
    "<blockquote>",
    "</blockquote>",
    "<ul>",
    "<ol>",
    "<li>",
    "</li>",
    "</ul>",
    "</ol>",
    "<h1>",
    "</h1>",
    "<h3>",
    "</h3>",
    "<br>",
    "<hr>",
    "<table><tr><td>",
    "</td></tr></table>",
    "<a href='https://ok.example/x'>",
    "<a href='javascript:pwn()'>",
    "<a href='data:x'>",
    "</a>",
    "<img src='https://ok.example/i.png' alt='[x] *y*'>",
    "<img src='javascript:pwn()'>",
    "<script>pwn()</script>",
    "<style>pwn{}</style>",
    "<soup>",
    "</soup>",
    "<x-y>",
    "<!--",
    "-->",
    "&lt;script&gt;",
    "&lt;/p&gt;",
    "&amp;",
    "&#96;",
    "`",
    "``",
    "```",
    "*",
    "_",
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "#",
    "-",
    "1.",
    "|",
    "~",
    "$",
    "=",
    "\\",
    "!",
    "\n",
    "\n\n",
    " ",
    "Mira Castellanos",
    "Port Aldwin",
    "words",
    "\x1b[31m",
]


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(HTML_PIECES), max_size=40),
    style=st.sampled_from(["wikilink", "bold", "plain"]),
)
def test_any_html_becomes_markdown_without_raw_html(pieces: list[str], style: str) -> None:
    markdown = render_markdown(
        make_article(content_html="<p>" + "".join(pieces)),
        entity_style=style,
        saved=SAVED,  # type: ignore[arg-type]
    )
    assert "\x1b" not in markdown
    html = to_html(split(markdown)[1])
    tags = set(re.findall(r"<(/?[a-z][a-z0-9]*)", html))
    allowed = {"p", "a", "ul", "ol", "li", "blockquote", "pre", "code", "em", "strong", "hr", "br"}
    allowed |= {f"h{n}" for n in range(1, 7)}
    assert {t.lstrip("/") for t in tags} <= allowed
    assert re.search(r'href="(?!https://|mailto:)', html) is None


@pytest.mark.parametrize(
    "html",
    [
        "<p><code>--><p>&lt;script&gt;alert(1)&lt;/script&gt;</p></code></p>",  # code span across blocks
        "<p><b><pre>&lt;script&gt;alert(1)&lt;/script&gt;</pre></b></p>",  # fence inside emphasis
        "<dl><dt>t</dt><dd><p>x</p><pre>&lt;script&gt;alert(1)&lt;/script&gt;</pre></dd></dl>",
        "<h2>A <pre>&lt;script&gt;alert(1)&lt;/script&gt;</pre></h2>",
        '<p><a href="https://ok.example/"><div><pre>&lt;script&gt;alert(1)&lt;/script&gt;</pre></div></a></p>',
    ],
)
def test_code_never_leaks_out_of_its_context(html: str) -> None:
    markdown = render_markdown(make_article(content_html=html), saved=SAVED)
    rendered = to_html(split(markdown)[1])
    assert "<script>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered


def test_marks_and_links_do_not_combine_into_other_syntax() -> None:
    html = (
        '<p>Wow!<img src="https://ok.example/i.png" alt="pic"> and Mira Castellanos(the mayor)</p>'
    )
    markdown = render_markdown(
        make_article(content_html=html), entity_style="wikilink", saved=SAVED
    )
    rendered = to_html(split(markdown)[1])
    assert "<img" not in rendered
    assert '<a href="https://ok.example/i.png">pic</a>' in rendered
    assert "[[Mira Castellanos]](the mayor)" in rendered
