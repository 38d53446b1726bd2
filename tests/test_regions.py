"""World regions: the shipped mapping, config overrides, name resolution and story scoring.

Stories are written inline: ``{P:Herat|AF}`` is a PLACE in Afghanistan (canonical = surface),
``{P:Herāt|AF|Herat}`` gives the canonical, ``{N:Afghan|AF}`` is a NORP, ``{P:Sahel|-}`` a place
with no country, ``{H:...}`` a person and ``{O:...}`` an organisation. The first argument is the
title, the second the lead, the rest the body.
"""

from __future__ import annotations

import pickle
import re

import pytest

from newsreader.models import EntityType, Mention, RegionScore
from newsreader.nlp.regions import SUBREGIONS, RegionMap, assign_regions

DEFAULTS = ("Africa", "Asia", "Europe", "Latin America", "Middle East", "North America", "Oceania")
_TYPES = {"P": EntityType.PLACE, "N": EntityType.NORP, "H": EntityType.PERSON, "O": EntityType.ORG}
_MARK = re.compile(r"\{([PNHO]):([^|{}]+)(?:\|([^|{}]*))?(?:\|([^|{}]*))?\}")


def story(title: str, lead: str = "", *body: str) -> tuple[list[Mention], int, int]:
    """Mentions, title_end and lead_end of an article written with inline marks."""
    parts = [title, lead, *body]
    text = ""
    mentions: list[Mention] = []
    ends: list[int] = []
    for index, part in enumerate(parts):
        if index:
            text += "\n\n"
        pos = 0
        for match in _MARK.finditer(part):
            text += part[pos : match.start()]
            kind, surface, country, canonical = match.groups()
            start = len(text)
            text += surface
            mentions.append(
                Mention(
                    start,
                    len(text),
                    surface,
                    _TYPES[kind],
                    canonical or surface,
                    None if country in (None, "", "-") else country,
                )
            )
            pos = match.end()
        text += part[pos:]
        ends.append(len(text))
    for m in mentions:
        assert text[m.start : m.end] == m.text
    return mentions, ends[0], ends[1]


def regions(*parts: str, source: str | None = None, rmap: RegionMap | None = None) -> list[str]:
    return [r.name for r in scored(*parts, source=source, rmap=rmap)]


def scored(
    *parts: str, source: str | None = None, rmap: RegionMap | None = None
) -> list[RegionScore]:
    mentions, title_end, lead_end = story(*parts)
    return assign_regions(
        mentions,
        title_end,
        lead_end,
        region_map=rmap or RegionMap.default(),
        source_region=source,
    )


# A Taliban offensive at a border crossing with Iran; the US and Tajikistan are background.
BORDER_POST = (
    "{O:Taliban} take control of border post in {P:Herat|AF} province",
    "{O:Taliban} fighters on Thursday captured {P:Islam Qala|AF}, the busiest crossing between "
    "western {P:Afghanistan|AF} and {P:Iran|IR}, officials in {P:Herat|AF} city said.",
    "{N:Afghan|AF} customs staff and border guards fled, said a district council member who "
    "asked not to be named. Traders said hundreds of fuel tankers were stuck on the far side of "
    "the frontier.",
    "The government in {P:Kabul|AF} promised to retake the post within days. Commanders in "
    "{P:Herāt|AF|Herat} said reinforcements were on their way.",
    "The insurgents have taken dozens of districts since President {H:Joe Biden} said all "
    "{N:US|US|American} troops would be gone by September.",
    "Earlier this week about a thousand government soldiers retreated into "
    "{P:Tajikistan|TJ} after fighting in the north.",
)

