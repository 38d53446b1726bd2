"""The cache: schema, upserts that keep read/starred state, filters, search, retention."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsreader.models import (
    ArticleFilter,
    BlockKind,
    FeedSource,
    LinkSpan,
    ParsedArticle,
    ParsedFeed,
    TextBlock,
)
from newsreader.store import CacheError, FeedState, Store, fts_query
from newsreader.store.schema import SCHEMA_VERSION

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def article(
    key: str, title: str, *, hours: int = 0, text: str = "", summary: str = ""
) -> ParsedArticle:
    blocks = (
        (TextBlock(BlockKind.PARAGRAPH, text, (LinkSpan(0, 3, "https://example.com/x"),)),)
        if text
        else ()
    )
    return ParsedArticle(
        key=key, title=title, link=f"https://example.com/{key}", author="A. Writer",
        published=T0 + timedelta(hours=hours), updated=None, summary_html=summary or text,
        content_html="", blocks=blocks, text=text,
    )  # fmt: skip


def feed_of(*articles: ParsedArticle) -> ParsedFeed:
    return ParsedFeed(title="Example Wire", site_link="https://example.com", articles=articles)


OK = FeedState(status="ok", error=None, checked=0.0, next_due=0.0, failures=0, etag='"v1"')


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "cache.sqlite3")
    s.sync_feeds(
        [
            FeedSource("https://example.com/a.xml", region="Asia"),
            FeedSource("https://example.com/b.xml"),
        ]
    )
    return s


def feed_id(store: Store, url: str) -> int:
    feed = store.feed_by_url(url)
    assert feed is not None
    return feed.id


def test_open_sets_wal_foreign_keys_and_schema(store: Store) -> None:
    assert store.schema_version == SCHEMA_VERSION
    assert store._query("PRAGMA journal_mode")[0][0] == "wal"
    assert store._query("PRAGMA foreign_keys")[0][0] == 1
    assert store.integrity_check() == "ok"


def test_new_then_unchanged_then_updated_keeps_read_and_starred(store: Store) -> None:
    fid = feed_id(store, "https://example.com/a.xml")
    assert store.save_refresh(
        fid, OK, feed_of(article("1", "First"), article("2", "Second", hours=1))
    ) == (2, 0)
    assert store.save_refresh(
        fid, OK, feed_of(article("1", "First"), article("2", "Second", hours=1))
    ) == (0, 0)
    ids = store.article_ids()
    store.set_read(ids, True)
    store.set_starred(ids[0], True)
    assert store.save_refresh(
        fid, OK, feed_of(article("1", "First"), article("2", "Second, corrected", hours=1))
    ) == (0, 1)
    a = store.article(ids[0])
    assert a is not None and a.title == "Second, corrected" and a.read and a.starred
    feed = store.feed(fid)
    assert feed is not None and feed.etag == '"v1"' and feed.title == "Example Wire"


def test_blocks_round_trip(store: Store) -> None:
    fid = feed_id(store, "https://example.com/a.xml")
    store.save_refresh(fid, OK, feed_of(article("1", "T", text="Kabul said [/] so")))
    a = store.article(store.article_ids()[0])
    assert a is not None
    assert a.blocks == (
        TextBlock(
            BlockKind.PARAGRAPH, "Kabul said [/] so", (LinkSpan(0, 3, "https://example.com/x"),)
        ),
    )


def test_filters_compose_and_order_newest_first(store: Store) -> None:
    a, b = feed_id(store, "https://example.com/a.xml"), feed_id(store, "https://example.com/b.xml")
    store.save_refresh(
        a,
        OK,
        feed_of(
            article("1", "Quake hits Herat", hours=1, text="A strong earthquake"),
            article("2", "Rates", hours=3),
        ),
    )
    store.save_refresh(
        b, OK, feed_of(article("1", "Election in Chile", hours=2, text="Voters in Santiago"))
    )
    titles = [store.article(i).title for i in store.article_ids()]  # type: ignore[union-attr]
    assert titles == ["Rates", "Election in Chile", "Quake hits Herat"]
    assert len(store.article_ids(ArticleFilter(feed_ids=(b,)))) == 1
    assert [store.article(i).title for i in store.article_ids(ArticleFilter(search="earthq"))] == [
        "Quake hits Herat"
    ]  # type: ignore[union-attr]
    assert store.article_ids(ArticleFilter(search="herat santiago")) == []
    store.set_read(store.article_ids(ArticleFilter(feed_ids=(a,))), True)
    assert store.count(ArticleFilter()) == (3, 1)
    assert len(store.article_ids(ArticleFilter(unread_only=True, feed_ids=(a,)))) == 0
    assert store.set_read_where(ArticleFilter(feed_ids=(b,))) == 1
    assert store.count() == (3, 0)


def test_search_is_safe_against_fts_syntax(store: Store) -> None:
    fid = feed_id(store, "https://example.com/a.xml")
    store.save_refresh(fid, OK, feed_of(article("1", 'He said "NEAR" AND (OR)', text="x")))
    for query in ['"', "AND", "(OR", "*", "NEAR(", "[/]", "a:b", "-"]:
        store.article_ids(ArticleFilter(search=query))  # never raises
    assert fts_query("  ") is None
    assert len(store.article_ids(ArticleFilter(search='"near"'))) == 1


def test_hidden_feed_keeps_articles_until_removed(store: Store) -> None:
    fid = feed_id(store, "https://example.com/a.xml")
    store.save_refresh(fid, OK, feed_of(article("1", "T")))
    store.sync_feeds([FeedSource("https://example.com/b.xml")])
    assert store.article_ids() == []
    store.sync_feeds([FeedSource("https://example.com/a.xml")])
    assert len(store.article_ids()) == 1
    assert store.delete_feed("https://example.com/a.xml")
    assert store._query("SELECT count(*) FROM articles")[0][0] == 0


def test_failed_refresh_keeps_validators_and_articles(store: Store) -> None:
    fid = feed_id(store, "https://example.com/a.xml")
    store.save_refresh(fid, OK, feed_of(article("1", "T")))
    failed = FeedState(
        status="failed",
        error="timed out after 30 s",
        checked=1.0,
        next_due=2.0,
        failures=1,
        keep_validators=True,
    )
    store.save_refresh(fid, failed)
    feed = store.feed(fid)
    assert feed is not None and feed.etag == '"v1"' and feed.last_error == "timed out after 30 s"
    assert len(store.article_ids()) == 1


def test_retention_keeps_starred(store: Store) -> None:
    fid = feed_id(store, "https://example.com/a.xml")
    store.save_refresh(
        fid,
        OK,
        feed_of(*(article(str(i), f"T{i}", hours=i) for i in range(10))),
        now=T0.timestamp(),
    )
    oldest = store.article_ids()[-1]
    store.set_starred(oldest, True)
    assert len(store.prune(0, 3)) == 6
    assert oldest in store.article_ids() and len(store.article_ids()) == 4
    later = (T0 + timedelta(days=400)).timestamp()
    assert len(store.prune(30, 0, now=later)) == 3
    assert store.article_ids() == [oldest]


def test_not_a_database_gives_clear_error_and_keeps_file(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(CacheError, match="Move it aside"):
        Store.open(path)
    assert path.read_bytes().startswith(b"this is not sqlite")


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(CacheError, match="newer newsreader"):
        Store.open(path)


def test_permanent_redirect_changes_url(store: Store) -> None:
    fid = feed_id(store, "https://example.com/a.xml")
    assert store.change_feed_url(fid, "https://example.com/new.xml")
    assert store.feed_by_url("https://example.com/new.xml") is not None
    assert not store.change_feed_url(fid, "https://example.com/b.xml")


def test_next_due_stretches_never_shortens_and_backs_off() -> None:
    from newsreader.feeds.poller import MAX_BACKOFF, next_due

    assert next_due(0, 1800) == 1800
    assert next_due(0, 1800, ttl=3600) == 3600
    assert next_due(0, 1800, ttl=60, max_age=120) == 1800
    assert next_due(0, 1800, failures=1) == 1800
    assert next_due(0, 1800, failures=3) == 7200
    assert next_due(0, 1800, failures=30) == MAX_BACKOFF
    assert next_due(0, 1800, retry_after=5000) == 5000


def test_guid_that_changes_every_fetch_does_not_flood(store: Store) -> None:
    fid = feed_id(store, "https://example.com/a.xml")
    first = article("guid-1", "Same story", text="Body")
    assert store.save_refresh(fid, OK, feed_of(first)) == (1, 0)
    store.set_read([store.article_ids()[0]], True)
    # the next fetch: same link and title, a fresh guid
    again = ParsedArticle(
        key="guid-2", title=first.title, link=first.link, author=first.author,
        published=first.published, updated=None, summary_html=first.summary_html,
        content_html="", blocks=first.blocks, text=first.text,
    )  # fmt: skip
    assert store.save_refresh(fid, OK, feed_of(again)) == (0, 0)
    ids = store.article_ids()
    assert len(ids) == 1
    stored = store.article(ids[0])
    assert stored is not None and stored.key == "guid-2" and stored.read


def test_items_sharing_one_link_stay_separate(store: Store) -> None:
    fid = feed_id(store, "https://example.com/a.xml")

    def item(key: str, title: str) -> ParsedArticle:
        return ParsedArticle(
            key=key, title=title, link="https://example.com/", author=None, published=T0,
            updated=None, summary_html="", content_html="", blocks=(), text="",
        )  # fmt: skip

    store.save_refresh(fid, OK, feed_of(item("1", "One"), item("2", "Two")))
    store.save_refresh(fid, OK, feed_of(item("3", "Three"), item("4", "Four")))
    assert store.count() == (4, 4)


def test_version_2_cache_migrates_and_keeps_articles(tmp_path: Path) -> None:
    from newsreader.store.schema import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for statements in MIGRATIONS[:2]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO feeds (url, added) VALUES ('https://example.com/a.xml', 0)")
    conn.execute(
        "INSERT INTO articles (feed_id, key, title, sort_time, first_seen, content_hash) "
        "VALUES (1, 'k', 'Kept across the upgrade', 1, 1, 'h')"
    )
    conn.commit()
    conn.close()
    store = Store.open(path)
    assert store.schema_version == SCHEMA_VERSION
    assert store.unanalysed_ids(1) == store.article_ids() and len(store.article_ids()) == 1
    article = store.article(store.article_ids()[0])
    assert article is not None and article.title == "Kept across the upgrade"
    assert not article.analysed
