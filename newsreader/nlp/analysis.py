"""An article's analysis: its language, entity mentions, entities by salience and story regions.

Pure functions over an article's title and body text, run once per article in a worker process
at ingest (or in a background pass for older caches) and stored, so the UI never recomputes
them. Mention offsets are into :func:`analysed_text` (the title, a blank line, the body).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from newsreader.models import EntitySummary, EntityType, Mention, RegionScore
from newsreader.nlp.entities import detect_language, shared_recogniser
from newsreader.nlp.regions import RegionMap, assign_regions

__all__ = [
    "ANALYSER_VERSION",
    "FULL_LANGUAGES",
    "Analysis",
    "analyse",
    "analyse_text",
    "analysed_text",
    "regions_for",
    "summarise",
]

ANALYSER_VERSION = 1
"""Bump when the recogniser or the regions change enough that stored analyses should be redone."""

FULL_LANGUAGES = frozenset({"en"})
"""Languages the recogniser's rules were written and measured for. In other languages only
places matched through the gazetteers' alternate names are found (no people, groups or guesses).
An article whose language cannot be told (short text) is analysed as English."""

TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 2.0
BODY_WEIGHT = 1.0


@dataclass(frozen=True, slots=True)
class Analysis:
    language: str | None
    full: bool  # False: places only (a language the recogniser is not reliable for)
    title_end: int
    lead_end: int
    mentions: tuple[Mention, ...]
    entities: tuple[EntitySummary, ...]
    regions: tuple[RegionScore, ...]


def analysed_text(title: str, body: str) -> tuple[str, int, int]:
    """(text, title_end, lead_end): the title, a blank line, then the body; the lead is the
    body's first paragraph."""
    title = title.strip()
    text = f"{title}\n\n{body}" if body else title
    start = len(title) + 2
    cut = body.find("\n\n") if body else -1
    lead_end = start + (cut if cut >= 0 else len(body)) if body else len(title)
    return text, len(title), lead_end


def summarise(
    mentions: Iterable[Mention], title_end: int, lead_end: int
) -> tuple[EntitySummary, ...]:
    """Entities with their mention counts and salience (title x3, lead x2, body x1, scaled so
    the most salient entity of the article is 1.0), most salient first."""
    raw: dict[tuple[EntityType, str], list[float]] = {}
    countries: dict[tuple[EntityType, str], str | None] = {}
    for m in mentions:
        key = (m.type, m.canonical)
        weight = (
            TITLE_WEIGHT
            if m.start < title_end
            else LEAD_WEIGHT
            if m.start < lead_end
            else BODY_WEIGHT
        )
        raw.setdefault(key, []).append(weight)
        if countries.get(key) is None:
            countries[key] = m.country
    if not raw:
        return ()
    top = max(sum(w) for w in raw.values())
    out = [
        EntitySummary(t, name, countries[(t, name)], len(w), round(sum(w) / top, 4))
        for (t, name), w in raw.items()
    ]
    out.sort(key=lambda e: (-e.salience, -e.count, e.type.value, e.canonical))
    return tuple(out)


def regions_for(
    mentions: Sequence[Mention],
    title_end: int,
    lead_end: int,
    region_map: RegionMap,
    source_region: str | None,
) -> tuple[RegionScore, ...]:
    return tuple(
        assign_regions(
            mentions, title_end, lead_end, region_map=region_map, source_region=source_region
        )
    )


def analyse(
    title: str,
    body: str,
    *,
    region_map: RegionMap | None = None,
    source_region: str | None = None,
) -> Analysis:
    """Analyse one article (title and plain-text body)."""
    text, title_end, lead_end = analysed_text(title, body)
    language = detect_language(text)
    full = language is None or language in FULL_LANGUAGES
    mentions = tuple(shared_recogniser()(text, places_only=not full))
    regions = regions_for(
        mentions, title_end, lead_end, region_map or RegionMap.default(), source_region
    )
    return Analysis(
        language=language,
        full=full,
        title_end=title_end,
        lead_end=lead_end,
        mentions=mentions,
        entities=summarise(mentions, title_end, lead_end),
        regions=regions,
    )


def analyse_text(text: str, *, region_map: RegionMap | None = None) -> Analysis:
    """Analyse any text (``newsreader analyze``); offsets are into ``text`` itself. A first
    line followed by more text is taken as the headline, the next paragraph as the lead."""
    first = text.find("\n")
    title_end = first if first > 0 and text[first:].strip() else 0
    body_start = title_end
    while body_start < len(text) and text[body_start] in "\r\n":
        body_start += 1
    cut = text.find("\n\n", body_start)
    lead_end = cut if cut >= 0 else len(text)
    language = detect_language(text)
    full = language is None or language in FULL_LANGUAGES
    mentions = tuple(shared_recogniser()(text, places_only=not full))
    return Analysis(
        language=language,
        full=full,
        title_end=title_end,
        lead_end=lead_end,
        mentions=mentions,
        entities=summarise(mentions, title_end, lead_end),
        regions=regions_for(mentions, title_end, lead_end, region_map or RegionMap.default(), None),
    )