# The same story, where Iran comes up twice, both times in the body.
BORDER_POST_IRAN_IN_BODY = (
    "{O:Taliban} push deeper into {P:Herat|AF} province",
    "{O:Taliban} fighters captured two more districts of western {P:Afghanistan|AF} on Friday, "
    "officials in {P:Herat|AF} said.",
    "The group also took the customs post at {P:Islam Qala|AF} on the border with {P:Iran|IR}, "
    "the busiest trade route in the west of the country.",
    "Lorry drivers said the crossing was quiet by nightfall. A spokesman for the governor said "
    "{P:Tehran|IR} had shut its side of the frontier until further notice.",
    "In {P:Washington|US}, officials declined to comment.",
)


# --- the shipped data --------------------------------------------------------------------------


def test_default_regions_and_every_country_is_placed() -> None:
    rmap = RegionMap.default()
    assert rmap.names == DEFAULTS
    countries = rmap.countries()
    assert len(countries) == 250  # the 249 ISO 3166-1 codes, plus Kosovo (XK)
    for country in countries:
        assert re.fullmatch(r"[A-Z]{2}", country.code)
        assert country.name
        assert country.regions, country
        assert set(country.regions) <= set(DEFAULTS), country
        assert len(set(country.regions)) == len(country.regions)
        assert country.subregion in SUBREGIONS, country
    used = {c.subregion for c in countries}
    assert used == SUBREGIONS  # every M49 sub-region has members, and no other name is used


def test_membership_follows_the_annotation_guidelines() -> None:
    rmap = RegionMap.default()
    middle_east = {"BH", "CY", "EG", "IR", "IQ", "IL", "JO", "KW", "LB", "OM", "PS", "QA"}
    middle_east |= {"SA", "SY", "TR", "AE", "YE"}
    assert set(rmap.countries_in("Middle East")) == middle_east
    assert set(rmap.countries_in("North America")) == {"US", "CA", "GL", "BM", "PM"}
    assert set(rmap.regions_of_country("EG")) == {"Africa", "Middle East"}
    assert set(rmap.regions_of_country("TR")) == {"Europe", "Middle East"}
    for code in ("RU", "UA", "GB", "GE", "AM", "AZ"):
        assert rmap.regions_of_country(code) == ("Europe",), code
    for code in ("AF", "PK", "KZ", "TJ", "IN", "CN", "ID", "MN"):
        assert rmap.regions_of_country(code) == ("Asia",), code
    for code in ("MX", "GT", "CU", "HT", "PR", "BR", "AR"):
        assert rmap.regions_of_country(code) == ("Latin America",), code
    for code in ("AU", "NZ", "PG", "FJ", "WS"):
        assert rmap.regions_of_country(code) == ("Oceania",), code
    for code in ("LY", "DZ", "MA", "SD", "NG", "ZA", "KE"):
        assert rmap.regions_of_country(code) == ("Africa",), code
    africa = set(rmap.countries_in("Africa"))
    assert {c.code for c in rmap.countries() if c.subregion.endswith("Africa")} == africa


def test_m49_subregions() -> None:
    rmap = RegionMap.default()
    assert rmap.subregion_of("AF") == "Southern Asia"
    assert rmap.subregion_of("TJ") == "Central Asia"
    assert rmap.subregion_of("EG") == "Northern Africa"
    assert rmap.subregion_of("NG") == "Western Africa"
    assert rmap.subregion_of("TR") == "Western Asia"
    assert rmap.subregion_of("VN") == "South-eastern Asia"
    assert rmap.subregion_of("MX") == "Central America"
    assert rmap.subregion_of("us") == "Northern America"
    assert rmap.subregion_of("ZZ") is None
    assert rmap.regions_of_country("ZZ") == ()


