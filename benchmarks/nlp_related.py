"""Related-stories quality and speed.

    uv run python benchmarks/nlp_related.py [--split dev|heldout|all] [--errors N]
        [--headlines] [--synthetic 100000] [--queries 1000] [--skip-speed]

Prints one JSON line: quality per split (``dev`` and ``heldout`` for ``--split all``), and under
``speed`` the figures of the synthetic 100k index. ``--errors N`` prints the first N queries
whose top 3 fall short to stderr (articles of the other split are never shown).

Quality, on ``benchmarks/data/related/articles.jsonl`` (see its README). Every article of the set
(both splits) is indexed, as a reader's cache would hold it; the queries are the articles of the
chosen split, so the other split's articles are there as distractors but only the chosen split is
scored. Entities come from ``newsreader.nlp.entities.recognise`` over title + blank line + text,
summarised per entity as the app stores them (salience: mention weight 3 in the title, 2 in the
body's first sentence, 1 elsewhere, over the article's largest) and turned into keys by
``entity_keys``. ``--headlines`` indexes the titles alone, as from headline-only feeds.

How duplicates are scored (collapse, as the app shows them). A *unit* is an original article
together with the republished copies of it (``duplicate_of``). For a query article ``q``:

- the relevant units are the units of ``q``'s story other than ``q``'s own unit (copies of ``q``
  are not "other coverage": the app lists them separately as duplicates);
- the system's ranked hits are read in order; a hit counts as relevant when its article belongs
  to ``q``'s story and its unit was not already counted, so listing an original and its copy as
  two hits (a missed collapse) earns nothing for the second, and a copy of ``q`` listed as a hit
  counts as a miss;
- precision@k = relevant units in the first k hits / min(k, number of relevant units). Returning
  fewer hits is no escape: an empty list scores 0. Queries with no relevant unit (a two-article
  story whose second article is a copy of the first) are left out of the averages and counted
  (``queries_without_relevant``); ``mean_average_precision`` uses the same hits (10 asked);
- ``same_kind_other_story_at_1`` is the share of scored queries whose first hit is another story
  of the same ``event_kind`` (the error to avoid); ``wrong_at_1`` counts any other story.

Duplicate detection is scored separately (detect): the pairs the system calls near-duplicates
(``duplicates()`` of each query, and the members of each collapsed hit) against the gold pairs
(a copy and its original, two copies of one original), within the split.

``stories()`` is scored on all of the split's articles with B-cubed precision and recall against
the gold stories.

Speed, on a synthetic cache (``--synthetic`` articles, default 100,000): the set's words, most
frequent first, then invented words, drawn with Zipf's law into synthetic stories of 1-6
articles spread over 30 days and 300 feeds, each story with its own topic words and invented
names, so document frequencies look like a real cache's. The blobs go into a SQLite file as the
app would store them; a fresh process then reads them and measures: the rebuild (``extend``,
what start-up does; first run and best of 3, wall and CPU), ``related()`` p50/p99 over
``--queries`` random articles, ``add()`` of 1,000 new articles into the full index, ``stories()``
over 1,000 articles of one day (cold, then cached), the RSS the index adds and the process's
peak RSS (``resource.getrusage``; before the quality part, whose entity recogniser loads its
gazetteer, and at the end). Last, the evaluation set is moved into the middle of the
synthetic month and scored again among the 100k articles (``quality_among_synthetic``).
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from newsreader.models import EntitySummary, EntityType
from newsreader.nlp.entities import recognise
from newsreader.nlp.related import Hit, RelatedIndex, entity_keys, features

DATA = Path(__file__).parent / "data" / "related" / "articles.jsonl"
KS = (1, 3, 5)
DEPTH = 10  # hits asked for; average precision counts relevant units found in them


@dataclass(frozen=True)
class Item:
    id: int
    code: str
    story: str
    kind: str
    feed: str
    when: float
    title: str
    text: str
    duplicate_of: int | None
    split: str

    @property
    def unit(self) -> int:
        return self.duplicate_of if self.duplicate_of is not None else self.id


def load() -> list[Item]:
    items = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        items.append(
            Item(
                id=int(r["id"][1:]),
                code=r["id"],
                story=r["story"],
                kind=r["event_kind"],
                feed=r["feed"],
                when=datetime.fromisoformat(r["published"].replace("Z", "+00:00")).timestamp(),
                title=r["title"],
                text=r["text"],
                duplicate_of=int(r["duplicate_of"][1:]) if r["duplicate_of"] else None,
                split=r["split"],
            )
        )
    return items


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def salient_entities(title: str, text: str) -> list[tuple[str, float]]:
    """``(key, salience)`` of the entities ``recognise`` finds in an article, through
    :func:`entity_keys` as the app does with its stored entity summaries. Salience: mention
    weight (3 in the title, 2 in the body's first sentence, 1 elsewhere) over the largest."""
    full = title + "\n\n" + text if text else title
    lead_end = len(title) + 2 + len(_SENTENCE.split(text, maxsplit=1)[0])
    weight: dict[tuple[EntityType, str, str | None], float] = defaultdict(float)
    count: dict[tuple[EntityType, str, str | None], int] = defaultdict(int)
    for m in recognise(full):
        key = (m.type, m.canonical, m.country)
        weight[key] += 3.0 if m.start < len(title) else 2.0 if m.start < lead_end else 1.0
        count[key] += 1
    if not weight:
        return []
    top = max(weight.values())
    summaries = [
        EntitySummary(kind, canonical, country, count[k], weight[k] / top)
        for k in sorted(weight, key=lambda k: -weight[k])
        for kind, canonical, country in [k]
    ]
    return entity_keys(summaries)


def build(items: list[Item], headlines: bool = False) -> RelatedIndex:
    """An index of the whole set (with ``headlines``, of the titles alone)."""
    feeds = {name: i for i, name in enumerate(sorted({it.feed for it in items}))}
    index = RelatedIndex()
    for it in items:
        text = "" if headlines else it.text
        blob = features(it.title, text, salient_entities(it.title, text))
        index.add(it.id, feeds[it.feed], it.when, blob)
    return index


def score_split(
    items: list[Item], index: RelatedIndex, split: str, show_errors: int
) -> dict[str, object]:
    by_id = {it.id: it for it in items}
    queries = [it for it in items if split in ("all", it.split)]
    precision: dict[int, list[float]] = {k: [] for k in KS}
    average_precision: list[float] = []
    same_kind = wrong = 0
    without_relevant = 0
    flagged: set[frozenset[int]] = set()
    errors: list[str] = []
    for q in queries:
        hits = index.related(q.id, k=DEPTH)
        for d in index.duplicates(q.id):
            flagged.add(frozenset((q.id, d)))
        for h in hits:
            members = (h.id, *h.also)
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    flagged.add(frozenset((a, b)))
        relevant = {it.unit for it in items if it.story == q.story and it.unit != q.unit}
        if not relevant:
            without_relevant += 1
            continue
        seen: set[int] = set()
        gains: list[int] = []
        for h in hits:
            hit = by_id.get(h.id)  # None: a synthetic distractor
            good = (
                hit is not None
                and hit.story == q.story
                and hit.unit != q.unit
                and hit.unit not in seen
            )
            if hit is not None and good:
                seen.add(hit.unit)
            gains.append(int(good))
        for k in KS:
            precision[k].append(sum(gains[:k]) / min(k, len(relevant)))
        found = [sum(gains[: i + 1]) / (i + 1) for i, g in enumerate(gains) if g]
        average_precision.append(sum(found) / len(relevant))
        if hits:
            top = by_id.get(hits[0].id)
            if top is None or top.story != q.story:
                wrong += 1
                same_kind += top is not None and top.kind == q.kind
        if len(errors) < show_errors and (not hits or sum(gains[:3]) < min(3, len(relevant))):
            errors.append(describe(q, hits, by_id, index))
    for line in errors:
        print(line, file=sys.stderr)

    gold: set[frozenset[int]] = set()
    chosen = {q.id for q in queries}
    units: dict[int, list[int]] = defaultdict(list)
    for it in items:
        if it.id in chosen:
            units[it.unit].append(it.id)
    for unit in units.values():
        for i, a in enumerate(unit):
            for b in unit[i + 1 :]:
                gold.add(frozenset((a, b)))
    flagged = {p for p in flagged if p <= chosen}
    scored = len(precision[1])

    ordered = sorted(queries, key=lambda it: (it.when, it.id))
    groups = index.stories([it.id for it in ordered])
    group_of = {d: g for g, members in enumerate(groups) for d in members}
    bp, br = [], []
    for it in ordered:
        mine = {d for d in groups[group_of[it.id]]}
        same = {o.id for o in ordered if o.story == it.story}
        bp.append(len(mine & same) / len(mine))
        br.append(len(mine & same) / len(same))
    bcp, bcr = statistics.fmean(bp), statistics.fmean(br)
    return {
        "queries": len(queries),
        "queries_scored": scored,
        "queries_without_relevant": without_relevant,
        **{f"precision_at_{k}": round(statistics.fmean(v), 3) for k, v in precision.items()},
        "mean_average_precision": round(statistics.fmean(average_precision), 3),
        "same_kind_other_story_at_1": round(same_kind / scored, 3),
        "wrong_at_1": round(wrong / scored, 3),
        "duplicates": {
            "gold_pairs": len(gold),
            "flagged_pairs": len(flagged),
            "precision": round(len(flagged & gold) / len(flagged), 3) if flagged else 1.0,
            "recall": round(len(flagged & gold) / len(gold), 3) if gold else 1.0,
        },
        "stories": {
            "groups": len(groups),
            "gold_stories": len({it.story for it in queries}),
            "bcubed_precision": round(bcp, 3),
            "bcubed_recall": round(bcr, 3),
            "bcubed_f1": round(2 * bcp * bcr / (bcp + bcr), 3),
        },
    }


def describe(q: Item, hits: list[Hit], by_id: dict[int, Item], index: RelatedIndex) -> str:
    lines = [f"{q.code} {q.story} {q.kind} [{q.feed}] {q.title}"]
    for h in hits[:5]:
        found = by_id.get(h.id)
        if found is None:
            lines.append(f"   BAD {h.score:.3f} synthetic article {h.id}")
            continue
        if found.split != q.split:  # never show the other split while tuning
            lines.append(f"   BAD {h.score:.3f} an article of the other split")
            continue
        mark = "ok " if found.story == q.story else "BAD"
        also = ",".join(by_id[a].code if a in by_id else str(a) for a in h.also)
        lines.append(
            f"   {mark} {h.score:.3f} {found.code} {found.story} {found.kind} {found.title} {also}"
        )
    missing = [
        it
        for it in by_id.values()
        if it.story == q.story
        and it.id != q.id
        and all(it.id not in (h.id, *h.also) for h in hits[:5])
    ]
    for it in missing:
        lines.append(f"   MISS {index.score(q.id, it.id):.3f} {it.code} {it.title}")
    return "\n".join(lines)


# --- speed ------------------------------------------------------------------------------------


def synthetic(
    items: list[Item], n: int, seed: int = 7
) -> list[tuple[int, int, float, str, str, list[tuple[str, float]]]]:
    """``n`` synthetic articles ``(id, feed, when, title, text, entities)``, ids from 1_000_000.

    The vocabulary is the set's words, most frequent first, followed by invented words made of
    two halves of real ones, 200,000 in all; text draws from it with Zipf's law, so a word's
    document frequency falls with its rank as in real news. Each synthetic story (1-6 articles
    within a day of each other, from any of 300 feeds) adds its own topic words and three
    invented names, which also serve as its entities.
    """
    rng = random.Random(seed)
    counts: dict[str, int] = defaultdict(int)
    for it in items:
        for w in re.findall(r"[A-Za-z]+|\d+(?:\.\d+)?", it.title + " " + it.text):
            counts[w.lower()] += 1
    real = sorted(counts, key=lambda w: -counts[w])
    letters = [w for w in real if len(w) >= 5]
    vocab = list(real)
    seen = set(vocab)
    while len(vocab) < 200_000:
        w = rng.choice(letters)[: rng.randint(2, 4)] + rng.choice(letters)[-rng.randint(3, 5) :]
        if w not in seen:
            seen.add(w)
            vocab.append(w)
    cum = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(vocab))))
    countries = ["Peru", "Kenya", "Brazil", "Vietnam", "Nepal", "Ghana", "Chile", "Oman", "India"]
    out: list[tuple[int, int, float, str, str, list[tuple[str, float]]]] = []
    span = 30 * 86_400.0
    start = 1_790_000_000.0
    doc_id = 1_000_000
    while len(out) < n:
        names = [vocab[rng.randrange(5000, len(vocab))].capitalize() for _ in range(3)]
        topic = [vocab[rng.randrange(300, 50_000)] for _ in range(25)]
        base = start + rng.random() * span
        country = rng.choice(countries)
        for _ in range(rng.choice((1, 2, 3, 4, 4, 5, 6))):
            doc_id += 1
            title = rng.sample(topic, 5) + rng.choices(vocab, cum_weights=cum, k=3) + names[:1]
            rng.shuffle(title)
            words = rng.choices(vocab, cum_weights=cum, k=60) + rng.choices(topic, k=18)
            words += [*rng.choices(names, k=6), country]
            rng.shuffle(words)
            sentences = [" ".join(words[i : i + 17]) for i in range(0, len(words), 17)]
            text = ". ".join(s[0].upper() + s[1:] for s in sentences) + "."
            entities = [
                (f"PERSON:{names[0]}", 1.0),
                (f"PLACE:{names[1]}", 0.6),
                (f"ORG:{names[2]}", 0.5),
                (f"PLACE:{country}", 0.4),
            ]
            when = base + rng.uniform(-1, 1) * 43_200
            out.append(
                (doc_id, rng.randrange(300), when, " ".join(title).capitalize(), text, entities)
            )
            if len(out) == n:
                break
    return out


def rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


def make_store(items: list[Item], n: int, path: Path) -> dict[str, float]:
    """Write ``n`` synthetic articles' features to a SQLite file, as the app stores them: the
    first ``n - 1000`` in ``related`` (the cache at start-up), the rest in ``incoming``."""
    docs = synthetic(items, n)
    start = time.process_time()
    rows = [
        (d, feed, when, features(title, text, ents)) for d, feed, when, title, text, ents in docs
    ]
    feature_seconds = time.process_time() - start
    db = sqlite3.connect(path)
    for table in ("related", "incoming"):
        db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, feed INT, t REAL, blob BLOB)")
    db.executemany("INSERT INTO related VALUES (?, ?, ?, ?)", rows[:-1000])
    db.executemany("INSERT INTO incoming VALUES (?, ?, ?, ?)", rows[-1000:])
    db.commit()
    db.close()
    return {
        "features_ms_per_article": round(feature_seconds / n * 1000, 3),
        "blob_bytes_mean": round(statistics.fmean(len(r[3]) for r in rows)),
    }


def serve(path: Path, items: list[Item], n_queries: int, splits: list[str]) -> dict[str, object]:
    """In a fresh process: rebuild the index from the SQLite file, then query and update it."""
    rng = random.Random(11)
    baseline = current_rss_mb()
    db = sqlite3.connect(path)
    start = time.perf_counter()
    rows = db.execute("SELECT id, feed, t, blob FROM related").fetchall()
    read_seconds = time.perf_counter() - start
    incoming = db.execute("SELECT id, feed, t, blob FROM incoming").fetchall()
    db.close()
    rebuilds = []
    cpu = []
    index = RelatedIndex()
    for _ in range(3):
        del index  # one index at a time, so the peak RSS is one index's
        index = RelatedIndex()
        start, start_cpu = time.perf_counter(), time.process_time()
        index.extend(rows)
        rebuilds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        if len(rebuilds) == 1:
            index_mb = current_rss_mb() - baseline  # rows read from SQLite (blobs) + index
            peak_first = rss_mb()

    times = []
    hits = 0
    for doc_id in rng.sample([r[0] for r in rows], n_queries):
        start = time.perf_counter()
        hits += len(index.related(doc_id, k=6))
        times.append(time.perf_counter() - start)
    times.sort()
    start = time.perf_counter()
    for row in incoming:
        index.add(*row)
    add_ms = (time.perf_counter() - start) / len(incoming) * 1000

    first = min(r[2] for r in rows)
    day = [r[0] for r in rows if first + 10 * 86_400 <= r[2] < first + 11 * 86_400][:1000]
    start = time.perf_counter()
    groups = index.stories(day)
    stories_cold = time.perf_counter() - start
    start = time.perf_counter()
    index.stories(day)
    stories_warm = time.perf_counter() - start

    whens = sorted(r[2] for r in rows)
    in_window = statistics.fmean(
        bisect.bisect(whens, t + 3 * 86_400) - bisect.bisect_left(whens, t - 3 * 86_400)
        for t in rng.sample(whens, 500)
    )

    peak_before_quality = rss_mb()  # the recogniser's gazetteer comes next

    # The evaluation set, moved into the middle of the synthetic month: quality among 100k.
    feeds = {name: 1000 + i for i, name in enumerate(sorted({it.feed for it in items}))}
    shift = first + 12 * 86_400 - min(it.when for it in items)
    moved = [replace(it, when=it.when + shift) for it in items]
    index.extend(
        (
            it.id,
            feeds[it.feed],
            it.when,
            features(it.title, it.text, salient_entities(it.title, it.text)),
        )
        for it in moved
    )
    at_scale = {}
    for split in splits:
        result = score_split(moved, index, split, 0)
        at_scale[split] = {
            key: result[key]
            for key in (
                "precision_at_1",
                "precision_at_3",
                "same_kind_other_story_at_1",
                "wrong_at_1",
            )
        }
    return {
        "articles": len(rows),
        "articles_in_window_mean": round(in_window),
        "read_sqlite_seconds": round(read_seconds, 3),
        "rebuild_seconds": round(rebuilds[0], 3),
        "rebuild_seconds_best_of_3": round(min(rebuilds), 3),
        "rebuild_cpu_seconds_best_of_3": round(min(cpu), 3),
        "index_rss_mb": round(index_mb, 1),
        "queries": n_queries,
        "query_ms_p50": round(percentile(times, 0.50) * 1000, 2),
        "query_ms_p99": round(percentile(times, 0.99) * 1000, 2),
        "query_ms_max": round(times[-1] * 1000, 2),
        "hits_per_query": round(hits / n_queries, 2),
        "add_ms_per_article": round(add_ms, 3),
        "stories_ids": len(day),
        "stories_groups": len(groups),
        "stories_seconds_cold": round(stories_cold, 3),
        "stories_seconds_warm": round(stories_warm, 3),
        "quality_among_synthetic": at_scale,
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb_after_first_rebuild": round(peak_first, 1),
        "peak_rss_mb_before_quality": round(peak_before_quality, 1),
        "peak_rss_mb": round(rss_mb(), 1),
    }


