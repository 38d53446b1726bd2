"""Typed settings read from ``config.toml`` and the hand-editable feed list ``feeds.toml``.

Both files are read with :mod:`tomllib` and edited with :mod:`tomlkit`, so a user's comments and
layout survive ``newsreader add`` / ``remove`` and a theme change.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from newsreader.models import FeedSource
from newsreader.nlp.regions import RegionMap
from newsreader.paths import Paths

if TYPE_CHECKING:  # tomlkit (editing, keeping comments) loads only when a file is written
    import tomlkit
    from tomlkit.items import Table


class ConfigError(Exception):
    """A config or feed-list file that cannot be used; the message names file and problem."""


@dataclass(frozen=True, slots=True)
class RefreshSettings:
    interval_minutes: float = 30.0
    on_start: bool = True
    concurrency: int = 16
    per_host: int = 2
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    timeout: float = 30.0
    max_body_mb: float = 20.0
    parse_timeout: float = 20.0  # seconds to read one feed's body; 0: no limit


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    max_age_days: int = 180  # 0 keeps articles forever
    max_per_feed: int = 2000  # 0 means no limit; starred articles are always kept


@dataclass(frozen=True, slots=True)
class SaveSettings:
    dir: Path = field(
        default_factory=lambda: Path(platformdirs.user_documents_dir()) / "newsreader"
    )
    template: str = "{date}-{slug}.md"
    entities: str = "wikilinks"  # wikilinks | bold | plain


@dataclass(frozen=True, slots=True)
class UISettings:
    theme: str = "newsreader-dark"
    max_width: int = 100  # the reader's longest line, in cells (0: the whole pane)
    images: str = "auto"  # auto: the lead image on terminals that draw images | off


@dataclass(frozen=True, slots=True)
class RelatedSettings:
    window_days: float = 3.0  # related stories are looked for this many days either side


@dataclass(frozen=True, slots=True)
class Settings:
    refresh: RefreshSettings = field(default_factory=RefreshSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    save: SaveSettings = field(default_factory=SaveSettings)
    ui: UISettings = field(default_factory=UISettings)
    related: RelatedSettings = field(default_factory=RelatedSettings)
    keymap: dict[str, str] = field(default_factory=dict)
    regions: dict[str, Any] = field(default_factory=dict)  # the raw [regions] overrides


DEFAULT_CONFIG = """\
# newsreader configuration.
# Every setting is optional: delete a line to get the default back.
# The feed list lives beside this file, in feeds.toml.

[refresh]
# Minutes between background refreshes of each feed (a feed's own <ttl> or
# Cache-Control may stretch this, never shorten it).
interval_minutes = 30
# Refresh as soon as the app starts.
on_start = true
# Requests in flight at once, overall and per host.
concurrency = 16
per_host = 2
# Seconds: to connect, between bytes, and for a whole download.
connect_timeout = 10
read_timeout = 20
timeout = 30
# A feed larger than this many megabytes (after decompression) is refused.
max_body_mb = 20
# Seconds to read (parse) one feed; a feed that takes longer is skipped with an error.
parse_timeout = 20

[retention]
# Articles older than this many days are removed (0 keeps them forever).
max_age_days = 180
# At most this many articles per feed (0 means no limit). Starred articles are always kept.
max_per_feed = 2000

[save]
# Where saved Markdown files go (default: newsreader in your documents folder).
# dir = "~/Documents/newsreader"
# File names: {date} {slug} {feed} {id} are filled in.
template = "{date}-{slug}.md"
# How entities appear in saved files: "wikilinks", "bold" or "plain".
entities = "wikilinks"

[ui]
theme = "newsreader-dark"
# The reader's longest line, in columns (0 uses the whole pane).
max_width = 100
# An article's lead image, drawn in terminals that can show images (Kitty's
# graphics protocol or Sixel): "auto", or "off" to show images as links only.
images = "auto"

[related]
# Related stories are looked for this many days before and after an article.
window_days = 3

[regions]
# Regions are Africa, Asia, Europe, Latin America, Middle East, North America and Oceania.
# Rename, merge or add your own (countries by ISO code); for example:
# rename = { "Middle East" = "MENA" }
# merge = { "Americas" = ["North America", "Latin America"] }
# add = { "Nordics" = ["NO", "SE", "DK", "FI", "IS"] }