def test_world_region_names_that_are_not_countries() -> None:
    rmap = RegionMap.default()
    expected = {
        "Middle East": {"Middle East"},
        "Sahel": {"Africa"},
        "Balkans": {"Europe"},
        "Horn of Africa": {"Africa"},
        "Central Asia": {"Asia"},
        "the Gulf": {"Middle East"},
        "Persian Gulf": {"Middle East"},
        "Caucasus": {"Europe"},
        "Latin America": {"Latin America"},
        "Europe": {"Europe"},
        "South China Sea": {"Asia"},
        "Indo-Pacific": {"Asia", "Oceania"},
        "South-East Asia": {"Asia"},
        "Maghreb": {"Africa"},
        "Levant": {"Middle East"},
    }
    for name, wanted in expected.items():
        area = rmap.area(name)
        assert area is not None, name
        assert set(area.regions) == wanted, name
    horn = rmap.area("horn of africa")
    assert horn is not None and horn.subregions == ("Eastern Africa",)
    # too wide to place a story
    for name in ("Mediterranean", "Atlantic", "Eurasia", "Paris"):
        assert rmap.area(name) is None
    kurdish = rmap.group("Kurdish")
    assert kurdish is not None and kurdish.regions == ("Middle East",)
    assert rmap.group("Muslim") is None


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "region"),
    [
        ("Middle East", "Middle East"),
        ("middle east", "Middle East"),
        ("  MIDDLE   EAST ", "Middle East"),
        ("middle-east", "Middle East"),
        ("middle_east", "Middle East"),
        ("mideast", "Middle East"),
        ("MENA", "Middle East"),
        ("latam", "Latin America"),
        ("latin-america", "Latin America"),
        ("na", "North America"),
        ("north-america", "North America"),
        ("apac", "Asia"),
        ("oceania", "Oceania"),
        ("australasia", "Oceania"),
        ("europe", "Europe"),
        ("africa", "Africa"),
    ],
)
def test_resolve_aliases(typed: str, region: str) -> None:
    assert RegionMap.default().resolve(typed) == region


@pytest.mark.parametrize("typed", ["", "Narnia", "Unplaced", "middle", "Southern Asia"])
def test_resolve_unknown(typed: str) -> None:
    assert RegionMap.default().resolve(typed) is None


# --- story regions -------------------------------------------------------------------------------


def test_border_post_story_is_asia_then_middle_east() -> None:
    result = scored(*BORDER_POST)
    assert [r.name for r in result] == ["Asia", "Middle East"]
    asia, mideast = result
    assert asia.score > 2 * mideast.score
    # Tajikistan came up once, in passing: it does not shape Asia's sub-regions
    assert asia.subregions == ("Southern Asia",)
    assert mideast.subregions == ("Southern Asia",)  # M49 files Iran under Southern Asia


def test_two_body_mentions_of_iran_add_the_middle_east_but_washington_once_does_not() -> None:
    assert regions(*BORDER_POST_IRAN_IN_BODY) == ["Asia", "Middle East"]


def test_one_body_mention_of_iran_is_passing() -> None:
    title, lead, body1, _, washington = BORDER_POST_IRAN_IN_BODY
    assert regions(title, lead, body1, washington) == ["Asia"]


def test_egypt_is_africa_and_middle_east() -> None:
    result = scored(
        "Floods cut roads around {P:Aswan|EG}",
        "Heavy rain closed highways in southern {P:Egypt|EG} on Monday.",
        "{N:Egyptian|EG} officials said repairs would take a week.",
    )
    assert {r.name for r in result} == {"Africa", "Middle East"}
    assert result[0].score == result[1].score
    assert all(r.subregions == ("Northern Africa",) for r in result)


def test_turkey_is_europe_and_middle_east() -> None:
    names = regions(
        "Parliament in {P:Ankara|TR} passes budget",
        "{N:Turkish|TR} lawmakers approved next year's spending plan late on Tuesday.",
    )
    assert set(names) == {"Europe", "Middle East"}


