"""Fixture data for the TUI tests (a small cache built without the network), and unit tests
of the TUI's pure parts: keys table, theme files, safe text, relative ages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsreader import config as cfg
from newsreader.keys import COMMANDS, keymap_rows, unknown_keymap_ids
from newsreader.library import Library
from newsreader.models import BlockKind, FeedSource, ParsedArticle, ParsedFeed, TextBlock
from newsreader.paths import Paths
from newsreader.store import FeedState
from newsreader.themes import APP_VARIABLES, COLOUR_KEYS, load_all_themes, load_themes
from newsreader.tui.text import relative_age, safe_block, safe_line

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

HOSTILE_TITLES = (
    "[b]x[/b] bold tags stay literal",
    "Markets close [/] higher",
    "[@click=app.quit]Click to quit[/]",
    "Escape \x1b[31mred\x1b[0m and OSC \x1b]0;pwned\x07 title",
    "Bidi \u202eevil\u202c override",
)

# (feed title, url path, region, [(title, hours ago, body blocks)])
FEEDS: tuple[tuple[str, str, list[tuple[str, int]]], ...] = (
    (
        "Harbour Tribune",
        "/harbour.xml",
        [
            ("Ferry timetable changes after storm season review", 1),
            ("Harbour pilots vote to accept new rota", 5),
            ("Container volumes rise for a third month", 27),
        ],
    ),
    (
        "Upland Gazette",
        "/upland.xml",
        [
            ("Hill villages get a weekly mobile library", 2),
            ("Rail link survey reaches the northern valley", 9),
            ("Farmers' market moves to the old station yard", 50),
        ],
    ),
    ("Odd Titles Weekly", "/odd.xml", [(t, 3 + i) for i, t in enumerate(HOSTILE_TITLES)]),
)

BODY = (
    TextBlock(BlockKind.HEADING, "What happened", level=2),
    TextBlock(
        BlockKind.PARAGRAPH, "The council met on Tuesday and agreed the plan [b]quickly[/b]."
    ),
    TextBlock(BlockKind.LIST_ITEM, "First point", level=1),
    TextBlock(BlockKind.LIST_ITEM, "Second point", level=1),
    TextBlock(BlockKind.QUOTE, "We are pleased [@click=app.quit]with it[/], said a spokesperson."),
)


def make_paths(tmp_path: Path, sources: list[FeedSource] | None, keymap: str = "") -> Paths:
    paths = Paths(config_file=tmp_path / "config" / "config.toml", data_dir=tmp_path / "data")
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    text = cfg.DEFAULT_CONFIG
    if keymap:
        text += keymap
    paths.config_file.write_text(text, encoding="utf-8")
    if sources is not None:
        cfg.write_feed_list(paths.feeds_file, sources)
    return paths


def fixture_library(
    tmp_path: Path, *, keymap: str = "", base: str = "http://127.0.0.1:9"
) -> Library:
    """A cache with three feeds (one full of hostile titles), as of the frozen ``NOW``."""
    sources = [FeedSource(base + path, title=title) for title, path, _ in FEEDS]
    library = Library.open(make_paths(tmp_path, sources, keymap), write_defaults=False)
    checked = (NOW - timedelta(minutes=10)).timestamp()
    for (title, path, items), source in zip(FEEDS, sources, strict=True):
        feed = library.store.feed_by_url(source.url)
        assert feed is not None
        articles = tuple(
            ParsedArticle(
                key=f"{path}-{i}",
                title=item_title,
                link=f"https://news.example.com{path.removesuffix('.xml')}/{i}",
                author="R. Porter" if i % 2 == 0 else None,
                published=NOW - timedelta(hours=hours),
                updated=None,
                summary_html="",
                content_html="",
                blocks=BODY,
                text="\n\n".join(b.text for b in BODY),
            )
            for i, (item_title, hours) in enumerate(items)
        )
        state = FeedState(
            status="ok",
            error=None,
            checked=checked,
            next_due=(NOW + timedelta(minutes=20)).timestamp(),
            failures=0,
        )
        library.store.save_refresh(feed.id, state, ParsedFeed(title, None, articles), now=checked)
    library.analyse_now(library.store.unanalysed_ids(1))
    return library


# --- unit tests of the pure parts ---------------------------------------------------------


def test_keymap_rows_cover_every_command_and_apply_overrides() -> None:
    rows = keymap_rows({"cursor_down": "x,ctrl+n"})
    assert [r[0] for r in rows] == [c.id for c in COMMANDS]
    assert ("cursor_down", "x, ctrl+n", "Next article") in rows
    assert dict((r[0], r[1]) for r in rows)["search"] == "/"
    assert len({c.id for c in COMMANDS}) == len(COMMANDS)
    assert unknown_keymap_ids({"cursor_down": "x", "nope": "y"}) == ["nope"]


def test_no_key_does_two_things() -> None:
    keys = [k for c in COMMANDS for k in c.keys.split(",")]
    assert len(keys) == len(set(keys))
    taken = set(keys)
    assert {*"0123456789", "e", "E", "plus", "d", "v"} <= taken  # entities and regions


def test_builtin_themes_define_every_colour_and_variable() -> None:
    loaded = load_all_themes()
    assert loaded.errors == []
    names = {"newsreader-dark", "newsreader-light", "newsreader-contrast", "newsreader-amber"}
    assert names <= set(loaded.themes)
    for theme in loaded.themes.values():
        assert set(COLOUR_KEYS) <= set(theme), theme["name"]
        assert set(APP_VARIABLES) <= set(theme["variables"]), theme["name"]
    assert loaded.themes["newsreader-light"]["dark"] is False


def test_broken_theme_files_are_errors_not_exceptions(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('name = "ok-theme"\nprimary = "#123456"\n')
    (tmp_path / "b.toml").write_text("name = [not toml")
    (tmp_path / "c.toml").write_text('name = "bad"\nprimary = "not a colour!"\n')
    (tmp_path / "d.toml").write_text('primary = "#123456"\n')
    (tmp_path / "e.toml").write_text('name = "x"\nprimary = "#123456"\nbogus = 1\n')
    loaded = load_themes([tmp_path])
    assert list(loaded.themes) == ["ok-theme"]
    assert len(loaded.errors) == 4
    assert any("b.toml" in e and "TOML" in e for e in loaded.errors)
    assert any("'name' is missing" in e for e in loaded.errors)


def test_user_theme_overrides_builtin(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('name = "newsreader-dark"\nprimary = "#010203"\n')
    loaded = load_all_themes(tmp_path)
    assert loaded.themes["newsreader-dark"]["primary"] == "#010203"


def test_safe_text_removes_controls_and_bidi_but_keeps_brackets() -> None:
    assert safe_line("a\x1b[31mb\x07\u202ec\nd") == "a[31mbc d"
    assert safe_line("[b]x[/b] [/]") == "[b]x[/b] [/]"
    assert safe_block("one\r\ntwo\x9b") == "one\ntwo"


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=5), "now"),
        (timedelta(minutes=5), "5m"),
        (timedelta(hours=3), "3h"),
        (timedelta(days=2), "2d"),
        (timedelta(days=30), "4w"),
        (timedelta(days=800), "2y"),
    ],
)
def test_relative_age(delta: timedelta, text: str) -> None:
    assert relative_age(NOW - delta, NOW) == text


def test_fixture_library_is_frozen_in_time(tmp_path: Path) -> None:
    with fixture_library(tmp_path) as library:
        ids = library.article_ids()
        assert len(ids) == 11
        rows = library.article_rows(ids)
        assert rows[ids[0]].title.startswith("Ferry")


# Original articles naming people, groups and places, for the entity and region tests:
# (feed title, url path, declared region, [(title, hours ago, paragraphs)])
Feeds = tuple[tuple[str, str, str | None, list[tuple[str, int, tuple[str, ...]]]], ...]

WORLD: Feeds = (
    (
        "Frontier Wire",
        "/frontier.xml",
        "Asia",
        [
            (
                "Taliban fighters seize Islam Qala crossing on Iran border",
                2,
                (
                    "Taliban fighters took the Islam Qala border crossing in Herat province on "
                    "Thursday, officials in Kabul said.",
                    "Taliban spokesman Zabihullah Mujahid said trade with Iran would continue. "
                    "Mujahid added that Afghan traders could cross freely.",
                ),
            ),
            (
                "Kazakhstan opens new rail freight terminal near Almaty",
                6,
                (
                    "Kazakhstan opened a rail freight terminal outside Almaty on Monday, "
                    "the transport ministry said.",
                ),
            ),
        ],
    ),
    (
        "Cedar Courier",
        "/cedar.xml",
        "Middle East",
        [
            (
                "Egypt and Jordan agree to expand power grid link",
                3,
                (
                    "Egypt and Jordan signed an agreement in Cairo to double the capacity of the "
                    "power line that links their grids, Egyptian officials said.",
                ),
            ),
            (
                "Berlin hosts talks on Baltic wind power",
                8,
                (
                    "Ministers from Germany, Denmark and Estonia met in Berlin to plan new wind "
                    "farms in the Baltic Sea, the German government said.",
                ),
            ),
            (
                "Quarterly review of the newsletter format",
                12,
                ("Readers asked for shorter issues.",),
            ),
        ],
    ),
)


def world_library(tmp_path: Path) -> Library:
    """A small analysed cache: entities and story regions stored, as after a refresh."""
    return analysed_library(tmp_path, WORLD)


def analysed_library(tmp_path: Path, feeds: Feeds) -> Library:
    """A cache of ``feeds`` (title, url path, declared region, items), analysed as after a
    refresh: entities, regions and related-stories features stored."""
    sources = [
        FeedSource("http://127.0.0.1:9" + path, title=title, region=region)
        for title, path, region, _ in feeds
    ]
    library = Library.open(make_paths(tmp_path, sources), write_defaults=False)
    checked = (NOW - timedelta(minutes=10)).timestamp()
    for (title, path, _, items), source in zip(feeds, sources, strict=True):
        feed = library.store.feed_by_url(source.url)
        assert feed is not None
        articles = tuple(
            ParsedArticle(
                key=f"{path}-{i}",
                title=item_title,
                link=f"https://world.example.com{path.removesuffix('.xml')}/{i}",
                author=None,
                published=NOW - timedelta(hours=hours),
                updated=None,
                summary_html="",
                content_html="",
                blocks=tuple(TextBlock(BlockKind.PARAGRAPH, p) for p in paragraphs),
                text="\n\n".join(paragraphs),
            )
            for i, (item_title, hours, paragraphs) in enumerate(items)
        )
        state = FeedState("ok", None, checked, checked + 3600, 0)
        library.store.save_refresh(feed.id, state, ParsedFeed(title, None, articles), now=checked)
    library.analyse_now(library.store.unanalysed_ids(1))
    return library


# Original articles for the related-stories strip: one earthquake told by four feeds (two of them
# carry the same wire copy), a rate decision told by two, and the same kinds of event elsewhere.
WIRE_QUAKE = (
    "A magnitude 6.7 earthquake struck off the coast of Mindanao early on Tuesday, killing at least four people in Davao Oriental and damaging a bridge near Mati, the Philippine seismology agency Phivolcs said. A tsunami warning for the eastern coast was lifted two hours later.",
    "Phivolcs director Teresito Bacolcol said aftershocks were likely for several days and asked residents of Mati and Baganga to stay out of damaged buildings.",
)
STORIES: Feeds = (
    (
        "Harbour Wire",
        "/harbour.xml",
        "Asia",
        [
            (
                "Quake of magnitude 6.7 off Mindanao kills four in Davao Oriental",
                3,
                (
                    "At least four people died in Davao Oriental when a magnitude 6.7 earthquake "
                    "struck off Mindanao before dawn, Phivolcs said. A bridge near Mati cracked and "
                    "schools in Baganga were closed.",
                    "Phivolcs lifted its tsunami warning for the eastern seaboard after two hours. "
                    "Director Teresito Bacolcol warned of aftershocks.",
                ),
            ),
            (
                "Manila port handles record container volume in October",
                10,
                (
                    "The Manila International Container Terminal handled a record volume in "
                    "October, its operator said, citing strong imports before Christmas.",
                ),
            ),
        ],
    ),
    (
        "Continental Post",
        "/continental.xml",
        "Europe",
        [
            (
                "Four dead as strong Mindanao earthquake damages bridge near Mati",
                4,
                (
                    "A strong earthquake of magnitude 6.7 off Mindanao in the Philippines killed "
                    "four people and damaged a bridge near Mati in Davao Oriental, Phivolcs said.",
                    "A tsunami warning was lifted; Teresito Bacolcol of Phivolcs said aftershocks "
                    "could follow.",
                ),
            ),
            (
                "Norges Bank keeps its key rate at 4.25 percent",
                5,
                (
                    "Norway's central bank Norges Bank held its policy rate at 4.25 percent on "
                    "Thursday and said a first cut could come in March, Governor Ida Wolden Bache "
                    "told reporters in Oslo.",
                ),
            ),
        ],
    ),
    (
        "Global Dispatch",
        "/global.xml",
        None,
        [
            ("Magnitude 6.7 earthquake strikes off Mindanao, four dead", 2, WIRE_QUAKE),
            (
                "Norway holds rates at 4.25% and signals a cut in March",
                6,
                (
                    "Norges Bank left its key rate unchanged at 4.25 percent, Governor Ida Wolden "
                    "Bache said in Oslo, adding that the bank expected to lower it in March.",
                ),
            ),
        ],
    ),
    (
        "Atlantic Daily",
        "/atlantic.xml",
        "North America",
        [
            ("Magnitude 6.7 earthquake strikes off Mindanao, four dead", 2, WIRE_QUAKE),
            (
                "Magnitude 6.1 earthquake shakes Antofagasta in northern Chile",
                7,
                (
                    "A magnitude 6.1 earthquake shook Antofagasta in northern Chile on Monday "
                    "evening, Chile's seismology centre said. No damage was reported and the "
                    "navy ruled out a tsunami.",
                ),
            ),
        ],
    ),
)


def stories_library(tmp_path: Path) -> Library:
    """An analysed cache where one story is told by several feeds (see ``STORIES``)."""
    return analysed_library(tmp_path, STORIES)
