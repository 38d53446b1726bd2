"""The local cache: the only place in newsreader that writes SQL.

One SQLite file in the data dir, in WAL mode so a reader (the UI) never waits for the writer (a
refresh), with a busy timeout so two processes sharing a cache take turns instead of failing.
Each feed's refresh is written in one transaction: a killed process loses nothing that was
committed, and never leaves half a feed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsreader.models import (
    ALL_ARTICLES,
    Article,
    ArticleFilter,
    ArticleRow,
    BlockKind,
    EntitySummary,
    EntityType,
    Feed,
    FeedSource,
    FullText,
    LinkSpan,
    Mention,
    ParsedArticle,
    ParsedFeed,
    RegionScore,
    TextBlock,
)
from newsreader.store.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["UNPLACED", "AnalysisInput", "CacheError", "FeedState", "Store", "StoredAnalysis"]

UNPLACED = "Unplaced"
"""The region of an analysed article that names no place."""


class CacheError(Exception):
    """The cache file cannot be used. The message says why and what to do."""


@dataclass(frozen=True, slots=True)
class FeedState:
    """What a refresh learned about a feed, written together with its articles."""

    status: str
    error: str | None
    checked: float
    next_due: float
    failures: int
    gone: bool = False
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    keep_validators: bool = False  # True: leave the stored validators as they are


@dataclass(frozen=True, slots=True)
class AnalysisInput:
    """What the analyser needs of one stored article."""

    id: int
    title: str
    text: str  # the full text when fetched, else the feed's text
    source_region: str | None
    mentions: str | None = None  # the stored mentions (JSON), when only regions are redone
    title_end: int = 0
    lead_end: int = 0


@dataclass(frozen=True, slots=True)
class StoredAnalysis:
    """One article's analysis, as the store writes it."""

    article_id: int
    version: int
    language: str | None
    full: bool
    title_end: int
    lead_end: int
    mentions: tuple[Mention, ...]
    entities: tuple[EntitySummary, ...]
    regions: tuple[RegionScore, ...]
    features: bytes | None = None