def test_source_region_breaks_ties_only() -> None:
    egypt = (
        "Election date set in {P:Egypt|EG}",
        "Voters in {P:Cairo|EG} and {P:Alexandria|EG} will go to the polls in spring.",
    )
    assert regions(*egypt, source="Africa")[0] == "Africa"
    assert regions(*egypt, source="Middle East")[0] == "Middle East"
    assert regions(*egypt, source="mideast")[0] == "Middle East"
    assert set(regions(*egypt, source="Oceania")) == {"Africa", "Middle East"}
    # not a tie: the declared region does not reorder, let alone add a region
    japan = (
        "Typhoon shuts airports in {P:Okinawa|JP}",
        "Flights across southern {P:Japan|JP} were cancelled on Sunday.",
        "A {N:French|FR} tourist was among the hundreds of travellers stranded at the airport.",
        "{P:France|FR} later advised against travel to the islands.",
    )
    assert regions(*japan) == ["Asia", "Europe"]
    assert regions(*japan, source="Europe") == ["Asia", "Europe"]
    assert regions(japan[0], japan[1], source="Europe") == ["Asia"]


def test_no_place_is_unplaced_whatever_the_source() -> None:
    parts = (
        "{O:Acme Corp} shares fall after profit warning",
        "Chief executive {H:Jane Doe} said demand had slowed.",
    )
    assert regions(*parts) == []
    assert regions(*parts, source="Europe") == []
    assert assign_regions([], 0, 0, region_map=RegionMap.default(), source_region="Asia") == []


def test_a_lone_passing_mention_places_a_story_when_nothing_else_does() -> None:
    assert regions(
        "Chess champion retains title",
        "The defending champion won the final game in 41 moves.",
        "The next championship will be held in {P:Nairobi|KE}.",
    ) == ["Africa"]


def test_passing_mentions_are_ignored_when_the_story_is_placed() -> None:
    names = regions(
        "Transport strike halts trains across {P:France|FR}",
        "Rail workers walked out in {P:Paris|FR} and {P:Lyon|FR} on Wednesday.",
        "The union said the dispute resembled one in {P:Canada|CA} last year.",
        "The walkout was reported by a news agency based in {P:Tokyo|JP}.",
        "A spokesman for the {N:US|US|American} embassy in {P:Washington|US} said nothing.",
    )
    assert names == ["Europe"]


def test_repeated_mentions_have_diminishing_returns() -> None:
    once = scored("Rally in {P:Lima|PE}")[0].score
    many = scored(
        "Rally in {P:Lima|PE}",
        "",
        *(f"Paragraph {i} mentions {{P:Peru|PE}} again." for i in range(12)),
    )[0].score
    assert once < many < once + 12


def test_specificity_city_country_nationality_area() -> None:
    # a city is at least as strong as a country, a nationality weaker than both
    assert regions("Talks", "Envoys met in {P:Lagos|NG}; {P:Brazil|BR} sent a delegate.")[0] == (
        "Africa"
    )
    assert regions("Talks", "{N:Nigerian|NG} envoys met a {P:Brazil|BR} delegate.")[0] == (
        "Latin America"
    )
    # a world-region name is weaker than a country
    assert regions(
        "Drought spreads across the {P:Sahel|-}",
        "Crops failed in {P:Jordan|JO} this year as well.",
    ) == ["Middle East", "Africa"]
    sahel = scored("Drought spreads across the {P:Sahel|-}")
    assert [(r.name, r.subregions) for r in sahel] == [("Africa", ("Western Africa",))]


def test_one_phrase_counts_once() -> None:
    names = regions(
        "Storm floods {P:Manila|PH}",
        "Thousands were evacuated from coastal districts of the {P:Philippines|PH}.",
        "A {N:US|US|American} Treasury official in {P:Washington|US} pledged aid.",
    )
    assert names == ["Asia"]


