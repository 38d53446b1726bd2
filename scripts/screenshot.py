"""Save the README screenshot: the app on the demo feeds, as Textual's own SVG.

    uv run python scripts/screenshot.py [docs/screenshot.svg]
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from newsreader.library import Library
from newsreader.tui.app import NewsReaderApp

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


async def main(target: Path) -> None:
    library = Library.open_demo()
    try:
        await library.refresh()
        app = NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("j", "j", "enter")
            await pilot.pause()
            app.save_screenshot(filename=target.name, path=str(target.parent))
    finally:
        library.close()


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.svg")
    out.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(out))
    print(out)
