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

from newsreader.config import ConfigError
from newsreader.library import Library, LibraryError
from newsreader.models import (
    Article,
    ArticleFilter,
    EntityType,
    FeedSource,
    Mention,
    RefreshSummary,
    RegionScore,
)
from newsreader.paths import Paths, resolve
from newsreader.store import UNPLACED, CacheError

USER_ERRORS = (LibraryError, ConfigError, CacheError, OSError)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class VersionAction(argparse.Action):
    """``--version``, reading the installed version only when asked (it is slow to import)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        import newsreader

        print(f"newsreader {newsreader.__version__}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsreader",
        description="A terminal news reader. With no command, starts the app.",
    )
    parser.add_argument("--version", action=VersionAction)
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
    p.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="NAME",
        help="story region or sub-region (any case; aliases such as mideast, latam; Unplaced)",
    )
    p.add_argument(
        "--source-region", action="store_true", help="filter by the feeds' declared region instead"
    )
    p.add_argument("--entity", metavar="NAME", help="articles that mention this entity")

    p = command("show", "show one cached article")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument(
        "--full", action="store_true", help="fetch the article's page for its full text if missing"
    )

    p = command(
        "save", "save articles as Markdown: the ids given, or every article a filter selects"
    )
    p.add_argument("ids", type=int, nargs="*", metavar="ID")
    p.add_argument("--dir", type=Path, metavar="DIR", help="folder to write to ([save] dir)")
    p.add_argument("--region", action="append", default=[], metavar="NAME")
    p.add_argument("--source-region", action="store_true")
    p.add_argument("--feed", action="append", default=[], metavar="URL|TITLE")
    p.add_argument("--search", metavar="WORDS")
    p.add_argument("--entity", metavar="NAME")
    p.add_argument("--unread", action="store_true")
    p.add_argument("--starred", action="store_true")
    p.add_argument("--since", metavar="DATE", help="only articles since DATE (YYYY-MM-DD)")

    p = command("related", "other articles about the same story, for each id given")
    p.add_argument("ids", type=int, nargs="+", metavar="ID")
    p.add_argument("--limit", type=int, default=6, help="at most this many per article")

    p = command("analyze", "print the entities and regions of any text (a file, or - for stdin)")
    p.add_argument("file", nargs="?", default="-", metavar="FILE|-")

    p = command("regions", "article counts per region and sub-region")
    p.add_argument(
        "--source", action="store_true", help="count by the feeds' declared region instead"
    )

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
        "analyze": cmd_analyze,
        "save": cmd_save,
        "related": cmd_related,
        "regions": cmd_regions,
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
            "analysed": summary.analysed,
            "analysed_seconds": summary.analysed_seconds,
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

    from newsreader.feeds.events import FeedFinished
    from newsreader.library import AnalysisProgress, LibraryEvent

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[new]}"),
        transient=True,
    ) as progress:
        task = progress.add_task("Refreshing", total=None, new="0 new")
        analysis = progress.add_task("Analysing", total=None, new="articles", visible=False)
        new = 0

        def on_event(event: LibraryEvent) -> None:
            nonlocal new
            if isinstance(event, FeedFinished):
                new += event.result.new
                progress.update(task, completed=event.done, total=event.total, new=f"{new} new")
            elif isinstance(event, AnalysisProgress):
                progress.update(analysis, completed=event.done, total=event.total, visible=True)

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


def regions_json(regions: Sequence[RegionScore]) -> list[dict[str, Any]]:
    """Regions by score, primary first."""
    return [{"name": r.name, "score": r.score, "subregions": list(r.subregions)} for r in regions]


def mentions_json(mentions: Sequence[Mention], offset: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "text": m.text,
            "type": m.type.value,
            "start": m.start - offset,
            "end": m.end - offset,
            "canonical": m.canonical,
            "country": m.country,
        }
        for m in mentions
    ]


def entities_json(article: Article) -> list[dict[str, Any]]:
    """The article's mentions. Offsets are into ``title`` for mentions with ``"in":
    "title"``, else into ``text`` (the full text when it was fetched)."""
    title = article.title.strip()
    body_start = len(title) + 2
    out = []
    for m in article.mentions:
        in_title = m.end <= len(title)
        item = mentions_json([m], 0 if in_title else body_start)[0]
        item["in"] = "title" if in_title else "text"
        out.append(item)
    return out


def article_json(article: Article, *, full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "link": article.link,
        "feed": article.feed_title,
        "published": iso(article.published or article.first_seen),
        "read": article.read,
        "starred": article.starred,
        "regions": regions_json(article.regions),
        "source_region": article.source_region,
    }
    if full:
        data.update(
            author=article.author,
            updated=iso(article.updated),
            first_seen=iso(article.first_seen),
            language=article.language,
            text=article.body_text,
            full_text=article.full_text is not None,
            entities=entities_json(article),
            entity_summary=[
                {
                    "type": e.type.value,
                    "canonical": e.canonical,
                    "country": e.country,
                    "count": e.count,
                    "salience": e.salience,
                }
                for e in article.entities
            ],
            summary_html=article.summary_html,
            content_html=article.content_html,
        )
    return data


def _entity_filter(library: Library, name: str) -> tuple[EntityType, str]:
    found = library.find_entities(name.strip())
    if not found:
        raise LibraryError(f"no cached article mentions an entity named {name!r}")
    kind, canonical, _ = found[0]  # the most mentioned of same-named entities
    return kind, canonical


def _region_filter(library: Library, names: list[str]) -> dict[str, Any]:
    regions: list[str] = []
    subregion = None
    for name in names:
        region, sub = library.resolve_region(name)
        if region:
            regions.append(region)
        elif subregion is not None and sub != subregion:
            raise LibraryError("give at most one sub-region")
        else:
            subregion = sub
    if subregion and len(regions) > 1:
        raise LibraryError("a sub-region narrows one region: give one --region with it")
    return {"regions": tuple(regions), "subregion": subregion}


def _analyse_first(library: Library, args: argparse.Namespace) -> None:
    """Filters by entity or region need every article analysed: finish any backlog first."""
    pending = library.pending_analysis()
    if pending:
        if not args.json and sys.stderr.isatty():
            print(f"Analysing {pending} articles first…", file=sys.stderr)
        asyncio.run(library.analyse_pending())


def cmd_list(args: argparse.Namespace) -> int:
    if args.limit < 0:
        raise LibraryError("--limit must be 0 or more")
    with open_library(args) as library:
        if args.region or args.entity:
            _analyse_first(library, args)
        flt = ArticleFilter(
            feed_ids=_feed_ids(library, args.feed),
            unread_only=args.unread,
            starred_only=args.starred,
            search=args.search,
            entity=_entity_filter(library, args.entity) if args.entity else None,
            region_kind="source" if args.source_region else "story",
            **_region_filter(library, args.region),
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
        full_text_error = None
        if args.full and article.full_text is None:
            try:
                article = asyncio.run(library.fetch_full_text(article.id))
            except LibraryError as exc:
                full_text_error = str(exc)
                if not args.json:
                    print(f"newsreader: {exc}; showing the feed's text", file=sys.stderr)
        if not article.analysed:
            library.analyse_now([article.id])
            article = library.article(args.id) or article

        def text() -> None:
            print(article.title)
            print(
                f"{article.feed_title} · {iso(article.when)}"
                + (f" · {article.author}" if article.author else "")
            )
            if article.link:
                print(article.link)
            print()
            print(article.body_text)

        data = article_json(article, full=True)
        if full_text_error:
            data["full_text_error"] = full_text_error
        emit(args, data, text)
    return 0


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.fromisoformat(value)
    except ValueError as exc:
        raise LibraryError(f"--since takes a date like 2026-11-20, not {value!r}") from exc
    return day if day.tzinfo else day.replace(tzinfo=UTC)


def cmd_save(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        filtering = any(
            (args.region, args.feed, args.search, args.entity, args.unread, args.starred,
             args.since)
        )  # fmt: skip
        if args.ids and filtering:
            raise LibraryError("give article ids or filters, not both")
        if args.ids:
            missing = [i for i in args.ids if library.article(i) is None]
            if missing:
                raise LibraryError(f"no article with id {', '.join(map(str, missing))}")
            ids = list(args.ids)
        elif filtering:
            if args.region or args.entity:
                _analyse_first(library, args)
            flt = ArticleFilter(
                feed_ids=_feed_ids(library, args.feed),
                unread_only=args.unread,
                starred_only=args.starred,
                search=args.search,
                since=_since(args.since),
                entity=_entity_filter(library, args.entity) if args.entity else None,
                region_kind="source" if args.source_region else "story",
                **_region_filter(library, args.region),
            )
            ids = library.article_ids(flt)
        else:
            raise LibraryError("say what to save: article ids, or --region/--search/--feed ...")
        report = library.save_articles(ids, folder=args.dir)
        data = {
            "folder": str(library.save_dir(args.dir)),
            "written": [str(p) for p in report.paths],
            "failed": [
                {"id": f.article_id, "title": f.title, "error": f.message} for f in report.failures
            ],
        }

        def text() -> None:
            for path in report.paths:
                print(path)
            for f in report.failures:
                print(f"could not save {f.article_id} ({f.title}): {f.message}", file=sys.stderr)
            print(f"Saved {len(report.paths)} of {len(ids)} articles.", file=sys.stderr)

        emit(args, data, text)
    return 1 if report.failures and not report.paths else 0


def cmd_related(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        missing = [i for i in args.ids if library.article(i) is None]
        if missing:
            raise LibraryError(f"no article with id {', '.join(map(str, missing))}")
        _analyse_first(library, args)
        found = {i: library.related_items(i, args.limit) for i in args.ids}
        data = {
            str(i): [
                {
                    "id": r.id,
                    "title": r.title,
                    "feed": r.feed_title,
                    "score": r.score,
                    "duplicate": r.duplicate,
                    "also_in": list(r.also_in),
                    "published": iso(r.when),
                }
                for r in items
            ]
            for i, items in found.items()
        }

        def text() -> None:
            for i, items in found.items():
                print(f"{i}:" if items else f"{i}: no related stories")
                for r in items:
                    mark = "copy" if r.duplicate else f"{r.score:.2f}"
                    also = f"  (also in: {', '.join(r.also_in)})" if r.also_in else ""
                    print(f"  {r.id:>7} {mark:>5}  {r.title}  ({r.feed_title}){also}")

        emit(args, data, text)
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from newsreader.nlp.analysis import analyse_text
    from newsreader.nlp.regions import RegionMap

    if args.file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise LibraryError(f"{args.file} is not UTF-8 text") from exc
    settings_regions = {} if args.demo else _config_regions(args)
    an = analyse_text(text, region_map=RegionMap.from_config(settings_regions))
    data = {
        "language": an.language,
        "entities": mentions_json(an.mentions),
        "regions": regions_json(an.regions),
    }
    if not an.full:
        data["note"] = f"language {an.language}: only places are recognised in this language"

    def text_out() -> None:
        for m in an.mentions:
            country = f" [{m.country}]" if m.country else ""
            extra = f" -> {m.canonical}" if m.canonical != m.text else ""
            print(f"{m.type.value:<7} {m.text}{extra}{country}")
        if an.regions:
            print("Regions: " + ", ".join(f"{r.name} ({r.score:g})" for r in an.regions))
        else:
            print("Regions: Unplaced")
        if "note" in data:
            print(data["note"])

    emit(args, data, text_out)
    return 0


def _config_regions(args: argparse.Namespace) -> dict[str, Any]:
    from newsreader.config import load_settings

    p = paths(args)
    return load_settings(p).regions if p.config_file.exists() else {}


def cmd_regions(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        kind = "source" if args.source else "story"
        if kind == "story":
            _analyse_first(library, args)
        counts = {(name, parent): (unread, total)
                  for name, parent, unread, total in library.region_counts(kind)}  # fmt: skip
        data: list[dict[str, Any]] = []
        for region, subs in library.region_tree():
            unread, total = counts.get((region, ""), (0, 0))
            sub_rows = [
                {"name": sub, "unread": counts[(sub, region)][0], "total": counts[(sub, region)][1]}
                for sub in subs
                if (sub, region) in counts
            ]
            data.append({"name": region, "unread": unread, "total": total,
                         "subregions": sub_rows})  # fmt: skip
        if kind == "story":
            unread, total = counts.get((UNPLACED, ""), (0, 0))
            data.append({"name": UNPLACED, "unread": unread, "total": total, "subregions": []})

        def text() -> None:
            for row in data:
                print(f"{row['name']:<28} {row['unread']:>6} unread / {row['total']:>6}")
                for sub in row["subregions"]:
                    print(f"  {sub['name']:<26} {sub['unread']:>6} unread / {sub['total']:>6}")

        emit(args, data, text)
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
