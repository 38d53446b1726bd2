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
    # 3: analyses (language, entity mentions, story regions, related-index features), the
    # entities and regions filters query, fetched full texts, and a key/value table
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """
        CREATE TABLE article_nlp (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            language TEXT,
            full INTEGER NOT NULL,
            title_end INTEGER NOT NULL,
            lead_end INTEGER NOT NULL,
            mentions TEXT NOT NULL,
            features BLOB
        )
        """,
        """
        CREATE TABLE entities (
            id INTEGER PRIMARY KEY,
            type TEXT NOT NULL,
            canonical TEXT NOT NULL,
            country TEXT,
            UNIQUE (type, canonical)
        )
        """,
        "CREATE INDEX entities_by_name ON entities (canonical COLLATE NOCASE)",
        """
        CREATE TABLE article_entities (
            entity_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            count INTEGER NOT NULL,
            salience REAL NOT NULL,
            PRIMARY KEY (entity_id, article_id)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX article_entities_by_article ON article_entities (article_id)",
        """
        CREATE TABLE article_regions (
            name TEXT NOT NULL,
            parent TEXT NOT NULL,  -- '' for a region; a sub-region's row names its region
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            score REAL NOT NULL,
            rank INTEGER NOT NULL,
            PRIMARY KEY (name, parent, article_id)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX article_regions_by_article ON article_regions (article_id)",
        """
        CREATE TABLE article_fulltext (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            html TEXT NOT NULL,
            blocks TEXT NOT NULL,
            text TEXT NOT NULL,
            fetched REAL NOT NULL
        )
        """,
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
