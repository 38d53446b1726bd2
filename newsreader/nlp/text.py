"""Tokenising and folding shared by the recogniser and the gazetteer builder.

Matching is done on *folded* word tokens: diacritics removed, lower case, apostrophes dropped,
hyphens treated as token boundaries. "Herāt" and "Herat" fold alike, and so do "Qala-i-Naw" and
"Qala i Naw".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# A dotted acronym (U.S., U.N.), a word (letters, with internal apostrophes: Qal'ah, O'Brien),
# a number, or one other non-space character.
TOKEN_RE = re.compile(
    r"(?:[A-Z]\.){2,}(?![^\W\d_])"
    r"|[^\W\d_](?:[^\W_]|['’‘`ʼʻ](?=[^\W\d_]))*"
    r"|\d+(?:[.,]\d+)*"
    r"|\S",
)

APOSTROPHES = "'’‘`ʼʻ"
_SPECIAL = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "ß": "ss",
        "ı": "i",
        "đ": "d",
        "Đ": "d",
        "ł": "l",
        "Ł": "l",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "þ": "th",
        "ð": "d",
        "'": None,
        "’": None,
        "‘": None,
        "`": None,
        "ʼ": None,
        "ʻ": None,
        ".": None,
    }
)


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Fold one word for matching: no diacritics, no apostrophes or dots, lower case."""
    if word.isascii():
        return word.translate(_SPECIAL).lower()
    decomposed = unicodedata.normalize("NFKD", word.translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def split_possessive(word: str) -> str:
    """``Biden's`` -> ``Biden``; other words unchanged."""
    if len(word) > 3 and word[-1] in "sS" and word[-2] in APOSTROPHES:
        return word[:-2]
    if len(word) > 2 and word[-1] in APOSTROPHES:
        return word[:-1]
    return word


def word_tokens(text: str) -> list[str]:
    """The word tokens of a name, for building gazetteer keys (punctuation dropped)."""
    out: list[str] = []
    for m in TOKEN_RE.finditer(text):
        tok = m.group()
        if tok[0].isalpha() or tok[0].isdigit():
            out.append(tok)
    return out


def name_key(name: str) -> str:
    """The folded key of a name: its folded word tokens joined by single spaces."""
    return " ".join(fold(t) for t in word_tokens(name))


def strip_marks(name: str) -> str:
    """Remove transliteration marks (macrons, dots below, ayn signs) but keep common accents."""
    keep = {"\u0301", "\u0300", "\u0302", "\u0308", "\u0303", "\u0327", "\u030c", "\u030a"}
    decomposed = unicodedata.normalize("NFD", name)
    cleaned = "".join(c for c in decomposed if not unicodedata.combining(c) or c in keep)
    cleaned = cleaned.replace("‘", "").replace("ʿ", "").replace("ʾ", "").replace("`", "'")
    return unicodedata.normalize("NFC", cleaned)
