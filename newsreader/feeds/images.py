"""Articles' lead images: fetched like feeds, cached on disk, decoded with care.

The reader may draw an article's first image on terminals with an image protocol. This
module is the domain half of that: which image leads an article (:func:`lead_image_url`),
fetching it with the same :class:`~newsreader.feeds.fetch.Fetcher` as the feeds (same
politeness and time limits, a smaller size cap, image types only: :func:`fetch_image`), an
on-disk cache named by a hash of the URL (:class:`ImageCache`; :func:`image_bytes` reads it
first, else fetches and caches what passes a header check), and decoding with Pillow,
shrunk to what a terminal can show (:func:`decode_image`), refusing decompression bombs.

Pillow is imported only when an image is decoded: the CLI and a TUI without images never
load it. Every failure is an :class:`ImageError` whose ``message`` says why, in words.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Final

from newsreader.feeds.content import clean_text, normalise_ws, safe_url
from newsreader.models import BlockKind, FetchStatus, TextBlock

if TYPE_CHECKING:
    from PIL.Image import Image as Picture
    from PIL.ImageFile import ImageFile as PILImageFile

    from newsreader.feeds.fetch import Fetcher, FetchLimits

__all__ = [
    "CACHE_DIR_NAME",
    "MAX_CACHE_BYTES",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "MIN_IMAGE_SIDE",
    "ImageCache",
    "ImageError",
    "check_image",
    "decode_image",
    "fetch_image",
    "image_bytes",
    "lead_image_url",
]

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES: Final = 5_000_000
"""A larger image is refused while it downloads."""

MAX_IMAGE_PIXELS: Final = 40_000_000
"""An image whose header declares more pixels than this is refused before it is decoded (a
small file can declare a huge canvas: a decompression bomb). Pillow's own limit is ~89 M."""

MIN_IMAGE_SIDE: Final = 16
"""Narrower or shorter images are icons, spacers or trackers, not a story's picture."""

MAX_CACHE_BYTES: Final = 200_000_000
"""The image cache is trimmed, least recently used first, when it grows past this."""

CACHE_DIR_NAME: Final = "images"
"""The cache's folder inside the data directory."""

# The formats a news site serves. Pillow opens many more (EPS even runs Ghostscript); an
# image from the web is never handed to the others.
_FORMATS: Final = ("JPEG", "PNG", "GIF", "WEBP", "AVIF", "BMP")
_WEB: Final = frozenset({"http", "https"})
_SUFFIX: Final = ".img"
_MAX_SHOWN: Final = 80