def test_norp_and_unknown_codes() -> None:
    rmap = RegionMap.default()
    mentions = [
        Mention(0, 6, "Kurdish", EntityType.NORP, "Kurdish", "-"),
        Mention(10, 15, "Xland", EntityType.PLACE, "Xland", "ZZ"),
        Mention(20, 25, "Paris", EntityType.PLACE, "Paris", "fr"),
        Mention(30, 40, "Muslim", EntityType.NORP, "Muslim", None),
    ]
    result = assign_regions(mentions, 8, 30, region_map=rmap)
    assert [r.name for r in result] == ["Europe"]  # a people in the title is weak evidence
    result = assign_regions(mentions[:2], 8, 30, region_map=rmap)
    assert [r.name for r in result] == ["Middle East"]
    # a PLACE without a code is looked up by its country name
    by_name = [Mention(0, 5, "Chile", EntityType.PLACE, "Chile", None)]
    assert [r.name for r in assign_regions(by_name, 5, 5, region_map=rmap)] == ["Latin America"]


# --- story regions: the issue's situations, in new words ------------------------------------------


def test_seized_afghan_crossing_with_the_iranian_side_mentioned() -> None:
    result = scored(
        "{O:Taliban} seize {P:Torghundi|AF} crossing in northern {P:Herat|AF}",
        "Insurgents overran the customs post at {P:Torghundi|AF} before dawn on Monday, "
        "{N:Afghan|AF} officials said.",
        "Traders said lorries had been turned back on the {N:Iranian|IR} side of the frontier "
        "at {P:Dogharoun|IR}, where queues stretched for kilometres.",
        "The governor of {P:Herat|AF} province said reinforcements had left {P:Kabul|AF}. The "
        "fighting also closed the main road north to {P:Turkmenistan|TM}.",
        "By evening {P:Iran|IR} had shut its crossing to all freight until further notice.",
    )
    assert [r.name for r in result] == ["Asia", "Middle East"]
    assert result[0].score > 2 * result[1].score
    # Turkmenistan came up once: Central Asia is not among the places that made Asia
    assert result[0].subregions == ("Southern Asia",)


def test_the_iranian_side_mentioned_once_in_passing_adds_nothing() -> None:
    assert regions(
        "{O:Taliban} seize {P:Torghundi|AF} crossing in northern {P:Herat|AF}",
        "Insurgents overran the customs post before dawn on Monday, {N:Afghan|AF} officials said.",
        "The governor of {P:Herat|AF} province said reinforcements had left {P:Kabul|AF}.",
        "Lorries also queued at the border with {P:Iran|IR}, drivers said.",
    ) == ["Asia"]


def test_egypt_story_is_in_africa_and_the_middle_east() -> None:
    result = scored(
        "Grain prices climb in {P:Egypt|EG} as the pound weakens",
        "Bakers in {P:Cairo|EG} and {P:Giza|EG} raised the price of unsubsidised bread for the "
        "second time this year.",
        "{N:Egyptian|EG} officials said the state would keep the subsidised loaf unchanged.",
    )
    assert {r.name for r in result} == {"Africa", "Middle East"}
    assert result[0].score == result[1].score  # one country, two regions: no evidence between them


def test_washington_government_story_is_north_america() -> None:
    assert regions(
        "Shutdown looms in {P:Washington|US} as budget talks stall",
        "Negotiators from the {O:White House} and {O:Congress} left the {P:Capitol|US} on "
        "Thursday night without a deal to keep the {N:US|US|American} government open.",
        "Federal agencies told staff to prepare for furloughs from Saturday.",
        "Markets in {P:London|GB} and {P:Tokyo|JP} barely moved on the news.",
    ) == ["North America"]


def test_article_with_no_place_is_unplaced() -> None:
    assert (
        regions(
            "New compression library cuts backup times in half",
            "Maintainers of {O:Zstandard} released a new version on Wednesday.",
            "{H:Ana Kowalczyk}, who led the work, said the gains came from better dictionaries.",
        )
        == []
    )


