"""Story-region quality and speed on the project's annotated evaluation set.

    uv run python benchmarks/nlp_regions.py [--split dev|heldout|all] [--errors N] [--gold-entities]

Each article of ``benchmarks/data/entities`` carries its gold story regions (``# regions:``,
primary first; ``Unplaced`` when the story is about no place). The benchmark recognises the
article's entities (or, with ``--gold-entities``, takes the annotated mentions, which isolates
the scoring from recogniser errors), calls :func:`newsreader.nlp.regions.assign_regions` with the
title and the lead (first body paragraph) marked, and compares.

How the figures are counted:

- **pairs**: precision, recall and F1 over (article, region) pairs, real regions only. An article
  the system leaves unplaced contributes no predicted pair, so a gold-placed article left
  unplaced costs recall only, and a region given to a gold-Unplaced article costs precision
  only. "Unplaced" is therefore never a pair itself; whether we got it right shows in
  ``primary_accuracy`` and in the ``Unplaced`` row of ``per_region`` (precision and recall of
  saying "no region").
- **primary_accuracy**: the first predicted region is the first gold region; an Unplaced gold
  article counts as right only when we also return no region. Two regions with exactly the
  same score (a story only about Egypt is Africa and Middle East equally) are ordered by the
  data file's default membership; ``primary_ties`` counts how often the primary came from such
  a tie (no feed here declares a region, so there is no prior to break it).
- **exact_sets**: share of articles whose region set is exactly the gold set.
- ``ms_per_article``: the region assignment alone; ``ms_per_article_with_entities``: recognising
  the entities plus the assignment (best of five passes, one core).

Prints one JSON line; ``--errors N`` lists up to N wrong articles on stderr with their scores and
the country evidence by position (T title, L lead, B body).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from evalset import AnnotatedArticle, load_entity_set

from newsreader.models import EntityType, Mention, RegionScore
from newsreader.nlp.entities import Recogniser
from newsreader.nlp.regions import RegionMap, assign_regions

UNPLACED = "Unplaced"
Mentions = Callable[[AnnotatedArticle], list[Mention]]


def boundaries(text: str) -> tuple[int, int]:
    """``title_end`` and ``lead_end`` of an evaluation article: the title is the first line, the
    lead the first paragraph of the body (paragraphs are separated by a blank line)."""
    title_end = text.find("\n")
    if title_end < 0:
        return len(text), len(text)
    body = title_end
    while body < len(text) and text[body] == "\n":
        body += 1
    lead_end = text.find("\n\n", body)
    return title_end, len(text) if lead_end < 0 else lead_end


def gold_mentions(article: AnnotatedArticle) -> list[Mention]:
    """The annotated mentions as the recogniser would have returned them."""
    return [
        Mention(
            m.start,
            m.end,
            article.text[m.start : m.end],
            EntityType(m.type),
            m.canonical,
            m.country,
        )
        for m in article.mentions
    ]


def predict(
    article: AnnotatedArticle, mentions: Sequence[Mention], region_map: RegionMap
) -> list[RegionScore]:
    title_end, lead_end = boundaries(article.text)
    return assign_regions(mentions, title_end, lead_end, region_map=region_map)


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "support": tp + fn,
    }


def _evidence(article: AnnotatedArticle, mentions: Sequence[Mention]) -> str:
    """Country codes (or area names) of the place mentions, counted by position."""
    title_end, lead_end = boundaries(article.text)
    counts: dict[str, Counter[str]] = {}
    for m in mentions:
        if m.type not in (EntityType.PLACE, EntityType.NORP):
            continue
        key = m.country or f"'{m.canonical}'"
        if m.type is EntityType.NORP:
            key += "(n)"
        where = "T" if m.start < title_end else "L" if m.start < lead_end else "B"
        counts.setdefault(key, Counter())[where] += 1
    return " ".join(
        f"{key}:" + "".join(f"{w}{c[w]}" for w in "TLB" if c[w])
        for key, c in sorted(counts.items(), key=lambda kv: -sum(kv[1].values()))
    )


def score(
    articles: list[AnnotatedArticle],
    mentions_of: Mentions,
    region_map: RegionMap,
    show_errors: int,
) -> dict[str, object]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    primary_ok = exact = ties = 0
    errors: list[str] = []
    for article in articles:
        mentions = mentions_of(article)
        result = predict(article, mentions, region_map)
        predicted = [r.name for r in result]
        gold = [r for r in article.regions if r != UNPLACED]
        for name in set(predicted) | set(gold) | {UNPLACED}:
            said = name in predicted if name != UNPLACED else not predicted
            true = name in gold if name != UNPLACED else not gold
            tp[name] += said and true
            fp[name] += said and not true
            fn[name] += true and not said
        first = predicted[0] if predicted else UNPLACED
        right = first == (gold[0] if gold else UNPLACED)
        primary_ok += right
        ties += len(result) > 1 and result[0].score == result[1].score
        exact += set(predicted) == set(gold)
        if not right or set(predicted) != set(gold):
            shown = ", ".join(f"{r.name} {r.score:g}" for r in result) or UNPLACED
            errors.append(
                f"{article.id} [{article.kind}] gold: {', '.join(article.regions)} | "
                f"got: {shown}{'' if right else '  (primary wrong)'}\n"
                f"    {article.text[: article.text.find(chr(10))][:90]}\n"
                f"    {_evidence(article, mentions)}"
            )
    for line in errors[:show_errors]:
        print(line, file=sys.stderr)

    regions = [*region_map.names, UNPLACED]
    pair_tp = sum(tp[r] for r in region_map.names)
    pair_fp = sum(fp[r] for r in region_map.names)
    pair_fn = sum(fn[r] for r in region_map.names)
    n = len(articles)
    return {
        "pairs": _prf(pair_tp, pair_fp, pair_fn),
        "primary_accuracy": round(primary_ok / n, 3) if n else 0.0,
        "exact_sets": round(exact / n, 3) if n else 0.0,
        "primary_ties": ties,
        "per_region": {r: _prf(tp[r], fp[r], fn[r]) for r in regions if tp[r] + fp[r] + fn[r]},
        "articles": n,
        "wrong_articles": len(errors),
    }


def speed(
    articles: list[AnnotatedArticle], recogniser: Recogniser, region_map: RegionMap
) -> dict[str, float]:
    found = [(a, recogniser(a.text)) for a in articles]
    assign = both = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for article, mentions in found:
            predict(article, mentions, region_map)
        assign = min(assign, time.perf_counter() - start)
        start = time.perf_counter()
        for article in articles:
            predict(article, recogniser(article.text), region_map)
        both = min(both, time.perf_counter() - start)
    n = max(len(articles), 1)
    return {
        "ms_per_article": round(assign / n * 1000, 3),
        "ms_per_article_with_entities": round(both / n * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--split",
        choices=["dev", "heldout", "all"],
        default="dev",
        help="articles to score (default dev: tune there, look at heldout once)",
    )
    parser.add_argument("--errors", type=int, default=0, help="list this many wrong articles")
    parser.add_argument(
        "--gold-entities",
        action="store_true",
        help="assign regions from the annotated mentions instead of recognised ones",
    )
    args = parser.parse_args()
    region_map = RegionMap.default()
    recogniser = Recogniser()
    articles = [a for a in load_entity_set() if args.split in ("all", a.split)]
    mentions_of: Mentions = gold_mentions if args.gold_entities else lambda a: recogniser(a.text)
    line: dict[str, object] = {
        "benchmark": "nlp-regions",
        "split": args.split,
        "entities": "gold" if args.gold_entities else "recognised",
        **score(articles, mentions_of, region_map, args.errors),
    }
    line.update(speed(articles, recogniser, region_map))
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
