"""Settings and the hand-editable feed list: defaults, validation, edits that keep comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsreader import config as cfg
from newsreader.models import FeedSource
from newsreader.paths import Paths


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(config_file=tmp_path / "cfg" / "config.toml", data_dir=tmp_path / "data")


def test_first_run_writes_commented_files_with_default_feeds(paths: Paths) -> None:
    assert cfg.ensure_files(paths)
    assert not cfg.ensure_files(paths)
    assert "# newsreader configuration" in paths.config_file.read_text()
    settings = cfg.load_settings(paths)
    assert settings == cfg.Settings(save=settings.save)
    sources = cfg.load_feed_sources(paths.feeds_file)
    assert len(sources) >= 18
    regions = {s.region for s in sources}
    assert regions >= {
        "Africa",
        "Asia",
        "Europe",
        "Latin America",
        "Middle East",
        "North America",
        "Oceania",
    }
    assert all(s.url.startswith("https://") for s in sources)


def test_settings_are_read_and_validated(paths: Paths) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.config_file.write_text(
        '[refresh]\ninterval_minutes = 5\nconcurrency = 4\n[keymap]\ncursor_down = "j,ctrl+n"\n'
    )
    s = cfg.load_settings(paths)
    assert s.refresh.interval_minutes == 5 and s.refresh.concurrency == 4
    assert s.keymap == {"cursor_down": "j,ctrl+n"}
    paths.config_file.write_text("[refresh]\nconcurrency = 'many'\n")
    with pytest.raises(cfg.ConfigError, match=r"concurrency: expected a number"):
        cfg.load_settings(paths)
    paths.config_file.write_text("[refresh\n")
    with pytest.raises(cfg.ConfigError, match="not valid TOML"):
        cfg.load_settings(paths)
    paths.config_file.write_text("[refreshh]\n")
    with pytest.raises(cfg.ConfigError, match="unknown section"):
        cfg.load_settings(paths)


def test_add_remove_keep_comments(paths: Paths) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.feeds_file.write_text(
        '# my feeds\n\n[[feed]]\nurl = "https://a.example/rss"  # the best one\nregion = "Asia"\n'
    )
    assert cfg.add_feed_source(
        paths.feeds_file, FeedSource("https://b.example/rss", title="B", category="World")
    )
    assert not cfg.add_feed_source(paths.feeds_file, FeedSource("https://b.example/rss"))
    text = paths.feeds_file.read_text()
    assert "# my feeds" in text and "# the best one" in text
    assert [s.url for s in cfg.load_feed_sources(paths.feeds_file)] == [
        "https://a.example/rss",
        "https://b.example/rss",
    ]
    assert cfg.remove_feed_source(paths.feeds_file, "https://b.example/rss")
    assert not cfg.remove_feed_source(paths.feeds_file, "https://b.example/rss")
    assert "# the best one" in paths.feeds_file.read_text()
    assert cfg.replace_feed_url(paths.feeds_file, "https://a.example/rss", "https://a.example/feed")
    assert cfg.load_feed_sources(paths.feeds_file) == [
        FeedSource("https://a.example/feed", region="Asia")
    ]


def test_set_setting_keeps_comments(paths: Paths) -> None:
    cfg.ensure_files(paths)
    cfg.set_setting(paths, "ui", "theme", "newsreader-light")
    assert cfg.load_settings(paths).ui.theme == "newsreader-light"
    assert "# Minutes between background refreshes" in paths.config_file.read_text()


def test_feed_list_errors_name_the_problem(paths: Paths) -> None:
    paths.config_dir.mkdir(parents=True)
    paths.feeds_file.write_text('[[feed]]\ntitle = "no url"\n')
    with pytest.raises(cfg.ConfigError, match="feed #1 has no url"):
        cfg.load_feed_sources(paths.feeds_file)


def test_add_to_an_empty_list(paths: Paths) -> None:
    cfg.write_feed_list(paths.feeds_file, [])
    assert cfg.load_feed_sources(paths.feeds_file) == []
    assert cfg.add_feed_source(paths.feeds_file, FeedSource("https://a.example/rss"))
    assert cfg.load_feed_sources(paths.feeds_file) == [FeedSource("https://a.example/rss")]
