"""The only module that reads argv: the TUI (default) and the headless sub-commands.

Exit codes: 0 success (a ``fetch`` where some feeds failed still succeeds and reports them),
1 a user error with a one-line message, 2 a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsreader import __version__
from newsreader.config import ConfigError
from newsreader.library import Library, LibraryError
from newsreader.models import Article, ArticleFilter, FeedSource, RefreshSummary
from newsreader.paths import Paths, resolve
from newsreader.store import CacheError

USER_ERRORS = (LibraryError, ConfigError, CacheError, OSError)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsreader",
        description="A terminal news reader. With no command, starts the app.",
    )
    parser.add_argument("--version", action="version", version=f"newsreader {__version__}")
    parser.add_argument("--config", type=Path, metavar="PATH", help="config file to use")
    parser.add_argument("--data-dir", type=Path, metavar="DIR", help="where the cache lives")
    parser.add_argument(
        "--demo", action="store_true", help="use the bundled demo feeds in a throwaway cache"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        return p

    p = command("fetch", "refresh feeds now (all of them, or the URLs given)")
    p.add_argument("urls", nargs="*", metavar="URL")
    p.add_argument("--due", action="store_true", help="only the feeds whose refresh time has come")
    p.add_argument("--demo", action="store_true", help="fetch the bundled demo feeds")

    p = command("add", "subscribe to a feed (a web page that links to its feed works too)")
    p.add_argument("url", metavar="URL")
    p.add_argument("--title")
    p.add_argument("--region", help="the region the feed covers or is published in")
    p.add_argument("--category")
    p.add_argument("--no-check", action="store_true", help="add without fetching it first")

    p = command("remove", "unsubscribe from a feed and drop its cached articles")
    p.add_argument("url", metavar="URL")

    command("feeds", "list feeds with their status")

    p = command("import", "add the feeds of an OPML file")
    p.add_argument("file", type=Path, metavar="FILE.opml")

    p = command("export", "write the feed list as OPML 2.0 (to FILE, or standard output)")
    p.add_argument("file", type=Path, nargs="?", metavar="FILE")

    p = command("list", "list cached articles, newest first")
    p.add_argument("--feed", action="append", default=[], metavar="URL|TITLE")
    p.add_argument("--search", metavar="WORDS", help="full-text search over titles and text")
    p.add_argument("--unread", action="store_true", help="only unread articles")
    p.add_argument("--starred", action="store_true", help="only starred articles")
    p.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")

    p = command("show", "show one cached article")
    p.add_argument("id", type=int, metavar="ID")

    command("keys", "list the app's key bindings (with your [keymap] overrides)")

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "fetch": cmd_fetch,
        "add": cmd_add,
        "remove": cmd_remove,
        "feeds": cmd_feeds,
        "import": cmd_import,
        "export": cmd_export,
        "list": cmd_list,
        "show": cmd_show,
        "keys": cmd_keys,
    }
    try:
        if args.command is None:
            return run_app(args, parser)
        return handlers[args.command](args)
    except USER_ERRORS as exc:
        print(f"newsreader: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def run_app(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    try:
        from newsreader.tui.app import run  # the TUI is imported only when it is wanted
    except ImportError:
        parser.print_help()
        return 0
    return run(paths(args), demo=args.demo)


def paths(args: argparse.Namespace) -> Paths:
    return resolve(args.config, args.data_dir)


def open_library(args: argparse.Namespace) -> Library:
    if getattr(args, "demo", False):
        return Library.open_demo()
    return Library.open(paths(args))


def emit(args: argparse.Namespace, data: Any, text: Callable[[], None]) -> None:
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        text()


# --- commands ---------------------------------------------------------------------------


def cmd_fetch(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        urls: list[str] = args.urls
        summary = asyncio.run(_fetch(library, urls, args))
        data = {
            "feeds": summary.feeds,
            "ok": summary.ok,
            "not_modified": summary.not_modified,
            "unchanged": summary.unchanged,
            "failed": [{"url": r.url, "error": r.error} for r in summary.failed],
            "new": summary.new,
            "updated": summary.updated,
            "seconds": summary.seconds,
        }
        if not summary.feeds and not args.json:
            print("Nothing to refresh: no feed is due." if args.due else "No feeds configured.")
            return 0
        emit(args, data, lambda: _print_fetch(summary))
    return 0


async def _fetch(library: Library, urls: list[str], args: argparse.Namespace) -> RefreshSummary:
    if args.json or not sys.stderr.isatty():
        return await library.refresh(urls, force=not args.due)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from newsreader.feeds.poller import FeedFinished, RefreshEvent

    with Progress(
        TextColumn("Refreshing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[new]} new"),
        transient=True,
    ) as progress:
        task = progress.add_task("refresh", total=None, new=0)
        new = 0

        def on_event(event: RefreshEvent) -> None:
            nonlocal new
            if isinstance(event, FeedFinished):
                new += event.result.new
                progress.update(task, completed=event.done, total=event.total, new=new)

        return await library.refresh(urls, force=not args.due, on_event=on_event)


def _print_fetch(summary: RefreshSummary) -> None:
    print(
        f"{summary.feeds} feeds in {summary.seconds:.1f} s: {summary.new} new and "
        f"{summary.updated} updated articles; {summary.ok} changed, "
        f"{summary.not_modified + summary.unchanged} unchanged, {len(summary.failed)} failed."
    )
    for result in summary.failed:
        print(f"  failed: {result.url}\n          {result.error}")


def cmd_add(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        url = args.url
        if not args.no_check:
            url = asyncio.run(library.discover(url))
        feed = library.add_feed(
            FeedSource(url=url, title=args.title, region=args.region, category=args.category)
        )
        emit(
            args,
            {
                "url": feed.url,
                "title": feed.title,
                "region": feed.region,
                "category": feed.category,
            },
            lambda: print(
                f"Subscribed to {feed.url}" + (f" (found on {args.url})" if url != args.url else "")
            ),
        )
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        library.remove_feed(args.url)
        emit(args, {"removed": args.url}, lambda: print(f"Removed {args.url}"))
    return 0


def cmd_feeds(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        feeds = library.feeds()
        data = [
            {
                "id": f.id,
                "url": f.url,
                "title": f.title,
                "region": f.region,
                "category": f.category,
                "status": f.last_status,
                "error": f.last_error,
                "checked": iso(f.last_checked),
                "next_due": iso(f.next_due),
                "failures": f.failures,
                "gone": f.gone,
                "unread": f.unread,
                "total": f.total,
            }
            for f in feeds
        ]

        def text() -> None:
            for f in feeds:
                status = f.last_status or "never fetched"
                print(f"{f.unread:>5}/{f.total:<5} {status:<13} {f.display_title}")
                print(f"{'':25}{f.url}")
                if f.last_error:
                    print(f"{'':25}error: {f.last_error}")

        emit(args, data, text)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        try:
            data = args.file.read_bytes()
        except OSError as exc:
            raise LibraryError(f"cannot read {args.file}: {exc.strerror}") from exc
        added = library.import_opml(data)
        emit(
            args,
            {"added": [s.url for s in added]},
            lambda: print(f"Imported {len(added)} new feed(s) from {args.file}"),
        )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        text = library.export_opml()
    if args.file is None:
        sys.stdout.write(text)
    else:
        args.file.write_text(text, encoding="utf-8")
        if args.json:
            print(json.dumps({"written": str(args.file)}))
    return 0


def _feed_ids(library: Library, wanted: list[str]) -> tuple[int, ...]:
    ids: list[int] = []
    feeds = library.feeds()
    for name in wanted:
        matches = [
            f.id
            for f in feeds
            if name in (f.url, f.title) or (f.title or "").lower() == name.lower()
        ]
        if not matches:
            raise LibraryError(f"no such feed: {name}")
        ids.extend(matches)
    return tuple(ids)


def article_json(article: Article, *, full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "link": article.link,
        "feed": article.feed_title,
        "published": iso(article.published or article.first_seen),
        "read": article.read,
        "starred": article.starred,
        "regions": list(article.regions),
    }
    if full:
        data.update(
            author=article.author,
            updated=iso(article.updated),
            first_seen=iso(article.first_seen),
            text=article.text,
            entities=[],
            summary_html=article.summary_html,
            content_html=article.content_html,
        )
    return data


def cmd_list(args: argparse.Namespace) -> int:
    if args.limit < 0:
        raise LibraryError("--limit must be 0 or more")
    with open_library(args) as library:
        flt = ArticleFilter(
            feed_ids=_feed_ids(library, args.feed),
            unread_only=args.unread,
            starred_only=args.starred,
            search=args.search,
        )
        ids = library.article_ids(flt, limit=args.limit)
        articles = [a for a in (library.article(i) for i in ids) if a is not None]
        data = [article_json(a) for a in articles]

        def text() -> None:
            for a in articles:
                mark = "N" if not a.read else " "
                when = a.when.astimezone().strftime("%Y-%m-%d %H:%M")
                print(f"{a.id:>7} {mark} {when}  {a.title}  ({a.feed_title})")

        emit(args, data, text)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        article = library.article(args.id)
        if article is None:
            raise LibraryError(f"no article with id {args.id}")

        def text() -> None:
            print(article.title)
            print(
                f"{article.feed_title} · {iso(article.when)}"
                + (f" · {article.author}" if article.author else "")
            )
            if article.link:
                print(article.link)
            print()
            print(article.text)

        emit(args, article_json(article, full=True), text)
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from newsreader.config import load_settings
    from newsreader.keys import display_keys, keymap_rows, unknown_keymap_ids

    keymap = {} if args.demo else load_settings(paths(args)).keymap
    rows = keymap_rows(keymap)
    data = [{"id": i, "keys": keys.split(","), "description": d} for i, keys, d in rows]

    def text() -> None:
        width = max(len(display_keys(keys)) for _, keys, _ in rows)
        for binding_id, keys, description in rows:
            print(f"{display_keys(keys):<{width}}  {description}  [{binding_id}]")
        for unknown in unknown_keymap_ids(keymap):
            print(f"warning: [keymap] names an unknown binding id: {unknown}", file=sys.stderr)

    emit(args, data, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
