"""Widget-level tests: the virtual article list, the reader's rendering of hostile text, the
refresh progress messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from test_tui_support import NOW
from textual.app import App, ComposeResult
from textual.content import Content

from newsreader.models import Article, ArticleRow, BlockKind, LinkSpan, RefreshSummary, TextBlock
from newsreader.tui.app import VARIABLE_DEFAULTS
from newsreader.tui.messages import RefreshFinished, RefreshProgress
from newsreader.tui.widgets.article_list import ArticleList
from newsreader.tui.widgets.reader import ArticleReader, render_blocks, render_header

HOSTILE = "[b]x[/b] [/] [@click=app.quit]q[/] \x1b[2J\x1b]8;;http://evil\x07link\u202e!"


class FakeRows:
    """A store of 100,000 rows that records every fetch."""

    def __init__(self, count: int) -> None:
        self.ids = list(range(count, 0, -1))
        self.fetches: list[int] = []

    def __call__(self, ids: Sequence[int]) -> dict[int, ArticleRow]:
        self.fetches.append(len(ids))
        return {
            i: ArticleRow(i, 1, "Wire", HOSTILE if i == self.ids[0] else f"Story {i}",
                          NOW - timedelta(minutes=i), read=i % 2 == 0, starred=False)
            for i in ids
        }  # fmt: skip


class VariablesApp(App[None]):
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)


class ListApp(VariablesApp):
    def __init__(self, rows: FakeRows) -> None:
        super().__init__()
        self.rows = rows
        self.highlighted: list[int | None] = []

    def compose(self) -> ComposeResult:
        yield ArticleList(self.rows, lambda: NOW)

    def on_article_list_highlighted(self, event: ArticleList.Highlighted) -> None:
        self.highlighted.append(event.article_id)


async def test_list_of_100k_ids_fetches_only_the_visible_window() -> None:
    rows = FakeRows(100_000)
    app = ListApp(rows)
    async with app.run_test(size=(100, 30)) as pilot:
        articles = app.query_one(ArticleList)
        articles.set_ids(rows.ids)
        await pilot.pause()
        assert articles.virtual_size.height == 100_000
        assert rows.fetches and max(rows.fetches) < 200
        assert sum(rows.fetches) < 200
        articles.focus()
        articles.cursor = 99_999
        await pilot.pause()
        assert articles.selected_id == 1
        assert max(rows.fetches) < 200
        line = articles.render_line(articles.size.height - 1).text
        assert "Story 1 " in line or "Story 1" in line
        assert app.highlighted[-1] == 1


async def test_list_rows_show_hostile_titles_as_text() -> None:
    rows = FakeRows(10)
    app = ListApp(rows)
    async with app.run_test(size=(140, 12)) as pilot:
        articles = app.query_one(ArticleList)
        articles.set_ids(rows.ids)
        await pilot.pause()
        text = articles.render_line(0).text
        assert "[b]x[/b] [/] [@click=app.quit]q[/] [2J]8;;http://evillink!" in text
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text


async def test_set_ids_keeps_the_selected_article_in_place() -> None:
    rows = FakeRows(200)
    app = ListApp(rows)
    async with app.run_test(size=(100, 20)) as pilot:
        articles = app.query_one(ArticleList)
        articles.set_ids(rows.ids)
        articles.cursor = 5
        await pilot.pause()
        selected = articles.selected_id
        articles.set_ids([1001, 1002, 1003, *rows.ids], keep=selected)
        await pilot.pause()
        assert articles.selected_id == selected and articles.cursor == 8
        assert articles.scroll_y == 3


async def test_empty_list_shows_its_message() -> None:
    app = ListApp(FakeRows(0))
    async with app.run_test(size=(60, 10)) as pilot:
        articles = app.query_one(ArticleList)
        articles.empty_message = "Nothing [b]here[/b]: try `newsreader --demo`."
        articles.set_ids([])
        await pilot.pause()
        assert "Nothing [b]here[/b]" in articles.render_line(1).text


def test_reader_blocks_are_data_not_markup() -> None:
    blocks = (
        TextBlock(BlockKind.HEADING, HOSTILE, level=1),
        TextBlock(BlockKind.PARAGRAPH, "see [/] here", (LinkSpan(0, 3, "https://x.example"),)),
        TextBlock(BlockKind.LIST_ITEM, "[i]one[/i]", level=1),
        TextBlock(BlockKind.QUOTE, "[@click=app.quit]quote[/]"),
        TextBlock(BlockKind.IMAGE, "alt [b]text[/b]"),
    )
    content = render_blocks(blocks)
    assert isinstance(content, Content)
    plain = content.plain
    assert "[b]x[/b] [/] [@click=app.quit]q[/]" in plain
    assert "\x1b" not in plain and "\u202e" not in plain
    assert "  • [i]one[/i]" in plain and "▌ [@click=app.quit]quote[/]" in plain
    assert "[image: alt [b]text[/b]]" in plain
    # No span carries an action or a link taken from feed text.
    assert all("@click" not in str(span.style) for span in content.spans)


def test_reader_header_is_data_not_markup() -> None:
    article = Article(
        id=1, feed_id=1, feed_title="[red]Feed[/]", key="k", title=HOSTILE, link="https://e.example/[x]",
        author="[@click=app.bell]me[/]", published=NOW, updated=None, first_seen=NOW,
        read=False, starred=True,
    )  # fmt: skip
    plain = render_header(article, NOW).plain
    assert "[red]Feed[/]" in plain and "by [@click=app.bell]me[/]" in plain
    assert "https://e.example/[x]" in plain and "★" in plain


async def test_reader_widget_shows_article() -> None:
    class ReaderApp(VariablesApp):
        def compose(self) -> ComposeResult:
            yield ArticleReader(lambda: NOW)

    app = ReaderApp()
    async with app.run_test(size=(80, 20)) as pilot:
        reader = app.query_one(ArticleReader)
        reader.article = Article(
            id=1, feed_id=1, feed_title="Wire", key="k", title=HOSTILE, link=None, author=None,
            published=None, updated=None, first_seen=NOW, read=False, starred=False,
            blocks=(TextBlock(BlockKind.PARAGRAPH, "[/] body"),),
        )  # fmt: skip
        await pilot.pause()
        assert app.is_running


def test_progress_messages_collapse_to_the_latest() -> None:
    first, second = RefreshProgress(1, 10, 3), RefreshProgress(2, 10, 5)
    assert second.can_replace(first)
    assert not second.can_replace(RefreshFinished(RefreshSummary()))
