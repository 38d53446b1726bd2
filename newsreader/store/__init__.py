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
    Feed,
    FeedSource,
    LinkSpan,
    ParsedArticle,
    ParsedFeed,
    TextBlock,
)
from newsreader.store.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["CacheError", "FeedState", "Store"]


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
            existing = dict(
                cur.execute(
                    "SELECT key, content_hash FROM articles WHERE feed_id = ?", (feed_id,)
                ).fetchall()
            )
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
                      a.content_html, a.blocks, a.text
               FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE a.id = ?""",
            (article_id,),
        )
        if not rows:
            return None
        r = rows[0]
        return Article(
            id=r[0], feed_id=r[1], feed_title=r[2], key=r[3], title=r[4], link=r[5], author=r[6],
            published=_dt(r[7]), updated=_dt(r[8]), first_seen=datetime.fromtimestamp(r[9], UTC),
            read=bool(r[10]), starred=bool(r[11]), summary_html=r[12], content_html=r[13],
            blocks=decode_blocks(r[14]), text=r[15],
        )  # fmt: skip

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

    def prune(self, max_age_days: int, max_per_feed: int, now: float | None = None) -> int:
        """Apply retention; starred articles are always kept. Returns how many were removed."""
        now = time.time() if now is None else now
        removed = 0
        with self.transaction() as cur:
            if max_age_days > 0:
                removed += cur.execute(
                    "DELETE FROM articles WHERE starred = 0 AND sort_time < ? AND first_seen < ?",
                    (now - max_age_days * 86400, now - max_age_days * 86400),
                ).rowcount
            if max_per_feed > 0:
                removed += cur.execute(
                    """DELETE FROM articles WHERE id IN (
                         SELECT id FROM (
                           SELECT id, starred, row_number() OVER (
                             PARTITION BY feed_id ORDER BY sort_time DESC, id DESC) AS n
                           FROM articles)
                         WHERE n > ? AND starred = 0)""",
                    (max_per_feed,),
                ).rowcount
        return removed
