"""Related stories: the cached articles that cover the same story as a given one.

Two halves, split so the expensive half runs once per article in a worker process:

- :func:`features` turns an article (title, text, salient entities) into a compact blob
  (about 600 bytes for a 100-word article), computed at ingest and stored by the app next to the
  article. The blob holds hashed terms with their title-weighted counts, hashed entity keys with
  their salience, and a bottom-k MinHash sketch of the article's word 3-grams (for near-duplicate
  detection). It needs no corpus statistics, so it never goes stale. :func:`entity_keys` makes
  the entity pairs from the app's stored :class:`~newsreader.models.EntitySummary` records.
- :class:`RelatedIndex` holds the blobs of the cached articles in memory, is updated one article
  at a time (:meth:`RelatedIndex.add`, :meth:`RelatedIndex.remove`) or in bulk at start-up
  (:meth:`RelatedIndex.extend`), and answers :meth:`RelatedIndex.related`,
  :meth:`RelatedIndex.duplicates` and :meth:`RelatedIndex.stories`.

How a query is answered (:meth:`RelatedIndex.related`):

1. Candidates. Each blob lists its terms most story-specific first (names, numbers and title
   words before common news vocabulary). The index keeps postings for the first ``KEY_TERMS`` of
   them and the first ``ENTITY_KEYS`` entities. Postings are in time order (the rebuild inserts
   by time; later articles are appended and checked one by one), so the time window is two
   bisections. The query probes them with all of its terms and entities, weighted by idf,
   skipping terms found in more than ``PROBE_SHARE`` of the window's articles, and keeps the
   best ``CANDIDATES`` articles.
2. Scoring. Each candidate is scored exactly: the cosine of sublinear tf-idf vectors over title
   and text (title words counted ``TITLE_WEIGHT`` times), plus ``ENTITY_WEIGHT`` times the cosine
   of salience x idf entity vectors; the sum fades by up to ``TIME_FADE`` towards the edge of the
   window, and articles of the query's own feed are scaled by ``SAME_FEED`` (other coverage
   first). Hits below ``min_score`` are dropped.
3. Near-duplicates. Two articles whose 3-gram resemblance (estimated from the sketches) reaches
   ``DUP_JACCARD``, or whose 3-grams are ``DUP_CONTAINMENT`` contained one in the other, are the
   same copy. Copies of the query are left out of the hits (:meth:`RelatedIndex.duplicates`
   reports them); copies among the hits collapse into one :class:`Hit`, represented by the
   earliest, with the others in ``Hit.also``.

Document frequencies: a term's postings count, plus its occurrences where it is not posted,
counted over a deterministic sample of the articles (all of them up to ``2 * DF_SAMPLE``
articles, then a fraction halved as the index grows) and scaled up. Counting every term of
every article would take most of the start-up budget (``benchmarks/nlp_related.py`` measures
the rebuild of 100k articles at 1.2-1.7 s of CPU on a shared two-core machine).

Thread safety: every public method of :class:`RelatedIndex` takes one re-entrant lock, so one
thread may add and remove while another queries. Queries take a few milliseconds at 100k
articles; :meth:`RelatedIndex.stories` over many new articles takes longer (run it off the
event loop).
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
import struct
import threading
import zlib
from array import array
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from operator import itemgetter
from typing import NamedTuple

from newsreader.models import EntitySummary, EntityType
from newsreader.nlp.text import fold, split_possessive

__all__ = [
    "FEATURES_VERSION",
    "Hit",
    "RelatedIndex",
    "entity_key",
    "entity_keys",
    "features",
]

FEATURES_VERSION = 1
"""Stored blobs carry this version; :meth:`RelatedIndex.add` rejects others (recompute them)."""

# --- features ---------------------------------------------------------------------------------

TITLE_WEIGHT = 3  # a title occurrence counts as this many body occurrences
MAX_TERMS = 160  # distinct terms kept per article (long full texts), most specific first
MAX_ENTITIES = 24
SKETCH = 64  # bottom-k MinHash size
SHINGLE = 3  # words per shingle
COUNTRY_WEIGHT = 0.5  # entity_keys(): a country key's share of its entities' salience


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_STOP_WORDS = _word_set(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each either else
    ever few for from further had has have having he her here hers herself him himself his how i
    if in into is it its itself just me more most my myself neither nor not now of off on once
    only or other ought our ours ourselves out over own same she should so some such than that
    the their theirs them themselves then there these they this those through thus to too under
    until up upon very was we were what when where which while who whom whose why will with
    within without would yet you your yours yourself yourselves s t d ll m re ve"""
)
# Frequent in any news copy: kept as terms (they still add to the cosine), never preferred as keys.
_COMMON_WORDS = _word_set(
    """said says say saying told tell according added one two three four five six seven eight
    nine ten first second third last new old year years month months week weeks day days today
    yesterday tomorrow monday tuesday wednesday thursday friday saturday sunday morning evening
    night time times people person government official officials country countries state states
    national local minister president spokesman spokeswoman statement report reported reports
    news percent per cent million billion thousand hundred number many much least including
    include includes since earlier later still well may might must shall like make made making
    take taken took give given get got going go went come came us mr mrs ms dr capital city
    region area part around across near north south east west northern southern eastern western
    central public group groups company companies officer chief leader leaders called call
    expected expect plan plans"""
)
# A word (letters, with inner apostrophes), a number, or a mark that starts a new sentence.
_TOKEN = re.compile(r"([^\W\d_]+(?:['’][^\W\d_]+)*)|(\d+(?:[.,]\d+)*)|[.!?:;\"“”—–()]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_M32 = 0xFFFFFFFF

_HEADER = struct.Struct("<BBHHHH")  # version, entities, terms, sketch, shingles, key terms
_U32: dict[int, struct.Struct] = {}


def _u32(n: int) -> struct.Struct:
    """The (cached) struct of ``n`` little-endian unsigned 32-bit integers."""
    packer = _U32.get(n)
    if packer is None:
        packer = _U32[n] = struct.Struct(f"<{n}I")
    return packer


def entity_key(type: EntityType | str, canonical: str) -> str:
    """The key :func:`features` expects for an entity, e.g. ``"PERSON:Joe Biden"``."""
    return f"{type}:{canonical}"


def entity_keys(summaries: Iterable[EntitySummary]) -> list[tuple[str, float]]:
    """``(key, salience)`` pairs for :func:`features` from an article's stored entities.

    Besides one key per entity, each country the entities belong to gets a ``COUNTRY:`` key
    (``COUNTRY_WEIGHT`` times its most salient entity's salience), so "Bulgarian voters" and
    "Sofia" meet "Bulgaria".
    """
    keys: list[tuple[str, float]] = []
    countries: dict[str, float] = {}
    for s in summaries:
        keys.append((entity_key(s.type, s.canonical), s.salience))
        if s.country:
            countries[s.country] = max(countries.get(s.country, 0.0), s.salience)
    keys.extend((f"COUNTRY:{c}", COUNTRY_WEIGHT * v) for c, v in countries.items())
    return keys


def _hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def _mix(h: int) -> int:
    """A 32-bit finaliser (MurmurHash3 fmix32): spreads crc32 values for min-wise sampling."""
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    return h ^ (h >> 16)


def _stem(word: str) -> str:
    """A light English plural stemmer: ``earthquakes`` -> ``earthquake``, ``cities`` -> ``city``."""
    n = len(word)
    if n > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if n > 3 and word[-1] == "s" and word[-2] not in "su" and word.isalpha():
        return word[:-1]
    return word


def _words(text: str) -> list[tuple[str, bool]]:
    """Folded word and number tokens of ``text``, each with "looks like a name" (capitalised
    and not at the start of a sentence). Runs of CJK characters become character bigrams."""
    out: list[tuple[str, bool]] = []
    sentence_start = True
    for word, number in _TOKEN.findall(text):
        if word:
            if not word.isascii() and _CJK.search(word):
                out.extend((word[i : i + 2], False) for i in range(max(1, len(word) - 1)))
            else:
                out.append((fold(split_possessive(word)), word[0].isupper() and not sentence_start))
            sentence_start = False
        elif number:
            out.append((number.replace(",", ""), False))
            sentence_start = False
        else:
            sentence_start = True
    return out


def _key_priority(term: str, count: int, in_title: bool, name: bool) -> float:
    """How story-specific a term looks, without corpus statistics (higher first)."""
    p = float(count) * (1.0 + min(len(term), 12) / 12.0)
    if name:
        p *= 3.0
    elif term[0].isdigit():
        p *= 2.0 if len(term) >= 3 else 0.5
    if in_title:
        p *= 2.0
    return p


def features(title: str, text: str, entities: Sequence[tuple[str, float]] = ()) -> bytes:
    """The related-index features of one article, as a compact blob (a few hundred bytes).

    ``entities`` are ``(key, salience)`` pairs (see :func:`entity_key`), salience in 0..1. The
    blob depends only on these arguments, so it can be computed in any process and stored; its
    layout is versioned by :data:`FEATURES_VERSION`.
    """
    title_words = _words(title)
    body_words = _words(text)
    counts: dict[str, int] = {}
    names: set[str] = set()
    titled: set[str] = set()
    for weight, words in ((TITLE_WEIGHT, title_words), (1, body_words)):
        for word, name in words:
            if word in _STOP_WORDS or (len(word) < 2 and not word.isdigit()):
                continue
            term = _stem(word)
            counts[term] = counts.get(term, 0) + weight
            if name:
                names.add(term)
            if weight != 1:
                titled.add(term)
    ranked = sorted(
        counts,
        key=lambda t: (t in _COMMON_WORDS, -_key_priority(t, counts[t], t in titled, t in names)),
    )[:MAX_TERMS]
    terms = [_hash(t) for t in ranked]
    tfs = bytes(min(counts[t], 255) for t in ranked)
    key_terms = sum(1 for t in ranked if t not in _COMMON_WORDS)

    salience: dict[int, float] = {}
    for key, value in entities:
        if value > 0:
            h = _hash(key.casefold())
            salience[h] = max(salience.get(h, 0.0), min(float(value), 1.0))
    best = sorted(salience, key=lambda h: -salience[h])[:MAX_ENTITIES]
    sal = bytes(max(1, round(salience[h] * 255)) for h in best)

    hashed: dict[str, int] = {}
    tokens = [hashed.get(w) or hashed.setdefault(w, _hash(w)) for w, _ in title_words + body_words]
    if len(tokens) >= SHINGLE:
        shingles = {
            _mix((a * 0x9E3779B1 ^ b * 0x85EBCA77 ^ c) & _M32)
            for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)
        }
    else:
        shingles = {_mix(t) for t in tokens}
    sketch = heapq.nsmallest(SKETCH, shingles)
    header = _HEADER.pack(
        FEATURES_VERSION,
        len(best),
        len(terms),
        len(sketch),
        min(len(shingles), 0xFFFF),
        key_terms,
    )
    return b"".join(
        (
            header,
            _u32(len(terms)).pack(*terms),
            tfs,
            _u32(len(best)).pack(*best),
            sal,
            _u32(len(sketch)).pack(*sketch),
        )
    )


