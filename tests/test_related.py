"""Related stories: ranking, time window, near-duplicates, incremental updates, story groups and
the stored features. The articles are short originals written for these tests."""

from __future__ import annotations

import os
import pickle
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from newsreader.models import EntitySummary, EntityType
from newsreader.nlp import related
from newsreader.nlp.related import FEATURES_VERSION, Hit, RelatedIndex, entity_keys, features

HOUR = 3600.0
DAY = 86_400.0
T0 = 1_800_000_000.0

CHILE = [("PLACE:Tierra Amarilla", 1.0), ("ORG:Senapred", 0.6), ("PLACE:Chile", 0.8)]
JAVA = [("PLACE:Garut", 1.0), ("ORG:BNPB", 0.6), ("PLACE:Indonesia", 0.8)]

# id: (feed, time, title, text, entities)
ARTICLES: dict[int, tuple[int, float, str, str, list[tuple[str, float]]]] = {
    1: (
        1,
        T0,
        "Magnitude 6.4 earthquake shakes northern Chile, three dead",
        "A magnitude 6.4 earthquake struck the Atacama region of northern Chile early on Monday, "
        "killing three people and damaging hundreds of adobe homes in the town of Tierra "
        "Amarilla, the national emergency service Senapred said. The quake hit at a depth of 35 "
        "kilometres, about 20 kilometres south of Copiapó. Power was cut across much of the "
        "region and two copper mines halted work while engineers checked their shafts. Interior "
        "minister Lucía Ferrer said rescue teams were searching collapsed houses.",
        CHILE,
    ),
    2: (
        2,
        T0 + 3 * HOUR,
        "Copper mines pause after Atacama quake",
        "Two copper mines near Copiapó suspended operations on Monday after a strong earthquake "
        "rattled Chile's Atacama region, company officials said. Engineers were inspecting "
        "shafts and tailings dams for damage. The magnitude 6.4 tremor, centred near Tierra "
        "Amarilla, left three people dead according to Senapred. Copper prices rose 1.2 percent "
        "in London as traders weighed possible supply disruptions.",
        CHILE,
    ),
    3: (
        3,
        T0 + 1 * DAY,
        "Tierra Amarilla residents sleep outdoors as aftershocks continue",
        "Hundreds of families in Tierra Amarilla spent a second night in tents on Tuesday as "
        "aftershocks shook the Atacama region a day after the magnitude 6.4 earthquake. "
        "Senapred said 412 homes were damaged. Lucía Ferrer visited the town and promised "
        "emergency housing within two weeks.",
        CHILE,
    ),
    4: (
        2,
        T0 + 2 * DAY,
        "Magnitude 5.9 earthquake damages homes in West Java",
        "A magnitude 5.9 earthquake struck West Java, Indonesia, on Wednesday, damaging more "
        "than 300 homes and killing two people in the district of Garut, the disaster agency "
        "BNPB said. The quake hit at a depth of 10 kilometres. Residents ran into the streets as "
        "walls cracked and a mosque roof collapsed. Officials said rescue teams were searching "
        "damaged houses.",
        JAVA,
    ),
    5: (
        1,
        T0 + 2 * DAY + 4 * HOUR,
        "Garut families count losses after Java quake",
        "Families in Garut cleared rubble on Wednesday after an earthquake of magnitude 5.9 "
        "shook West Java, Indonesia. BNPB said two people died and 300 homes were damaged. "
        "Regent Dedi Kusnadi declared a week-long emergency and opened shelters in schools.",
        JAVA,
    ),
    6: (
        5,
        T0 + 5 * HOUR,
        "Norway's parliament passes budget after late deal with the Greens",
        "Norway's parliament approved next year's budget on Monday after the minority "
        "government struck a late deal with the Green party over ferry fares and rail "
        "investment. Finance minister Hege Aarnes called the compromise fair.",
        [("PLACE:Norway", 1.0), ("PERSON:Hege Aarnes", 0.6)],
    ),
}
# A wire copy of article 1 in another feed: headline word changed, last sentence dropped,
# credit line added.
COPY = (
    4,
    T0 + 1 * HOUR,
    "Magnitude 6.4 quake shakes northern Chile, three dead",
    ARTICLES[1][3].rsplit(" Interior", 1)[0] + " (Coastline Wire)",
    CHILE,
)
LATER = (
    3,
    T0 + 3.5 * DAY,
    "Rebuilding starts in Tierra Amarilla after Atacama earthquake",
    "Crews began clearing damaged adobe homes in Tierra Amarilla on Thursday, days after "
    "the magnitude 6.4 earthquake in Chile's Atacama region. Senapred said 412 families would "
    "receive emergency housing.",
    CHILE,
)


