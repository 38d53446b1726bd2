"""Plain data records shared by every layer. No I/O, no Textual.

Times are timezone-aware UTC ``datetime`` objects in the domain; the store keeps them as
POSIX seconds. Text fields here are already *safe text*: control characters removed, HTML
decoded. They are still hostile (they may contain ``[/]`` and the like) and must be rendered
as data, never as markup.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class BlockKind(enum.StrEnum):
    """The kind of a text block extracted from article HTML."""

    PARAGRAPH = "p"
    HEADING = "h"
    LIST_ITEM = "li"
    QUOTE = "quote"
    PREFORMATTED = "pre"
    IMAGE = "img"


@dataclass(frozen=True, slots=True)
class LinkSpan:
    """A link inside a block: ``text[start:end]`` points at ``href`` (absolute URL)."""

    start: int
    end: int
    href: str


@dataclass(frozen=True, slots=True)
class TextBlock:
    """One paragraph, heading, list item, quote, preformatted run or image of an article body.

    For ``IMAGE`` blocks ``text`` is the alt text (or "") and ``links`` holds one span for the
    image source.
    """

    kind: BlockKind
    text: str
    links: tuple[LinkSpan, ...] = ()
    level: int = 0  # heading level (1-6) or list nesting depth


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """An item as it comes out of a feed, before it is stored."""

    key: str  # stable identity within its feed: guid, else link, else hash of title + date
    title: str
    link: str | None
    author: str | None
    published: datetime | None
    updated: datetime | None
    summary_html: str
    content_html: str
    blocks: tuple[TextBlock, ...]
    text: str  # plain text of the body (blocks joined by blank lines), for search and NLP


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What ``feeds.parse`` makes of a response body."""

    title: str
    site_link: str | None
    articles: tuple[ParsedArticle, ...]
    ttl_seconds: int | None = None  # from <ttl> or sy:updatePeriod/updateFrequency
    bozo_message: str | None = None  # set when the XML was malformed but items were recovered
    language: str | None = None


class EntityType(enum.StrEnum):
    PERSON = "PERSON"
    ORG = "ORG"
    PLACE = "PLACE"
    NORP = "NORP"  # nationalities, religious and ethnic or political groups


@dataclass(frozen=True, slots=True)
class Mention:
    """One recognised entity mention: ``text[start:end]`` of the analysed text."""

    start: int
    end: int
    text: str
    type: EntityType
    canonical: str
    country: str | None = None  # ISO 3166-1 alpha-2, for places and nationalities


@dataclass(frozen=True, slots=True)
class EntitySummary:
    """One entity of an article, with how often and how prominently the article names it."""

    type: EntityType
    canonical: str
    country: str | None
    count: int
    salience: float  # title and lead mentions count more; 0..1 within an article


@dataclass(frozen=True, slots=True)
class RegionScore:
    """One region of a story, with the M49 sub-regions of the places that made it."""

    name: str
    score: float
    subregions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FullText:
    """An article page's main text, fetched and extracted on demand."""

    html: str
    blocks: tuple[TextBlock, ...]
    text: str
    fetched: datetime


