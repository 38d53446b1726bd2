"""Load the project's hand-annotated evaluation sets.

Entity/region set: one file per article under ``benchmarks/data/entities/*.txt``::

    # id: ent-001
    # kind: wire
    # split: dev
    # regions: Asia, Middle East
    {Taliban|ORG} seize border crossing with {Iran|PLACE|Iran|IR}
    <blank line>
    Body text with {Zabihullah Mujahid|PERSON} and {Afghans|NORP|Afghan|AF} ...

``kind`` is one of wire, analysis, headline, liveblog, feature; ``split`` is dev or heldout;
``regions`` lists the gold story regions, primary first ("Unplaced" when there is none).

Inline mentions are ``{surface|TYPE}``, ``{surface|TYPE|Canonical}`` or
``{surface|TYPE|Canonical|CC}`` (CC = ISO 3166-1 alpha-2, or ``-`` for none). The article's
text is the title line, a blank line, then the body, with the braces removed; mention offsets
are Python string offsets into that text.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).parent / "data"
TYPES = {"PERSON", "ORG", "PLACE", "NORP"}
KINDS = {"wire", "analysis", "headline", "liveblog", "feature"}
SPLITS = {"dev", "heldout"}
REGIONS = {
    "Africa", "Asia", "Europe", "Latin America", "Middle East", "North America", "Oceania",
    "Unplaced",
}  # fmt: skip
_MENTION = re.compile(r"\{([^{}|]+)\|([A-Z]+)(?:\|([^{}|]*))?(?:\|([^{}|]*))?\}")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    type: str
    canonical: str
    country: str | None


@dataclass
class AnnotatedArticle:
    id: str
    kind: str
    split: str
    regions: list[str]
    text: str
    mentions: list[Mention] = field(default_factory=list)
    path: str = ""


def parse_annotated(source: str, path: str = "") -> AnnotatedArticle:
    headers: dict[str, str] = {}
    lines = source.splitlines()
    while lines and lines[0].startswith("#"):
        key, _, value = lines.pop(0)[1:].partition(":")
        headers[key.strip()] = value.strip()
    while lines and not lines[0].strip():
        lines.pop(0)
    raw = "\n".join(lines).strip() + "\n"
    text_parts: list[str] = []
    mentions: list[Mention] = []
    pos = 0
    out_len = 0
    for m in _MENTION.finditer(raw):
        before = raw[pos : m.start()]
        if "{" in before or "}" in before:
            raise ValueError(f"{path}: stray brace before offset {m.start()}: {before[-40:]!r}")
        text_parts.append(before)
        out_len += len(before)
        surface, etype, canonical, country = m.group(1), m.group(2), m.group(3), m.group(4)
        if etype not in TYPES:
            raise ValueError(f"{path}: unknown type {etype!r} in {m.group(0)!r}")
        if surface != surface.strip() or "\n" in surface:
            raise ValueError(f"{path}: surface has outer spaces in {m.group(0)!r}")
        start = out_len
        text_parts.append(surface)
        out_len += len(surface)
        cc = (country or "").strip() or None
        if cc == "-":
            cc = None
        if cc is not None and not re.fullmatch(r"[A-Z]{2}", cc):
            raise ValueError(f"{path}: bad country code {cc!r} in {m.group(0)!r}")
        mentions.append(Mention(start, out_len, etype, (canonical or "").strip() or surface, cc))
        pos = m.end()
    rest = raw[pos:]
    if "{" in rest or "}" in rest:
        raise ValueError(f"{path}: stray brace in {rest[:60]!r}")
    text_parts.append(rest)
    regions = [r.strip() for r in headers.get("regions", "").split(",") if r.strip()]
    for key in ("id", "kind", "split", "regions"):
        if key not in headers:
            raise ValueError(f"{path}: missing header '# {key}:'")
    if headers["kind"] not in KINDS or headers["split"] not in SPLITS:
        raise ValueError(f"{path}: bad kind or split {headers['kind']!r} / {headers['split']!r}")
    if not regions or set(regions) - REGIONS:
        raise ValueError(f"{path}: bad regions {regions!r}")
    return AnnotatedArticle(
        id=headers.get("id", Path(path).stem),
        kind=headers.get("kind", "wire"),
        split=headers.get("split", "dev"),
        regions=regions,
        text="".join(text_parts),
        mentions=mentions,
        path=path,
    )


def load_entity_set(directory: Path | None = None) -> list[AnnotatedArticle]:
    directory = directory or DATA / "entities"
    articles = [
        parse_annotated(p.read_text(encoding="utf-8-sig"), str(p))
        for p in sorted(directory.glob("*.txt"))
    ]
    ids = [a.id for a in articles]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    return articles


def main() -> None:
    """Validate the set and print its size: ``uv run python benchmarks/evalset.py``."""
    arts = load_entity_set(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    by_split: dict[str, int] = {}
    by_type: dict[str, int] = {}
    for a in arts:
        by_split[a.split] = by_split.get(a.split, 0) + 1
        for m in a.mentions:
            by_type[m.type] = by_type.get(m.type, 0) + 1
    print(f"{len(arts)} articles {by_split}; {sum(by_type.values())} mentions {by_type}")


if __name__ == "__main__":
    main()