def encode_mentions(mentions: Sequence[Mention]) -> str:
    return json.dumps(
        [[m.start, m.end, m.type.value, m.canonical, m.country] for m in mentions],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode_mentions(data: str, text: str) -> tuple[Mention, ...]:
    """Mentions stored for ``text`` (the analysed text); spans outside it are dropped."""
    out = []
    for start, end, kind, canonical, country in json.loads(data):
        if 0 <= start < end <= len(text):
            out.append(Mention(start, end, text[start:end], EntityType(kind), canonical, country))
    return tuple(out)


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


def encode_blocks(blocks: Sequence[TextBlock]) -> str:
    return json.dumps(
        [
            [b.kind.value, b.text, [[s.start, s.end, s.href] for s in b.links], b.level]
            for b in blocks
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode_blocks(data: str) -> tuple[TextBlock, ...]:
    return tuple(
        TextBlock(BlockKind(kind), text, tuple(LinkSpan(*span) for span in links), level)
        for kind, text, links, level in json.loads(data)
    )


def fts_query(text: str) -> str | None:
    """Turn what a user typed into a safe FTS5 query: every word must appear (prefix match)."""
    words = [w for w in "".join(c if c.isalnum() else " " for c in text).split() if w]
    if not words:
        return None
    return " ".join(f'"{w}"*' for w in words)


def _content_hash(a: ParsedArticle) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in (a.title, a.link or "", a.author or "", a.summary_html, a.content_html):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def _rekeyed(rows: Sequence[Sequence[Any]], articles: Sequence[ParsedArticle]) -> dict[str, str]:
    """Stored keys to rename: an item whose guid changes on every fetch (but whose link, or
    else title, stays) is the same article, not a new one. Only unambiguous matches count: a
    link or title shared by several items of the feed matches nothing."""
    incoming = {a.key for a in articles}
    stored_keys = {r[0] for r in rows}
    fresh = [a for a in articles if a.key not in stored_keys]
    if not fresh:
        return {}
    stale = [r for r in rows if r[0] not in incoming]
    renamed: dict[str, str] = {}
    for field_index, attr in ((2, "link"), (3, "title")):
        counts: dict[str, int] = {}
        for a in articles:
            value = getattr(a, attr)
            if value:
                counts[value] = counts.get(value, 0) + 1
        stored: dict[str, list[str]] = {}
        for r in stale:
            if r[field_index] and r[0] not in renamed:
                stored.setdefault(r[field_index], []).append(r[0])
        for a in fresh:
            value = getattr(a, attr)
            if a.key in renamed.values() or not value or counts.get(value) != 1:
                continue
            keys = stored.get(value, [])
            if len(keys) == 1 and keys[0] not in renamed:
                renamed[keys[0]] = a.key
        fresh = [a for a in fresh if a.key not in renamed.values()]
    return renamed


_FEED_COLUMNS = (
    "f.id, f.url, f.title, f.site_link, f.region, f.category, f.etag, f.last_modified, "
    "f.body_hash, f.last_status, f.last_error, f.last_checked, f.next_due, f.failures, f.gone"
)
_ROW_COLUMNS = "a.id, a.feed_id, coalesce(f.title, f.url), a.title, a.sort_time, a.read, a.starred"


class Store:
    """A connection to the cache. Use one Store per thread (``Store.open`` the same path)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = threading.RLock()

    # --- opening --------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, busy_timeout_ms: int = 10_000) -> Store:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(
                path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise CacheError(f"cannot open the cache {path}: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            store = cls(conn, path)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise CacheError(
                f"the cache {path} is damaged or is not a newsreader cache ({exc}). "
                f"Move it aside (for example: mv '{path}' '{path}.broken') and newsreader "
                "will start a new one; nothing was deleted."
            ) from exc
        return store

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise CacheError(
                f"the cache {self.path} was written by a newer newsreader "
                f"(schema {version}, this version knows {SCHEMA_VERSION}); upgrade newsreader"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction() as cur:
                # Re-check inside the write lock: another process may have migrated meanwhile.
                if cur.execute("PRAGMA user_version").fetchone()[0] >= target:
                    continue
                for statement in MIGRATIONS[target - 1]:
                    cur.execute(statement)
                cur.execute(f"PRAGMA user_version = {target}")

    def close(self) -> None:
        with self._lock:
            with suppress(sqlite3.Error):
                self._conn.execute("PRAGMA optimize")
            self._conn.close()

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """A write transaction, taken at once (BEGIN IMMEDIATE) so concurrent writers queue."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def integrity_check(self) -> str:
        return str(self._query("PRAGMA integrity_check")[0][0])

    # --- feeds ----------------------------------------------------------------------------

    def sync_feeds(self, sources: Iterable[FeedSource], now: float | None = None) -> None:
        """Make the feeds table match the configured list. Feeds no longer listed are hidden,
        not deleted, so hand-editing the list never loses cached articles."""
        now = time.time() if now is None else now
        sources = list(sources)
        with self.transaction() as cur:
            cur.execute("UPDATE feeds SET active = 0")
            for s in sources:
                cur.execute(
                    """
                    INSERT INTO feeds (url, title, region, category, full_text, active, added)
                    VALUES (?, ?, ?, ?, ?, 1, ?)
                    ON CONFLICT (url) DO UPDATE SET
                        title = coalesce(excluded.title, feeds.title),
                        region = excluded.region, category = excluded.category,
                        full_text = excluded.full_text, active = 1
                    """,
                    (s.url, s.title, s.region, s.category, int(s.full_text), now),
                )

    def delete_feed(self, url: str) -> bool:
        with self.transaction() as cur:
            return cur.execute("DELETE FROM feeds WHERE url = ?", (url,)).rowcount > 0

    def feeds(self, *, with_counts: bool = True) -> list[Feed]:
        counts = ", 0, 0"
        join = ""
        if with_counts:
            counts = ", coalesce(c.unread, 0), coalesce(c.total, 0)"
            join = """LEFT JOIN (SELECT feed_id, sum(read = 0) AS unread, count(*) AS total
                      FROM articles GROUP BY feed_id) c ON c.feed_id = f.id"""
        rows = self._query(
            f"SELECT {_FEED_COLUMNS}{counts} FROM feeds f {join} WHERE f.active = 1 ORDER BY f.id"
        )
        return [self._feed(r) for r in rows]

    def feed(self, feed_id: int) -> Feed | None:
        rows = self._query(f"SELECT {_FEED_COLUMNS}, 0, 0 FROM feeds f WHERE f.id = ?", (feed_id,))
        return self._feed(rows[0]) if rows else None

    def feed_by_url(self, url: str) -> Feed | None:
        rows = self._query(f"SELECT {_FEED_COLUMNS}, 0, 0 FROM feeds f WHERE f.url = ?", (url,))
        return self._feed(rows[0]) if rows else None

    @staticmethod
    def _feed(r: Sequence[Any]) -> Feed:
        return Feed(
            id=r[0], url=r[1], title=r[2], site_link=r[3], region=r[4], category=r[5],
            etag=r[6], last_modified=r[7], body_hash=r[8], last_status=r[9], last_error=r[10],
            last_checked=_dt(r[11]), next_due=_dt(r[12]), failures=r[13], gone=bool(r[14]),
            unread=r[15], total=r[16],
        )  # fmt: skip

    def change_feed_url(self, feed_id: int, new_url: str) -> bool:
        """Follow a permanent redirect. False if another feed already has that URL."""
        try:
            with self.transaction() as cur:
                cur.execute("UPDATE feeds SET url = ? WHERE id = ?", (new_url, feed_id))
        except sqlite3.IntegrityError:
            return False
        return True

    def save_refresh(
        self,
        feed_id: int,
        state: FeedState,
        parsed: ParsedFeed | None = None,
        *,
        now: float | None = None,
    ) -> tuple[int, int]:
        """Write one feed's refresh (its state and its articles) in one transaction.

        Returns (new, updated). An updated article keeps its read and starred state.
        """
        now = time.time() if now is None else now
        new = updated = 0
        with self.transaction() as cur:
            validators = (
                ""
                if state.keep_validators
                else ", etag = :etag, last_modified = :last_modified, body_hash = :body_hash"
            )
            cur.execute(
                f"""UPDATE feeds SET last_status = :status, last_error = :error,
                    last_checked = :checked, next_due = :next_due, failures = :failures,
                    gone = :gone {validators} WHERE id = :id""",
                {
                    "status": state.status, "error": state.error, "checked": state.checked,
                    "next_due": state.next_due, "failures": state.failures,
                    "gone": int(state.gone), "etag": state.etag,
                    "last_modified": state.last_modified, "body_hash": state.body_hash,
                    "id": feed_id,
                },
            )  # fmt: skip
            if parsed is None:
                return 0, 0
            cur.execute(
                """UPDATE feeds SET title = coalesce(title, ?), site_link = ? WHERE id = ?""",
                (parsed.title or None, parsed.site_link, feed_id),
            )
            rows = cur.execute(
                "SELECT key, content_hash, link, title FROM articles WHERE feed_id = ?", (feed_id,)
            ).fetchall()
            existing = {r[0]: r[1] for r in rows}
            renamed = _rekeyed(rows, parsed.articles)
            for old_key, new_key in renamed.items():
                cur.execute(
                    "UPDATE articles SET key = ? WHERE feed_id = ? AND key = ?",
                    (new_key, feed_id, old_key),
                )
                existing[new_key] = existing.pop(old_key)
            for a in parsed.articles:
                digest = _content_hash(a)
                old = existing.get(a.key)
                if old == digest:
                    continue
                published = _ts(a.published)
                values = (
                    a.title, a.link, a.author, published, _ts(a.updated), a.summary_html,
                    a.content_html, encode_blocks(a.blocks), a.text, digest,
                )  # fmt: skip
                if old is None:
                    cur.execute(
                        """INSERT INTO articles (title, link, author, published, updated,
                               summary_html, content_html, blocks, text, content_hash,
                               feed_id, key, first_seen, sort_time)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                        (*values, feed_id, a.key, now, published if published is not None else now),
                    )
                    new += 1
                else:
                    cur.execute(
                        """UPDATE articles SET title = ?, link = ?, author = ?, published = ?,
                               updated = ?, summary_html = ?, content_html = ?, blocks = ?,
                               text = ?, content_hash = ?,
                               sort_time = coalesce(?, first_seen)
                           WHERE feed_id = ? AND key = ?""",
                        (*values, published, feed_id, a.key),
                    )
                    cur.execute(  # its analysis is out of date: the next pass redoes it
                        """UPDATE article_nlp SET version = 0 WHERE article_id =
                           (SELECT id FROM articles WHERE feed_id = ? AND key = ?)""",
                        (feed_id, a.key),
                    )
                    updated += 1
                existing[a.key] = digest
        return new, updated

    # --- articles -------------------------------------------------------------------------

    def _where(self, flt: ArticleFilter) -> tuple[str, list[Any]]:
        clauses = ["a.feed_id IN (SELECT id FROM feeds WHERE active = 1)"]
        params: list[Any] = []
        if flt.feed_ids:
            clauses.append(f"a.feed_id IN ({','.join('?' * len(flt.feed_ids))})")
            params.extend(flt.feed_ids)
        if flt.unread_only:
            clauses.append("a.read = 0")
        if flt.starred_only:
            clauses.append("a.starred = 1")
        if flt.since is not None:
            clauses.append("a.sort_time >= ?")
            params.append(flt.since.timestamp())
        if flt.entity is not None:
            kind, name = flt.entity
            clauses.append(
                "a.id IN (SELECT ae.article_id FROM article_entities ae JOIN entities e "
                "ON e.id = ae.entity_id WHERE e.type = ? AND e.canonical = ? COLLATE NOCASE)"
            )
            params.extend((kind.value, name))
        if flt.regions:
            marks = ",".join("?" * len(flt.regions))
            if flt.region_kind == "source":
                clauses.append(f"a.feed_id IN (SELECT id FROM feeds WHERE region IN ({marks}))")
            else:
                # EXISTS, not IN: the list is read in time order from the covering index and
                # each row is checked by primary key, so the first screenful comes at once.
                clauses.append(
                    "EXISTS (SELECT 1 FROM article_regions r WHERE r.article_id = a.id "
                    f"AND r.name IN ({marks}) AND r.parent = '')"
                )
            params.extend(flt.regions)
        if flt.subregion:
            # inside the one selected region, or any region's when none is selected
            parent = flt.regions[0] if len(flt.regions) == 1 else None
            clauses.append(
                "EXISTS (SELECT 1 FROM article_regions s WHERE s.article_id = a.id AND s.name = ? "
                + ("AND s.parent = ?)" if parent else "AND s.parent != '')")
            )
            params.extend((flt.subregion, parent) if parent else (flt.subregion,))
        if flt.search:
            query = fts_query(flt.search)
            if query is not None:
                clauses.append(
                    "a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)"
                )
                params.append(query)
        return " AND ".join(clauses), params

    def article_ids(self, flt: ArticleFilter = ALL_ARTICLES, limit: int | None = None) -> list[int]:
        """Ids of the articles the filter selects, newest first: the list's whole index."""
        where, params = self._where(flt)
        sql = f"SELECT a.id FROM articles a WHERE {where} ORDER BY a.sort_time DESC, a.id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [r[0] for r in self._query(sql, params)]

    def count(self, flt: ArticleFilter = ALL_ARTICLES) -> tuple[int, int]:
        """(total, unread) for a filter."""
        where, params = self._where(flt)
        row = self._query(
            f"SELECT count(*), coalesce(sum(a.read = 0), 0) FROM articles a WHERE {where}",
            params,
        )[0]
        return int(row[0]), int(row[1])

    def article_rows(self, ids: Sequence[int]) -> dict[int, ArticleRow]:
        """The light rows the list renders, for a window of ids."""
        out: dict[int, ArticleRow] = {}
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start : chunk_start + 500]
            rows = self._query(
                f"SELECT {_ROW_COLUMNS} FROM articles a JOIN feeds f ON f.id = a.feed_id "
                f"WHERE a.id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for r in rows:
                out[r[0]] = ArticleRow(
                    id=r[0], feed_id=r[1], feed_title=r[2], title=r[3],
                    when=datetime.fromtimestamp(r[4], UTC), read=bool(r[5]), starred=bool(r[6]),
                )  # fmt: skip
        return out

    def article(self, article_id: int) -> Article | None:
        rows = self._query(
            """SELECT a.id, a.feed_id, coalesce(f.title, f.url), a.key, a.title, a.link, a.author,
                      a.published, a.updated, a.first_seen, a.read, a.starred, a.summary_html,
                      a.content_html, a.blocks, a.text, f.category, f.region
               FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE a.id = ?""",
            (article_id,),
        )
        if not rows:
            return None
        r = rows[0]
        full = self.full_text(article_id)
        body = full.text if full is not None else r[15]
        text = f"{r[4].strip()}\n\n{body}" if body else r[4].strip()
        language, analysed, mentions, entities = self._analysis_of(article_id, text)
        return Article(
            id=r[0], feed_id=r[1], feed_title=r[2], key=r[3], title=r[4], link=r[5], author=r[6],
            published=_dt(r[7]), updated=_dt(r[8]), first_seen=datetime.fromtimestamp(r[9], UTC),
            read=bool(r[10]), starred=bool(r[11]), summary_html=r[12], content_html=r[13],
            blocks=decode_blocks(r[14]), text=r[15], category=r[16], source_region=r[17],
            language=language, analysed=analysed, mentions=mentions, entities=entities,
            regions=self.regions_of(article_id), full_text=full,
        )  # fmt: skip

    def _analysis_of(
        self, article_id: int, text: str
    ) -> tuple[str | None, bool, tuple[Mention, ...], tuple[EntitySummary, ...]]:
        rows = self._query(
            "SELECT version, language, mentions FROM article_nlp WHERE article_id = ?",
            (article_id,),
        )
        if not rows:
            return None, False, (), ()
        entities = tuple(
            EntitySummary(EntityType(r[0]), r[1], r[2], r[3], r[4])
            for r in self._query(
                """SELECT e.type, e.canonical, e.country, ae.count, ae.salience
                   FROM article_entities ae JOIN entities e ON e.id = ae.entity_id
                   WHERE ae.article_id = ? ORDER BY ae.salience DESC, ae.count DESC""",
                (article_id,),
            )
        )
        return rows[0][1], rows[0][0] > 0, decode_mentions(rows[0][2], text), entities

    def regions_of(self, article_id: int) -> tuple[RegionScore, ...]:
        """An article's story regions, primary first, each with its sub-regions."""
        regions: dict[str, tuple[int, float]] = {}
        subs: dict[str, list[str]] = {}
        for name, parent, score, rank in self._query(
            "SELECT name, parent, score, rank FROM article_regions WHERE article_id = ? "
            "ORDER BY rank",
            (article_id,),
        ):
            if parent:
                subs.setdefault(parent, []).append(name)
            elif name != UNPLACED:
                regions[name] = (rank, score)
        ordered = sorted(regions.items(), key=lambda item: item[1][0])
        return tuple(
            RegionScore(name, score, tuple(subs.get(name, ()))) for name, (_, score) in ordered
        )

    def full_text(self, article_id: int) -> FullText | None:
        rows = self._query(
            "SELECT html, blocks, text, fetched FROM article_fulltext WHERE article_id = ?",
            (article_id,),
        )
        if not rows:
            return None
        html, blocks, text, fetched = rows[0]
        return FullText(html, decode_blocks(blocks), text, datetime.fromtimestamp(fetched, UTC))

    def save_full_text(self, article_id: int, full: FullText) -> None:
        """Store an article's fetched full text; its analysis is then redone from it."""
        with self.transaction() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO article_fulltext (article_id, html, blocks, text, fetched) "
                "VALUES (?, ?, ?, ?, ?)",
                (article_id, full.html, encode_blocks(full.blocks), full.text,
                 full.fetched.timestamp()),
            )  # fmt: skip
            cur.execute("UPDATE article_nlp SET version = 0 WHERE article_id = ?", (article_id,))

    def missing_full_texts(self, since: float) -> list[tuple[int, str]]:
        """(id, link) of articles first seen since ``since`` in feeds marked ``full_text``
        that have no full text yet."""
        return [
            (r[0], r[1])
            for r in self._query(
                """SELECT a.id, a.link FROM articles a JOIN feeds f ON f.id = a.feed_id
                   WHERE f.full_text = 1 AND f.active = 1 AND a.first_seen >= ?
                     AND a.link IS NOT NULL
                     AND NOT EXISTS (SELECT 1 FROM article_fulltext t WHERE t.article_id = a.id)""",
                (since,),
            )
        ]

    # --- analyses -------------------------------------------------------------------------

    def unanalysed_ids(self, version: int, limit: int | None = None) -> list[int]:
        """Articles with no analysis, or one older than ``version``: newest first."""
        sql = (
            "SELECT a.id FROM articles a LEFT JOIN article_nlp n ON n.article_id = a.id "
            "WHERE n.article_id IS NULL OR n.version < ? ORDER BY a.sort_time DESC, a.id DESC"
        )
        params: list[Any] = [version]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [r[0] for r in self._query(sql, params)]

    def analysis_inputs(self, ids: Sequence[int]) -> list[AnalysisInput]:
        out: list[AnalysisInput] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self._query(
                f"""SELECT a.id, a.title, coalesce(ft.text, a.text), f.region,
                           n.mentions, n.title_end, n.lead_end
                    FROM articles a JOIN feeds f ON f.id = a.feed_id
                    LEFT JOIN article_fulltext ft ON ft.article_id = a.id
                    LEFT JOIN article_nlp n ON n.article_id = a.id
                    WHERE a.id IN ({",".join("?" * len(chunk))})""",
                chunk,
            )
            out.extend(
                AnalysisInput(r[0], r[1], r[2], r[3], r[4], r[5] or 0, r[6] or 0) for r in rows
            )
        return out

    def analysed_ids(self) -> list[int]:
        return [r[0] for r in self._query("SELECT article_id FROM article_nlp")]

    def save_analyses(self, analyses: Sequence[StoredAnalysis]) -> None:
        """Write analyses (replacing older ones) in one transaction. Articles deleted
        meanwhile are skipped."""
        with self.transaction() as cur:
            entity_ids: dict[tuple[str, str], int] = {}
            for an in analyses:
                if not cur.execute(
                    "SELECT 1 FROM articles WHERE id = ?", (an.article_id,)
                ).fetchone():
                    continue
                cur.execute(
                    """INSERT OR REPLACE INTO article_nlp (article_id, version, language, full,
                           title_end, lead_end, mentions, features)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                    (an.article_id, an.version, an.language, int(an.full), an.title_end,
                     an.lead_end, encode_mentions(an.mentions), an.features),
                )  # fmt: skip
                cur.execute("DELETE FROM article_entities WHERE article_id = ?", (an.article_id,))
                for e in an.entities:
                    key = (e.type.value, e.canonical)
                    entity_id = entity_ids.get(key)
                    if entity_id is None:
                        row = cur.execute(
                            "INSERT INTO entities (type, canonical, country) VALUES (?, ?, ?) "
                            "ON CONFLICT (type, canonical) DO UPDATE SET "
                            "country = coalesce(entities.country, excluded.country) "
                            "RETURNING id",
                            (*key, e.country),
                        ).fetchone()
                        entity_id = entity_ids[key] = int(row[0])
                    cur.execute(
                        "INSERT INTO article_entities (entity_id, article_id, count, salience) "
                        "VALUES (?, ?, ?, ?)",
                        (entity_id, an.article_id, e.count, e.salience),
                    )
                self._write_regions(cur, an.article_id, an.regions)

    def save_regions(self, regions: Sequence[tuple[int, Sequence[RegionScore]]]) -> None:
        """Replace the story regions of articles (after the region map changed)."""
        with self.transaction() as cur:
            for article_id, scores in regions:
                self._write_regions(cur, article_id, scores)

    @staticmethod
    def _write_regions(
        cur: sqlite3.Cursor, article_id: int, regions: Sequence[RegionScore]
    ) -> None:
        cur.execute("DELETE FROM article_regions WHERE article_id = ?", (article_id,))
        rows: list[tuple[str, str, int, float, int]] = []
        for rank, r in enumerate(regions):
            rows.append((r.name, "", article_id, r.score, rank))
            rows.extend((sub, r.name, article_id, r.score, rank) for sub in r.subregions)
        if not rows:
            rows.append((UNPLACED, "", article_id, 0.0, 0))
        cur.executemany(
            "INSERT OR IGNORE INTO article_regions (name, parent, article_id, score, rank) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )

    def related_rows(self, ids: Sequence[int] | None = None) -> list[tuple[int, int, float, bytes]]:
        """(id, feed_id, time, features) of analysed articles, oldest first: what the related
        index is built from (all of them, or the ids given)."""
        sql = """SELECT a.id, a.feed_id, a.sort_time, n.features FROM article_nlp n
                 JOIN articles a ON a.id = n.article_id
                 WHERE n.features IS NOT NULL AND n.version > 0"""
        if ids is None:
            return [tuple(r) for r in self._query(sql + " ORDER BY a.sort_time, a.id")]
        out: list[tuple[int, int, float, bytes]] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            out.extend(
                tuple(r)
                for r in self._query(sql + f" AND a.id IN ({','.join('?' * len(chunk))})", chunk)
            )
        return out

    def meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as cur:
            cur.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def entity_counts(
        self, keys: Sequence[tuple[EntityType, str]]
    ) -> dict[tuple[EntityType, str], int]:
        """How many cached articles mention each entity."""
        out: dict[tuple[EntityType, str], int] = {}
        for kind, name in keys:
            row = self._query(
                """SELECT count(*) FROM article_entities ae JOIN entities e ON e.id = ae.entity_id
                   WHERE e.type = ? AND e.canonical = ?""",
                (kind.value, name),
            )
            out[(kind, name)] = int(row[0][0])
        return out

    def find_entities(self, name: str) -> list[tuple[EntityType, str, int]]:
        """Entities whose canonical name is ``name`` (any case), with article counts, most
        mentioned first."""
        return [
            (EntityType(r[0]), r[1], int(r[2]))
            for r in self._query(
                """SELECT e.type, e.canonical, count(ae.article_id) AS n
                   FROM entities e LEFT JOIN article_entities ae ON ae.entity_id = e.id
                   WHERE e.canonical = ? COLLATE NOCASE GROUP BY e.id ORDER BY n DESC""",
                (name,),
            )
        ]

    def region_counts(self, kind: str = "story") -> list[tuple[str, str, int, int]]:
        """(name, parent, unread, total) for every region (parent "") and sub-region of a
        region with articles among the active feeds."""
        if kind == "source":
            sql = """SELECT f.region, '', coalesce(sum(a.read = 0), 0), count(*)
                     FROM articles a JOIN feeds f ON f.id = a.feed_id
                     WHERE f.active = 1 AND f.region IS NOT NULL GROUP BY f.region"""
        else:
            sql = """SELECT r.name, r.parent, coalesce(sum(a.read = 0), 0), count(*)
                     FROM article_regions r JOIN articles a ON a.id = r.article_id
                     WHERE a.feed_id IN (SELECT id FROM feeds WHERE active = 1)
                     GROUP BY r.name, r.parent"""
        return [(r[0], r[1], int(r[2]), int(r[3])) for r in self._query(sql)]

    def set_read(self, ids: Sequence[int], read: bool = True) -> int:
        with self.transaction() as cur:
            changed = 0
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                changed += cur.execute(
                    f"UPDATE articles SET read = ? WHERE read != ? AND id IN "
                    f"({','.join('?' * len(chunk))})",
                    (int(read), int(read), *chunk),
                ).rowcount
            return changed

    def set_read_where(self, flt: ArticleFilter, read: bool = True) -> int:
        """Mark every article a filter selects, in one statement."""
        where, params = self._where(flt)
        with self.transaction() as cur:
            return cur.execute(
                "UPDATE articles SET read = ? WHERE read != ? AND id IN "
                f"(SELECT a.id FROM articles a WHERE {where})",
                (int(read), int(read), *params),
            ).rowcount

    def set_starred(self, article_id: int, starred: bool) -> None:
        with self.transaction() as cur:
            cur.execute("UPDATE articles SET starred = ? WHERE id = ?", (int(starred), article_id))

    def prune(self, max_age_days: int, max_per_feed: int, now: float | None = None) -> list[int]:
        """Apply retention; starred articles are always kept. Returns the ids removed."""
        now = time.time() if now is None else now
        removed: list[int] = []
        with self.transaction() as cur:
            if max_age_days > 0:
                cutoff = now - max_age_days * 86400
                removed += [
                    r[0]
                    for r in cur.execute(
                        "DELETE FROM articles WHERE starred = 0 AND sort_time < ? "
                        "AND first_seen < ? RETURNING id",
                        (cutoff, cutoff),
                    )
                ]
            if max_per_feed > 0:
                removed += [
                    r[0]
                    for r in cur.execute(
                        """DELETE FROM articles WHERE id IN (
                             SELECT id FROM (
                               SELECT id, starred, row_number() OVER (
                                 PARTITION BY feed_id ORDER BY sort_time DESC, id DESC) AS n
                               FROM articles)
                             WHERE n > ? AND starred = 0)
                           RETURNING id""",
                        (max_per_feed,),
                    )
                ]
        return removed