def test_a_passing_mention_does_not_reorder_regions_sharing_a_country() -> None:
    # Turkey alone is Europe first (the data's default); Syria named once, in the body, is
    # background and must not make the Middle East the primary region
    result = scored(
        "{P:Izmir|TR} opens new metro line",
        "Trains began running on Sunday between the port and the airport of {P:Izmir|TR}, "
        "{N:Turkish|TR} officials said.",
        "The line was built by a consortium that also worked on the metro in {P:Ankara|TR}.",
        "Workers on the project came from as far as {P:Syria|SY}.",
    )
    assert [r.name for r in result] == ["Europe", "Middle East"]
    assert result[0].score == result[1].score
    # named twice, Syria is part of the story and does tip the balance
    tipped = regions(
        "{P:Izmir|TR} opens new metro line",
        "Trains began running on Sunday between the port and the airport of {P:Izmir|TR}.",
        "Workers on the project came from {P:Syria|SY}, many of them refugees.",
        "Some said they hoped to build the same in {P:Aleppo|SY} one day.",
    )
    assert tipped == ["Middle East", "Europe"]


def test_one_name_has_one_sense_per_story() -> None:
    # the recogniser read "Georgia" as the country once and as the US state twice: the rest of
    # the story is in the United States, so every "Georgia" is the state
    names = regions(
        "Carmaker adds shifts at {P:Georgia|GE} plant",
        "The factory near {P:Savannah|US} will hire 400 more workers, the governor of "
        "{P:Georgia|US} said.",
        "Suppliers in {P:Atlanta|US} and across {P:Georgia|US} expect more orders.",
    )
    assert names == ["North America"]
    # ... and the country when the rest of the story is in the Caucasus
    names = regions(
        "Protesters return to the streets of {P:Tbilisi|GE}",
        "{N:Georgian|GE} police cleared the avenue outside parliament overnight.",
        "The government of {P:Georgia|US} said the rallies were illegal.",
        "Opposition leaders said {P:Georgia|GE} would not give up on joining the {O:EU}.",
    )
    assert names == ["Europe"]


def test_an_ambiguous_name_nothing_else_supports_places_nothing() -> None:
    # "Jordan" read as the country and as a river in Israel, with no other clue either way
    mentions, title_end, lead_end = story(
        "Water rights dispute over the {P:Jordan|JO}",
        "Farmers near the {P:Jordan|IL} say their wells are running dry.",
        "A court in {P:Lima|PE} heard a similar case last year.",
    )
    result = assign_regions(mentions, title_end, lead_end, region_map=RegionMap.default())
    assert [r.name for r in result] == ["Latin America"]  # only the lone passing clue is left


# --- overrides -----------------------------------------------------------------------------------


def test_rename_keeps_old_names_and_aliases_working() -> None:
    rmap = RegionMap.from_config({"rename": {"Middle East": "MENA"}})
    assert rmap.names == (
        "Africa",
        "Asia",
        "Europe",
        "Latin America",
        "MENA",
        "North America",
        "Oceania",
    )
    assert rmap.resolve("mideast") == "MENA"
    assert rmap.resolve("Middle East") == "MENA"
    assert rmap.resolve("mena") == "MENA"
    assert set(rmap.regions_of_country("EG")) == {"Africa", "MENA"}
    gulf = rmap.area("Gulf")
    assert gulf is not None and gulf.regions == ("MENA",)
    assert set(regions(*BORDER_POST, rmap=rmap)) == {"Asia", "MENA"}
    assert RegionMap.default().names == DEFAULTS  # the defaults are untouched


def test_merge() -> None:
    rmap = RegionMap.from_config({"merge": {"Americas": ["North America", "latam"]}})
    assert rmap.names == ("Africa", "Asia", "Europe", "Americas", "Middle East", "Oceania")
    assert rmap.regions_of_country("US") == ("Americas",)
    assert rmap.regions_of_country("BR") == ("Americas",)
    assert rmap.resolve("north america") == "Americas"
    assert rmap.resolve("latam") == "Americas"
    names = regions(
        "Trade deal signed in {P:Ottawa|CA}",
        "{P:Canada|CA} and {P:Mexico|MX} agreed to cut tariffs.",
        rmap=rmap,
    )
    assert names == ["Americas"]
    # an existing region may absorb others
    absorbed = RegionMap.from_config({"merge": {"Asia": ["Oceania"]}})
    assert "Oceania" not in absorbed.names
    assert absorbed.regions_of_country("AU") == ("Asia",)


