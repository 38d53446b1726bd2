"""Lead images: fetched on loopback like feeds, cached on disk by a hash of the URL, decoded
with care, and drawn by the reader only where the terminal has an image protocol."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import textwrap
import threading
import tty
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from pytest_httpserver import HTTPServer
from test_tui_support import NOW
from textual.widgets import Static
from werkzeug import Request, Response

from newsreader import config as cfg
from newsreader.feeds.fetch import Fetcher, FetchLimits
from newsreader.feeds.images import (
    MAX_IMAGE_BYTES,
    ImageCache,
    ImageError,
    check_image,
    decode_image,
    fetch_image,
    image_bytes,
    lead_image_url,
)
from newsreader.library import Library, LibraryError
from newsreader.models import BlockKind, FeedSource, LinkSpan, ParsedArticle, ParsedFeed, TextBlock
from newsreader.nlp.analysis import ANALYSER_VERSION
from newsreader.paths import Paths
from newsreader.store import FeedState
from newsreader.tui.app import NewsReaderApp
from newsreader.tui.widgets.lead_image import (
    MAX_ROWS,
    ImageSupport,
    LeadImage,
    draws_kitty_placeholders,
    fit_cells,
    set_image_support,
)
from newsreader.tui.widgets.reader import ArticleReader

# textual-image 0.12 reads pixels with Image.getdata, deprecated by Pillow 13 (hence pillow<14).
pytestmark = pytest.mark.filterwarnings(
    "ignore:Image.Image.getdata is deprecated:DeprecationWarning"
)

PARAGRAPH = "The harbour authority opened the new quay to container ships on Monday morning."
OTHER = "The river ferry timetable changes next week, with two extra crossings at night."
ALT = "Cranes over the new quay"


def png(width: int = 120, height: int = 60, *, mode: str = "RGB") -> bytes:
    """A small original picture: a gradient, so scaling has something to keep."""
    picture = Image.linear_gradient("L").resize((width, height)).convert(mode)
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(out, "JPEG", quality=80)
    return out.getvalue()


def declaring(data: bytes, width: int, height: int) -> bytes:
    """A PNG whose header claims another size (a decompression bomb's trick), CRC fixed."""
    ihdr = data.index(b"IHDR")
    fields = struct.pack(">II", width, height) + data[ihdr + 12 : ihdr + 17]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + fields))
    return data[: ihdr + 4] + fields + crc + data[ihdr + 21 :]


def limits(max_body_bytes: int = 20_000_000) -> FetchLimits:
    return FetchLimits(
        connect_timeout=5, read_timeout=5, total_timeout=10, max_body_bytes=max_body_bytes
    )


# --- which image leads ------------------------------------------------------------------------


def image(src: str, alt: str = ALT) -> TextBlock:
    return TextBlock(BlockKind.IMAGE, alt, (LinkSpan(0, len(alt), src),))


def test_the_lead_image_is_the_first_image_block() -> None:
    blocks = (
        TextBlock(BlockKind.PARAGRAPH, PARAGRAPH),
        image("https://img.example.org/quay.jpg"),
        image("https://img.example.org/second.jpg"),
    )
    assert lead_image_url(blocks) == "https://img.example.org/quay.jpg"
    assert lead_image_url(blocks[:1]) is None
    assert lead_image_url(()) is None


@pytest.mark.parametrize(
    "src", ["javascript:alert(1)", "file:///etc/passwd", "data:image/png;base64,AAAA", "/rel.png"]
)
def test_only_a_web_address_leads(src: str) -> None:
    assert lead_image_url((image(src), image("https://img.example.org/later.jpg"))) is None


# --- fetching and the cache -------------------------------------------------------------------


async def test_an_image_is_fetched_once_then_read_from_the_cache(
    server: HTTPServer, tmp_path: Path
) -> None:
    body = png()
    server.expect_request("/photo.png").respond_with_data(body, content_type="image/png")
    url = server.url_for("/photo.png")
    cache = ImageCache(tmp_path / "images")

    assert await image_bytes(url, cache=cache, limits=limits()) == body
    assert len(server.log) == 1
    files = list((tmp_path / "images").iterdir())
    assert files == [cache.path(url)]
    assert len(files[0].stem) == 40 and set(files[0].stem) <= set("0123456789abcdef")
    assert files[0].read_bytes() == body

    server.clear()  # offline from now on: nothing answers
    assert await image_bytes(url, cache=cache, limits=limits()) == body
    assert server.log == []


