"""Entity recognition quality and speed on the project's annotated evaluation set.

    uv run python benchmarks/nlp_entities.py [--split dev|heldout|all] [--errors N]

Scores exact-span precision/recall/F1 per type (a prediction counts only when its start, end
and type all match a gold mention), then speed in tokens per second on one core. Prints one
JSON line per split.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from evalset import AnnotatedArticle, load_entity_set

from newsreader.nlp.entities import Recogniser

TYPES = ("PERSON", "ORG", "PLACE", "NORP")


def score(
    articles: list[AnnotatedArticle], recogniser: Recogniser, show_errors: int
) -> dict[str, object]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    canonical_ok = canonical_total = 0
    errors: list[str] = []
    for article in articles:
        gold = {(m.start, m.end, m.type): m for m in article.mentions}
        predicted = {(m.start, m.end, m.type.value): m for m in recogniser(article.text)}
        for key, m in predicted.items():
            if key in gold:
                tp[key[2]] += 1
                canonical_total += 1
                canonical_ok += m.canonical == gold[key].canonical
            else:
                fp[key[2]] += 1
                errors.append(f"FP {article.id} {key[2]:6} {article.text[key[0] : key[1]]!r}")
        for key in gold.keys() - predicted.keys():
            fn[key[2]] += 1
            errors.append(f"FN {article.id} {key[2]:6} {article.text[key[0] : key[1]]!r}")
    for line in errors[:show_errors]:
        print(line, file=sys.stderr)

    def prf(t: int, p: int, n: int) -> dict[str, float]:
        precision = t / (t + p) if t + p else 0.0
        recall = t / (t + n) if t + n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}

    result: dict[str, object] = {t: prf(tp[t], fp[t], fn[t]) for t in TYPES}
    result["overall"] = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    result["canonical_accuracy"] = (
        round(canonical_ok / canonical_total, 3) if canonical_total else 0.0
    )
    result["articles"] = len(articles)
    result["gold_mentions"] = sum(len(a.mentions) for a in articles)
    return result


def speed(articles: list[AnnotatedArticle], recogniser: Recogniser) -> dict[str, float]:
    texts = [a.text for a in articles]
    tokens = sum(len(re.findall(r"\w+|[^\w\s]", t)) for t in texts)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for text in texts:
            recogniser(text)
        best = min(best, time.perf_counter() - start)
    return {
        "tokens_per_second": round(tokens / best),
        "ms_per_article": round(best / len(texts) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "heldout", "all"], default="all")
    parser.add_argument("--errors", type=int, default=0, help="print this many errors to stderr")
    args = parser.parse_args()
    start = time.perf_counter()
    recogniser = Recogniser()
    load_ms = (time.perf_counter() - start) * 1000
    articles = load_entity_set()
    splits = ["dev", "heldout"] if args.split == "all" else [args.split]
    for split in splits:
        chosen = [a for a in articles if a.split == split]
        line = {
            "benchmark": "nlp-entities",
            "split": split,
            **score(chosen, recogniser, args.errors),
        }
        line.update(speed(chosen, recogniser))
        line["gazetteer_load_ms"] = round(load_ms)
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