class _Features(NamedTuple):
    """A decoded blob."""

    terms: tuple[int, ...]
    tfs: bytes
    ents: tuple[int, ...]
    sal: bytes
    sketch: tuple[int, ...]
    shingles: int
    keys: int  # the first ``keys`` terms are story-specific (not common news words)


def _check(blob: bytes) -> tuple[int, int, int, int, int]:
    """``(entities, terms, sketch, shingles, keys)`` of a blob; ``ValueError`` if it is none."""
    if len(blob) < _HEADER.size:
        raise ValueError("related features: truncated blob")
    version, n_ents, n_terms, n_sketch, shingles, keys = _HEADER.unpack_from(blob)
    if version != FEATURES_VERSION:
        raise ValueError(f"related features: version {version}, expected {FEATURES_VERSION}")
    if len(blob) != _HEADER.size + 5 * n_terms + 5 * n_ents + 4 * n_sketch:
        raise ValueError("related features: blob size does not match its header")
    return n_ents, n_terms, n_sketch, shingles, min(keys, n_terms)


def _unpack(blob: bytes) -> _Features:
    """Decode a blob made by :func:`features`; ``ValueError`` when it is not one."""
    n_ents, n_terms, n_sketch, shingles, keys = _check(blob)
    pos = _HEADER.size
    terms = _u32(n_terms).unpack_from(blob, pos)
    pos += 4 * n_terms
    tfs = blob[pos : pos + n_terms]
    pos += n_terms
    ents = _u32(n_ents).unpack_from(blob, pos)
    pos += 4 * n_ents
    sal = blob[pos : pos + n_ents]
    pos += n_ents
    sketch = _u32(n_sketch).unpack_from(blob, pos)
    return _Features(terms, tfs, ents, sal, sketch, shingles, keys)


