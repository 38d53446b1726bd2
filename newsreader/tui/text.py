"""Feed text made safe to show, and times made short. Pure functions, no widgets."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

# C0 and C1 controls, DEL, and the bidi embedding/override/isolate characters that could
# reorder what surrounds them. Feed text passes through here before it reaches a Content.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]")
_SPACE = re.compile(r"[\t\n\r]+")


def safe_line(text: str) -> str:
    """One line of hostile text, harmless: no controls, no bidi overrides, no newlines."""
    return _CONTROL.sub("", _SPACE.sub(" ", text)).strip()


def safe_block(text: str) -> str:
    """A block of hostile text: newlines kept, everything else as in :func:`safe_line`."""
    return _CONTROL.sub("", text.replace("\t", "    ").replace("\r", ""))


def relative_age(when: datetime, now: datetime) -> str:
    """``5m``, ``3h``, ``2d``, ``7w``, ``2y``: how long ago, in at most four cells."""
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    days = int(seconds // 86400)
    if days < 14:
        return f"{days}d"
    if days < 365:
        return f"{days // 7}w"
    return f"{days // 365}y"


def when_text(when: datetime | None, now: datetime) -> str:
    """A date for the reader header: ``2026-11-24 09:30 UTC (3h ago)``."""
    if when is None:
        return "date unknown"
    age = relative_age(when, now)
    suffix = "just now" if age == "now" else f"{age} ago"
    return f"{when:%Y-%m-%d %H:%M} UTC ({suffix})"


def until_text(when: datetime | None, now: datetime) -> str:
    """How long until a time: ``in 25m``, ``due``."""
    if when is None:
        return "due"
    left = when - now
    if left <= timedelta(0):
        return "due"
    return "in " + relative_age(now, now + left)
