"""Where newsreader keeps its files.

Defaults come from platformdirs (which honours ``XDG_CONFIG_HOME`` / ``XDG_DATA_HOME`` on
Linux); ``--config`` and ``--data-dir`` override them so a run can be isolated completely.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "newsreader"


@dataclass(frozen=True, slots=True)
class Paths:
    config_file: Path
    data_dir: Path

    @property
    def config_dir(self) -> Path:
        return self.config_file.parent

    @property
    def feeds_file(self) -> Path:
        """The hand-editable feed list, beside the config file."""
        return self.config_dir / "feeds.toml"

    @property
    def themes_dir(self) -> Path:
        """User themes, read in addition to the built-in ones."""
        return self.config_dir / "themes"

    @property
    def database(self) -> Path:
        return self.data_dir / "cache.sqlite3"

    @property
    def state_file(self) -> Path:
        """Small UI state that survives restarts (chosen theme, active filter)."""
        return self.data_dir / "state.json"


def resolve(config: Path | None = None, data_dir: Path | None = None) -> Paths:
    config_file = config or Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"
    data = data_dir or Path(platformdirs.user_data_dir(APP_NAME))
    return Paths(config_file=config_file.expanduser(), data_dir=data.expanduser())


def builtin_themes_dir() -> Path:
    """The themes shipped with newsreader: inside the wheel, or at the top of a checkout."""
    packaged = Path(__file__).parent / "themes"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "themes"
