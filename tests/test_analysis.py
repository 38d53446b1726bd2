"""The article analysis pipeline: mentions, salience, regions, other languages, and how the
store keeps and queries them (entity and region filters, counts, re-analysis)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from test_tui_support import NOW, world_library

from newsreader import config as cfg
from newsreader.library import Library
from newsreader.models import ArticleFilter, EntityType
from newsreader.nlp.analysis import analyse, analyse_text, analysed_text
from newsreader.store import UNPLACED

TITLE = "Taliban seize Islam Qala crossing"
BODY = (
    "Taliban fighters took the Islam Qala crossing on the Iran border, officials in Herat said.\n\n"
    "Spokesman Zabihullah Mujahid said trade would go on. Mujahid spoke from Kabul."
)


def test_mentions_index_the_analysed_text() -> None:
    an = analyse(TITLE, BODY)
    text, title_end, lead_end = analysed_text(TITLE, BODY)
    assert title_end == len(TITLE)
    assert text[lead_end:].startswith("\n\nSpokesman")
    for m in an.mentions:
        assert text[m.start : m.end] == m.text
    found = {(m.text, m.type, m.canonical) for m in an.mentions}
    assert ("Mujahid", EntityType.PERSON, "Zabihullah Mujahid") in found
    assert ("Islam Qala", EntityType.PLACE, "Islam Qala") in found


def test_salience_weighs_title_and_lead() -> None:
    an = analyse(TITLE, BODY)
    by_name = {e.canonical: e for e in an.entities}
    assert an.entities[0].canonical in ("Taliban", "Islam Qala")  # in the title
    assert an.entities[0].salience == 1.0
    assert by_name["Zabihullah Mujahid"].count == 2
    assert by_name["Kabul"].salience < by_name["Herat"].salience  # body vs lead


def test_regions_primary_first() -> None:
    an = analyse(TITLE, BODY)
    assert [r.name for r in an.regions][:2] == ["Asia", "Middle East"]
    assert "Southern Asia" in an.regions[0].subregions


def test_other_languages_get_places_only() -> None:
    text = (
        "Die Regierung in Berlin kündigte neue Hilfen an. Kanzler Friedrich Weber reist nach "
        "Warschau und trifft dort die Vertreter der Europäischen Union."
    )
    an = analyse("Neue Hilfen aus Berlin", text)
    assert an.language == "de" and not an.full
    assert {m.type for m in an.mentions} == {EntityType.PLACE}
    assert {m.canonical for m in an.mentions} >= {"Berlin", "Warsaw"}


def test_analyse_text_offsets_are_into_the_input() -> None:
    text = "UN envoy visits Kabul\n\nThe envoy met Afghan officials.\n"
    an = analyse_text(text)
    assert an.mentions
    for m in an.mentions:
        assert text[m.start : m.end] == m.text
    assert an.regions and an.regions[0].name == "Asia"


def test_no_place_is_unplaced(tmp_path: Path) -> None:
    library = world_library(tmp_path)
    try:
        ids = library.article_ids(ArticleFilter(regions=(UNPLACED,)))
        titles = [library.article(i).title for i in ids]  # type: ignore[union-attr]
        assert titles == ["Quarterly review of the newsletter format"]
        article = library.article(ids[0])
        assert article is not None and article.analysed and article.regions == ()
    finally:
        library.close()


def test_filters_compose_entity_region_source(tmp_path: Path) -> None:
    library = world_library(tmp_path)
    try:

        def titles(flt: ArticleFilter) -> list[str]:
            rows = library.article_rows(library.article_ids(flt))
            return sorted(r.title for r in rows.values())

        taliban = (EntityType.ORG, "taliban")  # names match in any case
        assert titles(ArticleFilter(entity=taliban)) == [
            "Taliban fighters seize Islam Qala crossing on Iran border"
        ]
        assert titles(ArticleFilter(regions=("Middle East",))) == [
            "Egypt and Jordan agree to expand power grid link",
            "Taliban fighters seize Islam Qala crossing on Iran border",
        ]
        assert titles(ArticleFilter(regions=("Asia",), subregion="Central Asia")) == [
            "Kazakhstan opens new rail freight terminal near Almaty"
        ]
        assert titles(ArticleFilter(regions=("Africa", "Europe"))) == [
            "Berlin hosts talks on Baltic wind power",
            "Egypt and Jordan agree to expand power grid link",
        ]
        # the feed's declared region is its own filter: Berlin is filed under Middle East there
        source = titles(ArticleFilter(regions=("Middle East",), region_kind="source"))
        assert "Berlin hosts talks on Baltic wind power" in source
        assert titles(ArticleFilter(regions=("Europe",), entity=taliban)) == []
        counts = {(n, p): (u, t) for n, p, u, t in library.region_counts()}
        assert counts[("Asia", "")] == (2, 2)
        assert counts[("Southern Asia", "Middle East")] == (1, 1)
        assert counts[(UNPLACED, "")] == (1, 1)
    finally:
        library.close()


def test_updated_article_is_analysed_again(tmp_path: Path) -> None:
    library = world_library(tmp_path)
    try:
        assert library.pending_analysis() == 0
        article_id = library.article_ids(ArticleFilter(regions=("Europe",)))[0]
        from newsreader.models import FullText

        library.store.save_full_text(
            article_id,
            FullText("<p>x</p>", (), "The talks moved to Nairobi in Kenya.", NOW),
        )
        assert library.pending_analysis() == 1
        assert asyncio.run(library.analyse_pending()) == 1
        article = library.article(article_id)
        assert article is not None
        assert "Nairobi" in {e.canonical for e in article.entities}
        assert article.regions[0].name in ("Europe", "Africa")
    finally:
        library.close()


def test_region_map_change_in_config_redoes_regions(tmp_path: Path) -> None:
    library = world_library(tmp_path)
    paths = library.paths
    library.close()
    text = paths.config_file.read_text(encoding="utf-8")
    text = text.replace("[regions]\n", '[regions]\nrename = { "Middle East" = "MENA" }\n')
    paths.config_file.write_text(text, encoding="utf-8")
    library = Library.open(paths, write_defaults=False)
    try:
        asyncio.run(library.analyse_pending())
        names = {n for n, p, _, _ in library.region_counts() if not p}
        assert "MENA" in names and "Middle East" not in names
        assert library.resolve_region("mideast") == ("MENA", None)
    finally:
        library.close()


def test_bad_regions_config_is_a_clear_error(tmp_path: Path) -> None:
    library = world_library(tmp_path)
    paths = library.paths
    library.close()
    text = paths.config_file.read_text(encoding="utf-8")
    paths.config_file.write_text(
        text.replace("[regions]\n", '[regions]\nmerge = { "X" = ["Atlantis"] }\n'), "utf-8"
    )
    try:
        cfg.load_settings(paths)
    except cfg.ConfigError as exc:
        assert "Atlantis" in str(exc) and "config.toml" in str(exc)
    else:
        raise AssertionError("an unknown region in [regions] must be refused")