async def test_an_image_over_the_cap_is_refused_and_not_cached(
    server: HTTPServer, tmp_path: Path
) -> None:
    big = png() + b"\0" * MAX_IMAGE_BYTES  # a valid header, then more than the cap
    server.expect_request("/huge.png").respond_with_data(big, content_type="image/png")
    cache = ImageCache(tmp_path / "images")
    with pytest.raises(ImageError, match=r"^the image is too large \(over 5 MB\)$"):
        await image_bytes(server.url_for("/huge.png"), cache=cache, limits=limits())
    assert not (tmp_path / "images").exists()


async def test_a_lower_cap_of_the_fetcher_applies(server: HTTPServer) -> None:
    body = png() + b"\0" * 2000
    server.expect_request("/p.png").respond_with_data(body, content_type="image/png")
    async with Fetcher(limits(max_body_bytes=1000)) as fetcher:
        with pytest.raises(ImageError, match=r"too large \(over 1 kB\)"):
            await fetch_image(fetcher, server.url_for("/p.png"))


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        ("text/html; charset=utf-8", "not an image: the server sent text/html"),
        ("application/octet-stream", "not an image: the server sent application/octet-stream"),
        ("", "not an image: the server sent no content type"),
        ("image/svg+xml", "SVG images cannot be drawn in a terminal"),
    ],
)
async def test_only_image_types_are_accepted(
    server: HTTPServer, tmp_path: Path, content_type: str, message: str
) -> None:
    response = Response(png(), content_type=content_type or None)
    if not content_type:
        del response.headers["Content-Type"]
    server.expect_request("/thing").respond_with_response(response)
    cache = ImageCache(tmp_path / "images")
    with pytest.raises(ImageError) as err:
        await image_bytes(server.url_for("/thing"), cache=cache, limits=limits())
    assert err.value.message == message
    assert cache.read(server.url_for("/thing")) is None


async def test_bytes_that_are_no_image_are_refused_and_not_cached(
    server: HTTPServer, tmp_path: Path
) -> None:
    server.expect_request("/fake.png").respond_with_data(
        b"<html>Not a picture at all</html>", content_type="image/png"
    )
    cache = ImageCache(tmp_path / "images")
    with pytest.raises(ImageError, match="not an image this reader can decode"):
        await image_bytes(server.url_for("/fake.png"), cache=cache, limits=limits())
    assert cache.read(server.url_for("/fake.png")) is None


async def test_http_errors_come_back_in_words(server: HTTPServer) -> None:
    server.expect_request("/gone.png").respond_with_data("no", status=404)
    server.expect_request("/busy.png").respond_with_data("no", status=503)
    async with Fetcher(limits()) as fetcher:
        with pytest.raises(ImageError, match=r"^the image was not found \(404\)$"):
            await fetch_image(fetcher, server.url_for("/gone.png"))
        with pytest.raises(ImageError, match=r"^server unavailable \(503\)$"):
            await fetch_image(fetcher, server.url_for("/busy.png"))


@pytest.mark.parametrize("url", ["file:///etc/hostname", "/etc/hostname", "ftp://x.example/a.png"])
async def test_only_web_images_are_fetched(server: HTTPServer, url: str) -> None:
    async with Fetcher(limits()) as fetcher:
        with pytest.raises(ImageError, match="only web images"):
            await fetch_image(fetcher, url)
    assert server.log == []


