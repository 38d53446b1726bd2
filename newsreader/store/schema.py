"""The SQLite schema and its forward migrations.

``PRAGMA user_version`` holds the schema version. Each migration is a list of statements that
takes version N-1 to N inside one transaction; a cache written by an older newsreader is
brought forward on open, never rebuilt.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: feeds, articles, full-text search
    (
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            title TEXT,
            site_link TEXT,
            region TEXT,
            category TEXT,
            full_text INTEGER NOT NULL DEFAULT 0,
            active INTEGER NOT NULL DEFAULT 1,
            etag TEXT,
            last_modified TEXT,
            body_hash TEXT,
            last_status TEXT,
            last_error TEXT,
            last_checked REAL,
            next_due REAL,
            failures INTEGER NOT NULL DEFAULT 0,
            gone INTEGER NOT NULL DEFAULT 0,
            added REAL NOT NULL
        )
        """,
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            title TEXT NOT NULL,
            link TEXT,
            author TEXT,
            published REAL,
            updated REAL,
            sort_time REAL NOT NULL,
            first_seen REAL NOT NULL,
            summary_html TEXT NOT NULL DEFAULT '',
            content_html TEXT NOT NULL DEFAULT '',
            blocks TEXT NOT NULL DEFAULT '[]',
            text TEXT NOT NULL DEFAULT '',
            content_hash TEXT NOT NULL,
            read INTEGER NOT NULL DEFAULT 0,
            starred INTEGER NOT NULL DEFAULT 0,
            UNIQUE (feed_id, key)
        )
        """,
        "CREATE INDEX articles_by_time ON articles (sort_time DESC, id DESC)",
        "CREATE INDEX articles_by_feed ON articles (feed_id, sort_time DESC)",
        "CREATE INDEX articles_unread ON articles (sort_time DESC) WHERE read = 0",
        "CREATE INDEX articles_starred ON articles (sort_time DESC) WHERE starred = 1",
        """
        CREATE VIRTUAL TABLE articles_fts USING fts5 (
            title, text, content='articles', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2'
        )
        """,
        """
        CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
            INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END
        """,
        """
        CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        END
        """,
        """
        CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
            INSERT INTO articles_fts (articles_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END
        """,
    ),
    # 2: covering indexes so the list's ids and the unread counts never scan the table
    (
        "DROP INDEX articles_by_time",
        "CREATE INDEX articles_list ON articles (sort_time DESC, id DESC, feed_id, read, starred)",
        "CREATE INDEX articles_feed_read ON articles (feed_id, read)",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