def _resemblance(a: _Features, b: _Features) -> tuple[float, float]:
    """Estimated Jaccard resemblance and containment of two articles' 3-gram sets.

    Both sketches are bottom-k samples, so the k smallest values of their union are a uniform
    sample of the union of the two 3-gram sets, and the share of them present in both sketches
    estimates the resemblance; containment follows from it and the two set sizes.
    """
    sa = set(a.sketch)
    sb = set(b.sketch)
    union = heapq.nsmallest(SKETCH, sa | sb)
    if not union:
        return 0.0, 0.0
    jaccard = sum(1 for x in union if x in sa and x in sb) / len(union)
    smaller = min(a.shingles, b.shingles)
    if smaller == 0:
        return jaccard, 0.0
    common = jaccard * (a.shingles + b.shingles) / (1.0 + jaccard)
    return jaccard, min(1.0, common / smaller)


def _is_duplicate(a: _Features, b: _Features) -> bool:
    """Whether two articles are the same copy (near-duplicate 3-gram sets). Short items (bare
    headlines) must be near-identical: a shared phrase is most of them."""
    shortest = min(a.shingles, b.shingles)
    if shortest < DUP_MIN_SHINGLES_SHORT or set(a.sketch).isdisjoint(b.sketch):
        return False
    jaccard, containment = _resemblance(a, b)
    if shortest < DUP_MIN_SHINGLES:
        return jaccard >= DUP_JACCARD_SHORT
    return jaccard >= DUP_JACCARD or containment >= DUP_CONTAINMENT


