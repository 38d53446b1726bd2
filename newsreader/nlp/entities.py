"""Named-entity recognition for news text: PERSON, ORG, PLACE and NORP.

Gazetteer first (folded token keys, longest match), then capitalisation and cue rules for people
and organisations, then a within-text pass that links bare surnames and acronyms to their full
forms. Precision comes before recall: unknown capitalised words are only tagged with a cue.

Cues for a person: a given name first (the compiled list plus ``data/given_names.tsv``, so
"Jordan Pike" is a person although Jordan is a country and Pike a town), a title or role before
("adviser Raimundo Nonato Barbosa"), a speech verb ("said Marcus Pope", "Te Awa said"), an
apposition ("Morag Campbell, a crofter", "Kleist, who runs ...", "Okafor, 19,"), a Gaelic surname
shape ("MacLeod"), name particles ("bin", "van der", "Mac an t-"). Two or three unknown names
with no cue are kept aside and become a person when the last one is used alone elsewhere
("Kalani Ortega" ... "Ortega said"). Against false people: words after "in", a country or a big
city ("Kazakhstan Temir Zholy"), place words ("the Kerem Shalom crossing", "Nowa Huta"), sites
("... International Airport") and appositions naming a company or a village.
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
        "labor",
        "labour",
        "transport",
        "environment",
        "water",
        "commerce",
        "housing",
        "treasury",
        "executive",
        "staff",
        "officer",
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
        "do",
        "y",
        "della",
        "degli",
        "ter",
        "ten",
        "zu",
        "ould",
        "ag",
        "na",
        "nan",
    ]
)
# Name particles, written capitalised or not, that are common words elsewhere ("Layla Bin Hamad",
# "Te Awa", "Seumas Mac an t-Saoir"): never count as a common word inside a name.
# Gaelic links after "Mac"/"Nic" ("Mac an t-Saoir", "Nic na h-Oidhche").
GAELIC_HEADS = frozenset(["mac", "nic", "mhic", "ni"])
GAELIC_LINKS = frozenset(["an", "a", "na", "t", "h"])
NAME_PARTICLES = (
    CONNECTORS | GAELIC_HEADS | GAELIC_LINKS | frozenset(["te", "ap", "bint", "ibn", "st"])
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
        # ranks and forms of address
        "specialist",
        "spc",
        "private",
        "pvt",
        "corporal",
        "cpl",
        "petty",
        "ensign",
        "airman",
        "detective",
        "inspector",
        "superintendent",
        "constable",
        "sheriff",
        "sister",
        "rabbi",
        "pastor",
        "reverend",
        "monsignor",
        "councillor",
        "councilor",
        "alderman",
        "magistrate",
        "mme",
        "mlle",
        "herr",
        "frau",
        "señor",
        "senor",
        "señora",
        "senora",
        "dona",
        "dom",
        "datuk",
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
        "manager",
        "executive",
        "owner",
        "head",
        "officer",
        "councillor",
        "councilor",
        "chef",
        "artist",
        "poet",
        "novelist",
        "historian",
        "scholar",
        "physician",
        "surgeon",
        "midwife",
        "veteran",
        "fisherman",
        "crofter",
        "rancher",
        "herder",
        "driver",
        "pilot",
        "organiser",
        "organizer",
        "volunteer",
        "campaigner",
        "entrepreneur",
        "investor",
        "banker",
        "trader",
        "shopkeeper",
        "vendor",
        "worker",
        "employee",
        "priest",
        "pastor",
        "rabbi",
        "elder",
        "chieftain",
        "inspector",
        "detective",
        "officer",
        "spokesperson",
        "legislator",
        "politician",
        "councilwoman",
        "councilman",
        "businessman",
        "businesswoman",
        "filmmaker",
        "musician",
        "athlete",
        "coordinator",
        "representative",
    ]
)
# Relatives and companions: "her son, Santiago, wants ..." (an apposition after a comma).
KIN_WORDS = frozenset(
    [
        "son",
        "daughter",
        "wife",
        "husband",
        "mother",
        "father",
        "brother",
        "sister",
        "grandson",
        "granddaughter",
        "grandmother",
        "grandfather",
        "cousin",
        "nephew",
        "niece",
        "uncle",
        "aunt",
        "partner",
        "fiancée",
        "fiance",
        "fiancee",
        "widow",
        "widower",
        "friend",
        "colleague",
        "neighbour",
        "neighbor",
        "boss",
        "deputy",
    ]
)
# Nouns after "X, a ..." that make X a company or body rather than a person.
ORG_NOUNS = frozenset(
    [
        "company",
        "firm",
        "group",
        "maker",
        "manufacturer",
        "producer",
        "operator",
        "startup",
        "start",
        "conglomerate",
        "subsidiary",
        "miner",
        "lender",
        "insurer",
        "carrier",
        "airline",
        "retailer",
        "supplier",
        "developer",
        "utility",
        "charity",
        "organisation",
        "organization",
        "ngo",
        "nonprofit",
        "agency",
        "bank",
        "broadcaster",
        "newspaper",
        "outlet",
        "network",
        "consultancy",
        "fund",
        "party",
        "movement",
        "union",
        "coalition",
        "cooperative",
        "co",
        "brand",
        "chain",
        "giant",
        "exporter",
        "importer",
        "shipper",
        "railway",
        "university",
        "institute",
        "club",
        "team",
        "band",
        "body",
        "regulator",
        "watchdog",
        "platform",
        "app",
        "website",
        "site",
    ]
)
# Nouns after "X, a ..." that make X a place: "Yambali, a village upriver".
PLACE_APPOSITION_NOUNS = frozenset(
    [
        "village",
        "town",
        "city",
        "district",
        "region",
        "province",
        "island",
        "islands",
        "neighbourhood",
        "neighborhood",
        "suburb",
        "settlement",
        "hamlet",
        "port",
        "river",
        "country",
        "municipality",
        "township",
        "county",
        "valley",
        "resort",
        "camp",
        "enclave",
        "oasis",
        "atoll",
        "archipelago",
    ]
)
# Determiners and possessives that may open an apposition ("its regional manager").
APPOSITION_OPENERS = frozenset(["a", "an", "the", "its", "his", "her", "their", "our", "one"])
# Prepositions that introduce places, never people: "a taxi firm in Nowa Huta, said ...".
PLACE_ONLY_PREPS = frozenset(
    [
        "in",
        "near",
        "at",
        "outside",
        "inside",
        "around",
        "across",
        "throughout",
        "toward",
        "towards",
        "via",
        "within",
    ]
)
APPOSITION_NOUNS = ORG_NOUNS | PLACE_APPOSITION_NOUNS | ROLE_WORDS | KIN_WORDS
# Words that end the search for the noun of an apposition ("a man who", "the head of").
APPOSITION_STOPS = frozenset(
    ["of", "in", "at", "on", "for", "from", "with", "that", "which", "who", "and", "or", "to"]
)
# Words ending the names of buildings and sites ("Rose Garden", "Azadi Stadium"): a place.
SITE_WORDS = frozenset(
    [
        "garden",
        "gardens",
        "park",
        "square",
        "stadium",
        "arena",
        "bridge",
        "street",
        "road",
        "avenue",
        "boulevard",
        "highway",
        "plaza",
        "hall",
        "palace",
        "tower",
        "towers",
        "building",
        "station",
        "airport",
        "airbase",
        "base",
        "church",
        "mosque",
        "temple",
        "cathedral",
        "shrine",
        "market",
        "mall",
        "hotel",
        "prison",
        "jail",
        "camp",
        "dam",
        "mine",
        "museum",
        "theatre",
        "theater",
        "library",
        "cemetery",
        "monument",
        "memorial",
        "gate",
        "pass",
        "forest",
        "beach",
        "coast",
        "field",
        "fields",
        "refinery",
        "terminal",
        "corridor",
        "complex",
    ]
)
# Words ending the names of prizes, events and agreements: no person ("Nobel Prize").
FACILITY_WORDS = SITE_WORDS | frozenset(
    [
        "prize",
        "award",
        "cup",
        "trophy",
        "olympics",
        "games",
        "festival",
        "summit",
        "declaration",
        "accord",
        "accords",
        "agreement",
        "treaty",
        "plan",
        "act",
        "doctrine",
        "hurricane",
        "storm",
        "cyclone",
        "typhoon",
    ]
)
# Lowercase words after a hyphen that make a compound, not a name ("Bush-era", "Iran-backed").
COMPOUND_PARTS = frozenset(
    [
        "era",
        "led",
        "run",
        "style",
        "based",
        "backed",
        "born",
        "made",
        "owned",
        "like",
        "type",
        "wide",
        "free",
        "level",
        "class",
        "scale",
        "linked",
        "bound",
        "elect",
        "year",
        "old",
        "day",
        "week",
        "month",
        "time",
        "term",
        "party",
        "state",
        "area",
        "zone",
        "sized",
        "ready",
        "proof",
        "only",
        "first",
        "plus",
        "friendly",
        "rich",
        "poor",
        "held",
        "hit",
        "torn",
        "laden",
        "armed",
        "aided",
        "tied",
        "ally",
        "allied",
        "sided",
        "side",
        "deal",
        "ban",
        "news",
        "camp",
        "wing",
        "gate",
        "like",
        "ism",
        "ist",
        "ists",
        "ite",
        "ites",
        "esque",
    ]
)
# Capitalised words that start names of storms, operations and the like, never of people.
NOT_NAME_STARTS = frozenset(
    ["hurricane", "typhoon", "cyclone", "storm", "tropical", "operation", "project", "camp"]
)
# Words that start place names in other languages ("Nowa Huta", "Puerto Limón", "Wadi Rum",
# "Eilean Siar"): a run starting with one is not a person without a title.
PLACE_FIRST_WORDS = frozenset(
    [
        "nowa",
        "nowy",
        "nowe",
        "stara",
        "stary",
        "stare",
        "nizhny",
        "nizhnyaya",
        "novaya",
        "novy",
        "staraya",
        "ust",
        "puerto",
        "ciudad",
        "sao",
        "porto",
        "vila",
        "bad",
        "sankt",
        "sint",
        "saint",
        "sainte",
        "mont",
        "kafr",
        "deir",
        "wadi",
        "jebel",
        "jabal",
        "beit",
        "eilean",
        "loch",
        "kampong",
        "kota",
        "bandar",
    ]
)
# Generational suffixes after a surname.
SUFFIXES = frozenset(["jr", "sr", "ii", "iii", "iv"])
IN_WORDS = frozenset(["in", "near", "outside", "inside", "across", "throughout", "via", "within"])
WEEKDAYS = frozenset(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
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
        "comhairle",
    ]
)
# Titles that only people hold: after an organisation's name they start a person's name
# ("Coast Guard Vice Admiral Thad Allen").
PERSON_TITLES = TITLES - ORG_HEADS - DEPARTMENT_WORDS - CONNECTORS
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


def _surname_shape(text: str) -> bool:
    """A surname by its shape: "MacLeod", "McKenzie", "O'Brien", "FitzGerald"."""
    for prefix in ("Mac", "Mc", "O'", "O’", "Fitz"):
        if (
            text.startswith(prefix)
            and len(text) > len(prefix) + 1
            and text[len(prefix)].isupper()
            and text[len(prefix) + 1 :].islower()
        ):
            return True
    return False


def _apposition(words: list[_Word], stop: int) -> str | None:
    """What a phrase after a comma says the name before it is.

    "PERSON" for "X, who ..." or "X, a crofter"; "ORG" for "X, a Chinese company"; "PLACE" for
    "X, a village ..."; "DEFAULT" for "X, a ..." with no telling noun; None when there is no
    apposition.
    """
    n = len(words)
    if stop >= n:
        return None
    after = words[stop]
    if after.line != words[stop - 1].line:
        return None
    if _is_age(after.before):
        return "PERSON"  # "Tyrone Okafor, 19, from Peckham"
    if after.before != "," or after.cap:
        return None
    if after.key in ("who", "whose"):
        return "PERSON"
    if after.key in ROLE_WORDS or after.key in KIN_WORDS:
        return "PERSON"
    if after.key not in APPOSITION_OPENERS or words[stop - 1].key in CALENDAR:
        return None
    for m in range(stop + 1, min(n, stop + 6)):
        w = words[m]
        if w.before not in ("", "-") or w.line != after.line:
            break
        key = w.key
        nxt = words[m + 1] if m + 1 < n else None
        if nxt is not None and nxt.before in POSSESSIVE_MARKS:
            continue  # "the movement's chief negotiator": the possessor is not the head
        if (
            nxt is not None
            and nxt.before == ""
            and not nxt.cap
            and (nxt.key in APPOSITION_NOUNS or nxt.key in ORG_HEADS)
        ):
            continue  # "the city council": a noun used as a modifier
        if key in ORG_NOUNS and not w.cap:
            return "ORG"
        if key in PLACE_APPOSITION_NOUNS and not w.cap:
            return "PLACE"
        if (key in ROLE_WORDS or key in KIN_WORDS) and not w.cap:
            return "PERSON"
        if key in APPOSITION_STOPS:
            break
    return "DEFAULT" if after.key in ("a", "an") else None


def _is_age(between: str) -> bool:
    """Whether the punctuation between two words is an age in commas: "Okafor, 19, from"."""
    return (
        len(between) <= 6
        and between.startswith(",")
        and between.endswith(",0")
        and between[1:-2].isdigit()
    )


def _syllable_part(words: list[_Word], k: int) -> bool:
    """The lowercase second half of a hyphenated Korean or Chinese given name ("Ki-moon")."""
    w = words[k]
    p = words[k - 1]
    return (
        w.joined
        and w.before == "-"
        and not w.cap
        and 2 <= len(w.key) <= 5
        and w.key not in COMPOUND_PARTS
        and p.cap
        and not p.upper
        and len(p.key) <= 5
        and p.end == w.start - 1
    )


def _connected(words: list[_Word], k: int) -> bool:
    """Whether lowercase connectors from ``k`` on lead to a capitalised word ("van der Berg")."""
    for m in range(k, min(len(words), k + 2)):
        w = words[m]
        if not w.joined:
            return False
        if w.cap:
            return True
        if w.key not in CONNECTORS:
            return False
    return False


def _gaelic_link(words: list[_Word], k: int) -> bool:
    """A lowercase Gaelic link inside a surname: "an" and "t" in "Mac an t-Saoir"."""
    if not words[k].joined or words[k].key not in GAELIC_LINKS or words[k].cap:
        return False
    if words[k - 1].key not in GAELIC_HEADS | GAELIC_LINKS:
        return False
    for m in range(k + 1, min(len(words), k + 3)):
        w = words[m]
        if not w.joined:
            return False
        if w.cap:
            return True
        if w.key not in GAELIC_LINKS:
            return False
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
        # first names mined from tagged text include titles ("Senator", "Admiral") and months
        self.first_names: frozenset[str] = (
            self.gaz.first_names - TITLES - CALENDAR - KIN_WORDS - ORG_HEADS
        )

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
            after_abbrev = (
                prev is not None
                and stripped == "."
                and (
                    prev.key in ABBREVIATIONS
                    # a middle initial: "Stephen J. Townsend" (not "World War I. The")
                    or (
                        len(prev.text) == 1
                        and prev.text.isupper()
                        and prev.joined
                        and len(words) >= 2
                        and words[-2].cap
                        and tok[:1].isupper()
                        and fold(tok) not in self.gaz.common_words
                    )
                )
            )
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
            stop = bool(stripped) and ("." in stripped or "!" in stripped or "?" in stripped)
            sent_start = (
                prev is None
                or newline
                or (not after_abbrev and (stop or (bool(stripped) and ":" in stripped)))
            )
            if prev is not None and stop:
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
        spoken: set[int] = set()  # "The Foreign Secretary Philip Hammond said:" is no headline
        for w in words:
            if len(w.text) >= 4:
                total[w.line] += 1
                upper[w.line] += w.upper
                titled[w.line] += w.cap
            if w.key in SPEECH_VERBS and not w.cap:
                spoken.add(w.line)
        out: set[int] = set()
        last: dict[int, _Word] = {w.line: w for w in words}
        for ln, n in total.items():
            if n >= 2 and upper[ln] >= 0.7 * n:
                out.add(ln)
            elif n >= 4 and titled[ln] >= 0.8 * n and not last[ln].after_stop and ln not in spoken:
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
                if words[k].key in WEEKDAYS and words[k].cap and not _head_ahead(words, k):
                    break  # "Ehud Olmert Tuesday warned", "Saturday Mr. Abbas"
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
                if segs and _syllable_part(words, k):
                    segs.append((k, k + 1, None))  # "Ban Ki-moon", "Chung Dong-young"
                    k += 1
                    continue
                # a lowercase connector inside a name, or "of" inside an organisation name
                if (
                    k + 1 < n
                    and words[k + 1].joined
                    and segs
                    and (words[k + 1].cap or _connected(words, k + 1))
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
                if segs and _gaelic_link(words, k):
                    segs.append((k, k + 1, None))
                    k += 1
                    continue
                break
            if not segs:
                i = max(i + 1, k)
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
        firsts = self.first_names
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
            and words[segs[0][0]].key not in self.first_names
            and words[segs[0][0]].key not in ORG_HEADS | PLACE_PREFIXES
        ):
            segs = segs[1:]
            start = segs[0][0]
        if self._place_run(words, segs, out):
            return
        # "Hamid Karzai International Airport", "Azadi Stadium": a site named after someone
        s_last, e_last, f_last = segs[-1]
        if (
            len(segs) >= 2
            and (f_last is None or (f_last.weak and e_last - s_last == 1))
            and words[s_last].key in SITE_WORDS
            and words[s_last].cap
            and not any(words[x].key in ORG_HEADS for x, _, f in segs if f is None)
            and not any(f is not None and f.type is EntityType.ORG for *_, f in segs)
        ):
            i0, j0 = segs[0][0], segs[-1][1]
            surface = " ".join(words[x].text for x in range(i0, j0))
            country = next(
                (f.country for *_, f in segs if f is not None and f.country and not f.weak), None
            )
            out.append(_Found(i0, j0, EntityType.PLACE, surface, country))
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
            # "Coast Guard Vice Admiral Thad Allen": a title after the head starts a person
            for idx in range(head_at[0] + 1, last):
                s_idx, _e, f_idx = segs[idx]
                guessed = f_idx is None or (f_idx.weak and f_idx.j - f_idx.i == 1)
                if guessed and words[s_idx].key in PERSON_TITLES:
                    if idx > first:
                        self._run(words, segs[first:idx], out, segs[first][0], s_idx)
                    self._run(words, segs[idx:], out, s_idx, stop)
                    return
            body = segs[first : last + 1]
            has_gaz_org = any(f is not None and f.type is EntityType.ORG for _, _, f in body)
            whole_gaz = len(body) == 1 and body[0][2] is not None
            if len(body) >= 2 and not whole_gaz and not (has_gaz_org and head_at[-1] < first):
                i0, j0 = body[0][0], body[-1][1]
                surface = " ".join(words[x].text for x in range(i0, j0))
                out.append(_Found(i0, j0, EntityType.ORG, surface))
                return
        prev_word = (
            words[start - 1]
            if start > 0
            and words[start - 1].line == words[start].line
            and not words[start].sent_start
            else None
        )
        after = words[stop] if stop < n and words[stop].line == words[stop - 1].line else None
        apposition = _apposition(words, stop) if after is not None else None
        all_guessed = all(f is None or f.weak or f.type is EntityType.PLACE for *_, f in segs)
        if (
            apposition in ("ORG", "PLACE")
            and all(f is None or f.weak for *_, f in segs)
            and not (segs[-1][1] - segs[0][0] >= 2 and words[segs[0][0]].key in firsts)
        ):
            # "Tianqi Lithium, a Chinese company", "Yambali, a village upriver"
            i0, j0 = segs[0][0], segs[-1][1]
            if not any(words[x].key in TITLES for x in range(i0, j0)):
                surface = " ".join(words[x].text for x in range(i0, j0))
                etype = EntityType.ORG if apposition == "ORG" else EntityType.PLACE
                out.append(_Found(i0, j0, etype, surface))
                return
        # "the Kerem Shalom crossing", "Wood Buffalo region": a place, not a person
        place_after = (
            after is not None
            and after.before == ""
            and not after.cap
            and after.key in PLACE_NOUNS
            and not any(
                words[x].key in TITLES and words[x].key not in CONNECTORS for x, _, _ in segs
            )
        )
        if place_after and all(f is None for *_, f in segs):
            i0, j0 = segs[0][0], segs[-1][1]
            surface = " ".join(words[x].text for x in range(i0, j0))
            out.append(_Found(i0, j0, EntityType.PLACE, surface))
            return
        role_before = (
            prev_word is not None
            and prev_word.key in ROLE_WORDS
            and (prev_word.before in ("", "-") or prev_word.before in POSSESSIVE_MARKS)
        )
        # "its regional manager, Jairo Polanía, admits", "her son, Santiago, wants"
        role_before = role_before or (
            prev_word is not None
            and prev_word.key in ROLE_WORDS | KIN_WORDS
            and not prev_word.cap
            and words[start].before == ","
            and after is not None
            and (after.before == "," or after.key in SPEECH_VERBS)
            and all_guessed
        )
        place_before = prev_word is not None and prev_word.key in PLACE_ONLY_PREPS
        # "volunteers in Bella Coola": a first name right after "in" is more likely a place
        in_place = (
            place_before
            and prev_word is not None
            and prev_word.key in IN_WORDS
            and (after is None or after.before not in POSSESSIVE_MARKS)
        )
        said_before = prev_word is not None and prev_word.key in SPEECH_VERBS
        said_after = after is not None and after.key in SPEECH_VERBS and after.before in {"", ","}
        # "Maria Lopez, a nurse", "Maria Lopez, who runs a shop": an appositive after a name
        appositive = apposition == "PERSON" or (apposition == "DEFAULT" and stop - start >= 2)
        said_after = (said_after or appositive) and not place_before
        cue = role_before
        group: list[int] = []
        after_country = False

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
            # name particles ("Bin", "Te", "Mac") are not common words inside a name
            commons = [w.key in common and w.key not in NAME_PARTICLES and w.cap for w in ws]
            rest_common = any(commons[1:])
            all_common = all(commons)
            first_name = ws[0].key in firsts and not (ws[0].sent_start and ws[0].key in common)
            last = ws[-1]
            plain_last = (
                last.key not in ORG_HEADS
                and last.key not in PLACE_SUFFIXES
                and last.key not in FACILITY_WORDS
            )
            spoken = said_after or said_before
            is_person = False
            if (place_after or ws[0].key in PLACE_FIRST_WORDS) and not cue:
                pass
            elif (
                (cue and not all_common)
                or (
                    len(ws) >= 2
                    and first_name
                    and not rest_common
                    and plain_last
                    and not (in_place and not spoken)
                )
                or (
                    len(ws) >= 2
                    and spoken
                    and not after_country
                    and plain_last
                    and not any(commons)
                    and not any(w.upper for w in ws)
                )
                # "said Marcus Pope, who runs a diner": a first name and a cue
                or (len(ws) >= 2 and first_name and spoken and plain_last and not all_common)
                # "Tamsin Hope, a midwife": an apposition naming a person's role
                or (
                    len(ws) >= 2
                    and apposition == "PERSON"
                    and not place_before
                    and not after_country
                    and not commons[0]
                    and plain_last
                    and not any(w.upper for w in ws)
                )
                # "Catriona MacLeod": a Gaelic or Irish surname
                or (
                    len(ws) >= 2
                    and _surname_shape(last.text)
                    and not any(commons)
                    and not after_country
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
            elif (
                len(ws) <= 4
                and not any(commons)
                and plain_last
                and ws[0].key not in NOT_NAME_STARTS
                and ws[0].key not in PLACE_FIRST_WORDS
                and not place_before
                and not place_after
                and not after_country
                and not any(w.upper or w.key in TITLES for w in ws)
            ):
                # two or three unknown names ("Kalani Ortega"): a person if the last one is used
                # alone as a person's name elsewhere ("Ortega said"), see _resolve_places
                surface = " ".join(w.text for w in ws)
                out.append(_Found(i0, j0, EntityType.PERSON, surface, weak=True))
            cue = False

        for idx, (s, e, f) in enumerate(segs):
            if f is None:
                wk = words[s]
                if wk.key in TITLES and not group:
                    cue = True
                    continue
                if (
                    wk.key in TITLES
                    and wk.key not in CONNECTORS
                    and idx + 1 < len(segs)
                    and not any(words[x].key in firsts for x in group)
                ):
                    # "Democratic Senator Ken Salazar": the words before a title describe it
                    group.clear()
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
            # the next segment is one weak place name ("Pike", "Campbell"): maybe a surname
            weak_next = (
                nxt is not None
                and nxt[2] is not None
                and nxt[2].weak
                and nxt[1] - nxt[0] == 1
                and nxt[2].type is EntityType.PLACE
                and words[nxt[0]].key not in TITLES
            )
            if f.type is EntityType.PLACE and f.weak:
                # a weak place name inside a name run is a title or part of the name ("Gen.
                # Kenneth McKenzie", "King Abdullah")
                if single and words[s].key in TITLES and not group:
                    cue = True
                    continue
                if group or cue or (nxt is not None and nxt[2] is None) or (single and weak_next):
                    group.extend(range(s, e))
                    continue
            # "secretary-general Wellington Chibebe": after a role, a town's name and an unknown
            # word are a person's names
            if (
                single
                and cue
                and not group
                and f.type is EntityType.PLACE
                and f.candidates
                and f.candidates[0].entry.kind in ("P", "X")
                and nxt is not None
                and nxt[2] is None
                and words[nxt[0]].key not in TITLES
                and words[nxt[0]].key not in common
            ):
                group.append(s)
                continue
            # "Jordan Henderson", "Victoria Beckham": a first name that is also a place
            if (
                single
                and f.type in (EntityType.PLACE, EntityType.NORP)
                and words[s].key in firsts
                # "German Tommy Haas": an adjective before a first name
                and not (nxt is not None and words[nxt[0]].key in firsts and not group)
                and (
                    (nxt is not None and nxt[2] is None and words[nxt[0]].key not in TITLES)
                    or (cue and not group)
                    or group
                    or weak_next
                )
            ):
                group.append(s)
                continue
            if (
                group
                and single
                and f.type in (EntityType.PERSON, EntityType.ORG)
                and not words[s].upper
                and words[group[0]].key in firsts
                and not any(words[x].key in common for x in group)
            ):
                # "Hunter Biden", "Alexander Medvedev", "Michael Bloomberg": a first name
                # before a famous surname or a company named after its founder
                group.append(s)
                continue
            flush()
            out.append(f)
            cue = False
            # "Kazakhstan Temir Zholy": unknown words after a country name are no person
            after_country = (
                f.type is EntityType.PLACE and not f.weak and any(not c.weak for c in f.candidates)
            )
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

    def _person_cue(self, words: list[_Word], i: int) -> bool:
        """Whether the one word at ``i`` is used as a person's name: "Ortega said", "said
        Ortega", "Kleist, who runs ...", "Kleist says"."""
        w = words[i]
        if i + 1 < len(words):
            q = words[i + 1]
            if q.line == w.line and (
                (q.key in SPEECH_VERBS and q.before in {"", ","})
                or (q.key in ("who", "whose") and q.before == ",")
                or _is_age(q.before)
            ):
                return True
        if i > 0:
            p = words[i - 1]
            if p.line == w.line and p.key in SPEECH_VERBS and w.before == "" and not w.after_stop:
                return True
        return False

    def _people_by_surname(self, words: list[_Word], out: list[_Found]) -> dict[str, str]:
        """Surname keys of the people named in full, mapped to their canonical names.

        The last word counts (after "Jr."), a hyphenated surname as a whole ("sanwo olu"), and
        for names of three words or more the one before the last too ("Adriana Villarreal
        Garza" is later "Villarreal"), unless it is a first name, title or common word.
        """
        surnames: dict[str, str] = {}
        middles: dict[str, str] = {}
        for f in out:
            if f.type is not EntityType.PERSON or f.weak or f.j - f.i < 2:
                continue
            ks = [k for k in range(f.i, f.j) if words[k].key not in NAME_PARTICLES]
            while len(ks) > 2 and words[ks[-1]].key in SUFFIXES:
                ks.pop()
            if len(ks) < 2:
                continue
            surnames.setdefault(words[ks[-1]].key, f.canonical)
            unit = len(ks) - 1
            while unit > 1 and words[ks[unit]].before == "-" and ks[unit] == ks[unit - 1] + 1:
                unit -= 1
            if unit < len(ks) - 1:
                surnames.setdefault(" ".join(words[k].key for k in ks[unit:]), f.canonical)
                continue
            middle = words[ks[-2]].key
            if (
                len(ks) >= 3
                and middle not in self.first_names
                and middle not in TITLES
                and middle not in self.gaz.common_words
            ):
                middles.setdefault(middle, f.canonical)
        for key, canonical in middles.items():
            surnames.setdefault(key, canonical)
        return surnames

    def _resolve_places(self, words: list[_Word], out: list[_Found]) -> None:
        # unknown names in full ("Kalani Ortega") are people when the last name is used alone
        # as a person's name elsewhere ("Ortega said")
        guessed = [f for f in out if f.type is EntityType.PERSON and f.weak and f.j - f.i >= 2]
        if guessed:
            alone = {
                words[f.i].key
                for f in out
                if f.j - f.i == 1
                and (f.type is EntityType.PERSON or (f.type is EntityType.PLACE and f.weak))
                and words[f.i].cap
                and not words[f.i].upper
            }
            known = self._people_by_surname(words, out)
            for f in guessed:
                last = words[f.j - 1].key
                if all(words[k].before == "-" for k in range(f.i + 1, f.j)):
                    # a hyphenated name alone ("Sanwo-Olu") is a person named in full elsewhere
                    whole = " ".join(words[k].key for k in range(f.i, f.j))
                    if whole in known:
                        f.weak = False
                        f.canonical = known[whole]
                elif (last in alone and len(last) >= 3) or last in known:
                    f.weak = False
        # a one-word place name that is the surname of a person named in full ("Guerrero said")
        surnames = self._people_by_surname(words, out)
        if surnames:
            for f in out:
                if not (f.candidates and f.j - f.i == 1 and words[f.i].key in surnames):
                    continue
                p = words[f.i - 1] if f.i > 0 else None
                q = words[f.j] if f.j < len(words) else None
                if (p is not None and p.key in PLACE_ONLY_PREPS) or (
                    q is not None and q.key in PLACE_NOUNS and q.joined
                ):
                    continue  # "in Guerrero", "Guerrero state"
                country = any(c.entry.kind in ("C", "R") for c in f.candidates)
                if country and not self._person_cue(words, f.i):
                    continue  # a country stays a country unless it speaks ("Jordan said")
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
                words[k].key in self.gaz.common_words or words[k].key in self.first_names
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
        surnames = self._people_by_surname(words, out)
        # acronyms defined in parentheses: "National Resistance Front (NRF)"
        acronyms: dict[str, str] = {}
        for f in out:
            if f.type is EntityType.ORG and f.j < len(words):
                w = words[f.j]
                if w.upper and w.before == "(":
                    acronyms[w.key] = f.canonical
        # "Van der Berg", "Aro-Olu": the family name of someone named in full before
        tails: dict[tuple[str, ...], str] = {}
        for f in out:
            if f.type is EntityType.PERSON and not f.weak and f.j - f.i >= 3:
                keys = tuple(words[k].key for k in range(f.i, f.j))
                for cut in range(1, len(keys) - 1):
                    tails.setdefault(keys[cut:], f.canonical)
        covered = {k for f in out for k in range(f.i, f.j)}
        keep: list[_Found] = []
        for f in out:
            if f.type is EntityType.PERSON and f.j - f.i >= 2 and tails:
                full = tails.get(tuple(words[k].key for k in range(f.i, f.j)))
                if full is not None:
                    f.canonical = full
                    f.weak = False
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
        # names built from words are canonical as written ("People's", "Aro-Olu"), also where
        # a later mention links to them
        as_written: dict[str, str] = {}
        for f in out:
            if f.j - f.i > 1 and f.canonical == " ".join(words[x].text for x in range(f.i, f.j)):
                written = " ".join(text[words[f.i].start : words[f.j - 1].end].split())
                as_written.setdefault(f.canonical, written)
        mentions: list[Mention] = []
        last = -1
        for f in out:
            if f.weak or f.i < last:
                continue
            start, end = words[f.i].start, words[f.j - 1].end
            canonical = as_written.get(f.canonical, f.canonical)
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
    latin = not sample or max(sample) < "\u0250"  # the common case, checked at C speed
    for ch in "" if latin else sample:
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
    letters = sum(1 for ch in sample if ch.isalpha()) if scripts else 0
    if scripts and letters and sum(scripts.values()) >= 0.3 * letters:
        if scripts["uk"] and scripts["ru"]:
            return "uk"
        if scripts["fa"] and scripts["ar"]:
            return "fa"
        if scripts["ja"]:
            return "ja"
        return scripts.most_common(1)[0][0]
    words = sample.lower().split()
    if not words:
        return None
    tokens = Counter(fold(t) for t in words)
    counts = {
        lang: sum(tokens[t] for t in sw.intersection(tokens)) for lang, sw in _STOP_WORDS.items()
    }
    lang, hits = max(counts.items(), key=lambda kv: kv[1])
    if hits < 2 or hits < 0.05 * len(words):
        return None
    return lang
