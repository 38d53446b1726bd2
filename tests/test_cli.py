"""End to end through the command line: a real server on 127.0.0.1, a real SQLite file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from newsreader.cli import main

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Loopback Wire</title><link>http://example.com/</link>
{items}
</channel></rss>"""
ITEM = """<item><title>{title}</title><link>http://example.com/{n}</link><guid>id-{n}</guid>
<pubDate>Mon, 2{n} Nov 2026 10:00:00 GMT</pubDate><description>&lt;p&gt;Story {n} from Kabul.&lt;/p&gt;</description></item>"""


def rss(*titles: str) -> str:
    return RSS.format(items="\n".join(ITEM.format(title=t, n=i) for i, t in enumerate(titles)))


Run = Callable[..., tuple[int, Any]]


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    base = ["--config", str(tmp_path / "cfg" / "config.toml"), "--data-dir", str(tmp_path / "data")]
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "feeds.toml").write_text("")

    def invoke(*args: str) -> tuple[int, Any]:
        capsys.readouterr()
        code = main([*base, *args])
        out = capsys.readouterr().out
        try:
            return code, json.loads(out)
        except json.JSONDecodeError:
            return code, out

    return invoke


def test_fetch_list_show_with_conditional_get(httpserver: HTTPServer, run: Run) -> None:
    seen: list[dict[str, str]] = []
    body = rss("Quake in [b]Herat[/b]", "Talks in Doha")

    def handler(request: Request) -> Response:
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(body, content_type="application/rss+xml", headers={"ETag": '"v1"'})

    httpserver.expect_request("/feed.xml").respond_with_handler(handler)
    url = httpserver.url_for("/feed.xml")
    assert run("add", url, "--region", "Asia", "--json")[0] == 0

    code, first = run("fetch", "--json")
    assert code == 0
    assert first["feeds"] == 1 and first["ok"] == 1 and first["new"] == 2 and first["failed"] == []
    assert set(first) >= {
        "feeds",
        "ok",
        "not_modified",
        "unchanged",
        "failed",
        "new",
        "updated",
        "seconds",
    }

    code, second = run("fetch", "--json")
    assert second["not_modified"] == 1 and second["new"] == 0
    assert seen[-1].get("If-None-Match") == '"v1"'

    code, listed = run("list", "--json")
    assert [a["title"] for a in listed] == ["Talks in Doha", "Quake in [b]Herat[/b]"]
    assert set(listed[0]) >= {
        "id",
        "title",
        "link",
        "feed",
        "published",
        "read",
        "starred",
        "regions",
    }
    assert listed[0]["feed"] == "Loopback Wire" and listed[0]["published"] == "2026-11-21T10:00:00Z"

    code, found = run("list", "--search", "herat", "--json")
    assert [a["title"] for a in found] == ["Quake in [b]Herat[/b]"]

    code, shown = run("show", str(listed[1]["id"]), "--json")
    assert (
        shown["text"] == "Story 0 from Kabul."
        and "content_html" in shown
        and "<p>" not in shown["text"]
    )

    code, feeds = run("feeds", "--json")
    assert (
        feeds[0]["status"] == "not_modified"
        and feeds[0]["region"] == "Asia"
        and feeds[0]["total"] == 2
    )


def test_failing_feed_is_reported_and_others_still_work(httpserver: HTTPServer, run: Run) -> None:
    httpserver.expect_request("/good.xml").respond_with_data(
        rss("Fine"), content_type="application/rss+xml"
    )
    httpserver.expect_request("/gone.xml").respond_with_data("", status=410)
    httpserver.expect_request("/page").respond_with_data(
        "<html><head><title>x</title></head><body>hello</body></html>", content_type="text/html"
    )
    for path in ("/good.xml", "/gone.xml", "/page"):
        assert run("add", httpserver.url_for(path), "--no-check")[0] == 0
    code, out = run("fetch", "--json")
    assert code == 0 and out["ok"] == 1 and out["new"] == 1
    errors = {f["url"].rsplit("/", 1)[1]: f["error"] for f in out["failed"]}
    assert errors["gone.xml"] == "gone (410): feed disabled"
    assert "HTML page" in errors["page"]
    # A gone feed is not asked again by a plain refresh.
    code, again = run("fetch", "--json")
    assert again["feeds"] == 2