async def test_the_library_says_why_there_is_no_image(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request("/page").respond_with_data("<p>hi</p>", content_type="text/html")
    server.expect_request("/ok.png").respond_with_data(png(), content_type="image/png")
    with quay_library(tmp_path, server) as library:
        with pytest.raises(LibraryError, match=r"^could not show the image: not an image: "):
            await library.lead_image(server.url_for("/page"))
        assert await library.lead_image(server.url_for("/ok.png")) == png()
        assert (library.paths.data_dir / "images").is_dir()


def test_the_cache_forgets_the_least_recently_used_first(tmp_path: Path) -> None:
    cache = ImageCache(tmp_path / "images", max_bytes=2500)
    for n, name in enumerate(["a", "b", "c"]):
        cache.write(f"https://img.example.org/{name}.png", bytes([n]) * 1000)
        os.utime(cache.path(f"https://img.example.org/{name}.png"), (1000 + n, 1000 + n))
    # All three (3000 bytes) were over the cap when "c" arrived: "a", the oldest, went.
    assert cache.read("https://img.example.org/a.png") is None
    assert cache.read("https://img.example.org/b.png") == b"\1" * 1000  # now recently used
    cache.write("https://img.example.org/d.png", b"\3" * 1000)
    assert cache.read("https://img.example.org/c.png") is None
    assert cache.read("https://img.example.org/b.png") is not None
    assert cache.read("https://img.example.org/d.png") is not None


# --- decoding -----------------------------------------------------------------------------------


def test_a_picture_shrinks_into_the_box_keeping_its_shape() -> None:
    picture = decode_image(png(400, 100), (200, 200))
    assert picture.size == (200, 50)
    assert picture.mode == "RGB"
    small = decode_image(png(40, 20), (200, 200))
    assert small.size == (40, 20)  # never enlarged


def test_transparency_is_kept() -> None:
    assert decode_image(png(40, 40, mode="RGBA"), (100, 100)).mode == "RGBA"


def test_a_large_jpeg_shrinks_into_the_box() -> None:
    picture = decode_image(jpeg(3200, 1600), (400, 280))
    assert picture.size == (400, 200)


def test_a_picture_is_turned_upright() -> None:
    upright = Image.new("RGB", (80, 40), (10, 200, 10))
    exif = upright.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    out = io.BytesIO()
    upright.save(out, "JPEG", exif=exif.tobytes())
    assert decode_image(out.getvalue(), (500, 500)).size == (40, 80)


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = declaring(png(20, 20), 30_000, 30_000)  # 900 million pixels declared
    with pytest.raises(ImageError, match=r"too large to decode"):
        check_image(bomb)
    with pytest.raises(ImageError, match=r"too large to decode"):
        decode_image(bomb, (100, 100))


def test_a_truncated_image_is_damaged() -> None:
    data = jpeg(300, 200)
    check_image(data[: len(data) // 2])  # the header is fine ...
    with pytest.raises(ImageError, match=r"^the image is damaged and cannot be decoded$"):
        decode_image(data[: len(data) // 2], (100, 100))  # ... the pixels are not


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not an image this reader can decode"),
        (b"GIF89a" + b"\xff" * 40, "not an image this reader can decode"),
        (png(8, 8), "too small to show"),
        (png(400, 1), "too small to show"),
    ],
)
def test_what_is_not_a_picture_to_show(data: bytes, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        decode_image(data, (100, 100))


def test_formats_pillow_could_open_but_the_web_does_not_serve_are_refused() -> None:
    out = io.BytesIO()
    Image.new("RGB", (40, 40)).save(out, "TIFF")
    with pytest.raises(ImageError, match="not an image this reader can decode"):
        check_image(out.getvalue())


# --- fitting into cells ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pixels", "columns", "cells"),
    [
        ((600, 200), 100, (60, 10)),  # its own size fits: not enlarged
        ((2000, 1000), 100, (56, 14)),  # as tall as allowed, narrower to keep the shape
        ((2000, 400), 100, (100, 10)),  # a wide panorama takes the width
        ((300, 3000), 100, (3, 14)),  # a tall portrait
        ((600, 200), 0, (0, 0)),
        ((600, 200), 40, (40, 7)),  # a narrow pane
    ],
)
def test_fit_cells(pixels: tuple[int, int], columns: int, cells: tuple[int, int]) -> None:
    assert fit_cells(pixels, (10, 20), columns) == cells


# --- settings -------------------------------------------------------------------------------------


def write_config(tmp_path: Path, images: str) -> Paths:
    paths = Paths(config_file=tmp_path / "config" / "config.toml", data_dir=tmp_path / "data")
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    text = cfg.DEFAULT_CONFIG.replace('images = "auto"', f"images = {images}")
    paths.config_file.write_text(text, encoding="utf-8")
    return paths


def test_the_images_setting() -> None:
    assert cfg.UISettings().images == "auto"
    assert 'images = "auto"' in cfg.DEFAULT_CONFIG


@pytest.mark.parametrize("value", ['"auto"', '"off"'])
def test_images_auto_or_off(tmp_path: Path, value: str) -> None:
    assert cfg.load_settings(write_config(tmp_path, value)).ui.images == value.strip('"')


@pytest.mark.parametrize("value", ['"sometimes"', "true", '"Off"'])
def test_other_images_settings_are_refused_clearly(tmp_path: Path, value: str) -> None:
    paths = write_config(tmp_path, value)
    with pytest.raises(cfg.ConfigError) as err:
        cfg.load_settings(paths)
    message = str(err.value)
    assert str(paths.config_file) in message and "[ui]" in message and "images" in message


# --- the reader ---------------------------------------------------------------------------------


@contextmanager
def quay_library(
    tmp_path: Path, server: HTTPServer, *, images: str = "auto", more: int = 0
) -> Iterator[Library]:
    """A cache with two articles: the newest leads with an image served by ``server``
    (``/quay.png``), then ``more`` paragraphs."""
    paths = write_config(tmp_path, f'"{images}"')
    cfg.write_feed_list(
        paths.feeds_file, [FeedSource("http://127.0.0.1:9/port.xml", title="Port Gazette")]
    )
    with Library.open(paths, write_defaults=False) as library:
        feed = library.store.feeds()[0]
        first = (
            TextBlock(BlockKind.PARAGRAPH, PARAGRAPH),
            image(server.url_for("/quay.png")),
            *(TextBlock(BlockKind.PARAGRAPH, f"{OTHER} ({n})") for n in range(more)),
        )
        second = (TextBlock(BlockKind.PARAGRAPH, OTHER),)
        items = tuple(
            ParsedArticle(
                key=key,
                title=title,
                link=f"https://port.example.com/{key}",
                author=None,
                published=NOW - timedelta(minutes=age),
                updated=None,
                summary_html="",
                content_html="",
                blocks=blocks,
                text=blocks[0].text,
            )
            for key, title, age, blocks in (
                ("quay", "New quay opens", 5, first),
                ("ferry", "Ferry timetable changes", 50, second),
            )
        )
        state = FeedState("ok", None, NOW.timestamp(), NOW.timestamp() + 3600, 0)
        library.store.save_refresh(
            feed.id, state, ParsedFeed("Port Gazette", None, items), now=NOW.timestamp()
        )
        # Analysed, as after a refresh: no background pass re-reads the open article.
        library.analyse_now(library.store.unanalysed_ids(ANALYSER_VERSION))
        yield library


@pytest.fixture
def drawing_terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[ImageSupport]:
    """A terminal that draws images. The headless test terminal has no image protocol, so
    this uses textual-image's half-cell widget (real, but plain coloured characters). It asks
    the terminal nothing on import when standard output is not one, so hide the real one."""
    with monkeypatch.context() as patch:
        patch.setattr(sys, "__stdout__", io.StringIO())
        from textual_image.widget import HalfcellImage
    support = ImageSupport("halfcell", (10, 20), HalfcellImage)
    set_image_support(support)
    yield support
    set_image_support(None)


def body_text(app: NewsReaderApp) -> str:
    return str(app.screen.query_one("#reader-body", Static).visual)


def reader(app: NewsReaderApp) -> ArticleReader:
    return app.screen.query_one("#reader", ArticleReader)


def slow_image(release: threading.Event, data: bytes) -> Callable[[Request], Response]:
    def respond(request: Request) -> Response:
        release.wait(30)
        return Response(data, content_type="image/png")

    return respond


async def test_the_text_shows_at_once_and_the_picture_when_it_arrives(
    server: HTTPServer, tmp_path: Path, drawing_terminal: ImageSupport
) -> None:
    release = threading.Event()
    server.expect_request("/quay.png").respond_with_handler(slow_image(release, png(300, 100)))
    with quay_library(tmp_path, server) as library:
        app = NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            lead = reader(app).lead_image
            # The image is still on its way (the server holds it): the text is already here.
            assert PARAGRAPH in body_text(app)
            assert f"[image: {ALT}]" in body_text(app)
            assert not lead.has_class("-shown") and not lead.children
            assert lead.region.height == 0
            release.set()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert lead.has_class("-shown")
            (drawing,) = lead.children
            assert type(drawing).__name__ == "HalfcellImage"
            assert (drawing.size.width, drawing.size.height) == (30, 5)  # 300x100 px, 10x20 cells
            assert lead.region.y < app.screen.query_one("#reader-body").region.y
            assert f"[image: {ALT}]" in body_text(app)  # the link to it stays
            assert library.paths.data_dir.joinpath("images").is_dir()
        assert len(server.log) == 1


@pytest.mark.parametrize(
    ("size", "cells"),
    [
        # Narrow: the reader takes the screen (46 rows): the cap is MAX_ROWS.
        ((80, 50), (9, MAX_ROWS)),
        # Wide: the reader has 21 rows under the list, 40% of them (8) for the picture.
        ((120, 40), (5, 8)),
    ],
)
async def test_a_tall_picture_is_capped_in_height(
    server: HTTPServer,
    tmp_path: Path,
    drawing_terminal: ImageSupport,
    size: tuple[int, int],
    cells: tuple[int, int],
) -> None:
    server.expect_request("/quay.png").respond_with_data(png(300, 900), content_type="image/png")
    with quay_library(tmp_path, server) as library:
        app = NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)
        async with app.run_test(size=size) as pilot:
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            (drawing,) = reader(app).lead_image.children
            # 300x900 px shrunk to 14 rows of 20 px (93x280), in 10 px columns, shape kept.
            assert (drawing.size.width, drawing.size.height) == cells
            # The story's first lines are still in view under it.
            body = app.screen.query_one("#reader-body")
            assert drawing.region.bottom < body.region.y < reader(app).region.bottom - 2


async def test_a_picture_arriving_late_does_not_move_the_text_being_read(
    server: HTTPServer, tmp_path: Path, drawing_terminal: ImageSupport
) -> None:
    release = threading.Event()
    server.expect_request("/quay.png").respond_with_handler(slow_image(release, png(300, 100)))
    with quay_library(tmp_path, server, more=40) as library:
        app = NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await pilot.pause()
            shown = reader(app)
            shown.scroll_to(y=6, animate=False)
            await pilot.pause()
            assert shown.scroll_y == 6
            release.set()
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.pause()
            (drawing,) = shown.lead_image.children
            assert drawing.size.height == 5
            assert shown.scroll_y == 6 + 5 + 1  # the picture and the blank line under it


async def test_images_off_in_the_settings_fetch_and_show_nothing(
    server: HTTPServer, tmp_path: Path, drawing_terminal: ImageSupport
) -> None:
    server.expect_request("/quay.png").respond_with_data(png(), content_type="image/png")
    with quay_library(tmp_path, server, images="off") as library:
        app = NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            lead = reader(app).lead_image
            assert not lead.children and not lead.has_class("-shown")
            assert f"[image: {ALT}]" in body_text(app)
    assert server.log == []


async def test_a_terminal_without_an_image_protocol_fetches_and_shows_nothing(
    server: HTTPServer, tmp_path: Path
) -> None:
    server.expect_request("/quay.png").respond_with_data(png(), content_type="image/png")
    with quay_library(tmp_path, server) as library:
        app = NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            lead = reader(app).lead_image
            assert not lead.children and lead.region.height == 0
            assert f"[image: {ALT}]" in body_text(app)
    assert server.log == []


@pytest.mark.parametrize(
    "respond",
    [
        Response("missing", status=404),
        Response(b"\x89PNG\r\n\x1a\n broken beyond repair", content_type="image/png"),
        Response("<html></html>", content_type="text/html"),
    ],
    ids=["404", "broken", "html"],
)
async def test_an_image_that_fails_leaves_the_link_and_is_not_asked_again(
    server: HTTPServer, tmp_path: Path, drawing_terminal: ImageSupport, respond: Response
) -> None:
    server.expect_request("/quay.png").respond_with_response(respond)
    with quay_library(tmp_path, server) as library:
        app = NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            lead = reader(app).lead_image
            assert not lead.children and not lead.has_class("-shown")
            assert PARAGRAPH in body_text(app) and f"[image: {ALT}]" in body_text(app)
            await pilot.press("j", "enter", "k", "enter")  # the other article, and back
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert PARAGRAPH in body_text(app) and not lead.children
    assert len(server.log) == 1


async def test_moving_on_cancels_the_image_of_the_article_left(
    server: HTTPServer, tmp_path: Path, drawing_terminal: ImageSupport
) -> None:
    release = threading.Event()
    server.expect_request("/quay.png").respond_with_handler(slow_image(release, png()))
    with quay_library(tmp_path, server) as library:
        app = NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("j", "enter")
            await pilot.pause()
            assert OTHER in body_text(app)
            release.set()
            await app.workers.wait_for_complete()
            await pilot.pause()
            lead = reader(app).lead_image
            assert lead.url is None and lead.picture is None and not lead.children


async def test_images_toggle_off_and_back_on_from_the_cache(
    server: HTTPServer, tmp_path: Path, drawing_terminal: ImageSupport
) -> None:
    server.expect_request("/quay.png").respond_with_data(png(), content_type="image/png")
    with quay_library(tmp_path, server) as library:
        app = NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            lead = reader(app).lead_image
            assert lead.children
            assert reader(app).toggle_images() is False
            await pilot.pause()
            assert not lead.children and not lead.has_class("-shown")
            assert reader(app).toggle_images() is True
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert lead.children and lead.has_class("-shown")
    assert len(server.log) == 1  # the second time came from the cache


async def test_the_same_article_shown_again_keeps_its_picture(
    server: HTTPServer, tmp_path: Path, drawing_terminal: ImageSupport
) -> None:
    server.expect_request("/quay.png").respond_with_data(png(), content_type="image/png")
    with quay_library(tmp_path, server) as library:
        app = NewsReaderApp(library, now=lambda: NOW, refresh_on_start=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            lead = reader(app).lead_image
            (drawing,) = lead.children
            await pilot.press("asterisk")  # starring re-reads the article into the reader
            await pilot.pause()
            assert list(lead.children) == [drawing]
    assert len(server.log) == 1


def test_lead_image_sits_between_header_and_body(tmp_path: Path) -> None:
    ids = [w.id for w in ArticleReader(lambda: NOW).compose()]
    assert ids == ["reader-header", "reader-image", "reader-body"]
    assert isinstance(list(ArticleReader(lambda: NOW).compose())[1], LeadImage)


# --- never asking the terminal unless wanted ----------------------------------------------------


def run_python(
    code: str, *, stdin: int | None = None, stdout: int = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )


def test_headless_commands_and_the_headless_app_load_no_image_library(
    server: HTTPServer, tmp_path: Path
) -> None:
    """``list``/``show --json`` and a run_test of the app with an image in the article: no
    textual-image (it would write escape codes to the terminal), no Pillow."""
    with quay_library(tmp_path, server) as library:
        paths = library.paths
        article = library.article_ids()[0]
    code = f"""
        import asyncio, contextlib, io, json, sys
        from pathlib import Path
        from newsreader.cli import main
        args = ["--config", {str(paths.config_file)!r}, "--data-dir", {str(paths.data_dir)!r}]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main([*args, "list", "--json"]) == 0
            assert main([*args, "show", "{article}", "--json"]) == 0
        cli = sorted(m for m in sys.modules if m.split(".")[0] in ("textual_image", "PIL"))

        from newsreader.library import Library
        from newsreader.paths import Paths
        from newsreader.tui.app import NewsReaderApp

        async def read() -> None:
            paths = Paths(Path({str(paths.config_file)!r}), Path({str(paths.data_dir)!r}))
            with Library.open(paths, write_defaults=False) as library:
                app = NewsReaderApp(library, refresh_on_start=False)
                async with app.run_test(size=(120, 40)) as pilot:
                    await pilot.press("enter")
                    await app.workers.wait_for_complete()
                    await pilot.pause()

        asyncio.run(read())
        tui = sorted(m for m in sys.modules if m.split(".")[0] in ("textual_image", "PIL"))
        print(json.dumps({{"cli": cli, "tui": tui}}))
    """
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {"cli": [], "tui": []}
    assert server.log == []


# What a terminal answers the probe's questions with, typed ahead into the terminal: the
# primary device attributes ("4" is Sixel), Kitty's graphics reply, the terminal's version.
NO_SIXEL = b"\x1b[?62;22c"
GRAPHICS = b"\x1b_Gi=7;OK\x1b\\"
TERMINALS = {
    "sixel": (b"\x1b[?62;4;22c", "sixel"),
    "kitty": (NO_SIXEL + GRAPHICS + b"\x1bP>|kitty(0.35.2)\x1b\\", "kitty"),
    "ghostty": (NO_SIXEL + GRAPHICS + b"\x1bP>|ghostty 1.1.3\x1b\\", "kitty"),
    "kitty-0.26": (NO_SIXEL + GRAPHICS + b"\x1bP>|kitty(0.26.5)\x1b\\", None),
    "graphics-no-version": (NO_SIXEL + GRAPHICS, None),
    "neither": (NO_SIXEL, None),
}


@pytest.mark.parametrize("terminal", TERMINALS)
def test_the_probe_asks_a_real_terminal(terminal: str) -> None:
    answers, protocol = TERMINALS[terminal]
    master, slave = pty.openpty()
    try:
        # 24 rows of 20 px, 80 columns of 9 px: the cell size comes from the terminal.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 720, 480))
        tty.setraw(slave)
        os.write(master, answers)
        code = """
            import json, sys
            from newsreader.tui.widgets.lead_image import image_support, probe_terminal
            found = probe_terminal()
            assert probe_terminal() is found is image_support()  # asked once
            print(json.dumps(found and [found.protocol, found.cell_size]), file=sys.stderr)
        """
        result = run_python(code, stdin=slave, stdout=slave)
    finally:
        os.close(slave)
        asked = b""
        with_data = True
        while with_data:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed: everything was read
                chunk = b""
            asked += chunk
            with_data = bool(chunk)
        os.close(master)
    assert result.returncode == 0, result.stderr
    expected = [protocol, [9, 20]] if protocol else None
    assert json.loads(result.stderr.strip().splitlines()[-1]) == expected
    assert asked.startswith(b"\x1b[c")  # it did ask the terminal
    assert (b"\x1b[>0q" in asked) == (GRAPHICS in answers)  # the version, of Kitty's kind


@pytest.mark.parametrize(
    ("version", "draws"),
    [
        ("kitty(0.28.0)", True),
        ("kitty(0.42.1)", True),
        ("kitty(1.0.0)", True),
        ("kitty(0.27.1)", False),
        ("kitty(0.26.5)", False),
        ("ghostty 1.1.3", True),
        ("WezTerm 20240203-110809-5046fc22", False),
        ("Konsole 24.08.1", False),
        ("", False),
    ],
)
def test_who_draws_kitty_placeholders(version: str, draws: bool) -> None:
    assert draws_kitty_placeholders(version) is draws


def test_the_probe_asks_nothing_when_not_in_a_terminal() -> None:
    code = """
        import sys
        from newsreader.tui.widgets.lead_image import probe_terminal
        assert probe_terminal() is None
        assert not any(m.startswith(("textual_image", "PIL")) for m in sys.modules)
        print("quiet")
    """
    result = run_python(code, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "quiet\n"
