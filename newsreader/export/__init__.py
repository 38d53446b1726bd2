"""Exporting articles: Markdown files with YAML front matter (see :mod:`.markdown`)."""

from newsreader.export.markdown import *  # noqa: F403
from newsreader.export.markdown import __all__ as __all__