class FetchStatus(enum.StrEnum):
    OK = "ok"  # new body: parse it
    NOT_MODIFIED = "not_modified"  # 304
    UNCHANGED = "unchanged"  # 200 with the same body hash as last time
    FAILED = "failed"
    GONE = "gone"  # 410: the feed is disabled


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A feed as the configuration declares it (the hand-editable feed list)."""

    url: str
    title: str | None = None
    region: str | None = None
    category: str | None = None
    full_text: bool = False


@dataclass(slots=True)
class Feed:
    """A feed as the store knows it, with its fetch state."""

    id: int
    url: str
    title: str | None
    site_link: str | None
    region: str | None
    category: str | None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_status: str | None = None  # a FetchStatus value
    last_error: str | None = None
    last_checked: datetime | None = None
    next_due: datetime | None = None
    failures: int = 0
    gone: bool = False
    unread: int = 0
    total: int = 0

    @property
    def display_title(self) -> str:
        return self.title or self.url


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article, as the list and the reader see it."""

    id: int
    feed_id: int
    feed_title: str
    key: str
    title: str
    link: str | None
    author: str | None
    published: datetime | None
    updated: datetime | None
    first_seen: datetime
    read: bool
    starred: bool
    summary_html: str = ""
    content_html: str = ""
    blocks: tuple[TextBlock, ...] = ()
    text: str = ""
    category: str | None = None
    source_region: str | None = None  # the feed's declared region (a weak prior)
    language: str | None = None  # ISO 639-1, detected; None until analysed or when unsure
    analysed: bool = False  # entities and regions computed
    mentions: tuple[Mention, ...] = ()  # spans into ``analysed_text``
    entities: tuple[EntitySummary, ...] = ()  # most salient first
    regions: tuple[RegionScore, ...] = ()  # story regions, primary first
    full_text: FullText | None = None

    @property
    def body_blocks(self) -> tuple[TextBlock, ...]:
        """The blocks the reader shows: the full text when fetched, else the feed's."""
        return self.full_text.blocks if self.full_text is not None else self.blocks

    @property
    def body_text(self) -> str:
        return self.full_text.text if self.full_text is not None else self.text

    @property
    def when(self) -> datetime:
        """The time the list sorts by: published, else first seen."""
        return self.published or self.first_seen


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """The light record the article list renders (no body)."""

    id: int
    feed_id: int
    feed_title: str
    title: str
    when: datetime
    read: bool
    starred: bool


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Everything that narrows the article list; composed into one indexed query."""

    feed_ids: tuple[int, ...] = ()
    unread_only: bool = False
    starred_only: bool = False
    search: str | None = None  # FTS5 over title and text
    since: datetime | None = None
    entity: tuple[EntityType, str] | None = None  # (type, canonical name)
    regions: tuple[str, ...] = ()  # any of these regions
    subregion: str | None = None  # an M49 sub-region, inside the one region selected (if any)
    region_kind: str = "story"  # "story" or "source" (the feed's declared region)


ALL_ARTICLES = ArticleFilter()


@dataclass(slots=True)
class FeedResult:
    """The outcome of refreshing one feed."""

    url: str
    status: FetchStatus
    error: str | None = None
    new: int = 0
    updated: int = 0
    title: str | None = None


@dataclass(slots=True)
class RefreshSummary:
    feeds: int = 0
    ok: int = 0
    not_modified: int = 0
    unchanged: int = 0
    failed: list[FeedResult] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    seconds: float = 0.0  # until every article was stored (and listable)
    analysed: int = 0  # articles analysed during the refresh (entities, regions)
    analysed_seconds: float = 0.0  # until the analysis was done too


@dataclass(frozen=True, slots=True)
class RelatedItem:
    """One entry of an article's related-stories strip."""

    id: int
    title: str
    feed_title: str
    link: str | None
    when: datetime
    score: float
    duplicate: bool = False  # near-duplicate of the article itself (the same copy)
    also_in: tuple[str, ...] = ()  # other feeds carrying a near-duplicate of this entry
    regions: tuple[str, ...] = ()
    source_region: str | None = None  # the declared region of the entry's feed


@dataclass(frozen=True, slots=True)
class Story:
    """An article's story as the related-stories strip shows it.

    ``related`` are the best other articles (near-duplicates of one another collapsed into one
    entry); ``copies`` the feeds carrying this very copy; ``coverage`` how many distinct sources
    carry the story per declared source region, most first (``None``: the feed declares none).
    """

    article_id: int
    related: tuple[RelatedItem, ...] = ()
    copies: tuple[str, ...] = ()
    coverage: tuple[tuple[str | None, int], ...] = ()

    @property
    def sources(self) -> int:
        return sum(n for _, n in self.coverage)
