"""Named-entity recognition for news text: PERSON, ORG, PLACE and NORP.

Gazetteer first (folded token keys, longest match), then capitalisation and cue rules for people
and organisations, then a within-text pass that links bare surnames and acronyms to their full
forms. Precision comes before recall: unknown capitalised words are only tagged with a cue.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from newsreader.models import EntityType, Mention
from newsreader.nlp.gazetteer import Candidate, Entry, Gazetteer
from newsreader.nlp.text import TOKEN_RE, fold, split_possessive

__all__ = ["Recogniser", "detect_language", "recognise", "shared_recogniser"]

# Title-like words that head department and agency names ("State Emergency Service"): never
# stripped from the front of an organisation name.
DEPARTMENT_WORDS = frozenset(
    [
        "state",
        "foreign",
        "defence",
        "defense",
        "interior",
        "finance",
        "home",
        "trade",
        "health",
        "education",
        "economy",
        "energy",
        "information",
        "culture",
        "justice",
        "agriculture",
        "supreme",
        "special",
        "royal",
    ]
)

# Lowercase words allowed inside a name ("Qala-i-Naw", "Osama bin Laden", "al-Qaeda").
CONNECTORS = frozenset(
    [
        "al",
        "el",
        "i",
        "e",
        "ye",
        "bin",
        "ibn",
        "bint",
        "de",
        "da",
        "di",
        "du",
        "dos",
        "das",
        "del",
        "der",
        "den",
        "van",
        "von",
        "la",
        "le",
        "ul",
        "ud",
        "abu",
    ]
)
ABBREVIATIONS = frozenset(
    [
        "gen",
        "mr",
        "mrs",
        "ms",
        "dr",
        "col",
        "lt",
        "sgt",
        "maj",
        "capt",
        "sen",
        "rep",
        "gov",
        "st",
        "jr",
        "sr",
        "prof",
        "rev",
        "adm",
        "brig",
        "cmdr",
        "gens",
    ]
)
# Capitalised titles and roles before a name: consumed, never part of the PERSON span.
TITLES = frozenset(
    [
        "president",
        "vice",
        "prime",
        "minister",
        "deputy",
        "secretary",
        "general",
        "gen",
        "lt",
        "lieutenant",
        "col",
        "colonel",
        "maj",
        "major",
        "capt",
        "captain",
        "sgt",
        "sergeant",
        "adm",
        "admiral",
        "brig",
        "brigadier",
        "commander",
        "chief",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "professor",
        "sen",
        "senator",
        "rep",
        "representative",
        "gov",
        "governor",
        "mayor",
        "ambassador",
        "envoy",
        "king",
        "queen",
        "prince",
        "princess",
        "sheikh",
        "shaikh",
        "emir",
        "mullah",
        "maulvi",
        "mawlawi",
        "ayatollah",
        "imam",
        "pope",
        "cardinal",
        "archbishop",
        "bishop",
        "rev",
        "chancellor",
        "premier",
        "speaker",
        "judge",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "chairman",
        "chairwoman",
        "director",
        "lord",
        "lady",
        "sir",
        "dame",
        "haji",
        "crown",
        "acting",
        "former",
        "leader",
        "marshal",
        "field",
        "senior",
        "top",
        "opposition",
        "caretaker",
        "interim",
        "de",
        "facto",
        "transport",
        "environment",
        "water",
        "labour",
        "labor",
        "commodore",
        "seismologist",
        "retired",
    ]
) | (DEPARTMENT_WORDS - {"royal"})
# Lowercase words right before a name that make it a person ("spokesman Zabihullah Mujahid").
ROLE_WORDS = frozenset(
    [
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "president",
        "minister",
        "leader",
        "commander",
        "chief",
        "governor",
        "general",
        "official",
        "ambassador",
        "envoy",
        "secretary",
        "director",
        "mayor",
        "senator",
        "lawmaker",
        "analyst",
        "expert",
        "professor",
        "journalist",
        "reporter",
        "correspondent",
        "colonel",
        "captain",
        "deputy",
        "chairman",
        "chairwoman",
        "founder",
        "ceo",
        "activist",
        "cleric",
        "mullah",
        "king",
        "queen",
        "prince",
        "sheikh",
        "judge",
        "prosecutor",
        "lawyer",
        "candidate",
        "rival",
        "opponent",
        "successor",
        "predecessor",
        "counterpart",
        "coach",
        "striker",
        "player",
        "singer",
        "actor",
        "author",
        "writer",
        "chancellor",
        "premier",
        "negotiator",
        "mediator",
        "researcher",
        "economist",
        "editor",
        "photographer",
        "survivor",
        "resident",
        "witness",
        "warlord",
        "commissioner",
        "adviser",
        "advisor",
        "aide",
        "diplomat",
        "militant",
        "teacher",
        "nurse",
        "doctor",
        "farmer",
        "engineer",
        "scientist",
        "pharmacist",
        "consultant",
        "geophysicist",
        "seismologist",
        "commodore",
        "economist",
        "student",
    ]
)
SPEECH_VERBS = frozenset(
    [
        "said",
        "says",
        "told",
        "tells",
        "added",
        "stated",
        "wrote",
        "tweeted",
        "posted",
        "explained",
        "noted",
        "insisted",
        "warned",
        "announced",
        "argued",
        "claimed",
        "confirmed",
        "denied",
        "urged",
        "asked",
        "replied",
    ]
)
# Words heading organisation names (capitalised): "Defence Ministry", "Kabul University".
ORG_HEADS = frozenset(
    [
        "ministry",
        "party",
        "bank",
        "council",
        "front",
        "army",
        "agency",
        "corp",
        "corporation",
        "university",
        "committee",
        "commission",
        "organization",
        "organisation",
        "movement",
        "forces",
        "police",
        "court",
        "parliament",
        "assembly",
        "union",
        "group",
        "brigade",
        "brigades",
        "institute",
        "foundation",
        "airlines",
        "airways",
        "airline",
        "air",
        "company",
        "inc",
        "ltd",
        "llc",
        "plc",
        "association",
        "federation",
        "league",
        "alliance",
        "coalition",
        "authority",
        "office",
        "department",
        "service",
        "fund",
        "programme",
        "program",
        "corps",
        "guard",
        "guards",
        "directorate",
        "administration",
        "government",
        "cabinet",
        "network",
        "news",
        "times",
        "post",
        "herald",
        "tribune",
        "journal",
        "television",
        "tv",
        "radio",
        "agency",
        "bureau",
        "center",
        "centre",
        "academy",
        "college",
        "school",
        "hospital",
        "club",
        "society",
        "trust",
        "board",
        "senate",
        "congress",
        "federation",
        "cartel",
        "militia",
        "battalion",
        "regiment",
        "division",
        "navy",
        "command",
        "secretariat",
        "mission",
        "observatory",
        "watch",
        "institution",
        "exchange",
        "force",
        "nation",
        "nations",
    ]
)
ORG_LINKS = frozenset({"of", "for", "and", "the", "on"})
LOC_PREPS = frozenset(
    [
        "in",
        "near",
        "at",
        "from",
        "to",
        "outside",
        "around",
        "into",
        "toward",
        "towards",
        "across",
        "via",
        "through",
        "between",
        "inside",
        "within",
        "throughout",
        "off",
        "captured",
        "seized",
        "took",
        "entered",
        "attacked",
        "shelled",
        "bombed",
        "reached",
        "fled",
        "visited",
        "hit",
        "left",
    ]
)
PLACE_NOUNS = frozenset(
    [
        "province",
        "provinces",
        "district",
        "city",
        "town",
        "village",
        "border",
        "crossing",
        "region",
        "county",
        "governorate",
        "state",
        "oblast",
        "valley",
        "airport",
        "port",
        "capital",
        "municipality",
        "prefecture",
    ]
)
SUBDIVISION_WORDS = frozenset(
    {"province", "district", "governorate", "oblast", "region", "prefecture", "county"}
)
# After "US": words that show it is not an adjective ("the US and", "the US is").
NOT_NOUN = frozenset(
    [
        "and",
        "or",
        "but",
        "is",
        "was",
        "were",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "may",
        "might",
        "must",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "of",
        "as",
        "that",
        "which",
        "who",
        "whom",
        "said",
        "says",
        "since",
        "after",
        "before",
        "over",
        "under",
        "into",
        "than",
        "also",
        "still",
        "not",
        "did",
        "does",
        "do",
        "are",
        "be",
        "been",
        "being",
        "if",
        "when",
        "while",
        "where",
        "because",
        "so",
        "though",
        "although",
        "yet",
        "then",
        "now",
        "again",
        "too",
        "already",
        "officials",
    ]
)
CALENDAR = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)
NORP_TITLES = frozenset(
    [
        "president",
        "secretary",
        "ambassador",
        "embassy",
        "envoy",
        "officials",
        "official",
        "forces",
        "troops",
        "military",
        "army",
        "navy",
        "senator",
        "lawmakers",
        "commander",
        "general",
        "administration",
        "government",
    ]
)


# "Tigray People's Liberation Front", "Citizens' Movement": possessives inside a name.
POSSESSIVE_NAME_WORDS = frozenset({"people", "peoples", "citizens", "workers", "women"})
POSSESSIVE_MARKS = frozenset({"'s", "’s", "'", "’"})
# Function words that never start a name, even capitalised ("On Palm Island").
FUNCTION_WORDS = frozenset(
    [
        "on",
        "in",
        "at",
        "a",
        "an",
        "as",
        "for",
        "from",
        "with",
        "by",
        "to",
        "of",
        "and",
        "but",
        "if",
        "when",
        "after",
        "before",
        "while",
        "we",
        "it",
        "he",
        "she",
        "they",
        "this",
    ]
)
# Lowercase words that open an appositive after a person's name ("Ana Ruiz, a doctor").
APPOSITIVE_WORDS = frozenset({"a", "an", "who", "whose"})
# Capitalised words ending a place name ("Naf River", "Bekaa Valley", "Bryan County").
PLACE_SUFFIXES = frozenset(
    [
        "river",
        "sea",
        "ocean",
        "valley",
        "county",
        "island",
        "islands",
        "isles",
        "peninsula",
        "mountains",
        "hills",
        "desert",
        "shoal",
        "strait",
        "gap",
        "bay",
        "canal",
        "gulf",
        "plateau",
        "basin",
        "lake",
        "glacier",
        "reef",
        "heights",
        "falls",
        "highlands",
        "lowlands",
        "archipelago",
    ]
)
# Capitalised words starting a place name ("Lake Chad", "Gulf of Oman", "Port of Savannah").
PLACE_PREFIXES = frozenset(
    ["lake", "mount", "mt", "gulf", "strait", "sea", "bay", "isle", "port", "cape", "horn"]
)
LINK_HEADS = ORG_HEADS | PLACE_PREFIXES


def _head_ahead(words: list[_Word], k: int) -> bool:
    """Whether the capitalised words from ``k`` on include an organisation head word."""
    for m in range(k, min(len(words), k + 5)):
        w = words[m]
        if m > k and not w.joined:
            return False
        if not w.cap:
            return False
        if w.key in ORG_HEADS:
            return True
    return False


@dataclass(slots=True)
class _Word:
    start: int
    end: int
    text: str
    key: str
    cap: bool  # starts with a capital
    upper: bool  # all capitals (2+ letters)
    joined: bool  # attached to the previous word (space or hyphen, same line, no punctuation)
    sent_start: bool
    line: int
    before: str  # the punctuation between the previous word and this one
    after_stop: bool = False  # a full stop follows (set on the next word or at the end)


@dataclass(slots=True)
class _Found:
    i: int  # first word
    j: int  # one past the last word
    type: EntityType
    canonical: str
    country: str | None = None
    weak: bool = False
    candidates: tuple[Candidate, ...] = field(default=())


class Recogniser:
    """Finds entity mentions in text. Build once (loads the shipped gazetteer) and call often."""

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gaz = gazetteer if gazetteer is not None else Gazetteer.load()

    # -- tokenising ---------------------------------------------------------------------
    def _words(self, text: str) -> list[_Word]:
        words: list[_Word] = []
        prev_end = 0
        line = 0
        pending = ""
        for m in TOKEN_RE.finditer(text):
            tok = m.group()
            c = tok[0]
            if not (c.isalpha() or (c.isdigit() and False)):
                if c.isdigit():
                    pending += "0"  # numbers break names
                continue
            start = m.start()
            between = text[prev_end:start]
            newline = "\n" in between
            if newline:
                line += between.count("\n")
            stripped = "".join(between.split())
            if pending:
                stripped += pending
                pending = ""
            tok = split_possessive(tok)
            end = start + len(tok)
            prev = words[-1] if words else None
            after_abbrev = prev is not None and prev.key in ABBREVIATIONS and stripped == "."
            joined = (
                prev is not None
                and not newline
                and (
                    stripped == ""
                    or after_abbrev
                    or (stripped in {"-", "‐"} and between[:1] in {"-", "‐"})
                    or (
                        stripped in POSSESSIVE_MARKS
                        and prev.key in POSSESSIVE_NAME_WORDS
                        and tok[:1].isupper()
                    )
                )
            )
            sent_start = (
                prev is None
                or newline
                or (not after_abbrev and any(ch in stripped for ch in ".!?:"))
                or (prev.text.endswith(".") and prev.upper and stripped == "" and False)
            )
            if prev is not None and any(ch in stripped for ch in ".!?"):
                prev.after_stop = True
            letters = tok.replace(".", "")
            words.append(
                _Word(
                    start,
                    end,
                    tok,
                    fold(tok),
                    tok[0].isupper(),
                    len(letters) >= 2 and letters.isupper(),
                    joined,
                    sent_start,
                    line,
                    stripped,
                )
            )
            prev_end = end
        if words and any(ch in text[prev_end:] for ch in ".!?"):
            words[-1].after_stop = True
        return words

    def _caps_lines(self, words: list[_Word]) -> set[int]:
        """Lines written in capitals or in title case: no guessing there, gazetteer only."""
        total: Counter[int] = Counter()
        upper: Counter[int] = Counter()
        titled: Counter[int] = Counter()
        for w in words:
            if len(w.text) >= 4:
                total[w.line] += 1
                upper[w.line] += w.upper
                titled[w.line] += w.cap
        out: set[int] = set()
        last: dict[int, _Word] = {w.line: w for w in words}
        for ln, n in total.items():
            if n >= 2 and upper[ln] >= 0.7 * n:
                out.add(ln)
            elif n >= 4 and titled[ln] >= 0.8 * n and not last[ln].after_stop:
                out.add(-ln - 1)  # title case: marked negative
        return out

    # -- gazetteer matching ---------------------------------------------------------------
    def _case_ok(self, ws: list[_Word], caps_line: bool, cand: Candidate) -> bool:
        if caps_line:
            return not (cand.acronym and ws[0].key in self.gaz.common_words) and not cand.weak
        if cand.acronym:
            return all(w.upper or w.key in CONNECTORS for w in ws)
        last = len(ws) - 1
        content = [
            w
            for k, w in enumerate(ws)
            if w.key not in CONNECTORS and not (0 < k < last and w.key in ORG_LINKS)
        ]
        if not content:
            return False
        return all(w.cap for w in content)

    def _match(self, words: list[_Word], caps: set[int]) -> list[_Found]:
        gaz = self.gaz
        found: list[_Found] = []
        n = len(words)
        i = 0
        while i < n:
            w = words[i]
            if not (w.cap or w.key in CONNECTORS) or w.key in CALENDAR:
                i += 1
                continue
            caps_line = w.line in caps
            best: tuple[int, tuple[Candidate, ...]] | None = None
            limit = gaz.span.get(w.key, 1)
            key = w.key
            for j in range(i, min(n, i + limit)):
                if j > i:
                    if not words[j].joined:
                        break
                    key = key + " " + words[j].key
                cands = gaz.lookup(key)
                if cands:
                    ok = tuple(c for c in cands if self._case_ok(words[i : j + 1], caps_line, c))
                    if ok:
                        best = (j + 1, ok)
            if best is None:
                i += 1
                continue
            j, cands = best
            top = cands[0]
            found.append(
                _Found(
                    i,
                    j,
                    top.entry.type,
                    top.entry.canonical,
                    top.entry.country,
                    all(c.weak for c in cands),
                    cands,
                )
            )
            i = j
        return found

    # -- the main pass ----------------------------------------------------------------------
    def __call__(self, text: str, *, places_only: bool = False) -> list[Mention]:
        """Every mention in ``text``, in order.

        ``places_only`` is for languages the rules were not written for: only places that
        match the gazetteer (which holds each place's alternate and foreign names) and are not
        ambiguous with a common word are kept; no guessing from capitals, no people or groups.
        """
        words = self._words(text)
        if not words:
            return []
        caps = self._caps_lines(words)
        no_guess = {ln if ln >= 0 else -ln - 1 for ln in caps}
        matches = self._match(words, {ln for ln in caps if ln >= 0})
        if places_only:
            found = [f for f in matches if f.type is EntityType.PLACE and not f.weak]
            self._resolve_places(words, found)
            return self._finish(text, words, found)
        at: dict[int, _Found] = {f.i: f for f in matches}
        out: list[_Found] = []
        n = len(words)

        def is_name_word(k: int) -> bool:
            w = words[k]
            return (w.cap and not w.upper) or (w.upper and len(w.text) > 1)

        i = 0
        while i < n:
            f = at.get(i)
            w = words[i]
            if words[i].line in no_guess:
                if f is not None:
                    out.append(f)
                    i = f.j
                else:
                    i += 1
                continue
            if f is None and not w.cap:
                i += 1
                continue
            # collect a run of capitalised words (and gazetteer matches)
            segs: list[tuple[int, int, _Found | None]] = []
            k = i
            while k < n:
                if (
                    k > i
                    and not words[k].joined
                    and not (words[k - 1].key in ABBREVIATIONS and words[k].cap)
                ):
                    break
                if k > i and (words[k].line in no_guess):
                    break
                fk = at.get(k)
                if (
                    fk is not None
                    and fk.weak
                    and fk.j == k + 1
                    and words[k].key in ORG_HEADS | PLACE_PREFIXES
                ):
                    fk = None  # "University", "Port": a head word that is also a small town
                if fk is not None:
                    segs.append((k, fk.j, fk))
                    k = fk.j
                    continue
                wk = words[k]
                if wk.cap and is_name_word(k):
                    segs.append((k, k + 1, None))
                    k += 1
                    continue
                # a lowercase connector inside a name, or "of" inside an organisation name
                if (
                    k + 1 < n
                    and words[k + 1].joined
                    and words[k + 1].cap
                    and segs
                    and (
                        wk.key in CONNECTORS
                        or (
                            wk.key in ORG_LINKS
                            and (
                                any(
                                    words[s].key in (LINK_HEADS if wk.key == "of" else ORG_HEADS)
                                    for s, _, _ in segs
                                )
                                or _head_ahead(words, k + 1)
                            )
                        )
                    )
                ):
                    segs.append((k, k + 1, None))
                    k += 1
                    continue
                break
            if not segs:
                i += 1
                continue
            self._run(words, segs, out, i, k)
            i = k

        self._resolve_places(words, out)
        self._coreference(words, out)
        return self._finish(text, words, out)

    def _run(
        self,
        words: list[_Word],
        segs: list[tuple[int, int, _Found | None]],
        out: list[_Found],
        start: int,
        stop: int,
    ) -> None:
        gaz = self.gaz
        common = gaz.common_words
        firsts = gaz.first_names
        n = len(words)
        # drop a leading "The"
        while segs and segs[0][2] is None and words[segs[0][0]].key == "the":
            segs = segs[1:]
        if not segs:
            return
        # "Qatar Airways and Turkish Airlines": two names joined by "and"
        for idx in range(1, len(segs) - 1):
            s0 = segs[idx][0]
            if (
                segs[idx][2] is None
                and words[s0].key == "and"
                and segs[idx - 1][2] is None
                and words[segs[idx - 1][0]].key in ORG_HEADS
            ):
                self._run(words, segs[:idx], out, start, s0)
                self._run(words, segs[idx + 1 :], out, segs[idx + 1][0], stop)
                return
        # a sentence-initial common word before a name ("A China Coast Guard ship")
        while (
            len(segs) > 1
            and segs[0][2] is None
            and (
                (words[segs[0][0]].sent_start and words[segs[0][0]].key in gaz.common_words)
                or words[segs[0][0]].key in FUNCTION_WORDS
            )
            and words[segs[0][0]].key not in gaz.first_names
            and words[segs[0][0]].key not in ORG_HEADS | PLACE_PREFIXES
        ):
            segs = segs[1:]
            start = segs[0][0]
        if self._place_run(words, segs, out):
            return
        # "Philippine Red Cross": a nationality or place before a known organisation
        last_f = segs[-1][2]
        if (
            len(segs) >= 2
            and last_f is not None
            and last_f.type is EntityType.ORG
            and last_f.j - last_f.i >= 2
            and all(
                f is not None and f.type in (EntityType.NORP, EntityType.PLACE) and not f.weak
                for _, _, f in segs[:-1]
            )
        ):
            i0, j0 = segs[0][0], segs[-1][1]
            surface = " ".join(words[x].text for x in range(i0, j0))
            out.append(_Found(i0, j0, EntityType.ORG, surface))
            return
        # organisation: a run ending in an organisation head word (or "X of Y" after one)
        head_at = [
            idx
            for idx, (s, _e, f) in enumerate(segs)
            if f is None and words[s].key in ORG_HEADS and words[s].cap
        ]
        if head_at and len(segs) >= 2:
            first = 0
            while (
                first < len(segs)
                and segs[first][2] is None
                and (
                    words[segs[first][0]].key in TITLES
                    and words[segs[first][0]].key not in ORG_HEADS | DEPARTMENT_WORDS
                )
            ):
                first += 1
            last = len(segs) - 1
            while (
                last > first
                and segs[last][2] is None
                and words[segs[last][0]].key in (ORG_LINKS | CONNECTORS)
            ):
                last -= 1
            body = segs[first : last + 1]
            has_gaz_org = any(f is not None and f.type is EntityType.ORG for _, _, f in body)
            whole_gaz = len(body) == 1 and body[0][2] is not None
            if len(body) >= 2 and not whole_gaz and not (has_gaz_org and head_at[-1] < first):
                i0, j0 = body[0][0], body[-1][1]
                surface = " ".join(words[x].text for x in range(i0, j0))
                out.append(_Found(i0, j0, EntityType.ORG, surface))
                return
        prev_word = (
            words[start - 1] if start > 0 and words[start - 1].line == words[start].line else None
        )
        role_before = (
            prev_word is not None and prev_word.key in ROLE_WORDS and prev_word.before == ""
        )
        said_before = prev_word is not None and prev_word.key in SPEECH_VERBS
        after = words[stop] if stop < n else None
        said_after = after is not None and after.key in SPEECH_VERBS and after.before in {"", ","}
        # "Maria Lopez, a nurse", "Maria Lopez, who runs a shop": an appositive after a name
        appositive = (
            after is not None
            and after.before == ","
            and after.key in APPOSITIVE_WORDS
            and not after.cap
            and stop - start >= 2
        )
        said_after = said_after or appositive
        cue = role_before
        group: list[int] = []

        def flush() -> None:
            nonlocal cue
            if not group:
                return
            ws = [words[x] for x in group]
            # trim sentence-initial common words ("Yesterday Ashraf Ghani")
            while ws and ws[0].sent_start and ws[0].key in common and ws[0].key not in firsts:
                ws = ws[1:]
            while ws and ws[-1].key in CONNECTORS:
                ws = ws[:-1]
            group.clear()
            if not ws:
                cue = False
                return
            rest_common = any(w.key in common for w in ws[1:])
            all_common = all(w.key in common for w in ws)
            first_name = ws[0].key in firsts and not (ws[0].sent_start and ws[0].key in common)
            is_person = False
            if (
                (cue and not all_common)
                or (len(ws) >= 2 and first_name and not rest_common)
                or (
                    len(ws) >= 2
                    and (said_after or said_before)
                    and not all_common
                    and not any(w.key in common for w in ws)
                )
            ):
                is_person = True
            i0 = _index(words, ws[0])
            j0 = _index(words, ws[-1]) + 1
            if is_person:
                surface = " ".join(w.text for w in ws)
                out.append(_Found(i0, j0, EntityType.PERSON, surface))
            elif len(ws) == 1 and not ws[0].upper:
                # a bare capitalised word: maybe a surname seen elsewhere (coreference pass)
                out.append(_Found(i0, j0, EntityType.PERSON, ws[0].text, weak=True))
            cue = False

        for idx, (s, e, f) in enumerate(segs):
            if f is None:
                wk = words[s]
                if wk.key in TITLES and not group:
                    cue = True
                    continue
                if wk.key in ORG_LINKS:
                    flush()
                    continue
                group.append(s)
                continue
            nxt = segs[idx + 1] if idx + 1 < len(segs) else None
            single = e - s == 1
            if (
                group
                and single
                and f.type is EntityType.PLACE
                and f.candidates
                and f.candidates[0].entry.kind in ("P", "X", "A")
            ):
                group.append(s)  # "Jordan Henderson": a town's name used as a surname
                continue
            if f.type is EntityType.PLACE and f.weak:
                # a weak place name inside a name run is a title or part of the name ("Gen.
                # Kenneth McKenzie", "King Abdullah")
                if single and words[s].key in TITLES and not group:
                    cue = True
                    continue
                if (
                    group
                    or cue
                    or (nxt is not None and nxt[2] is None)
                    or (
                        single
                        and words[s].key in firsts
                        and nxt is not None
                        and nxt[2] is not None
                        and nxt[2].weak
                        and nxt[1] - nxt[0] == 1
                    )
                ):
                    group.extend(range(s, e))
                    continue
            # "Jordan Henderson", "Victoria Beckham": a first name that is also a place
            if (
                single
                and f.type in (EntityType.PLACE, EntityType.NORP)
                and words[s].key in firsts
                and (
                    (nxt is not None and nxt[2] is None and words[nxt[0]].key not in TITLES)
                    or (cue and not group)
                    or group
                )
            ):
                group.append(s)
                continue
            if group and f.type is EntityType.PERSON:
                flush()
            flush()
            if f.type is EntityType.PERSON and single and cue:
                pass
            out.append(f)
            cue = False
        flush()

    def _place_run(
        self, words: list[_Word], segs: list[tuple[int, int, _Found | None]], out: list[_Found]
    ) -> bool:
        """A geographic name built from a head word: "Naf River", "Lake Chad", "Gulf of Oman"."""
        if len(segs) < 2:
            return False
        s_last, _e, f_last = segs[-1]
        s_first, _e2, f_first = segs[0]
        suffix = f_last is None and words[s_last].key in PLACE_SUFFIXES and words[s_last].cap
        prefix = (
            (f_first is None or (f_first.weak and f_first.j - f_first.i == 1))
            and words[s_first].key in PLACE_PREFIXES
            and words[s_first].cap
            and not (f_last is None and words[s_last].key in ORG_HEADS)
        )
        if not (suffix or prefix):
            return False
        if any(f is not None and f.type in (EntityType.ORG, EntityType.PERSON) for *_, f in segs):
            return False
        if any(f is None and words[s].key in ORG_HEADS | {"and"} for s, _, f in segs):
            return False
        i0, j0 = segs[0][0], segs[-1][1]
        country = next(
            (f.country for *_, f in segs if f is not None and f.country and not f.weak), None
        )
        surface = " ".join(words[x].text for x in range(i0, j0))
        out.append(_Found(i0, j0, EntityType.PLACE, surface, country))
        return True

    # -- context ----------------------------------------------------------------------------
    def _place_cue(self, words: list[_Word], f: _Found) -> bool:
        n = len(words)
        if f.i > 0:
            p = words[f.i - 1]
            if p.key in LOC_PREPS and p.before in {"", "“", '"', "'", "‘"}:
                return True
            if p.key == "of" and f.i > 1 and words[f.i - 2].key in PLACE_NOUNS:
                return True
        if f.j < n:
            q = words[f.j]
            if q.key in PLACE_NOUNS and q.joined:
                return True
            if q.before == "," and q.cap:
                return True  # "Herat, Afghanistan": checked loosely
        return False

    def _resolve_places(self, words: list[_Word], out: list[_Found]) -> None:
        # a one-word place name that is the surname of a person named in full ("Guerrero said")
        surnames = {
            words[f.j - 1].key: f.canonical
            for f in out
            if f.type is EntityType.PERSON and not f.weak and f.j - f.i >= 2
        }
        if surnames:
            for f in out:
                if (
                    f.candidates
                    and f.j - f.i == 1
                    and words[f.i].key in surnames
                    and not any(c.entry.kind in ("C", "R") for c in f.candidates)
                ):
                    f.type = EntityType.PERSON
                    f.canonical = surnames[words[f.i].key]
                    f.country = None
                    f.weak = False
                    f.candidates = ()
        votes: Counter[str] = Counter()
        for f in out:
            one_country = len({c.entry.country for c in f.candidates}) == 1
            if f.candidates and not f.weak and one_country and f.country:
                votes[f.country] += 1
        accepted: set[str] = set()
        prev_found: _Found | None = None
        keep: list[_Found] = []
        deferred: list[_Found] = []
        for f in out:
            if not f.candidates:
                keep.append(f)
                continue
            cue = self._place_cue(words, f)
            # a name that is no common word nor first name, in a country the text is about
            plain = not any(
                words[k].key in self.gaz.common_words or words[k].key in self.gaz.first_names
                for k in range(f.i, f.j)
            ) and not (f.j == f.i + 1 and (words[f.i].sent_start or len(words[f.i].key) < 4))
            prev_place = prev_found if prev_found is not None and prev_found.j == f.i else None
            local = (
                prev_place.country
                if prev_place is not None and words[f.i].before == "," and prev_place.candidates
                else None
            )
            usable = [
                c
                for c in f.candidates
                if not c.weak
                or cue
                or (local is not None and c.entry.country == local)
                or (plain and c.entry.kind in ("P", "A") and votes[c.entry.country or ""] > 0)
            ]
            nxt = words[f.j] if f.j < len(words) else None
            if not usable:
                deferred.append(f)
                continue
            chosen = usable[0]
            if len(usable) > 1 and local and any(c.entry.country == local for c in usable):
                chosen = next(c for c in usable if c.entry.country == local)
            elif len(usable) > 1:
                if nxt is not None and nxt.key in SUBDIVISION_WORDS | {"state"} and nxt.joined:
                    subs = [c for c in usable if c.entry.kind == "A"]
                    if subs:
                        chosen = subs[0]
                else:
                    chosen = max(
                        usable, key=lambda c: votes[c.entry.country or ""] + _BONUS[c.entry.kind]
                    )
            self._apply(words, f, chosen.entry)
            prev_found = f
            accepted.add(fold(chosen.entry.canonical))
            keep.append(f)
        for f in deferred:
            # a weak name is kept when the same place was recognised with confidence elsewhere
            for c in f.candidates:
                if fold(c.entry.canonical) in accepted:
                    self._apply(words, f, c.entry)
                    keep.append(f)
                    break
        out[:] = keep

    def _apply(self, words: list[_Word], f: _Found, entry: Entry) -> None:
        f.type = entry.type
        f.canonical = entry.canonical
        f.country = entry.country
        f.weak = False
        if entry.kind == "C" and entry.country == "US" and words[f.i].upper and f.j == f.i + 1:
            nxt = words[f.j] if f.j < len(words) else None
            if nxt is not None and nxt.before == "" and nxt.line == words[f.i].line:
                adjectival = (not nxt.cap and nxt.key not in NOT_NOUN) or (
                    nxt.cap and (nxt.key in TITLES or nxt.key in NORP_TITLES)
                )
                if adjectival:
                    f.type = EntityType.NORP
                    f.canonical = "American"

    def _coreference(self, words: list[_Word], out: list[_Found]) -> None:
        surnames: dict[str, str] = {}
        for f in out:
            if f.type is EntityType.PERSON and not f.weak and f.j - f.i >= 2:
                surnames.setdefault(words[f.j - 1].key, f.canonical)
        # acronyms defined in parentheses: "National Resistance Front (NRF)"
        acronyms: dict[str, str] = {}
        for f in out:
            if f.type is EntityType.ORG and f.j < len(words):
                w = words[f.j]
                if w.upper and w.before == "(":
                    acronyms[w.key] = f.canonical
        covered = {k for f in out for k in range(f.i, f.j)}
        keep: list[_Found] = []
        for f in out:
            if f.type is EntityType.PERSON and f.weak:
                full = surnames.get(words[f.i].key)
                if full is not None:
                    f.canonical = full
                    f.weak = False
                    keep.append(f)
                continue
            if f.type is EntityType.PERSON and f.j - f.i == 1:
                full = surnames.get(words[f.i].key)
                if full is not None:
                    f.canonical = full
            keep.append(f)
        for k, w in enumerate(words):
            if k in covered:
                continue
            if w.upper and w.key in acronyms:
                keep.append(_Found(k, k + 1, EntityType.ORG, acronyms[w.key]))
            elif w.cap and not w.upper and w.sent_start and w.key in surnames:
                keep.append(_Found(k, k + 1, EntityType.PERSON, surnames[w.key]))
        out[:] = keep

    def _finish(self, text: str, words: list[_Word], out: list[_Found]) -> list[Mention]:
        out.sort(key=lambda f: (f.i, -(f.j - f.i)))
        mentions: list[Mention] = []
        last = -1
        for f in out:
            if f.weak or f.i < last:
                continue
            start, end = words[f.i].start, words[f.j - 1].end
            canonical = f.canonical
            if f.j - f.i > 1 and canonical == " ".join(words[x].text for x in range(f.i, f.j)):
                canonical = " ".join(text[start:end].split())  # keep "People's" as written
            if f.type is EntityType.PERSON:
                if words[f.j - 1].key in {"jr", "sr"} and text[end : end + 1] == ".":
                    end += 1
                    canonical = canonical.rstrip(".") + "."
                canonical = " ".join(canonical.split())
            country = f.country if f.type in (EntityType.PLACE, EntityType.NORP) else None
            mentions.append(Mention(start, end, text[start:end], f.type, canonical, country))
            last = f.j
        return mentions


# prior for choosing among same-named places: countries and regions first, subdivisions next
_BONUS = {"C": 3, "R": 3, "X": 3, "O": 3, "N": 3, "H": 3, "A": 1, "P": 0}


def _index(words: list[_Word], w: _Word) -> int:
    # words are unique objects; find by identity from the word's offset
    lo, hi = 0, len(words)
    while lo < hi:
        mid = (lo + hi) // 2
        if words[mid].start < w.start:
            lo = mid + 1
        else:
            hi = mid
    return lo


_shared: Recogniser | None = None
_lock = threading.Lock()


def shared_recogniser() -> Recogniser:
    """The process's recogniser, built on first use (the gazetteer loads once per process)."""
    global _shared
    if _shared is None:
        with _lock:
            if _shared is None:
                _shared = Recogniser()
    return _shared


def recognise(text: str, *, places_only: bool = False) -> list[Mention]:
    """Recognise entities with the shared recogniser."""
    return shared_recogniser()(text, places_only=places_only)


_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "the",
            "and",
            "of",
            "to",
            "in",
            "is",
            "that",
            "for",
            "was",
            "with",
            "on",
            "as",
            "by",
            "at",
            "from",
            "it",
            "his",
            "are",
            "be",
            "have",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "et",
            "des",
            "est",
            "une",
            "dans",
            "pour",
            "que",
            "qui",
            "sur",
            "pas",
            "par",
            "au",
            "avec",
            "ce",
            "du",
            "il",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "und",
            "ist",
            "nicht",
            "ein",
            "eine",
            "zu",
            "den",
            "mit",
            "von",
            "sich",
            "auf",
            "für",
            "dem",
            "des",
            "auch",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "la",
            "los",
            "las",
            "y",
            "es",
            "en",
            "que",
            "una",
            "por",
            "con",
            "para",
            "del",
            "se",
            "al",
            "lo",
            "como",
            "pero",
            "más",
        ]
    ),
    "it": frozenset(
        [
            "il",
            "la",
            "che",
            "di",
            "e",
            "è",
            "per",
            "una",
            "sono",
            "del",
            "della",
            "non",
            "con",
            "gli",
            "le",
            "si",
            "anche",
            "alla",
        ]
    ),
    "pt": frozenset(
        [
            "o",
            "a",
            "os",
            "as",
            "e",
            "é",
            "em",
            "que",
            "uma",
            "para",
            "com",
            "não",
            "do",
            "da",
            "dos",
            "das",
            "por",
            "se",
            "mais",
            "ao",
        ]
    ),
    "nl": frozenset(
        [
            "de",
            "het",
            "een",
            "en",
            "van",
            "is",
            "dat",
            "niet",
            "in",
            "op",
            "te",
            "met",
            "voor",
            "zijn",
            "er",
            "ook",
            "aan",
        ]
    ),
    "sv": frozenset(
        [
            "och",
            "att",
            "det",
            "som",
            "en",
            "är",
            "på",
            "för",
            "med",
            "av",
            "till",
            "inte",
            "har",
            "den",
            "om",
            "ett",
            "jag",
        ]
    ),
    "pl": frozenset(
        [
            "i",
            "w",
            "na",
            "nie",
            "z",
            "się",
            "że",
            "do",
            "jest",
            "to",
            "jak",
            "po",
            "co",
            "od",
            "przez",
            "dla",
        ]
    ),
    "tr": frozenset(
        [
            "ve",
            "bir",
            "bu",
            "da",
            "de",
            "için",
            "ile",
            "ne",
            "çok",
            "daha",
            "olarak",
            "gibi",
            "olan",
            "en",
            "değil",
        ]
    ),
    "id": frozenset(
        [
            "dan",
            "yang",
            "di",
            "ini",
            "itu",
            "dengan",
            "untuk",
            "tidak",
            "dari",
            "dalam",
            "akan",
            "pada",
            "juga",
            "ke",
        ]
    ),
}