# --- index ------------------------------------------------------------------------------------

KEY_TERMS = 14  # terms per article that get postings, the most specific first
ENTITY_KEYS = 8  # entities per article that get postings, the most salient first
CANDIDATES = 64  # articles scored exactly per related() query
STORY_CANDIDATES = 24  # the same, for the links stories() needs
PROBE_SHARE = 0.02  # terms in more than this share of the window do not nominate candidates
PROBE_MIN = 200  # ... unless they are in fewer than this many of its articles
ENTITY_WEIGHT = 0.35
SAME_FEED = 0.85
TIME_FADE = 0.1  # share of the score lost at the edge of the window, linearly
MIN_SCORE = 0.08  # weaker matches are not listed as related
STORY_SCORE = 0.25  # stories(): two articles are the same story from this score
STORY_LINKS = 8  # stories(): at most this many links per article
DUP_JACCARD = 0.5
DUP_CONTAINMENT = 0.8
DUP_MIN_COSINE = 0.35  # a pair below this text cosine is never a near-duplicate
DUP_MIN_SHINGLES = 12  # shorter articles (bare headlines) ...
DUP_JACCARD_SHORT = 0.9  # ... are duplicates only when near-identical
DUP_MIN_SHINGLES_SHORT = 4  # ... and never below this
DF_SAMPLE = 6_000  # document frequencies are counted over at most about twice this many
MAX_HITS = 32
_DAY = 86_400.0
_GOLDEN = 0x9E3779B1  # Fibonacci hashing: the top bits of id * _GOLDEN pick the df sample
_LOG_TF = [0.0] + [1.0 + math.log(f) for f in range(1, 256)]
_new_postings = partial(array, "i")


@dataclass(frozen=True, slots=True)
class Hit:
    """One related article: its id, its score and the ids of near-duplicates collapsed into it."""

    id: int
    score: float
    also: tuple[int, ...] = ()


class _Query(NamedTuple):
    """An article's vectors, as a query sees them."""

    slot: int
    features: _Features
    terms: dict[int, float]  # term -> sublinear tf x idf
    idf: dict[int, float]
    norm: float
    ents: dict[int, float]  # entity -> salience x idf
    enorm: float