def blob(article: tuple[int, float, str, str, list[tuple[str, float]]]) -> bytes:
    return features(article[2], article[3], article[4])


def build(
    extra: dict[int, tuple[int, float, str, str, list[tuple[str, float]]]] | None = None,
    **options: float,
) -> RelatedIndex:
    index = RelatedIndex(**options)
    for doc_id, article in {**ARTICLES, **(extra or {})}.items():
        index.add(doc_id, article[0], article[1], blob(article))
    return index


def hit_ids(hits: list[Hit]) -> list[int]:
    return [h.id for h in hits]


def test_same_story_ranks_above_an_earthquake_elsewhere() -> None:
    index = build()
    for query, story, other in ((1, {2, 3}, {4, 5}), (4, {5}, {1, 2, 3}), (3, {1, 2}, {4, 5})):
        ranked = hit_ids(index.related(query, k=6))
        assert set(ranked[: len(story)]) == story, (query, ranked)
        assert query not in ranked
        assert 6 not in ranked  # the budget story shares nothing
        scores = {h.id: h.score for h in index.related(query)}
        assert min(scores[i] for i in story) > max(scores.get(i, 0.0) for i in other)


def test_k_limits_the_hits_and_scores_are_ordered() -> None:
    index = build()
    hits = index.related(1, k=1)
    assert len(hits) == 1 and hits[0].id in {2, 3}
    scores = [h.score for h in index.related(1, k=6)]
    assert scores == sorted(scores, reverse=True)


def test_time_window_is_respected_and_configurable() -> None:
    narrow = build({7: LATER})
    assert 7 not in hit_ids(narrow.related(1))
    assert 7 in hit_ids(narrow.related(3))  # 2.5 days after article 3: inside its window
    wide = build({7: LATER}, window_days=7)
    assert 7 in hit_ids(wide.related(1))
    with pytest.raises(ValueError):
        RelatedIndex(window_days=0)


def test_near_duplicates_collapse_into_one_hit() -> None:
    index = build({8: COPY})
    # Article 2 sees the original and the copy as one entry, the earliest shown.
    hits = index.related(2)
    first = [h for h in hits if h.id in (1, 8) or 1 in h.also or 8 in h.also]
    assert len(first) == 1
    assert first[0].id == 1 and first[0].also == (8,)
    # The original does not list its own copy as related; duplicates() reports it.
    assert 8 not in hit_ids(index.related(1))
    assert all(8 not in h.also for h in index.related(1))
    assert index.duplicates(1) == [8]
    assert index.duplicates(8) == [1]
    # Independent reports of the same story are not duplicates.
    assert index.duplicates(2) == []
    assert index.duplicates(3) == []


def test_incremental_add_remove_and_replace() -> None:
    index = RelatedIndex()
    assert len(index) == 0
    index.add(1, *ARTICLES[1][:2], blob(ARTICLES[1]))
    assert index.related(1) == []
    index.add(2, *ARTICLES[2][:2], blob(ARTICLES[2]))
    assert hit_ids(index.related(1)) == [2]
    index.add(4, *ARTICLES[4][:2], blob(ARTICLES[4]))
    index.add(3, *ARTICLES[3][:2], blob(ARTICLES[3]))
    assert len(index) == 4 and 3 in index and 9 not in index
    assert hit_ids(index.related(1))[:2] in ([2, 3], [3, 2])

    index.remove(2)
    assert 2 not in index and len(index) == 3
    assert 2 not in hit_ids(index.related(1))
    index.remove(2)  # unknown ids are ignored
    with pytest.raises(KeyError):
        index.related(2)

    # Re-adding an id replaces the article: article 3 becomes the budget story.
    index.add(3, *ARTICLES[6][:2], blob(ARTICLES[6]))
    assert len(index) == 3
    assert 3 not in hit_ids(index.related(1))