[keymap]
# Remap a key by its binding id (see `newsreader keys`), e.g.:
# "cursor_down" = "j,down,ctrl+n"
"""

# (url, title, region, category): real international feeds for a first run.
DEFAULT_FEEDS: tuple[tuple[str, str, str, str], ...] = (
    ("https://feeds.bbci.co.uk/news/world/rss.xml", "BBC News - World", "Europe", "World"),
    ("https://www.aljazeera.com/xml/rss/all.xml", "Al Jazeera English", "Middle East", "World"),
    ("https://rss.dw.com/rdf/rss-en-world", "DW - World", "Europe", "World"),
    ("https://www.france24.com/en/rss", "France 24", "Europe", "World"),
    ("https://feeds.npr.org/1004/rss.xml", "NPR - World", "North America", "World"),
    ("https://www.theguardian.com/world/rss", "The Guardian - World", "Europe", "World"),
    (
        "https://rss.nytimes.com/services/xml/rss/nyt/World.xml",
        "NYT - World",
        "North America",
        "World",
    ),
    ("https://www.cbc.ca/webfeed/rss/rss-world", "CBC - World", "North America", "World"),
    ("https://www.abc.net.au/news/feed/51120/rss.xml", "ABC News (Australia)", "Oceania", "World"),
    ("https://www.rnz.co.nz/rss/world.xml", "RNZ - World", "Oceania", "World"),
    ("https://www3.nhk.or.jp/rss/news/cat6.xml", "NHK - International", "Asia", "World"),
    ("https://www.scmp.com/rss/91/feed", "South China Morning Post - World", "Asia", "World"),
    (
        "https://www.thehindu.com/news/international/feeder/default.rss",
        "The Hindu - International",
        "Asia",
        "World",
    ),
    ("https://japantoday.com/category/world/feed", "Japan Today - World", "Asia", "World"),
    (
        "https://allafrica.com/tools/headlines/rdf/latest/headlines.rdf",
        "AllAfrica",
        "Africa",
        "Africa",
    ),
    ("https://mg.co.za/feed/", "Mail & Guardian", "Africa", "Africa"),
    ("https://en.mercopress.com/rss/", "MercoPress", "Latin America", "Latin America"),
    ("https://www.batimes.com.ar/feed", "Buenos Aires Times", "Latin America", "Latin America"),
    ("https://www.middleeasteye.net/rss", "Middle East Eye", "Middle East", "Middle East"),
    ("https://restofworld.org/feed/latest", "Rest of World", "Asia", "Technology"),
)

FEEDS_HEADER = """\
# newsreader feed list. Edit by hand or with `newsreader add URL` / `newsreader remove URL`.
# Each [[feed]] needs a url; title, region (the region the publisher covers or is based in),
# category and full_text (fetch whole articles) are optional.
"""


def _table_to_dataclass(cls: Any, data: dict[str, Any], where: str) -> Any:
    known = {f for f in cls.__dataclass_fields__}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    defaults = cls()
    values: dict[str, Any] = {}
    for name, raw in data.items():
        default = getattr(defaults, name)
        if isinstance(default, bool):
            if not isinstance(raw, bool):
                raise ConfigError(f"{where}.{name}: expected true or false, got {raw!r}")
            values[name] = raw
        elif isinstance(default, int | float):
            if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
                raise ConfigError(f"{where}.{name}: expected a number >= 0, got {raw!r}")
            values[name] = type(default)(raw)
        elif isinstance(default, Path):
            if not isinstance(raw, str):
                raise ConfigError(f"{where}.{name}: expected a path, got {raw!r}")
            values[name] = Path(os.path.expandvars(raw)).expanduser()
        else:
            if not isinstance(raw, str):
                raise ConfigError(f"{where}.{name}: expected text, got {raw!r}")
            values[name] = raw
    return cls(**values)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc


def load_settings(paths: Paths) -> Settings:
    data = _read_toml(paths.config_file)
    sections = {
        "refresh": RefreshSettings,
        "retention": RetentionSettings,
        "save": SaveSettings,
        "ui": UISettings,
        "related": RelatedSettings,
    }
    unknown = set(data) - set(sections) - {"keymap", "regions"}
    if unknown:
        raise ConfigError(f"{paths.config_file}: unknown section(s) {', '.join(sorted(unknown))}")
    parts: dict[str, Any] = {}
    for name, cls in sections.items():
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{paths.config_file}: [{name}] must be a table")
        parts[name] = _table_to_dataclass(cls, table, f"{paths.config_file} [{name}]")
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) for v in keymap.values()):
        raise ConfigError(f"{paths.config_file}: [keymap] maps binding ids to key strings")
    if parts["save"].entities not in {"wikilinks", "bold", "plain"}:
        raise ConfigError(f"{paths.config_file} [save].entities: use wikilinks, bold or plain")
    if parts["ui"].images not in {"auto", "off"}:
        raise ConfigError(f"{paths.config_file} [ui].images: use auto or off")
    regions = data.get("regions", {})
    try:
        RegionMap.from_config(regions)
    except ValueError as exc:
        raise ConfigError(f"{paths.config_file}: {exc}") from exc
    return Settings(keymap=dict(keymap), regions=dict(regions), **parts)


def ensure_files(paths: Paths) -> bool:
    """Write a commented config and the default feed list on first run. True if written."""
    wrote = False
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    if not paths.config_file.exists():
        paths.config_file.write_text(DEFAULT_CONFIG, encoding="utf-8")
        wrote = True
    if not paths.feeds_file.exists():
        write_feed_list(paths.feeds_file, [FeedSource(*f) for f in DEFAULT_FEEDS])
        wrote = True
    return wrote


def set_setting(paths: Paths, section: str, key: str, value: str | int | float | bool) -> None:
    """Change one setting in config.toml, keeping the user's comments and layout."""
    import tomlkit

    doc = _load_doc(paths.config_file)
    table = doc.get(section)
    if table is None:
        table = tomlkit.table()
        doc[section] = table
    table[key] = value
    _atomic_write(paths.config_file, tomlkit.dumps(doc))


