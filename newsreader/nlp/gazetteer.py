"""The compiled gazetteer: folded names -> entries, plus the word lists the recogniser needs.

The data file is built by ``scripts/build_gazetteer.py`` (see its docstring for the format) and
ships inside the package. Loading it takes well under 300 ms; entry lists are parsed lazily.
The hand-written ``data/given_names.tsv`` (international given names the census lists lack) is
read at load time and merged into the first names, so it can grow without a rebuild.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from newsreader.models import EntityType
from newsreader.nlp.text import fold, name_key

DATA_FILE = Path(__file__).parent / "data" / "gazetteer.tsv.gz"
GIVEN_NAMES_FILE = Path(__file__).parent / "data" / "given_names.tsv"


def read_word_groups(path: Path) -> frozenset[str]:
    """The folded words of a hand-written list: ``group <TAB> word word ...`` lines.

    Lines starting with ``#`` are comments. A hyphenated name counts by its first part
    ("Jean-Luc" -> "jean"), because the recogniser sees hyphens as word boundaries.
    """
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        _, _, names = line.partition("\t")
        for name in names.split():
            key = fold(name.partition("-")[0])
            if len(key) > 1:
                words.add(key)
    return frozenset(words)


@dataclass(frozen=True, slots=True)
class Entry:
    """One named thing. ``kind``: C country, R region, A subdivision, P/X populated place,
    N nationality or group, O organisation, H person."""

    type: EntityType
    kind: str
    canonical: str
    country: str | None
    population: int = 0


@dataclass(frozen=True, slots=True)
class Candidate:
    """An entry reachable from one key, with how it may match."""

    entry: Entry
    weak: bool  # needs a context cue ("in X", "X province") or support elsewhere in the text
    acronym: bool  # matches only when written in capitals


class Gazetteer:
    """Folded-key lookup. Build with :meth:`load` (the shipped data) or :meth:`from_entries`."""

    def __init__(
        self,
        entries: list[str],
        keys: dict[str, str],
        first_names: frozenset[str],
        common_words: frozenset[str],
        span: dict[str, int] | None = None,
    ) -> None:
        self._entries = entries  # raw "type kind canonical cc population" lines, parsed lazily
        self._entry_cache: dict[int, Entry] = {}
        self._raw = keys
        self._parsed: dict[str, tuple[Candidate, ...]] = {}
        self.first_names = first_names
        self.common_words = common_words
        if span is None:
            span = {}
            for key in keys:
                if " " in key:
                    parts = key.split(" ")
                    if span.get(parts[0], 1) < len(parts):
                        span[parts[0]] = len(parts)
        # the longest key, in tokens, that starts with a given first token
        self.span = span

    def _entry(self, index: int) -> Entry:
        entry = self._entry_cache.get(index)
        if entry is None:
            etype, kind, canonical, cc, pop = self._entries[index].split("\t")
            entry = Entry(EntityType(etype), kind, canonical, cc or None, int(pop))
            self._entry_cache[index] = entry
        return entry

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        with gzip.open(path or DATA_FILE, "rt", encoding="utf-8") as fh:
            text = fh.read()
        _, _, rest = text.partition("#E\n")
        entry_part, _, rest = rest.partition("\n#K\n")
        key_part, _, rest = rest.partition("\n#S\n")
        span_part, _, word_part = rest.partition("\n#W\n")
        entries = entry_part.split("\n")
        key_lines = key_part.split("\n")
        keys = dict(zip(key_lines[::2], key_lines[1::2], strict=True))
        span_items = span_part.split()
        span = dict(zip(span_items[::2], map(int, span_items[1::2]), strict=True))
        words: dict[str, frozenset[str]] = {}
        for line in word_part.split("\n"):
            if line:
                name, _, ws = line.partition("\t")
                words[name] = frozenset(ws.split(" "))
        first = words.get("first", frozenset())
        if GIVEN_NAMES_FILE.exists():
            first = first | read_word_groups(GIVEN_NAMES_FILE)
        return cls(entries, keys, first, words.get("common", frozenset()), span)

    @classmethod
    def from_entries(
        cls,
        names: Iterable[tuple[str, Entry, bool]],
        first_names: Iterable[str] = (),
        common_words: Iterable[str] = (),
    ) -> Gazetteer:
        """A gazetteer from ``(surface name, entry, weak)`` triples (for tests, custom lists)."""
        entries: list[str] = []
        index: dict[Entry, int] = {}
        keys: dict[str, list[str]] = {}
        for name, entry, weak in names:
            if entry not in index:
                index[entry] = len(entries)
                pop = entry.population
                entries.append(
                    f"{entry.type}\t{entry.kind}\t{entry.canonical}\t{entry.country or ''}\t{pop}"
                )
            letters = [c for c in name if c.isalpha()]
            acronym = 2 <= len(letters) <= 6 and all(c.isupper() for c in letters)
            flag = ("w" if weak else "") + ("a" if acronym else "")
            keys.setdefault(name_key(name), []).append(f"{index[entry]}{flag}")
        return cls(
            entries,
            {k: ",".join(v) for k, v in keys.items()},
            frozenset(name_key(n) for n in first_names),
            frozenset(name_key(w) for w in common_words),
        )

    def __contains__(self, key: str) -> bool:
        return key in self._raw

    def lookup(self, key: str) -> tuple[Candidate, ...]:
        """The candidates for a folded key, best first (empty if unknown)."""
        found = self._parsed.get(key)
        if found is not None:
            return found
        raw = self._raw.get(key)
        if raw is None:
            return ()
        out: list[Candidate] = []
        for item in raw.split(","):
            digits = item.rstrip("wa")
            flags = item[len(digits) :]
            out.append(Candidate(self._entry(int(digits)), "w" in flags, "a" in flags))
        result = tuple(out)
        self._parsed[key] = result
        return result
