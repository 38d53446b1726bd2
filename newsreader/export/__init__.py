"""Exporting articles out of newsreader: Markdown files with YAML front matter."""

from __future__ import annotations

from newsreader.export.markdown import (
    DEFAULT_TEMPLATE,
    ENTITY_STYLES,
    TEMPLATE_FIELDS,
    EntityStyle,
    SaveError,
    SaveFailure,
    SaveReport,
    default_save_dir,
    escape_markdown,
    file_name,
    render_markdown,
    save_article,
    save_articles,
    slugify,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "ENTITY_STYLES",
    "TEMPLATE_FIELDS",
    "EntityStyle",
    "SaveError",
    "SaveFailure",
    "SaveReport",
    "default_save_dir",
    "escape_markdown",
    "file_name",
    "render_markdown",
    "save_article",
    "save_articles",
    "slugify",
]