def test_add_a_region() -> None:
    rmap = RegionMap.from_config({"add": {"Nordics": ["NO", "se", "DK", "FI", "IS"]}})
    assert rmap.names == (*DEFAULTS, "Nordics")
    assert rmap.regions_of_country("NO") == ("Europe", "Nordics")
    assert set(rmap.countries_in("nordics")) == {"NO", "SE", "DK", "FI", "IS"}
    result = scored(
        "Election in {P:Norway|NO}", "{N:Norwegian|NO} voters went to the polls.", rmap=rmap
    )
    assert {r.name for r in result} == {"Europe", "Nordics"}
    assert result[1].subregions == ("Northern Europe",)
    # adding to an existing region extends it
    extended = RegionMap.from_config({"add": {"europe": ["CY"]}})
    assert set(extended.regions_of_country("CY")) == {"Middle East", "Europe"}


def test_all_overrides_together() -> None:
    rmap = RegionMap.from_config(
        {
            "rename": {"Middle East": "MENA"},
            "merge": {"Americas": ["North America", "Latin America"]},
            "add": {"Nordics": ["NO", "SE", "DK", "FI", "IS"]},
        }
    )
    assert rmap.names == ("Africa", "Asia", "Europe", "Americas", "MENA", "Oceania", "Nordics")
    assert rmap.resolve("middle-east") == "MENA"
    assert rmap.resolve("na") == "Americas"
    restored = pickle.loads(pickle.dumps(rmap))  # maps travel to worker processes
    assert restored.names == rmap.names
    assert restored.resolve("latam") == "Americas"


def test_empty_overrides_are_the_defaults() -> None:
    assert RegionMap.from_config(None) is RegionMap.default()
    assert RegionMap.from_config({}) is RegionMap.default()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"renames": {}}, "unknown key"),
        ({"rename": ["Middle East"]}, "regions.rename must be a table"),
        ({"rename": {"Narnia": "N"}}, "unknown region 'Narnia'"),
        ({"rename": {"Asia": "Europe"}}, "already a region"),
        ({"rename": {"Asia": "X", "Europe": "x"}}, "two regions are renamed"),
        ({"rename": {"Asia": "   "}}, "may not be empty"),
        ({"rename": {"Asia": 3}}, "must be a string"),
        ({"rename": {"Asia": "A\x1b[31m"}}, "control characters"),
        ({"rename": {"Asia": "A" * 41}}, "longer than"),
        ({"merge": {"Americas": "North America"}}, "non-empty list"),
        ({"merge": {"Americas": []}}, "non-empty list"),
        ({"merge": {"Americas": ["North America", "Atlantis"]}}, "unknown region 'Atlantis'"),
        ({"merge": {"A": ["Asia"], "B": ["Asia", "Europe"]}}, "already merged into 'A'"),
        ({"merge": {"A": ["Asia"], "Asia": ["Europe"]}}, "already merged"),
        ({"add": {"Nordics": ["NO", "XX"]}}, "unknown ISO 3166-1 alpha-2 code 'XX'"),
        ({"add": {"Nordics": []}}, "non-empty list"),
        ({"add": {"Nordics": ["NO", 1]}}, "expected ISO country codes"),
    ],
)
def test_bad_overrides_raise_clear_errors(table: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        RegionMap.from_config(table)


def test_swap_rename_is_allowed() -> None:
    rmap = RegionMap.from_config({"rename": {"Asia": "Europe", "Europe": "Asia"}})
    assert rmap.regions_of_country("FR") == ("Asia",)
    assert rmap.regions_of_country("JP") == ("Europe",)