def test_add_follows_html_page_to_its_feed(httpserver: HTTPServer, run: Run) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss("A"), content_type="application/rss+xml"
    )
    page = '<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>'
    httpserver.expect_request("/").respond_with_data(page, content_type="text/html")
    code, out = run("add", httpserver.url_for("/"), "--json")
    assert code == 0 and out["url"] == httpserver.url_for("/feed.xml")


def test_user_errors_exit_1_with_one_line(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("add", "ftp://example.com/feed")[0] == 1
    assert run("show", "12345")[0] == 1
    assert run("remove", "https://nowhere.example/rss")[0] == 1
    with pytest.raises(SystemExit) as exc:
        main(["list", "--bogus"])
    assert exc.value.code == 2


def test_opml_round_trip_through_cli(run: Run, tmp_path: Path) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="World">'
        '<outline text="Alpha" xmlUrl="https://alpha.example/rss"/></outline>'
        '<outline text="Beta" xmlUrl="https://beta.example/rss"/></body></opml>'
    )
    assert run("import", str(opml), "--json") == (
        0,
        {"added": ["https://alpha.example/rss", "https://beta.example/rss"]},
    )
    assert run("import", str(opml), "--json") == (0, {"added": []})
    _, text = run("export")
    assert 'xmlUrl="https://alpha.example/rss"' in text and 'text="World"' in text
    _, feeds = run("feeds", "--json")
    assert {f["url"]: f["category"] for f in feeds} == {
        "https://alpha.example/rss": "World",
        "https://beta.example/rss": None,
    }


def test_permanent_redirect_updates_feed_list(
    httpserver: HTTPServer, run: Run, tmp_path: Path
) -> None:
    httpserver.expect_request("/old.xml").respond_with_data(
        "", status=301, headers={"Location": "/new.xml"}
    )
    httpserver.expect_request("/new.xml").respond_with_data(
        rss("Moved"), content_type="application/rss+xml"
    )
    run("add", httpserver.url_for("/old.xml"), "--no-check")
    _, out = run("fetch", "--json")
    assert out["new"] == 1
    assert httpserver.url_for("/new.xml") in (tmp_path / "cfg" / "feeds.toml").read_text()
    _, feeds = run("feeds", "--json")
    assert [f["url"] for f in feeds] == [httpserver.url_for("/new.xml")]


def test_fetch_demo_reports_every_feed(run: Run) -> None:
    code, out = run("fetch", "--demo", "--json")
    assert code == 0
    manifest = json.loads(
        (Path(__file__).parent.parent / "newsreader/feeds/demo/feeds.json").read_text()
    )
    assert out["feeds"] == len(manifest) >= 9
    assert len(out["failed"]) == 1 and "not a feed" in out["failed"][0]["error"]
    assert out["new"] >= 80


def test_keys_lists_every_binding_with_overrides(run: Run, tmp_path: Path) -> None:
    (tmp_path / "cfg" / "config.toml").write_text('[keymap]\ncursor_down = "ctrl+n"\n')
    code, rows = run("keys", "--json")
    assert code == 0
    by_id = {r["id"]: r for r in rows}
    assert by_id["cursor_down"]["keys"] == ["ctrl+n"]
    assert by_id["quit"]["keys"] == ["q"]
    assert {"open", "search", "help", "feed_status", "pick_theme", "toggle_star"} <= set(by_id)


WORLD_RSS = RSS.format(
    items="""<item><title>Taliban seize Islam Qala crossing on Iran border</title>
<link>http://example.com/a</link><guid>a</guid><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate>
<description>&lt;p&gt;Taliban fighters took the crossing in Herat province, officials in Kabul
said.&lt;/p&gt;&lt;p&gt;Spokesman Zabihullah Mujahid said trade would go on.&lt;/p&gt;</description>
</item>
<item><title>Peru and Chile open new border crossing</title>
<link>http://example.com/b</link><guid>b</guid><pubDate>Mon, 23 Nov 2026 09:00:00 GMT</pubDate>
<description>&lt;p&gt;Peru and Chile opened a crossing near Tacna on Sunday.&lt;/p&gt;</description>
</item>"""
)