# --- the feed list ----------------------------------------------------------------------


def load_feed_sources(path: Path) -> list[FeedSource]:
    data = _read_toml(path)
    feeds = data.get("feed", [])
    if not isinstance(feeds, list):
        raise ConfigError(f"{path}: feeds are listed as [[feed]] tables")
    sources: list[FeedSource] = []
    seen: set[str] = set()
    for i, entry in enumerate(feeds, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise ConfigError(f"{path}: feed #{i} has no url")
        url = entry["url"].strip()
        if url in seen:
            continue
        seen.add(url)
        extra = set(entry) - {"url", "title", "region", "category", "full_text"}
        if extra:
            raise ConfigError(f"{path}: feed {url}: unknown key(s) {', '.join(sorted(extra))}")
        sources.append(
            FeedSource(
                url=url,
                title=_opt_str(entry.get("title")),
                region=_opt_str(entry.get("region")),
                category=_opt_str(entry.get("category")),
                full_text=bool(entry.get("full_text", False)),
            )
        )
    return sources


def write_feed_list(path: Path, sources: list[FeedSource]) -> None:
    import tomlkit

    doc = tomlkit.document()
    for line in FEEDS_HEADER.splitlines():
        doc.add(tomlkit.comment(line.lstrip("# ")))
    if sources:
        aot = tomlkit.aot()
        for source in sources:
            aot.append(_feed_table(source))
        doc.add("feed", aot)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, tomlkit.dumps(doc))


def add_feed_source(path: Path, source: FeedSource) -> bool:
    """Append a feed to the list (comments kept). False when the URL is already there."""
    import tomlkit
    from tomlkit.items import AoT

    if any(s.url == source.url for s in load_feed_sources(path)):
        return False
    doc = _load_doc(path)
    aot = doc.get("feed")
    if isinstance(aot, AoT):
        aot.append(_feed_table(source))
    else:
        new = tomlkit.aot()
        new.append(_feed_table(source))
        if "feed" in doc:
            del doc["feed"]
        doc.add("feed", new)
    _atomic_write(path, tomlkit.dumps(doc))
    return True


def remove_feed_source(path: Path, url: str) -> bool:
    import tomlkit
    from tomlkit.items import AoT

    doc = _load_doc(path)
    aot = doc.get("feed")
    if not isinstance(aot, AoT):
        return False
    keep = [t for t in aot if str(t.get("url", "")).strip() != url]
    if len(keep) == len(aot):
        return False
    while len(aot):
        del aot[0]
    for table in keep:
        aot.append(table)
    _atomic_write(path, tomlkit.dumps(doc))
    return True


def replace_feed_url(path: Path, old: str, new: str) -> bool:
    """A permanent redirect moved a feed: point the list at its new address."""
    import tomlkit
    from tomlkit.items import AoT

    doc = _load_doc(path)
    aot = doc.get("feed")
    if not isinstance(aot, AoT):
        return False
    for table in aot:
        if str(table.get("url", "")).strip() == old:
            table["url"] = new
            _atomic_write(path, tomlkit.dumps(doc))
            return True
    return False


def _feed_table(source: FeedSource) -> Table:
    import tomlkit

    table = tomlkit.table()
    table["url"] = source.url
    if source.title:
        table["title"] = source.title
    if source.region:
        table["region"] = source.region
    if source.category:
        table["category"] = source.category
    if source.full_text:
        table["full_text"] = True
    return table


def _opt_str(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _load_doc(path: Path) -> tomlkit.TOMLDocument:
    import tomlkit

    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return tomlkit.document()
    except tomlkit.exceptions.ParseError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