def detect_language(text: str) -> str | None:
    """A cheap ISO 639-1 guess from scripts and stop words; None when unsure."""
    sample = text[:4000]
    scripts: Counter[str] = Counter()
    for ch in sample:
        o = ord(ch)
        if o < 0x250:
            continue
        if 0x400 <= o <= 0x4FF:
            scripts["ru"] += 1
            if ch in "іїєґІЇЄҐ":
                scripts["uk"] += 5
        elif 0x600 <= o <= 0x6FF:
            scripts["ar"] += 1
            if ch in "پچژگکی":
                scripts["fa"] += 3
        elif 0x590 <= o <= 0x5FF:
            scripts["he"] += 1
        elif 0x370 <= o <= 0x3FF:
            scripts["el"] += 1
        elif 0x900 <= o <= 0x97F:
            scripts["hi"] += 1
        elif 0xE00 <= o <= 0xE7F:
            scripts["th"] += 1
        elif 0x3040 <= o <= 0x30FF:
            scripts["ja"] += 3
        elif 0x4E00 <= o <= 0x9FFF:
            scripts["zh"] += 1
        elif 0xAC00 <= o <= 0xD7AF:
            scripts["ko"] += 1
    letters = sum(1 for ch in sample if ch.isalpha())
    if scripts and letters and sum(scripts.values()) >= 0.3 * letters:
        if scripts["uk"] and scripts["ru"]:
            return "uk"
        if scripts["fa"] and scripts["ar"]:
            return "fa"
        if scripts["ja"]:
            return "ja"
        return scripts.most_common(1)[0][0]
    tokens = [fold(t) for t in sample.lower().split()]
    if not tokens:
        return None
    counts = {lang: sum(1 for t in tokens if t in sw) for lang, sw in _STOP_WORDS.items()}
    lang, hits = max(counts.items(), key=lambda kv: kv[1])
    if hits < 2 or hits < 0.05 * len(tokens):
        return None
    return lang