def test_stories_groups_in_order_of_first_appearance() -> None:
    index = build({8: COPY})
    groups = index.stories([6, 4, 1, 5, 2, 99, 8, 3, 4])
    assert groups == [[6], [4, 5], [1, 2, 8, 3], [99]]
    assert index.stories([]) == []
    assert index.stories([5, 3]) == [[5], [3]]


def _pair(query_feed: int, feeds: tuple[int, int], ents: tuple[str, str]) -> list[int]:
    """Hits of a query about a barge accident, among two equally similar reports (different
    filler words, so neither is a copy) from ``feeds`` with entities ``ents``."""
    body = "Engineers inspected the Vestra bridge after a barge struck one of its piers on Sunday."
    index = build()  # the other articles give the words their document frequencies
    index.add(
        11, query_feed, T0, features("Barge hits Vestra bridge", body, [("PERSON:Ana Lind", 1.0)])
    )
    made_up = [
        a + b + c for a in "klmd" for b in ("anu", "ope", "ira") for c in ("sil", "tor", "ven")
    ]
    fillers = (" ".join(made_up[:18]) + ".", " ".join(made_up[18:]) + ".")
    for doc_id, feed, ent, filler in zip((12, 13), feeds, ents, fillers, strict=True):
        text = body + " " + filler
        index.add(doc_id, feed, T0, features("Vestra bridge hit by barge", text, [(ent, 1.0)]))
    assert index.duplicates(12) == index.duplicates(13) == []
    return hit_ids(index.related(11))[:2]


def test_shared_entities_boost() -> None:
    assert _pair(1, (2, 3), ("PERSON:Ana Lind", "PERSON:Ivo Berg")) == [12, 13]
    assert _pair(1, (2, 3), ("PERSON:Ivo Berg", "PERSON:Ana Lind")) == [13, 12]


def test_other_feeds_are_preferred() -> None:
    same = ("PERSON:Ivo Berg", "PERSON:Ivo Berg")
    assert _pair(1, (1, 2), same) == [13, 12]
    assert _pair(1, (2, 1), same) == [12, 13]


def test_features_round_trip_through_sqlite(tmp_path: Path) -> None:
    first = blob(ARTICLES[1])
    # Deterministic across processes (no str hash()): worker processes compute the blobs.
    code = (
        "import sys; from newsreader.nlp.related import features; "
        "sys.stdout.write(features(sys.argv[1], sys.argv[2], [('PLACE:Chile', 0.8)]).hex())"
    )
    title, text = ARTICLES[1][2], ARTICLES[1][3]
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code, title, text],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert bytes.fromhex(out) == features(title, text, [("PLACE:Chile", 0.8)])
    assert pickle.loads(pickle.dumps(first)) == first
    assert first[0] == FEATURES_VERSION
    assert len(first) < 1200

    db = sqlite3.connect(tmp_path / "cache.db")
    db.execute("CREATE TABLE related (id INTEGER PRIMARY KEY, feed INT, t REAL, blob BLOB)")
    articles = {**ARTICLES, 8: COPY}
    db.executemany(
        "INSERT INTO related VALUES (?, ?, ?, ?)",
        [(i, a[0], a[1], blob(a)) for i, a in articles.items()],
    )
    db.commit()
    db.close()

    db = sqlite3.connect(tmp_path / "cache.db")
    rebuilt = RelatedIndex()
    rebuilt.extend(db.execute("SELECT id, feed, t, blob FROM related"))
    db.close()
    live = build({8: COPY})
    assert len(rebuilt) == len(live) == 7
    for doc_id in articles:
        assert rebuilt.related(doc_id) == live.related(doc_id)
        assert rebuilt.duplicates(doc_id) == live.duplicates(doc_id)


