"""World regions: the newsroom regions a story belongs to, from the places it mentions.

Two parts:

- :class:`RegionMap`, the grouping of countries (ISO 3166-1 alpha-2), named parts of the world
  ("Sahel", "Gulf") and stateless peoples ("Kurdish") into regions. The defaults ship as data
  (``data/regions.toml``: newsroom regions plus each country's UN M49 sub-region); the config's
  ``[regions]`` table renames, merges and adds regions on top of them.
- :func:`assign_regions`, which scores the regions of one article from its PLACE and NORP
  mentions. The evidence is weighted by where a mention is (title > lead > body), how specific
  it is (a city or a country > a nationality > a world-region name) and how often its country
  comes back (with diminishing returns). A region is kept only when the story is about it: a
  mention in the title or lead, or several mentions, or several of its countries. One passing
  mention in the body neither makes a region nor reorders regions; it counts only when nothing
  else places the story. The feed's declared
  region never makes a region; it only orders two regions that are (nearly) tied.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from newsreader.models import EntityType, Mention, RegionScore

DATA_FILE = Path(__file__).parent / "data" / "regions.toml"

# UN M49 sub-regions (intermediate regions inside Sub-Saharan Africa and Latin America and the
# Caribbean), plus Antarctica, which M49 keeps outside every region.
SUBREGIONS: frozenset[str] = frozenset(
    {
        "Northern Africa",
        "Eastern Africa",
        "Middle Africa",
        "Southern Africa",
        "Western Africa",
        "Caribbean",
        "Central America",
        "South America",
        "Northern America",
        "Central Asia",
        "Eastern Asia",
        "South-eastern Asia",
        "Southern Asia",
        "Western Asia",
        "Eastern Europe",
        "Northern Europe",
        "Southern Europe",
        "Western Europe",
        "Australia and New Zealand",
        "Melanesia",
        "Micronesia",
        "Polynesia",
        "Antarctica",
    }
)

# --- scoring knobs (see assign_regions) ---------------------------------------------------------
TITLE_WEIGHT = 3.0
LEAD_WEIGHT = 2.0
BODY_WEIGHT = 1.0
COUNTRY_WEIGHT = 1.0  # the country itself ("Afghanistan")
LOCAL_WEIGHT = 1.1  # a city, province, crossing ... inside it: at least as telling as the country
NORP_WEIGHT = 0.75  # a nationality ("Afghan", "US sanctions")
AREA_WEIGHT = 0.5  # a part of the world that is not a country ("Sahel", "Gulf")
GROUP_WEIGHT = 0.4  # a people with no single country ("Kurdish", "Arab")
DECAY = 0.7  # the n-th mention of the same country adds DECAY**n of its weight
PROXIMITY = 40  # body mentions of one country closer than this (characters) count once
UNIT_EVIDENCE = 1.5  # one country/area with this much raw evidence makes its region
REGION_EVIDENCE = 3.0  # ... or several countries of a region with this much together
RELATIVE_THRESHOLD = 0.1  # kept regions score at least this fraction of the top one
TIE_MARGIN = 0.05  # scores this close (relative) are a tie the source region may break

MAX_NAME_LENGTH = 40
_OVERRIDE_KEYS = ("rename", "merge", "add")
_SEPARATORS = re.compile(r"[\s\-_./]+")


def _key(name: str) -> str:
    """Lookup key: case, hyphens, underscores, dots and repeated spaces do not matter."""
    return _SEPARATORS.sub(" ", name.casefold()).strip()


def _area_key(name: str) -> str:
    key = _key(name)
    return key[4:] if key.startswith("the ") else key


@dataclass(frozen=True, slots=True)
class Country:
    """One ISO 3166-1 country or territory: its regions (default first) and M49 sub-region."""

    code: str
    name: str
    subregion: str
    regions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Area:
    """A named part of the world that is not a country, or a people with no single country."""

    name: str
    regions: tuple[str, ...]
    subregions: tuple[str, ...] = ()


# --- the map -------------------------------------------------------------------------------------


class RegionMap:
    """Countries, areas and peoples grouped into named regions. Immutable; build it with
    :meth:`default`, :meth:`from_config` or :meth:`with_overrides`."""

    __slots__ = ("_aliases", "_areas", "_by_name", "_countries", "_groups", "_lookup", "_names")

    def __init__(
        self,
        names: Iterable[str],
        countries: Iterable[Country],
        areas: Iterable[Area] = (),
        groups: Iterable[Area] = (),
        aliases: Mapping[str, str] | None = None,
        area_names: Mapping[str, str] | None = None,
    ) -> None:
        """``aliases``: other name -> region; ``area_names``: other spelling -> area name."""
        self._names = tuple(names)
        known = set(self._names)
        if len({_key(n) for n in self._names}) != len(self._names):
            raise ValueError(f"duplicate region names in {list(self._names)}")
        self._countries = {c.code: c for c in countries}
        self._areas = {_area_key(a.name): a for a in areas}
        for other, name in (area_names or {}).items():
            area = self._areas.get(_area_key(name))
            if area is None:
                raise ValueError(f"area name {other!r} points at unknown area {name!r}")
            self._areas.setdefault(_area_key(other), area)
        self._groups = {_key(g.name): g for g in groups}
        self._by_name = {_key(c.name): c for c in self._countries.values()}
        members = [(c.name, c.regions) for c in self._countries.values()]
        members += [(a.name, a.regions) for a in (*self._areas.values(), *self._groups.values())]
        for what, regions in members:
            unknown = [r for r in regions if r not in known]
            if unknown or not regions:
                raise ValueError(f"{what}: unknown or missing regions {unknown}")
        self._aliases = dict(aliases or {})
        self._lookup: dict[str, str] = {}
        for alias, name in self._aliases.items():
            if name not in known:
                raise ValueError(f"alias {alias!r} points at unknown region {name!r}")
            self._lookup.setdefault(_key(alias), name)
        for name in self._names:  # a region's own name always wins over an alias
            self._lookup[_key(name)] = name

    # --- construction ---

    @classmethod
    def default(cls) -> RegionMap:
        """The shipped defaults (loaded once)."""
        return _default_map()

    @classmethod
    def load(cls, path: Path) -> RegionMap:
        """Read a region data file (the format of ``data/regions.toml``)."""
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        return _from_data(data, str(path))

    @classmethod
    def from_config(cls, table: Mapping[str, Any] | None) -> RegionMap:
        """The defaults with the config's ``[regions]`` table applied (:meth:`with_overrides`)."""
        return cls.default().with_overrides(table)

    def with_overrides(self, table: Mapping[str, Any] | None) -> RegionMap:
        """A new map with user overrides applied, in this order:

        - ``rename = {"Middle East" = "MENA"}``: a region gets a new name;
        - ``merge = {"Americas" = ["North America", "Latin America"]}``: several regions become
          one (if the new name is an existing region, that region absorbs the others);
        - ``add = {"Nordics" = ["NO", "SE", "DK", "FI", "IS"]}``: a new region (or, if the name is
          an existing region, more members for it) made of ISO country codes; the countries keep
          their other regions.

        Old names and aliases keep resolving to the region that replaced them. Raises
        ``ValueError`` with the offending key for any bad input.
        """
        if not table:
            return self
        if not isinstance(table, Mapping):
            raise ValueError("[regions] must be a table with rename, merge and/or add")
        unknown = sorted(str(k) for k in table if k not in _OVERRIDE_KEYS)
        if unknown:
            raise ValueError(
                f"[regions]: unknown key(s) {', '.join(unknown)} (expected rename, merge, add)"
            )
        current = self
        if "rename" in table:
            current = current._renamed(_table(table["rename"], "regions.rename"))
        if "merge" in table:
            current = current._merged(_table(table["merge"], "regions.merge"))
        if "add" in table:
            current = current._added(_table(table["add"], "regions.add"))
        return current

    # --- lookups ---

    @property
    def names(self) -> tuple[str, ...]:
        """The regions, in display order."""
        return self._names

    def resolve(self, name: str) -> str | None:
        """The region a user-typed name means (case-insensitive; aliases such as "mideast",
        "latam", "na" and names replaced by overrides included), or None."""
        return self._lookup.get(_key(name))

    def countries(self) -> tuple[Country, ...]:
        return tuple(self._countries.values())

    def country(self, code: str) -> Country | None:
        return self._countries.get(code.strip().upper())

    def country_named(self, name: str) -> Country | None:
        """A country by its English name as the data spells it ("United Kingdom")."""
        return self._by_name.get(_key(name))

    def regions_of_country(self, code: str) -> tuple[str, ...]:
        country = self.country(code)
        return country.regions if country else ()

    def subregion_of(self, code: str) -> str | None:
        country = self.country(code)
        return country.subregion if country else None

    def countries_in(self, region: str) -> tuple[str, ...]:
        """ISO codes of the countries of a region (any accepted name of it)."""
        name = self.resolve(region)
        if name is None:
            return ()
        return tuple(c.code for c in self._countries.values() if name in c.regions)

    def area(self, name: str) -> Area | None:
        """A named part of the world that is not a country ("Sahel", "the Gulf")."""
        return self._areas.get(_area_key(name))

    def group(self, name: str) -> Area | None:
        """A people or nationality with no single country ("Kurdish", "Arab")."""
        return self._groups.get(_key(name))

    def __repr__(self) -> str:
        return f"RegionMap({list(self._names)!r})"

    # --- overrides ---

    def _known(self, raw: object, where: str) -> str:
        if not isinstance(raw, str):
            raise ValueError(f"{where}: expected a region name, got {raw!r}")
        name = self.resolve(raw)
        if name is None:
            raise ValueError(f"{where}: unknown region {raw!r} (regions: {', '.join(self._names)})")
        return name

    def _translated(self, mapping: Mapping[str, str], names: list[str]) -> RegionMap:
        """A copy where every region ``old`` in ``mapping`` is called ``mapping[old]``."""

        def tr(regions: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(dict.fromkeys(mapping.get(r, r) for r in regions))

        aliases = {a: mapping.get(n, n) for a, n in self._aliases.items()}
        for old, new in mapping.items():  # the old name keeps working
            if old != new:
                aliases[old] = new
        return RegionMap(
            names,
            (Country(c.code, c.name, c.subregion, tr(c.regions)) for c in self._countries.values()),
            (Area(a.name, tr(a.regions), a.subregions) for a in self._area_list()),
            (Area(g.name, tr(g.regions), g.subregions) for g in self._groups.values()),
            aliases,
            self._area_names(),
        )

    def _area_list(self) -> list[Area]:
        return list({id(a): a for a in self._areas.values()}.values())

    def _area_names(self) -> dict[str, str]:
        return {k: a.name for k, a in self._areas.items() if k != _area_key(a.name)}

    def _renamed(self, table: Mapping[str, Any]) -> RegionMap:
        mapping: dict[str, str] = {}
        for raw_old, raw_new in table.items():
            where = f"regions.rename.{raw_old}"
            old = self._known(raw_old, where)
            if old in mapping:
                raise ValueError(f"{where}: region {old!r} is renamed twice")
            mapping[old] = _region_name(raw_new, where)
        targets = [_key(n) for n in mapping.values()]
        for old, new in mapping.items():
            if targets.count(_key(new)) > 1:
                raise ValueError(f"regions.rename: two regions are renamed to {new!r}")
            clash = [n for n in self._names if n not in mapping and _key(n) == _key(new)]
            if clash:
                raise ValueError(
                    f"regions.rename.{old}: {new!r} is already a region (use merge to join them)"
                )
        return self._translated(mapping, [mapping.get(n, n) for n in self._names])

    def _merged(self, table: Mapping[str, Any]) -> RegionMap:
        mapping: dict[str, str] = {}
        spelled: dict[str, str] = {_key(n): n for n in self._names}
        for raw_target, raw_sources in table.items():
            where = f"regions.merge.{raw_target}"
            target = _region_name(raw_target, where)
            # an existing region absorbs the others; "americas" and "Americas" are one target
            target = spelled.setdefault(_key(target), target)
            sources = _string_list(raw_sources, where, "region names")
            members = [self._known(s, where) for s in sources]
            if target in self._names:
                members.append(target)
            for member in members:
                if mapping.get(member, target) != target:
                    raise ValueError(
                        f"{where}: region {member!r} is already merged into {mapping[member]!r}"
                    )
                mapping[member] = target
        names: list[str] = []
        for name in self._names:
            new = mapping.get(name, name)
            if new not in names:
                names.append(new)
        return self._translated(mapping, names)

    def _added(self, table: Mapping[str, Any]) -> RegionMap:
        names = list(self._names)
        additions: dict[str, list[str]] = {}
        for raw_name, raw_codes in table.items():
            where = f"regions.add.{raw_name}"
            name = _region_name(raw_name, where)
            same = [n for n in names if _key(n) == _key(name)]
            if same:
                name = same[0]  # more members for an existing region
            else:
                names.append(name)
            for raw_code in _string_list(raw_codes, where, "ISO country codes"):
                code = raw_code.strip().upper()
                if code not in self._countries:
                    raise ValueError(f"{where}: unknown ISO 3166-1 alpha-2 code {raw_code!r}")
                additions.setdefault(code, []).append(name)
        countries = [
            Country(c.code, c.name, c.subregion, (*c.regions, *additions[c.code]))
            if c.code in additions
            else c
            for c in self._countries.values()
        ]
        clean = [
            Country(c.code, c.name, c.subregion, tuple(dict.fromkeys(c.regions))) for c in countries
        ]
        return RegionMap(
            names,
            clean,
            self._area_list(),
            self._groups.values(),
            self._aliases,
            self._area_names(),
        )


def _table(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where} must be a table, got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise ValueError(f"{where}: keys must be strings, got {key!r}")
    return value


def _region_name(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: a region name must be a string, got {value!r}")
    name = " ".join(value.split())
    if not name:
        raise ValueError(f"{where}: a region name may not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"{where}: region name longer than {MAX_NAME_LENGTH} characters")
    if not name.isprintable():
        raise ValueError(f"{where}: region name {value!r} contains control characters")
    return name


def _string_list(value: object, where: str, what: str) -> list[str]:
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(f"{where}: expected a non-empty list of {what}, got {value!r}")
    for item in value:
        if not isinstance(item, str):
            raise ValueError(f"{where}: expected {what}, got {item!r}")
    return [str(item) for item in value]


# --- the shipped data ----------------------------------------------------------------------------


def _strs(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: expected a list of strings")
    return tuple(value)


def _from_data(data: Mapping[str, Any], source: str) -> RegionMap:
    names = _strs(data.get("regions"), f"{source}: regions")
    countries: list[Country] = []
    for code, row in _table(data.get("countries"), f"{source}: countries").items():
        where = f"{source}: countries.{code}"
        if not re.fullmatch(r"[A-Z]{2}", code) or not isinstance(row, Mapping):
            raise ValueError(f"{where}: expected an ISO code and a table")
        subregion = row.get("subregion")
        if subregion not in SUBREGIONS:
            raise ValueError(f"{where}: unknown M49 sub-region {subregion!r}")
        name = row.get("name")
        if not isinstance(name, str):
            raise ValueError(f"{where}: missing name")
        countries.append(Country(code, name, subregion, _strs(row.get("regions"), where)))

    def areas(section: str) -> tuple[list[Area], dict[str, str]]:
        found: list[Area] = []
        other_names: dict[str, str] = {}
        for name, row in _table(data.get(section, {}), f"{source}: {section}").items():
            where = f"{source}: {section}.{name}"
            if not isinstance(row, Mapping):
                raise ValueError(f"{where}: expected a table")
            subs = _strs(row.get("subregions", []), where)
            if not set(subs) <= SUBREGIONS:
                raise ValueError(f"{where}: unknown M49 sub-region in {list(subs)}")
            found.append(Area(name, _strs(row.get("regions"), where), subs))
            for other in _strs(row.get("names", []), where):
                other_names[other] = name
        return found, other_names

    area_list, area_names = areas("areas")
    group_list, _ = areas("groups")
    aliases: dict[str, str] = {}
    for region, others in _table(data.get("aliases", {}), f"{source}: aliases").items():
        for alias in _strs(others, f"{source}: aliases.{region}"):
            aliases[alias] = region
    return RegionMap(names, countries, area_list, group_list, aliases, area_names)


@lru_cache(maxsize=1)
def _default_map() -> RegionMap:
    return RegionMap.load(DATA_FILE)


# --- story regions -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Unit:
    """All the evidence for one country, area or people in one article."""

    regions: tuple[str, ...]
    subregions: tuple[str, ...]
    hits: list[tuple[int, float, bool]] = field(default_factory=list)  # start, weight, in body
    evidence: float = 0.0
    score: float = 0.0
    first: int = 0

    def settle(self) -> None:
        self.hits.sort()
        kept: list[tuple[int, float, bool]] = []
        for hit in self.hits:
            last = kept[-1] if kept else None
            if last and hit[2] and last[2] and hit[0] - last[0] < PROXIMITY:
                kept[-1] = (last[0], max(last[1], hit[1]), True)  # one phrase, one mention
            else:
                kept.append(hit)
        weights = sorted((w for _, w, _ in kept), reverse=True)
        self.evidence = sum(weights)
        self.score = sum(w * DECAY**i for i, w in enumerate(weights))
        self.first = kept[0][0]


@dataclass(slots=True)
class _Tally:
    """One region's evidence: its units, with the rank of the region among each unit's."""

    units: list[tuple[_Unit, int]] = field(default_factory=list)
    evidence: float = 0.0
    score: float = 0.0
    first: int = 0
    rank: int = 0

    @property
    def qualified(self) -> bool:
        return any(u.evidence >= UNIT_EVIDENCE for u, _ in self.units)

    def settle(self) -> None:
        """Score the region on its strong units (those that make a region on their own);
        passing mentions count only for a region that has nothing else, so a stray mention
        neither adds a region nor reorders two regions that share a country."""
        self.evidence = sum(u.evidence for u, _ in self.units)
        counted = [(u, r) for u, r in self.units if u.evidence >= UNIT_EVIDENCE] or self.units
        self.score = sum(u.score for u, _ in counted)
        self.first = min(u.first for u, _ in counted)
        self.rank = min(r for _, r in counted)


def _evidence(
    mention: Mention, region_map: RegionMap
) -> tuple[str, tuple[str, ...], tuple[str, ...], float] | None:
    """(unit key, regions, sub-regions, weight) of one mention, or None if it places nothing."""
    if mention.type is EntityType.PLACE:
        is_place = True
    elif mention.type is EntityType.NORP:
        is_place = False
    else:
        return None
    code = (mention.country or "").strip().upper()
    country = region_map.country(code) if code not in ("", "-") else None
    if country is None and is_place:
        area = region_map.area(mention.canonical) or region_map.area(mention.text)
        if area is not None:
            return "A:" + area.name, area.regions, area.subregions, AREA_WEIGHT
        country = region_map.country_named(mention.canonical)
    if country is None and not is_place:
        group = region_map.group(mention.canonical) or region_map.group(mention.text)
        if group is not None:
            return "G:" + group.name, group.regions, group.subregions, GROUP_WEIGHT
        return None
    if country is None:
        return None
    if not is_place:
        weight = NORP_WEIGHT
    elif _key(mention.canonical) == _key(country.name):
        weight = COUNTRY_WEIGHT
    else:
        weight = LOCAL_WEIGHT
    return "C:" + country.code, country.regions, (country.subregion,), weight


def _one_sense(mentions: Iterable[Mention]) -> list[Mention]:
    """Give every mention of one place name the same country.

    The recogniser decides each mention on its own, so an ambiguous name ("Georgia" the country
    or the US state) may come back with different countries in one article. One name has one
    sense per story: the country that the article's other names support (most mentions)
    wins; when none or several tie, the name is too ambiguous to place anything and its mentions
    are dropped.
    """
    kept = [m for m in mentions if m.type in (EntityType.PLACE, EntityType.NORP)]
    codes: dict[str, set[str]] = {}
    for m in kept:
        if m.type is EntityType.PLACE and m.country not in (None, "", "-"):
            codes.setdefault(_key(m.canonical), set()).add(str(m.country).upper())
    ambiguous = {name for name, found in codes.items() if len(found) > 1}
    if not ambiguous:
        return kept
    support = Counter(
        str(m.country).upper()
        for m in kept
        if m.country not in (None, "", "-") and _key(m.canonical) not in ambiguous
    )
    settled: dict[str, str | None] = {}
    for name in ambiguous:
        ranked = sorted(codes[name], key=lambda code: -support[code])
        best = ranked[0]
        clear = support[best] > 0 and support[best] > support[ranked[1]]
        settled[name] = best if clear else None
    out: list[Mention] = []
    for m in kept:
        name = _key(m.canonical)
        if m.type is not EntityType.PLACE or name not in ambiguous:
            out.append(m)
        elif settled[name] is not None:
            out.append(replace(m, country=settled[name]))
    return out


def assign_regions(
    mentions: Iterable[Mention],
    title_end: int,
    lead_end: int,
    *,
    region_map: RegionMap,
    source_region: str | None = None,
) -> list[RegionScore]:
    """The regions a story is about, best first; ``[]`` when nothing places it.

    ``mentions`` are the recogniser's output for the article text (title, then body);
    mentions starting before ``title_end`` are in the title, before ``lead_end`` in the lead
    (first paragraph). PERSON and ORG mentions are ignored. A place name the recogniser gave
    different countries in one article gets one country, the one the rest of the story
    supports, or none (:func:`_one_sense`).

    Each mention weighs position (title 3, lead 2, body 1) times specificity (a place inside a
    country 1.1, the country 1.0, a nationality 0.75, a world-region name 0.5, a stateless
    people 0.4). Mentions are pooled per country (or area or people); body mentions of one
    country within a few words count once. A country's score sums its weights with diminishing
    returns (the n-th strongest counts ``DECAY**n``).

    A country with ``UNIT_EVIDENCE`` raw weight (one title or lead mention, or two body
    mentions) is *strong*; the others are passing mentions. A region is kept when it has a
    strong country, or when its countries together have ``REGION_EVIDENCE``, and it scores at
    least ``RELATIVE_THRESHOLD`` of the best kept region. A region's score sums its strong
    countries' scores; passing mentions count only for a region that has no strong country, so
    they neither add a region nor reorder two regions that share a country (Turkey: Europe and
    Middle East). Equal scores are ordered by the earliest mention, then by the data's default
    membership (Turkey is Europe first, Egypt Middle East first). If no region qualifies the
    best-scoring ones are returned (a lone passing mention is all there is). ``source_region``
    (the feed's declared region, any accepted name) only moves a region up past one whose score
    is within ``TIE_MARGIN``; it never adds one.

    Measured with ``benchmarks/nlp_regions.py`` on the project's annotated articles.
    """
    lead_end = max(lead_end, title_end)
    units: dict[str, _Unit] = {}
    for mention in _one_sense(mentions):
        found = _evidence(mention, region_map)
        if found is None:
            continue
        key, regions, subregions, weight = found
        if mention.start < title_end:
            position, in_body = TITLE_WEIGHT, False
        elif mention.start < lead_end:
            position, in_body = LEAD_WEIGHT, False
        else:
            position, in_body = BODY_WEIGHT, True
        unit = units.get(key)
        if unit is None:
            unit = units[key] = _Unit(regions, subregions)
        unit.hits.append((mention.start, weight * position, in_body))
    if not units:
        return []

    tallies: dict[str, _Tally] = {}
    for unit in units.values():
        unit.settle()
        for rank, region in enumerate(unit.regions):
            tallies.setdefault(region, _Tally()).units.append((unit, rank))
    for tally in tallies.values():
        tally.settle()

    chosen = {
        name: t for name, t in tallies.items() if t.qualified or t.evidence >= REGION_EVIDENCE
    }
    if chosen:
        top = max(t.score for t in chosen.values())
        chosen = {n: t for n, t in chosen.items() if t.score >= RELATIVE_THRESHOLD * top}
    else:  # only passing mentions: the strongest of them is all we know
        top = max(t.score for t in tallies.values())
        chosen = {n: t for n, t in tallies.items() if t.score >= top * (1 - 1e-9)}

    ordered = sorted(
        chosen.items(), key=lambda item: (-round(item[1].score, 9), item[1].first, item[1].rank)
    )
    result = [RegionScore(name, round(t.score, 3), _subregions(t)) for name, t in ordered]

    prior = region_map.resolve(source_region) if source_region else None
    index = next((i for i, r in enumerate(result) if r.name == prior), 0)
    while index > 0 and (
        result[index - 1].score - result[index].score <= TIE_MARGIN * result[index - 1].score
    ):
        result[index - 1], result[index] = result[index], result[index - 1]
        index -= 1
    return result


def _subregions(tally: _Tally) -> tuple[str, ...]:
    units = [u for u, _ in tally.units]
    strong = [u for u in units if u.evidence >= UNIT_EVIDENCE] or units
    strong.sort(key=lambda u: (-u.score, u.first))
    return tuple(dict.fromkeys(s for u in strong for s in u.subregions))