class RelatedIndex:
    """An in-memory, incrementally updated index of article features for related stories.

    Ids, feed ids and times (POSIX seconds) are the app's; blobs come from :func:`features`.
    Related articles lie within ``window_days`` of the queried article's time. Hits score below
    ``min_score`` are not listed.
    """

    def __init__(self, *, window_days: float = 3.0, min_score: float = MIN_SCORE) -> None:
        if window_days <= 0:
            raise ValueError("window_days must be positive")
        self.window = window_days * _DAY
        self.min_score = min_score
        self._lock = threading.RLock()
        self._clear()

    def _clear(self) -> None:
        self._slot: dict[int, int] = {}  # doc id -> slot
        self._ids: list[int] = []  # per slot; -1 once removed
        self._feed: list[int] = []
        self._when: list[float] = []
        self._blob: list[bytes] = []
        self._sorted_end = 0  # _when[:_sorted_end] never decreases
        # key term / entity -> slots, ascending. Arrays, not lists: the garbage collector does
        # not walk them, so a full collection stays short with 100k articles indexed.
        self._post: defaultdict[int, array[int]] = defaultdict(_new_postings)
        self._epost: defaultdict[int, array[int]] = defaultdict(_new_postings)
        # Unposted terms' document frequencies, counted over a sample of the articles: those
        # whose id * _GOLDEN (32 bits) is below _sample_limit(_level).
        self._df: Counter[int] = Counter()
        self._sampled = bytearray()
        self._level = 0
        self._sample_count = 0
        self._dead = 0
        self._changes = 0  # updates since the idf and norm caches were started
        self._idf_cache: dict[int, float] = {}
        self._norm_cache: dict[int, float] = {}
        self._results: dict[int, tuple[list[Hit], list[int]]] = {}
        self._links: dict[int, list[int]] = {}  # doc id -> doc ids of the same story

    # --- updates ------------------------------------------------------------------------------

    def add(self, doc_id: int, feed_id: int, when: float, blob: bytes) -> None:
        """Add an article, or replace it when ``doc_id`` is already indexed.

        ``ValueError`` when ``blob`` is not a current :func:`features` blob.
        """
        self.extend(((doc_id, feed_id, when, blob),))

    def extend(self, rows: Iterable[tuple[int, int, float, bytes]]) -> None:
        """Add many ``(doc_id, feed_id, when, blob)`` rows, as :meth:`add` would: the start-up
        rebuild, much faster than a loop of :meth:`add`. A bad blob raises ``ValueError`` once
        the rows before it (in time order) are in."""
        ordered = sorted(rows, key=itemgetter(2))
        with self._lock:
            if not self._ids:
                while len(ordered) >> self._level > 2 * DF_SAMPLE:
                    self._level += 1
            try:
                self._insert(ordered)
            finally:
                self._settle()

    def remove(self, doc_id: int) -> None:
        """Forget an article; unknown ids are ignored."""
        with self._lock:
            slot = self._slot.pop(doc_id, None)
            if slot is not None:
                self._kill(slot)
                self._settle()

    def feeds(self, ids: Iterable[int]) -> dict[int, int]:
        """The feed of each indexed id among ``ids``."""
        with self._lock:
            return {i: self._feed[self._slot[i]] for i in ids if i in self._slot}

    def __len__(self) -> int:
        with self._lock:
            return len(self._slot)

    def __contains__(self, doc_id: object) -> bool:
        with self._lock:
            return doc_id in self._slot

    def _insert(self, rows: list[tuple[int, int, float, bytes]]) -> None:
        # The start-up rebuild runs this loop 100k times: everything is bound to locals.
        slots, ids, feeds, whens, blobs = self._slot, self._ids, self._feed, self._when, self._blob
        post, epost, sampled, df = self._post, self._epost, self._sampled, self._df
        limit = _sample_limit(self._level)
        head = _HEADER.size
        unpack_header = _HEADER.unpack_from
        post_list, epost_list = post.__getitem__, epost.__getitem__  # defaultdict: creates
        append = array.append
        consume = deque[None](maxlen=0).extend
        for doc_id, feed_id, when, blob in rows:
            if len(blob) < head:
                _check(blob)  # raises
            version, n_ents, n_terms, n_sketch, _, keys = unpack_header(blob)
            if version != FEATURES_VERSION or len(blob) != (
                head + 5 * n_terms + 5 * n_ents + 4 * n_sketch
            ):
                _check(blob)  # raises, saying what is wrong
            old = slots.get(doc_id)
            if old is not None:
                self._kill(old)
            slot = len(ids)
            slots[doc_id] = slot
            ids.append(doc_id)
            feeds.append(feed_id)
            if self._sorted_end == slot and (slot == 0 or when >= whens[-1]):
                self._sorted_end += 1
            whens.append(float(when))
            blobs.append(blob)
            # post[t].append(slot) for each posted term and entity, iterated in C
            posted = min(keys, n_terms, KEY_TERMS)
            terms = (_U32.get(posted) or _u32(posted)).unpack_from(blob, head)
            consume(map(append, map(post_list, terms), repeat(slot)))
            n_posted = n_ents if n_ents < ENTITY_KEYS else ENTITY_KEYS
            ents = (_U32.get(n_posted) or _u32(n_posted)).unpack_from(blob, head + 5 * n_terms)
            consume(map(append, map(epost_list, ents), repeat(slot)))
            if (doc_id * _GOLDEN) & _M32 >= limit:
                sampled.append(0)
            else:
                sampled.append(1)
                self._sample_count += 1
                df.update(_u32(n_terms - posted).unpack_from(blob, head + 4 * posted))
        self._changes += len(rows)

    def _unposted(self, slot: int) -> tuple[int, ...]:
        """The terms of a slot that are counted in the df sample rather than posted."""
        f = _unpack(self._blob[slot])
        return f.terms[min(f.keys, KEY_TERMS) :]

    def _kill(self, slot: int) -> None:
        """Mark a slot removed; postings keep it until the next compaction."""
        if self._sampled[slot]:
            self._df.subtract(self._unposted(slot))
            self._sampled[slot] = 0
            self._sample_count -= 1
        self._links.pop(self._ids[slot], None)
        self._ids[slot] = -1
        self._blob[slot] = b""
        self._dead += 1
        self._changes += 1

    def _settle(self) -> None:
        """After updates: drop stale answers, thin the df sample, compact when worthwhile."""
        self._results.clear()
        if self._changes > max(256, len(self._slot) // 50):
            self._idf_cache.clear()
            self._norm_cache.clear()
            self._changes = 0
        while self._sample_count > 2 * DF_SAMPLE:
            self._level += 1
            limit = _sample_limit(self._level)
            for slot, doc_id in enumerate(self._ids):
                if self._sampled[slot] and (doc_id * _GOLDEN) & _M32 >= limit:
                    self._df.subtract(self._unposted(slot))
                    self._sampled[slot] = 0
                    self._sample_count -= 1
            self._df = +self._df  # drop the zero counts
        while self._level and self._sample_count * 2 < DF_SAMPLE:
            self._level -= 1
            limit = _sample_limit(self._level)
            for slot, doc_id in enumerate(self._ids):
                if doc_id >= 0 and not self._sampled[slot] and (doc_id * _GOLDEN) & _M32 < limit:
                    self._df.update(self._unposted(slot))
                    self._sampled[slot] = 1
                    self._sample_count += 1
        if self._dead > 1024 and self._dead * 4 > len(self._ids):
            rows = [
                (doc_id, self._feed[slot], self._when[slot], self._blob[slot])
                for slot, doc_id in enumerate(self._ids)
                if doc_id >= 0
            ]
            links = self._links
            self._clear()
            self.extend(rows)
            self._links = links

    # --- weights ------------------------------------------------------------------------------

    def _idf(self, t: int) -> float:
        idf = self._idf_cache.get(t)
        if idf is None:
            n = len(self._slot)
            postings = self._post.get(t)
            df: float = len(postings) if postings else 0
            sampled = self._df.get(t)
            if sampled:
                df += sampled * n / self._sample_count
            idf = self._idf_cache[t] = max(math.log((n + 1) / max(df, 1.0)), 0.0)
        return idf

    def _eidf(self, e: int) -> float:
        postings = self._epost.get(e)
        return max(math.log((len(self._slot) + 1) / (len(postings) if postings else 1)), 0.0)

    def _norm(self, slot: int, f: _Features) -> float:
        norm = self._norm_cache.get(slot)
        if norm is None:
            idf = self._idf
            total = 0.0
            for t, tf in zip(f.terms, f.tfs, strict=True):
                w = _LOG_TF[tf] * idf(t)
                total += w * w
            norm = self._norm_cache[slot] = math.sqrt(total)
        return norm

    def _vectors(self, slot: int) -> _Query:
        f = _unpack(self._blob[slot])
        terms: dict[int, float] = {}
        idfs: dict[int, float] = {}
        for t, tf in zip(f.terms, f.tfs, strict=True):
            idf = idfs[t] = self._idf(t)
            terms[t] = _LOG_TF[tf] * idf
        ents = {e: s / 255.0 * self._eidf(e) for e, s in zip(f.ents, f.sal, strict=True)}
        enorm = math.sqrt(sum(w * w for w in ents.values()))
        return _Query(slot, f, terms, idfs, self._norm(slot, f), ents, enorm)

    def _similarity(self, q: _Query, slot: int, f: _Features) -> tuple[float, float]:
        """Text cosine and entity cosine of the query ``q`` and the article at ``slot``."""
        dot = 0.0
        qterms, qidf = q.terms, q.idf
        for t, tf in zip(f.terms, f.tfs, strict=True):
            qw = qterms.get(t)
            if qw is not None:
                dot += qw * _LOG_TF[tf] * qidf[t]
        norm = self._norm(slot, f)
        text = dot / (q.norm * norm) if q.norm and norm else 0.0
        ent = 0.0
        if q.enorm and f.ents:
            edot = enorm = 0.0
            for e, s in zip(f.ents, f.sal, strict=True):
                w = s / 255.0 * self._eidf(e)
                enorm += w * w
                qw = q.ents.get(e)
                if qw is not None:
                    edot += qw * w
            if enorm:
                ent = edot / (q.enorm * math.sqrt(enorm))
        return text, ent

    # --- queries ------------------------------------------------------------------------------

    def related(self, doc_id: int, k: int = 6) -> list[Hit]:
        """The ``k`` articles most related to ``doc_id``, best first (at most 32).

        Near-duplicates of one another collapse into one hit (the earliest, the others in
        ``Hit.also``); near-duplicates of ``doc_id`` itself are left out (see
        :meth:`duplicates`). ``KeyError`` when ``doc_id`` is not indexed.
        """
        with self._lock:
            return self._answer(doc_id)[0][:k]

    def duplicates(self, doc_id: int) -> list[int]:
        """Ids of the near-duplicates of ``doc_id`` (the same copy elsewhere), earliest first.

        ``KeyError`` when ``doc_id`` is not indexed.
        """
        with self._lock:
            return list(self._answer(doc_id)[1])

    def score(self, a: int, b: int) -> float:
        """The relatedness of two indexed articles, before the window, time and feed are
        considered (the text cosine plus ``ENTITY_WEIGHT`` times the entity cosine)."""
        with self._lock:
            slot = self._slot[b]
            text, ent = self._similarity(
                self._vectors(self._slot[a]), slot, _unpack(self._blob[slot])
            )
            return text + ENTITY_WEIGHT * ent

    def stories(self, ids: Sequence[int]) -> list[list[int]]:
        """Group ``ids`` by story: one list per story, in order of first appearance.

        Two articles are linked when one is among the other's ``STORY_LINKS`` best matches in
        the window with a score (before the same-feed preference) of at least ``STORY_SCORE``;
        near-duplicates always score above it. Groups are the connected components of the links
        among ``ids``; ids that are not indexed stay alone. Links are cached per article: the
        first call for an article costs about a millisecond, later ones almost nothing. The lock
        is taken per article, so updates can interleave with a long call.
        """
        order: dict[int, int] = {}
        for doc_id in ids:
            order.setdefault(doc_id, len(order))
        parent = list(range(len(order)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for doc_id, pos in order.items():
            with self._lock:
                links = self._links.get(doc_id)
                if links is None:
                    slot = self._slot.get(doc_id)
                    if slot is None:
                        continue
                    links = self._links[doc_id] = self._story_links(slot)
                links = [other for other in links if other in self._slot]
            for other in links:
                other_pos = order.get(other)
                if other_pos is not None:
                    a, b = find(pos), find(other_pos)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
        groups: dict[int, list[int]] = {}
        for doc_id, pos in order.items():
            groups.setdefault(find(pos), []).append(doc_id)
        return list(groups.values())

    def _answer(self, doc_id: int) -> tuple[list[Hit], list[int]]:
        slot = self._slot[doc_id]
        answer = self._results.get(slot)
        if answer is None:
            if len(self._results) >= 256:
                self._results.clear()
            answer = self._results[slot] = self._related(slot)
        return answer

    def _candidates(self, q: _Query, limit: int) -> list[int]:
        """The best ``limit`` live slots in the window by postings, weighted by idf.

        Slots below ``_sorted_end`` are in time order, so a posting list's part in the window
        is found by bisection; later slots are checked one by one. A term or entity found in
        more than ``PROBE_SHARE`` of the window's articles nominates nobody (it still counts
        in the exact score).
        """
        when = self._when
        t0 = when[q.slot]
        lo, hi = t0 - self.window, t0 + self.window
        end = self._sorted_end
        first = bisect.bisect_left(when, lo, 0, end)
        last = bisect.bisect_right(when, hi, 0, end)
        cap = max(PROBE_MIN, int(PROBE_SHARE * (last - first + len(when) - end)))
        probes: list[tuple[float, array[int]]] = []
        for t, w in q.terms.items():
            postings = self._post.get(t)
            if postings:
                probes.append((w * q.idf[t], postings))
        for e, w in q.ents.items():
            postings = self._epost.get(e)
            if postings:
                probes.append((ENTITY_WEIGHT * w * self._eidf(e), postings))
        acc: dict[int, float] = {}
        get = acc.get
        left = bisect.bisect_left
        for w, postings in probes:
            a, b = left(postings, first), left(postings, last)
            tail = left(postings, end, b)
            if b - a + len(postings) - tail > cap:
                continue
            for j in postings[a:b]:
                acc[j] = get(j, 0.0) + w
            for j in postings[tail:]:  # added out of time order
                if lo <= when[j] <= hi:
                    acc[j] = get(j, 0.0) + w
        acc.pop(q.slot, None)
        ids = self._ids
        best = heapq.nlargest(limit + 16, acc, key=acc.__getitem__)
        return [j for j in best if ids[j] >= 0][:limit]

    def _scored(self, q: _Query, limit: int) -> list[tuple[float, float, float, int, _Features]]:
        """``(base score, text cosine, entity cosine, slot, features)`` of the candidates."""
        when = self._when
        t0 = when[q.slot]
        out = []
        for j in self._candidates(q, limit):
            f = _unpack(self._blob[j])
            text, ent = self._similarity(q, j, f)
            fade = 1.0 - TIME_FADE * abs(when[j] - t0) / self.window
            out.append(((text + ENTITY_WEIGHT * ent) * fade, text, ent, j, f))
        return out

    def _story_links(self, slot: int) -> list[int]:
        """Ids of the articles linked to the one at ``slot`` for :meth:`stories`."""
        q = self._vectors(slot)
        scored = [(base, j) for base, _, _, j, _ in self._scored(q, STORY_CANDIDATES)]
        best = sorted(scored, reverse=True)[:STORY_LINKS]
        return [self._ids[j] for base, j in best if base >= STORY_SCORE]

    def _related(self, slot: int) -> tuple[list[Hit], list[int]]:
        q = self._vectors(slot)
        when, ids, feed = self._when, self._ids, self._feed[slot]
        duplicates: list[int] = []
        ranked: list[tuple[float, int, _Features]] = []
        for base, text, _, j, f in self._scored(q, CANDIDATES):
            if text >= DUP_MIN_COSINE and _is_duplicate(q.features, f):
                duplicates.append(j)
            else:
                score = base * SAME_FEED if self._feed[j] == feed else base
                if score >= self.min_score:
                    ranked.append((score, j, f))
        ranked.sort(key=lambda r: (-r[0], when[r[1]]))

        # Collapse near-duplicates: a copy shares some of the smallest sketch values with its
        # original, so only groups met through those are compared in full.
        groups: list[tuple[float, list[int], _Features]] = []
        met: dict[int, list[int]] = {}
        for score, j, f in ranked:
            seen: set[int] = set()
            for value in f.sketch[:8]:
                for g in met.get(value, ()):
                    if g not in seen:
                        seen.add(g)
                        if _is_duplicate(groups[g][2], f):
                            groups[g][1].append(j)
                            break
                else:
                    continue
                break
            else:
                if len(groups) < MAX_HITS:
                    for value in f.sketch[:8]:
                        met.setdefault(value, []).append(len(groups))
                    groups.append((score, [j], f))
        hits = []
        for score, members, _ in groups:
            members.sort(key=lambda m: (when[m], ids[m]))
            hits.append(Hit(ids[members[0]], score, tuple(ids[m] for m in members[1:])))
        duplicates.sort(key=lambda m: (when[m], ids[m]))
        return hits, [ids[j] for j in duplicates]


def _sample_limit(level: int) -> int:
    """Articles whose ``id * _GOLDEN`` (32 bits) is below this are in the df sample."""
    return 1 << (32 - level)