def speed(n: int, n_queries: int, split: str) -> dict[str, object]:
    """Run the speed part in two child processes: one writes the store, a fresh one serves it.

    Linux keeps a process's peak RSS across fork and exec, so this process stays small (it has
    not loaded the recogniser yet) and the serving child's ``getrusage`` peak is its own.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "features.db"
        figures: dict[str, object] = {"synthetic_articles": n}
        for role in ("--make-store", "--serve"):
            child = subprocess.run(
                [sys.executable, __file__, role, str(path), "--synthetic", str(n),
                 "--queries", str(n_queries), "--split", split],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            figures.update(json.loads(child.stdout))
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "heldout", "all"], default="all")
    parser.add_argument("--errors", type=int, default=0, help="print this many missed queries")
    parser.add_argument("--synthetic", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument(
        "--headlines", action="store_true", help="index titles only, as from headline-only feeds"
    )
    # the speed part's child processes
    parser.add_argument("--make-store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    items = load()
    splits = ["dev", "heldout"] if args.split == "all" else [args.split]
    if args.make_store:
        print(json.dumps(make_store(items, args.synthetic, args.make_store)))
        return
    if args.serve:
        print(json.dumps(serve(args.serve, items, args.queries, splits)))
        return
    line: dict[str, object] = {
        "benchmark": "nlp-related",
        "split": args.split,
        "fields": "title" if args.headlines else "title+text",
    }
    speed_figures = None if args.skip_speed else speed(args.synthetic, args.queries, args.split)
    start = time.perf_counter()
    index = build(items, args.headlines)
    line["build_seconds_with_entities"] = round(time.perf_counter() - start, 2)
    for split in splits:
        line[split] = score_split(items, index, split, args.errors)
    if speed_figures is not None:
        line["speed"] = speed_figures
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