def test_entities_and_regions_through_the_cli(httpserver: HTTPServer, run: Run) -> None:
    httpserver.expect_request("/world.xml").respond_with_data(
        WORLD_RSS, content_type="application/rss+xml"
    )
    assert run("add", httpserver.url_for("/world.xml"), "--no-check", "--region", "mideast")[0] == 0
    assert run("fetch", "--json")[1]["new"] == 2

    code, listed = run("list", "--region", "latam", "--json")
    assert code == 0
    assert [a["title"] for a in listed] == ["Peru and Chile open new border crossing"]
    assert listed[0]["regions"][0]["name"] == "Latin America"
    assert listed[0]["source_region"] == "Middle East"  # the alias was resolved

    code, listed = run("list", "--entity", "zabihullah mujahid", "--json")
    assert [a["title"] for a in listed] == ["Taliban seize Islam Qala crossing on Iran border"]
    article_id = listed[0]["id"]

    code, shown = run("show", str(article_id), "--json")
    assert [r["name"] for r in shown["regions"]][:2] == ["Asia", "Middle East"]
    assert shown["regions"][0]["score"] >= shown["regions"][1]["score"]
    by_text = {(e["in"], e["text"]): e for e in shown["entities"]}
    person = by_text[("text", "Zabihullah Mujahid")]
    assert shown["text"][person["start"] : person["end"]] == "Zabihullah Mujahid"
    crossing = by_text[("title", "Islam Qala")]
    assert shown["title"][crossing["start"] : crossing["end"]] == "Islam Qala"
    assert crossing["country"] == "AF" and crossing["type"] == "PLACE"

    code, regions = run("regions", "--json")
    by_name = {r["name"]: r for r in regions}
    assert by_name["Asia"]["total"] == 1 and by_name["Latin America"]["total"] == 1
    assert {"name": "South America", "unread": 1, "total": 1} in by_name["Latin America"][
        "subregions"
    ]
    assert by_name["Unplaced"]["total"] == 0

    code, regions = run("regions", "--source", "--json")
    assert {r["name"]: r["total"] for r in regions}["Middle East"] == 2

    assert run("list", "--region", "atlantis")[0] == 1
    assert run("list", "--entity", "nobody at all")[0] == 1