def test_bad_blobs_are_rejected() -> None:
    good = blob(ARTICLES[1])
    index = RelatedIndex()
    with pytest.raises(ValueError):
        index.add(1, 1, T0, bytes([FEATURES_VERSION + 1]) + good[1:])
    with pytest.raises(ValueError):
        index.add(1, 1, T0, good[:-3])
    with pytest.raises(ValueError):
        index.add(1, 1, T0, b"")
    assert len(index) == 0


def test_entity_keys_from_stored_summaries() -> None:
    summaries = [
        EntitySummary(EntityType.PERSON, "Lucía Ferrer", None, 2, 0.9),
        EntitySummary(EntityType.PLACE, "Tierra Amarilla", "CL", 3, 1.0),
        EntitySummary(EntityType.NORP, "Chilean", "CL", 1, 0.4),
        EntitySummary(EntityType.PLACE, "Mendoza", "AR", 1, 0.2),
    ]
    assert entity_keys(summaries) == [
        ("PERSON:Lucía Ferrer", 0.9),
        ("PLACE:Tierra Amarilla", 1.0),
        ("NORP:Chilean", 0.4),
        ("PLACE:Mendoza", 0.2),
        ("COUNTRY:CL", related.COUNTRY_WEIGHT * 1.0),
        ("COUNTRY:AR", related.COUNTRY_WEIGHT * 0.2),
    ]


def test_headlines_and_other_scripts_do_not_break_features() -> None:
    index = RelatedIndex()
    index.add(1, 1, T0, features("東京で地震 震度5強", ""))
    index.add(2, 2, T0, features("東京で地震、震度5強を観測", ""))
    index.add(3, 3, T0, features("", ""))
    assert hit_ids(index.related(1)) == [2]
    assert index.related(3) == []
    assert index.duplicates(1) == []  # a similar headline is not a copy
    index.add(4, 4, T0, features("Ferry strike ends after two days", ""))
    index.add(5, 5, T0 + HOUR, features("Ferry strike ends after two days", ""))
    assert index.duplicates(4) == [5]  # the same bare headline is


def _filler(i: int) -> tuple[int, float, str, str, list[tuple[str, float]]]:
    """A small story of its own: made-up names keep it apart from every other."""
    name = f"Zorvik{i:04d}"
    place = f"Quellport{i % 97:02d}"
    return (
        10 + i % 7,
        T0 + (i % 50) * HOUR,
        f"{name} opens a library in {place}",
        f"The new library of {place} was opened by {name} on a rainy afternoon, and {i} "
        f"readers signed up in the first hour.",
        [(f"PERSON:{name}", 1.0)],
    )


def test_many_removals_compact_the_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(related, "DF_SAMPLE", 100)  # exercise the sampled document frequencies
    index = build()
    index.extend((1000 + i, *_filler(i)[:2], blob(_filler(i))) for i in range(1500))
    assert len(index) == 1506
    assert hit_ids(index.related(1))[:2] in ([2, 3], [3, 2])
    for i in range(1400):
        index.remove(1000 + i)
    assert len(index) == 106
    assert len(index._ids) < 1506  # compacted
    assert hit_ids(index.related(1))[:2] in ([2, 3], [3, 2])
    assert index.stories([1, 2, 1400, 3, 99]) == [[1, 2, 3], [1400], [99]]


def test_concurrent_adds_and_queries() -> None:
    index = build()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(300):
                index.add(2000 + i, *_filler(i)[:2], blob(_filler(i)))
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    while thread.is_alive():
        assert set(hit_ids(index.related(1))[:2]) == {2, 3}
    thread.join()
    assert not errors
    assert len(index) == 306