class ImageError(Exception):
    """An image could not be fetched or decoded; ``message`` says why, in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def lead_image_url(blocks: Sequence[TextBlock]) -> str | None:
    """The address of an article's lead image: its first image block's, when it is a web
    (http or https) URL; else None."""
    for block in blocks:
        if block.kind is BlockKind.IMAGE:
            if not block.links:
                return None
            return safe_url(block.links[0].href.strip(), None, _WEB)
    return None


# --- the cache ----------------------------------------------------------------------------------


class ImageCache:
    """Fetched image bytes on disk, one file per URL named by a hash of the URL.

    Safe with several processes: files are written whole (a temporary file, then renamed).
    Reading a file marks it recently used; :meth:`write` trims the oldest past ``max_bytes``.
    """

    def __init__(self, folder: Path, *, max_bytes: int = MAX_CACHE_BYTES) -> None:
        self.folder = folder
        self.max_bytes = max_bytes

    def path(self, url: str) -> Path:
        """Where ``url``'s bytes are kept; the name is a hash, never text from a feed."""
        digest = hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=20)
        return self.folder / (digest.hexdigest() + _SUFFIX)

    def read(self, url: str) -> bytes | None:
        """The cached bytes of ``url``, or None. Blocking: call it from a thread."""
        path = self.path(url)
        try:
            data = path.read_bytes()
        except OSError:  # not cached, or unreadable: fetch it again
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: trimmed last
        return data

    def write(self, url: str, data: bytes) -> None:
        """Keep ``data`` for ``url``, then trim the cache. Blocking: call it from a thread.
        A cache that cannot be written is not an error: the image is fetched again."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, self.path(url))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            log.warning("could not cache an image: %s", exc)
            return
        self.trim()

    def trim(self) -> None:
        """Delete the least recently used files until the cache is under 90% of its cap."""
        files: list[tuple[float, int, Path]] = []
        total = 0
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return
        for entry in entries:
            if not entry.name.endswith(_SUFFIX):
                continue
            try:
                info = entry.stat()
            except OSError:
                continue
            files.append((info.st_mtime, info.st_size, Path(entry.path)))
            total += info.st_size
        if total <= self.max_bytes:
            return
        files.sort()
        for _, size, path in files:
            if total <= self.max_bytes * 0.9:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size


# --- fetching -------------------------------------------------------------------------------------


def _shown(text: str) -> str:
    text = normalise_ws(clean_text(text))
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _size(limit: int) -> str:
    if limit >= 1_000_000:
        return f"{limit / 1_000_000:.3g} MB"
    if limit >= 1_000:
        return f"{limit / 1_000:.3g} kB"
    return f"{limit} bytes"


async def fetch_image(fetcher: Fetcher, url: str, *, max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
    """Fetch an image with ``fetcher``: only http(s), only ``image/*`` answers, at most
    ``max_bytes`` (the fetcher's own cap applies too). Raises ImageError saying why."""
    target = safe_url(url.strip(), None, _WEB)
    if target is None:
        raise ImageError(f"only web images (http or https) are fetched: {_shown(url)}")
    from newsreader.feeds.fetch import FetchRequest

    response = await fetcher.fetch(FetchRequest(target))
    if response.status is not FetchStatus.OK or response.body is None:
        error = response.error or "the server sent no image"
        if response.http_status == 404:
            error = "the image was not found (404)"
        elif error.startswith("too large"):
            error = f"the image is too large (over {_size(fetcher.limits.max_body_bytes)})"
        raise ImageError(error)
    media = _media_type(response.content_type)
    if not media.startswith("image/"):
        raise ImageError(f"not an image: the server sent {_shown(media) or 'no content type'}")
    if media == "image/svg+xml":
        raise ImageError("SVG images cannot be drawn in a terminal")
    if len(response.body) > max_bytes:
        raise ImageError(f"the image is too large (over {_size(max_bytes)})")
    return response.body


# --- decoding -------------------------------------------------------------------------------------


def _open(data: bytes, max_pixels: int) -> PILImageFile:
    """Pillow's lazy view of an image: its header read and checked, no pixels decoded."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        picture = Image.open(io.BytesIO(data), formats=_FORMATS)
    w, h = picture.size
    if w * h > max_pixels:
        raise ImageError(f"the image is too large to decode ({w}×{h} pixels)")
    if w < MIN_IMAGE_SIDE or h < MIN_IMAGE_SIDE:
        raise ImageError(f"the image is too small to show ({w}×{h} pixels)")
    return picture


def _decoding(data: bytes, max_pixels: int, box: tuple[int, int] | None) -> Picture | None:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = _open(data, max_pixels)
            if box is None:
                return None
            width, height = max(1, box[0]), max(1, box[1])
            # JPEG only: decode at 1/2, 1/4 or 1/8 scale, still at least as big as the box.
            picture.draft("RGB", (width, height))
            upright = ImageOps.exif_transpose(picture)
            upright.thumbnail((width, height), Image.Resampling.LANCZOS)
            return upright.convert("RGBA" if upright.has_transparency_data else "RGB")
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError("the file is not an image this reader can decode") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("the image is too large to decode") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated, corrupt data
        log.debug("could not decode an image: %r", exc)
        raise ImageError("the image is damaged and cannot be decoded") from None


def check_image(data: bytes, *, max_pixels: int = MAX_IMAGE_PIXELS) -> None:
    """Raise ImageError unless ``data`` starts like an image :func:`decode_image` accepts
    (a known web format, a sane size). Reads the header only: cheap, but run it on a thread."""
    _decoding(data, max_pixels, None)


def decode_image(
    data: bytes, box: tuple[int, int], *, max_pixels: int = MAX_IMAGE_PIXELS
) -> Picture:
    """Decode an image and shrink it to fit ``box`` (width, height in pixels), aspect kept.

    CPU-bound: run it on a thread. Only common web formats are read; an image declaring more
    than ``max_pixels`` is refused before its pixels are decoded, and JPEGs are decoded at a
    reduced scale when that is enough. The result is RGB or RGBA, upright (EXIF orientation
    applied), and its first frame when animated. Raises ImageError saying why.
    """
    picture = _decoding(data, max_pixels, box)
    assert picture is not None
    return picture


# --- all of it ------------------------------------------------------------------------------------


async def image_bytes(url: str, *, cache: ImageCache, limits: FetchLimits) -> bytes:
    """An image's bytes: from the cache, else fetched (a new Fetcher on ``limits``, the body
    capped at :data:`MAX_IMAGE_BYTES`) and cached once its header checks out. File work runs
    on threads. Raises ImageError saying why."""
    data = await asyncio.to_thread(cache.read, url)
    if data is not None:
        return data
    capped = replace(limits, max_body_bytes=min(limits.max_body_bytes, MAX_IMAGE_BYTES))
    from newsreader.feeds.fetch import Fetcher

    async with Fetcher(capped) as fetcher:
        data = await fetch_image(fetcher, url, max_bytes=capped.max_body_bytes)
    await asyncio.to_thread(check_image, data)
    await asyncio.to_thread(cache.write, url, data)
    return data