def test_analyze_reads_stdin_and_files(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    text = "Kenya and Uganda sign rail deal\n\nPresident William Ruto met Ugandan officials."
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    code, data = run("analyze", "-", "--json")
    assert code == 0
    for e in data["entities"]:
        assert text[e["start"] : e["end"]] == e["text"]
        assert e["type"] in {"PERSON", "ORG", "PLACE", "NORP"}
    assert {e["canonical"] for e in data["entities"]} >= {"Kenya", "Uganda", "William Ruto"}
    assert data["regions"][0]["name"] == "Africa"

    path = tmp_path / "article.txt"
    path.write_text(text, encoding="utf-8")
    assert run("analyze", str(path), "--json")[1]["entities"] == data["entities"]
    code, out = run("analyze", str(path))
    assert "PERSON  William Ruto" in out and "Regions: Africa" in out
    assert run("analyze", str(tmp_path / "missing.txt"))[0] == 1


PAGE_RSS = RSS.format(
    items="""<item><title>Night ferries return to the lake</title><link>{page}</link><guid>p1</guid>
<pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate><description>Two lines of summary.</description></item>
<item><title>A page that is gone</title><link>{gone}</link><guid>p2</guid>
<pubDate>Mon, 23 Nov 2026 09:00:00 GMT</pubDate><description>Only a summary.</description></item>"""
)


def test_show_full_fetches_the_page_and_failures_keep_the_summary(
    httpserver: HTTPServer, run: Run
) -> None:
    page = (Path(__file__).parent / "fixtures" / "pages" / "article.html").read_bytes()
    httpserver.expect_request("/story").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    feed = PAGE_RSS.format(page=httpserver.url_for("/story"), gone=httpserver.url_for("/gone"))
    httpserver.expect_request("/f.xml").respond_with_data(feed, content_type="application/rss+xml")
    run("add", httpserver.url_for("/f.xml"), "--no-check")
    run("fetch")
    listed = {a["title"]: a["id"] for a in run("list", "--json")[1]}

    code, shown = run("show", str(listed["Night ferries return to the lake"]), "--full", "--json")
    assert code == 0 and shown["full_text"] is True
    assert "Two lines of summary" not in shown["text"]
    assert "cookies" not in shown["text"] and len(shown["text"]) > 500
    for e in shown["entities"]:
        if e["in"] == "text":
            assert shown["text"][e["start"] : e["end"]] == e["text"]

    code, shown = run("show", str(listed["A page that is gone"]), "--full", "--json")
    assert code == 0 and shown["full_text"] is False
    assert "404" in shown["full_text_error"] and shown["text"] == "Only a summary."


def test_feeds_marked_full_text_fetch_pages_on_refresh(
    httpserver: HTTPServer, run: Run, tmp_path: Path
) -> None:
    page = (Path(__file__).parent / "fixtures" / "pages" / "article.html").read_bytes()
    httpserver.expect_request("/story").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    feed = PAGE_RSS.format(page=httpserver.url_for("/story"), gone=httpserver.url_for("/gone"))
    httpserver.expect_request("/f.xml").respond_with_data(feed, content_type="application/rss+xml")
    (tmp_path / "cfg" / "feeds.toml").write_text(
        f'[[feed]]\nurl = "{httpserver.url_for("/f.xml")}"\nfull_text = true\n', "utf-8"
    )
    assert run("fetch", "--json")[1]["new"] == 2
    listed = {a["title"]: a["id"] for a in run("list", "--json")[1]}
    shown = run("show", str(listed["Night ferries return to the lake"]), "--json")[1]
    assert shown["full_text"] is True and len(shown["text"]) > 500
    shown = run("show", str(listed["A page that is gone"]), "--json")[1]
    assert shown["full_text"] is False and shown["text"] == "Only a summary."


STORY_RSS = RSS.format(
    items="""<item><title>Earthquake of magnitude 6.8 strikes off Padang, Sumatra</title>
<link>http://example.com/q1</link><guid>q1</guid><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate>
<description>A magnitude 6.8 earthquake struck off Padang in West Sumatra on Monday, Indonesia's
BMKG agency said, and ruled out a tsunami. Buildings shook across the city.</description></item>
<item><title>BMKG rules out tsunami after 6.8 quake near Padang</title>
<link>http://example.com/q2</link><guid>q2</guid><pubDate>Mon, 23 Nov 2026 11:00:00 GMT</pubDate>
<description>Indonesia's BMKG said the magnitude 6.8 earthquake off Padang, West Sumatra, would not
cause a tsunami. Residents of Padang spent the night outside.</description></item>
<item><title>Bank of Ghana cuts its key rate as inflation eases</title>
<link>http://example.com/r1</link><guid>r1</guid><pubDate>Mon, 23 Nov 2026 09:00:00 GMT</pubDate>
<description>The Bank of Ghana cut its policy rate by 150 basis points in Accra on Monday as
inflation slowed for a sixth month.</description></item>"""
)


def test_related_lists_same_story_first_for_many_ids(httpserver: HTTPServer, run: Run) -> None:
    httpserver.expect_request("/s.xml").respond_with_data(
        STORY_RSS, content_type="application/rss+xml"
    )
    run("add", httpserver.url_for("/s.xml"), "--no-check")
    run("fetch")
    ids = {a["title"][:10]: a["id"] for a in run("list", "--json")[1]}
    quake, tsunami, ghana = ids["Earthquake"], ids["BMKG rules"], ids["Bank of Gh"]
    code, data = run("related", str(quake), str(ghana), "--json")
    assert code == 0 and set(data) == {str(quake), str(ghana)}
    first = data[str(quake)][0]
    assert first["id"] == tsunami and first["duplicate"] is False and first["score"] > 0
    assert all(r["id"] != ghana for r in data[str(quake)])
    assert run("related", "424242")[0] == 1
